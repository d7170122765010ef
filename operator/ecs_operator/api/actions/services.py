"""ECS actions on services: CreateService, UpdateService, DescribeServices, ListServices,
DeleteService, ListServiceDeployments, DescribeServiceDeployments.

A service is an ECSService custom resource in the caller's namespace, found by (cluster,
serviceName) whatever its object name, so the same service name lives in two clusters and a
kubectl-applied service is an ECS service like any other. Writes are server-side apply with the
API's field manager ``ecs-api``: UpdateService re-states what ``ecs-api`` already owns plus the
members it changes, so fields a kubectl apply set stay kubectl's (docs/ecs-api.md, "Who wins:
kubectl and the ECS API").

ECS semantics, from the API reference:
- CreateService (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html):
  a bare family runs the latest ACTIVE revision at call time (the spec is pinned to ``family:N``);
  ``clientToken`` makes a repeated create return the existing service; creating a name that is
  ACTIVE otherwise is "Creation of service was not idempotent.".
- UpdateService (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html):
  forceNewDeployment starts a new deployment of the same revision (a new token in the
  ``ecs.operator.dev/force-new-deployment`` annotation, which the operator renders into the pods).
- DescribeServices (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html):
  at most 10 services; unknown ones in failures[] as MISSING.
- ListServices (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServices.html):
  10 per page by default, at most 100.
- DeleteService (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html):
  a service scaled above 0 needs ``force``; the service is DRAINING, then INACTIVE (tombstones.py).
- ListServiceDeployments / DescribeServiceDeployments: service_deployments.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ...models import SpecError, parse_service
from ...plan.cluster import cluster_reference
from ...plan.service_status import target_revision
from ...plan.task_definition import task_definition_ref
from ...render.names import dns_label, short_hash
from ...render.revision import parse_reference
from ...vocabulary import (
    ANNOTATION_CLIENT_TOKEN,
    ANNOTATION_FORCE_DEPLOYMENT,
    ANNOTATION_REVISION_STATUS,
    API_FIELD_MANAGER,
    API_VERSION,
    KIND_SERVICE,
)
from ..applied_intent import owned_intent
from ..context import Call, Handler, Response
from ..errors import (
    ClientException,
    ClusterNotFoundException,
    InvalidParameterException,
    ServiceNotActiveException,
    ServiceNotFoundException,
)
from ..objects import (
    Obj,
    apply,
    cluster_param,
    find_cluster,
    find_service,
    is_deleting,
    object_name,
    require_cluster,
    revision_number,
    revisions_of,
    service_name,
    services_in,
)
from ..paging import page
from ..service_deployments import deployment_key, deployment_records, present_brief, present_deployment
from ..service_view import Wanted, present_service

__all__ = ["ACTIONS"]

MAX_DESCRIBE = 10
MAX_DESCRIBE_DEPLOYMENTS = 20

CREATE_MEMBERS = frozenset(
    {
        "cluster",
        "serviceName",
        "taskDefinition",
        "availabilityZoneRebalancing",
        "loadBalancers",
        "serviceRegistries",
        "desiredCount",
        "clientToken",
        "launchType",
        "capacityProviderStrategy",
        "platformVersion",
        "role",
        "deploymentConfiguration",
        "placementConstraints",
        "placementStrategy",
        "networkConfiguration",
        "healthCheckGracePeriodSeconds",
        "schedulingStrategy",
        "deploymentController",
        "tags",
        "enableECSManagedTags",
        "propagateTags",
        "enableExecuteCommand",
        "serviceConnectConfiguration",
        "volumeConfigurations",
        "vpcLatticeConfigurations",
        "gatewayConnectors",
        "monitoring",
    }
)
"""CreateServiceRequest's members (botocore's ECS model)."""

UPDATE_MEMBERS = frozenset(
    {
        "desiredCount",
        "capacityProviderStrategy",
        "deploymentConfiguration",
        "availabilityZoneRebalancing",
        "networkConfiguration",
        "placementConstraints",
        "placementStrategy",
        "platformVersion",
        "healthCheckGracePeriodSeconds",
        "deploymentController",
        "enableExecuteCommand",
        "enableECSManagedTags",
        "loadBalancers",
        "propagateTags",
        "serviceRegistries",
        "serviceConnectConfiguration",
        "volumeConfigurations",
        "vpcLatticeConfigurations",
        "gatewayConnectors",
        "monitoring",
    }
)
"""UpdateServiceRequest's members written to the spec as given (taskDefinition is pinned first;
cluster, service and forceNewDeployment are not spec members)."""

INACTIVE_REVISION = ("INACTIVE", "DELETE_IN_PROGRESS")

_INTEGERS = ("desiredCount", "healthCheckGracePeriodSeconds")
_BOOLEANS = ("enableECSManagedTags", "enableExecuteCommand", "forceNewDeployment")
_LISTS = (
    "loadBalancers",
    "serviceRegistries",
    "capacityProviderStrategy",
    "placementConstraints",
    "placementStrategy",
    "tags",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
    "gatewayConnectors",
)
_STRUCTURES = (
    "deploymentConfiguration",
    "networkConfiguration",
    "deploymentController",
    "serviceConnectConfiguration",
    "monitoring",
)


def _check_types(call: Call) -> None:
    """Top-level members of the wrong JSON type are a SerializationException, as the protocol has it
    (botocore's model gives the types); the models then check values."""
    params = call.params
    for member in _INTEGERS:
        params.integer(member)
    for member in _BOOLEANS:
        params.boolean(member)
    for member in _LISTS:
        params.objects(member)
    for member in _STRUCTURES:
        params.object(member)
    for member, value in call.body.items():
        known = (*_INTEGERS, *_BOOLEANS, *_LISTS, *_STRUCTURES)
        if member not in known and value is not None and member in CREATE_MEMBERS | UPDATE_MEMBERS:
            params.string(member)


# -- look-ups ---------------------------------------------------------------------------------


def _read_cluster(call: Call) -> str:
    """The cluster a read names; ClusterNotFoundException unless it exists (``default`` may be implicit)."""
    name = cluster_param(call)
    if find_cluster(call, name) is None and name != "default":
        raise ClusterNotFoundException()
    return name


def _revision_status(revision: Mapping[str, Any]) -> str:
    annotations = (revision.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(ANNOTATION_REVISION_STATUS) or "ACTIVE")


def _pin(call: Call, reference: str) -> str:
    """A taskDefinition reference (family, family:N or ARN) as the ``family:N`` a new deployment runs."""
    if not reference.strip():
        raise InvalidParameterException("taskDefinition can not be blank.")
    if reference.startswith("arn:") and call.arns.kind_of(reference) != "task-definition":
        raise InvalidParameterException(f"Invalid task definition ARN: {reference}")
    try:
        family, pinned = parse_reference(reference)
    except ValueError as exc:
        raise InvalidParameterException(f"Invalid revision number in taskDefinition: {reference}") from exc
    revisions = revisions_of(call, family)
    if pinned is None:
        active = [r for r in revisions if _revision_status(r) == "ACTIVE"]
        if not active:
            raise ClientException("TaskDefinition not found.")
        return f"{family}:{revision_number(active[-1])}"
    found = next((r for r in revisions if revision_number(r) == pinned), None)
    if found is None:
        raise ClientException("TaskDefinition not found.")
    if _revision_status(found) in INACTIVE_REVISION:
        raise ClientException(f"TaskDefinition {family}:{pinned} is {_revision_status(found)}.")
    return f"{family}:{pinned}"


def _wanted(call: Call, obj: Mapping[str, Any]) -> Wanted | None:
    """What the spec's taskDefinition resolves to now, as the operator will resolve it."""
    try:
        family, pinned = parse_reference(task_definition_ref(obj))
    except ValueError:
        return None
    wanted = pinned
    if wanted is None:  # the latest ACTIVE revision, as the operator resolves a bare family
        active = [revision_number(r) for r in revisions_of(call, family) if _revision_status(r) == "ACTIVE"]
        wanted = max(active) if active else None
    if wanted is not None:
        wanted = target_revision(wanted, obj.get("status") or {})
    return Wanted(family, wanted)


def _present(call: Call, obj: Mapping[str, Any], include_tags: bool = False) -> dict[str, Any]:
    return present_service(obj, call.arns, wanted=_wanted(call, obj), include_tags=include_tags)


def _service(call: Call, cluster: str, reference: str, *, active: bool = True) -> Obj:
    """The named service; ServiceNotFoundException, or ServiceNotActiveException when deleted / draining."""
    found = find_service(call, cluster, reference)
    if found is None:
        name = call.arns.parts(reference)[-1] if reference.startswith("arn:") else reference
        if call.caches.deleted_services.find(call.namespace, cluster, name, call.now) is not None:
            raise ServiceNotActiveException()
        raise ServiceNotFoundException()
    if active and is_deleting(found):
        raise ServiceNotActiveException()
    return found


def _validate(spec: Mapping[str, Any]) -> None:
    try:
        parse_service(spec)
    except SpecError as exc:
        raise InvalidParameterException("; ".join(exc.messages)) from exc


def _object_name(call: Call, cluster: str, name: str) -> str:
    """A free object name for (cluster, name): the name itself, else one with a hash of the cluster."""
    index = call.caches.services

    def ours(obj: Obj) -> bool:
        return cluster_reference(obj) == cluster and service_name(obj) == name

    candidate = object_name(name, index, call.namespace, ours)
    existing = index.get(call.namespace, candidate)
    if existing is not None and not ours(existing):
        candidate = dns_label(f"{name}-{short_hash(f'{call.namespace}/{cluster}/{name}')}")
    return candidate


# -- actions ----------------------------------------------------------------------------------


def create_service(call: Call) -> Response:
    params = call.params
    _check_types(call)
    name = params.require("serviceName")
    cluster = cluster_param(call)
    token = params.string("clientToken")
    reference = params.string("taskDefinition")
    unknown = sorted(k for k in call.body if k not in CREATE_MEMBERS)
    if unknown:
        raise InvalidParameterException(f"Unknown parameter in CreateService: {', '.join(unknown)}.")
    if token is not None and len(token) > 36:
        raise InvalidParameterException("clientToken can be at most 36 characters.")
    if reference is None:
        raise InvalidParameterException("taskDefinition must be specified.")
    members = {
        k: v for k, v in call.body.items() if k not in ("cluster", "serviceName", "taskDefinition", "clientToken")
    }
    members = {k: v for k, v in members.items() if v is not None}
    _validate({"serviceName": name, "taskDefinition": reference, **members})
    require_cluster(call, cluster)
    spec = {"cluster": cluster, "serviceName": name, "taskDefinition": _pin(call, reference), **members}
    _validate(spec)
    existing = find_service(call, cluster, name)
    if existing is not None:
        if is_deleting(existing):
            raise InvalidParameterException("Unable to Start a service that is still Draining.")
        annotations = existing["metadata"].get("annotations") or {}
        same = all((existing.get("spec") or {}).get(k) == v for k, v in spec.items() if k != "taskDefinition")
        if token and annotations.get(ANNOTATION_CLIENT_TOKEN) == token and same:
            return {"service": _present(call, existing)}
        raise InvalidParameterException("Creation of service was not idempotent.")
    metadata: dict[str, Any] = {"name": _object_name(call, cluster, name), "namespace": call.namespace}
    if token:
        metadata["annotations"] = {ANNOTATION_CLIENT_TOKEN: token}
    created = apply(
        call,
        {"apiVersion": API_VERSION, "kind": KIND_SERVICE, "metadata": metadata, "spec": spec},
        call.caches.services,
    )
    call.caches.deleted_services.forget(call.namespace, cluster, name)
    return {"service": _present(call, created)}


def update_service(call: Call) -> Response:
    params = call.params
    _check_types(call)
    reference = params.require("service")
    cluster = cluster_param(call)
    unknown = sorted(
        k for k in call.body if k not in UPDATE_MEMBERS | {"cluster", "service", "taskDefinition", "forceNewDeployment"}
    )
    if unknown:
        raise InvalidParameterException(f"Unknown parameter in UpdateService: {', '.join(unknown)}.")
    params.integer("desiredCount", low=0)
    force = params.boolean("forceNewDeployment")
    if reference.startswith("arn:"):
        parts = call.arns.parts(reference)
        cluster = parts[0] if len(parts) == 2 else cluster
    if find_cluster(call, cluster) is None and cluster != "default":
        raise ClusterNotFoundException()
    obj = _service(call, cluster, reference)
    changes = {k: v for k, v in call.body.items() if k in UPDATE_MEMBERS and v is not None}
    task_definition = params.string("taskDefinition")
    if task_definition is not None:
        changes["taskDefinition"] = _pin(call, task_definition)
    spec = dict(obj.get("spec") or {})
    _validate({**spec, **changes})
    intent = owned_intent(obj, API_FIELD_MANAGER)
    meta = obj["metadata"]
    body: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": KIND_SERVICE,
        "metadata": {**(intent.get("metadata") or {}), "name": meta["name"], "namespace": meta["namespace"]},
        "spec": {**(intent.get("spec") or {}), **changes},
    }
    if force:
        annotations = dict(body["metadata"].get("annotations") or {})
        annotations[ANNOTATION_FORCE_DEPLOYMENT] = uuid.uuid4().hex
        body["metadata"]["annotations"] = annotations
    if not changes and not force:  # nothing to change: no write, no new generation
        return {"service": _present(call, obj)}
    if not body["spec"]:
        body.pop("spec")
    updated = apply(call, body, call.caches.services)
    return {"service": _present(call, updated)}


def describe_services(call: Call) -> Response:
    params = call.params
    names = params.strings("services", required=True)
    if len(names) > MAX_DESCRIBE:
        raise InvalidParameterException(f"services can have at most {MAX_DESCRIBE} items.")
    include = params.strings("include")
    for item in include:
        if item != "TAGS":
            raise InvalidParameterException(f"include: {item} is not one of TAGS.")
    cluster = _read_cluster(call)
    services: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    for reference in names:
        own_cluster = cluster
        name = reference
        if reference.startswith("arn:"):
            parts = call.arns.parts(reference)
            if call.arns.kind_of(reference) != "service" or not parts or not parts[-1]:
                failures.append({"arn": reference, "reason": "MISSING"})
                continue
            own_cluster = parts[0] if len(parts) == 2 else cluster
            name = parts[-1]
        found = find_service(call, own_cluster, name)
        if found is not None:
            services.append(_present(call, found, include_tags="TAGS" in include))
            continue
        gone = call.caches.deleted_services.find(call.namespace, own_cluster, name, call.now)
        if gone is not None:
            if "TAGS" not in include:
                gone.pop("tags", None)
            services.append(gone)
            continue
        failures.append({"arn": call.arns.service(own_cluster, name), "reason": "MISSING"})
    return {"services": services, "failures": failures}


def _launch_type(spec: Mapping[str, Any]) -> str | None:
    if spec.get("capacityProviderStrategy"):
        return None
    return str(spec.get("launchType") or "EC2")


def list_services(call: Call) -> Response:
    params = call.params
    launch_type = params.enum("launchType", ("EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"))
    strategy = params.enum("schedulingStrategy", ("REPLICA", "DAEMON"))
    params.enum("resourceManagementType", ("CUSTOMER", "ECS"))
    cluster = _read_cluster(call)
    arns = []
    for obj in services_in(call, cluster):
        spec = obj.get("spec") or {}
        if launch_type is not None and _launch_type(spec) != launch_type:
            continue
        if strategy is not None and (spec.get("schedulingStrategy") or "REPLICA") != strategy:
            continue
        arns.append(call.arns.service(cluster, service_name(obj)))
    chunk, token = page(arns, call.params.body, default=10, limit=100)
    out: Response = {"serviceArns": chunk}
    if token:
        out["nextToken"] = token
    return out


def delete_service(call: Call) -> Response:
    params = call.params
    reference = params.require("service")
    force = params.boolean("force")
    cluster = cluster_param(call)
    if reference.startswith("arn:"):
        parts = call.arns.parts(reference)
        cluster = parts[0] if len(parts) == 2 else cluster
    if find_cluster(call, cluster) is None and cluster != "default":
        raise ClusterNotFoundException()
    obj = _service(call, cluster, reference, active=False)
    spec = obj.get("spec") or {}
    desired = spec.get("desiredCount")
    scaled = spec.get("schedulingStrategy") != "DAEMON" and isinstance(desired, int) and desired > 0
    if scaled and not force and not is_deleting(obj):
        raise InvalidParameterException("The service cannot be stopped while it is scaled above 0.")
    meta = obj["metadata"]
    name = service_name(obj)
    call.kube.delete(API_VERSION, KIND_SERVICE, meta["namespace"], meta["name"], uid=meta.get("uid"))
    after = call.kube.get_or_none(API_VERSION, KIND_SERVICE, meta["namespace"], meta["name"])
    if after is not None and after["metadata"].get("uid") == meta.get("uid"):
        call.caches.services.remember(after)
    else:
        call.caches.services.forget(obj)
        after = obj
    view = _present(call, after, include_tags=True)
    draining = {**view, "status": "DRAINING", "desiredCount": 0}
    gone = {**view, "status": "INACTIVE", "desiredCount": 0, "runningCount": 0, "pendingCount": 0, "deployments": []}
    call.caches.deleted_services.bury(call.namespace, cluster, name, gone, call.now)
    draining.pop("tags", None)
    return {"service": draining}


def _service_for_deployments(call: Call) -> tuple[Obj, str]:
    reference = call.params.require("service")
    cluster = cluster_param(call)
    if reference.startswith("arn:"):
        parts = call.arns.parts(reference)
        cluster = parts[0] if len(parts) == 2 else cluster
    if find_cluster(call, cluster) is None and cluster != "default":
        raise ClusterNotFoundException()
    found = find_service(call, cluster, reference)
    if found is None:
        raise ServiceNotFoundException()
    return found, cluster


DEPLOYMENT_STATUSES = (
    "PENDING",
    "SUCCESSFUL",
    "STOPPED",
    "STOP_REQUESTED",
    "IN_PROGRESS",
    "ROLLBACK_REQUESTED",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_SUCCESSFUL",
    "ROLLBACK_FAILED",
)


def _window(call: Call) -> tuple[float | None, float | None]:
    created = call.params.object("createdAt") or {}
    bounds = []
    for member in ("after", "before"):
        value = created.get(member)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidParameterException(f"createdAt.{member} must be a timestamp (epoch seconds).")
        bounds.append(None if value is None else float(value))
    return bounds[0], bounds[1]


def list_service_deployments(call: Call) -> Response:
    statuses = call.params.strings("status")
    for item in statuses:
        if item not in DEPLOYMENT_STATUSES:
            raise InvalidParameterException(f"status: {item} is not a service deployment status.")
    after, before = _window(call)
    obj, cluster = _service_for_deployments(call)
    records = deployment_records(obj, _wanted(call, obj))
    briefs = [present_brief(call.arns, obj, cluster, records, i) for i in range(len(records))]
    kept = []
    for brief in briefs:
        if statuses and brief["status"] not in statuses:
            continue
        created = brief.get("createdAt")
        if after is not None and (created is None or created < after):
            continue
        if before is not None and (created is None or created > before):
            continue
        kept.append(brief)
    # Newest first, as ECS lists them; the page key keeps that order across pages.
    keyed = {f"{i:06d}": b for i, b in enumerate(kept)}
    chunk, token = page(list(keyed), call.params.body, default=20, limit=100)
    out: Response = {"serviceDeployments": [keyed[k] for k in chunk]}
    if token:
        out["nextToken"] = token
    return out


def describe_service_deployments(call: Call) -> Response:
    arns = call.params.strings("serviceDeploymentArns", required=True)
    if len(arns) > MAX_DESCRIBE_DEPLOYMENTS:
        raise InvalidParameterException(f"serviceDeploymentArns can have at most {MAX_DESCRIBE_DEPLOYMENTS} items.")
    found: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    for arn in arns:
        parts = call.arns.parts(arn)
        if call.arns.kind_of(arn) != "service-deployment" or len(parts) != 3:
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        cluster, name, ident = parts
        obj = find_service(call, cluster, name)
        if obj is None:
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        records = deployment_records(obj, _wanted(call, obj))
        index = next((i for i, r in enumerate(records) if deployment_key(str(r.get("id") or "")) == ident), None)
        if index is None:
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        found.append(present_deployment(call.arns, obj, cluster, records, index))
    return {"serviceDeployments": found, "failures": failures}


ACTIONS: dict[str, Handler] = {
    "CreateService": create_service,
    "UpdateService": update_service,
    "DescribeServices": describe_services,
    "ListServices": list_services,
    "DeleteService": delete_service,
    "ListServiceDeployments": list_service_deployments,
    "DescribeServiceDeployments": describe_service_deployments,
}
