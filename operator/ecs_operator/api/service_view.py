"""An ECSService presented as ECS's ``Service`` shape (DescribeServices, CreateService, ...).

Pure: the object, what its spec resolves to now, and a clock in; the botocore ``Service``
shape out (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html). Counts,
deployments and events come from the operator's status (plan/service_status.py).

A write the operator has not observed yet (``metadata.generation > status.observedGeneration``,
or a forceNewDeployment token the PRIMARY deployment does not carry) is shown as ECS shows it
right after UpdateService: desiredCount from the spec and, when the change starts a deployment,
a new PRIMARY deployment IN_PROGRESS beside the old one (now ACTIVE). ``aws ecs wait
services-stable`` (one deployment and runningCount == desiredCount) so never sees the old
state as stable.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import SpecError, parse_service
from ..plan.cluster import cluster_reference
from ..render.names import short_hash
from ..render.revision import parse_reference
from ..vocabulary import ANNOTATION_FORCE_DEPLOYMENT
from .arns import Arns

__all__ = [
    "FORCE_TOKEN",
    "Wanted",
    "SERVICE_MEMBERS",
    "epoch",
    "present_service",
    "service_of",
    "pending_change",
    "deployment_token",
    "pending_deployment_id",
    "task_definition_arn",
]

SERVICE_MEMBERS = (
    "loadBalancers",
    "serviceRegistries",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "deploymentConfiguration",
    "placementConstraints",
    "placementStrategy",
    "networkConfiguration",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "deploymentController",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
)
"""Members of ECS's Service shape that are the spec's own (CreateService input, read back)."""

FORCE_TOKEN = "forceToken"  # the force token a deployment entry of status.deployments was rolled for


@dataclass(frozen=True)
class Wanted:
    """What the spec asks for now: the family and revision (pinned, or the latest ACTIVE)."""

    family: str
    revision: int | None


def epoch(stamp: object) -> float | None:
    """An RFC 3339 time (as Kubernetes and the operator's status write it) as epoch seconds."""
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def service_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("spec") or {}).get("serviceName") or obj["metadata"]["name"])


def task_definition_arn(arns: Arns, reference: object) -> str | None:
    """``family:N`` (or an ARN) as a full task-definition ARN; None for a bare family or nothing."""
    if not isinstance(reference, str) or not reference:
        return None
    try:
        family, revision = parse_reference(reference)
    except ValueError:
        return None
    return arns.task_definition(family, revision) if revision is not None else None


def deployment_token(obj: Mapping[str, Any]) -> str:
    """The forceNewDeployment token UpdateService last set ("" when never)."""
    return str(((obj.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_FORCE_DEPLOYMENT) or "")


def _primary(status: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((d for d in status.get("deployments") or [] if d.get("status") == "PRIMARY"), None)


def _spec_unobserved(obj: Mapping[str, Any]) -> bool:
    status = obj.get("status") or {}
    if not status.get("deployments"):
        return True
    generation = (obj.get("metadata") or {}).get("generation")
    observed = status.get("observedGeneration")
    return generation is not None and (observed is None or int(generation) > int(observed))


def pending_change(obj: Mapping[str, Any], wanted: Wanted | None) -> tuple[bool, bool]:
    """(spec not yet observed, a new deployment is about to start) for the object as it is."""
    status = obj.get("status") or {}
    unobserved = _spec_unobserved(obj)
    primary = _primary(status)
    token = deployment_token(obj)
    forced = bool(token) and (primary is None or str(primary.get(FORCE_TOKEN) or "") != token)
    new_revision = (
        unobserved
        and wanted is not None
        and wanted.revision is not None
        and (primary is None or primary.get("taskDefinitionRevision") != wanted.revision)
    )
    return unobserved, forced or new_revision or primary is None


def _last_write(obj: Mapping[str, Any]) -> float | None:
    """When the object was last written (its newest managedFields entry): a pending deployment's start."""
    times = [epoch(m.get("time")) for m in (obj.get("metadata") or {}).get("managedFields") or []]
    known = [t for t in times if t is not None]
    return max(known) if known else epoch((obj.get("metadata") or {}).get("creationTimestamp"))


def _parsed_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with ECS's types (``"60"`` -> 60), or as written when the models refuse it.

    Validating a spec costs far more than the rest of a DescribeServices answer, and specs change
    rarely: the answer is memoised by the spec's JSON (a pure function of it)."""
    result: dict[str, Any] = json.loads(_parsed_spec_json(json.dumps(spec, sort_keys=True, default=str)))
    return result


@functools.lru_cache(maxsize=4096)
def _parsed_spec_json(text: str) -> str:
    return json.dumps(_parse_spec(json.loads(text)))


def _parse_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    try:
        model = parse_service(spec)
    except SpecError:
        return dict(spec)
    out = model.dump()
    maximum, minimum = model.deployment_percents()
    config = dict(out.get("deploymentConfiguration") or {})
    config.setdefault("maximumPercent", maximum)
    config.setdefault("minimumHealthyPercent", minimum)
    config.setdefault("deploymentCircuitBreaker", {"enable": False, "rollback": False})
    out["deploymentConfiguration"] = config
    return out


def _launch(spec: Mapping[str, Any]) -> dict[str, Any]:
    """launchType or capacityProviderStrategy as ECS reports them (EC2 when neither was given)."""
    if spec.get("capacityProviderStrategy"):
        return {"capacityProviderStrategy": spec["capacityProviderStrategy"]}
    return {"launchType": spec.get("launchType") or "EC2"}


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _deployment(arns: Arns, entry: Mapping[str, Any], launch: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(entry.get("id") or ""),
        "status": str(entry.get("status") or "ACTIVE"),
        "desiredCount": _int(entry.get("desiredCount")),
        "pendingCount": _int(entry.get("pendingCount")),
        "runningCount": _int(entry.get("runningCount")),
        "failedTasks": _int(entry.get("failedTasks")),
        **launch,
    }
    arn = task_definition_arn(arns, entry.get("taskDefinition"))
    if arn:
        out["taskDefinition"] = arn
    for member in ("createdAt", "updatedAt"):
        stamp = epoch(entry.get(member))
        if stamp is not None:
            out[member] = stamp
    for member in ("rolloutState", "rolloutStateReason"):
        if entry.get(member):
            out[member] = str(entry[member])
    return out


def pending_deployment_id(obj: Mapping[str, Any]) -> str:
    """A provisional id for the deployment a write not yet observed starts (the operator names its own)."""
    meta = obj.get("metadata") or {}
    ident = short_hash(f"{meta.get('uid')}:{meta.get('generation')}:{deployment_token(obj)}", 16)
    return f"ecs-svc/{int(ident, 16) % 10**19}"


def _new_deployment(
    obj: Mapping[str, Any], arns: Arns, wanted: Wanted | None, desired: int, launch: Mapping[str, Any]
) -> dict[str, Any]:
    """The PRIMARY deployment the operator is about to start (its id is provisional)."""
    started = _last_write(obj)
    entry: dict[str, Any] = {
        "id": pending_deployment_id(obj),
        "status": "PRIMARY",
        "desiredCount": desired,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": "ECS deployment in progress.",
        **launch,
    }
    if wanted is not None and wanted.revision is not None:
        entry["taskDefinition"] = arns.task_definition(wanted.family, wanted.revision)
    else:
        primary = _primary(obj.get("status") or {})
        arn = task_definition_arn(arns, (primary or {}).get("taskDefinition"))
        if arn:
            entry["taskDefinition"] = arn
    if started is not None:
        entry["createdAt"] = entry["updatedAt"] = started
    return entry


def present_service(
    obj: Mapping[str, Any],
    arns: Arns,
    *,
    wanted: Wanted | None = None,
    include_tags: bool = False,
    status_override: str | None = None,
) -> dict[str, Any]:
    """The ``Service`` shape of one ECSService. ``wanted`` is what its taskDefinition resolves to
    now (for a deployment about to start); ``status_override`` e.g. INACTIVE for a deleted one."""
    meta = obj.get("metadata") or {}
    raw_spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    spec = _parsed_spec(raw_spec)
    name = service_of(obj)
    cluster = cluster_reference(obj)
    daemon = spec.get("schedulingStrategy") == "DAEMON"
    launch = _launch(spec)
    unobserved, new_deployment = pending_change(obj, wanted)

    desired = _int(status.get("desiredCount"))
    if unobserved and not daemon:
        desired = _int(spec.get("desiredCount"), desired)
    deployments = [_deployment(arns, d, launch) for d in status.get("deployments") or []]
    if new_deployment:
        for entry in deployments:
            entry["status"] = "ACTIVE"
        deployments.insert(0, _new_deployment(obj, arns, wanted, desired, launch))
    elif unobserved:
        for entry in deployments:
            if entry["status"] == "PRIMARY":
                entry["desiredCount"] = desired

    service_status = str(status.get("status") or "ACTIVE")
    if service_status not in ("ACTIVE", "DRAINING", "INACTIVE"):
        service_status = "ACTIVE"
    if meta.get("deletionTimestamp"):
        service_status = "DRAINING"
    if status_override:
        service_status = status_override

    out: dict[str, Any] = {
        "serviceArn": arns.service(cluster, name),
        "serviceName": name,
        "clusterArn": arns.cluster(cluster),
        "status": service_status,
        "desiredCount": desired,
        "runningCount": _int(status.get("runningCount")),
        "pendingCount": _int(status.get("pendingCount")),
        "loadBalancers": list(spec.get("loadBalancers") or []),
        "serviceRegistries": list(spec.get("serviceRegistries") or []),
        "schedulingStrategy": "DAEMON" if daemon else "REPLICA",
        "deployments": deployments,
        "events": _events(status),
        "placementConstraints": list(spec.get("placementConstraints") or []),
        "placementStrategy": list(spec.get("placementStrategy") or []),
        "deploymentController": spec.get("deploymentController") or {"type": "ECS"},
        "enableECSManagedTags": bool(spec.get("enableECSManagedTags", False)),
        "propagateTags": str(spec.get("propagateTags") or "NONE"),
        "enableExecuteCommand": bool(spec.get("enableExecuteCommand", False)),
        **launch,
    }
    for member in SERVICE_MEMBERS:
        if member not in out and spec.get(member) is not None:
            out[member] = spec[member]
    if spec.get("role"):
        out["roleArn"] = spec["role"]
    created = epoch(meta.get("creationTimestamp"))
    if created is not None:
        out["createdAt"] = created
    primary = next((d for d in deployments if d["status"] == "PRIMARY"), None)
    arn = (primary or {}).get("taskDefinition") or task_definition_arn(arns, status.get("taskDefinition"))
    if not arn and wanted is not None and wanted.revision is not None:
        arn = arns.task_definition(wanted.family, wanted.revision)
    if arn:
        out["taskDefinition"] = arn
    if primary is not None and primary.get("id"):
        ident = str(primary["id"]).rsplit("/", 1)[-1]
        out["currentServiceDeployment"] = arns.service_deployment(cluster, name, ident)
    if include_tags:
        out["tags"] = [
            {"key": str(t.get("key")), "value": str(t.get("value", ""))}
            for t in raw_spec.get("tags") or []
            if isinstance(t, Mapping)
        ]
    return out


def _events(status: Mapping[str, Any]) -> list[dict[str, Any]]:
    """status.events newest first, with epoch timestamps."""
    events = []
    for entry in status.get("events") or []:
        event: dict[str, Any] = {"id": str(entry.get("id") or ""), "message": str(entry.get("message") or "")}
        stamp = epoch(entry.get("createdAt"))
        if stamp is not None:
            event["createdAt"] = stamp
        events.append(event)
    events.sort(key=lambda e: -float(e.get("createdAt") or 0))  # stable: the operator's order within a second
    return events
