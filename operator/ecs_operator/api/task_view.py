"""One ECS task in ECS's ``Task`` shape, from what the cluster knows of it.

A standalone task (RunTask, an ECSTask) is told by its record in the ECSTask's
``status.tasks[]``, which outlives the pod, so a stopped task keeps its exit codes; the pod and
its node add what only they know while they exist (image, container instance, zone, ports). A
service's task is its pod. Members and types follow botocore's ``Task`` and ``Container``
shapes and the API reference (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Container.html): timestamps are epoch
seconds, ``cpu`` and ``memory`` strings, ``taskDefinitionArn`` a full ARN of this API's region and
account (the operator's status writes a local prefix; only the path after it is kept).

Pure: objects in, a dict out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..plan.lifecycle import (
    USER_STOP_REASON,
    StopCode,
    container_reason,
    container_statuses,
    ecs_container_names,
    essential_containers,
    is_terminal,
    last_status,
    last_termination,
    parse_time,
    task_stop,
)
from ..render.capacity import FARGATE_TAINT_KEY
from ..vocabulary import ANNOTATION_PROVIDER_NAME, LABEL_FAMILY, LABEL_REVISION
from .arns import Arns, uid_id

__all__ = ["TaskSource", "present_task", "list_facts", "epoch", "task_definition_of", "LIFECYCLE"]

Obj = dict[str, Any]
LIFECYCLE = (
    "PROVISIONING",
    "PENDING",
    "ACTIVATING",
    "RUNNING",
    "DEACTIVATING",
    "STOPPING",
    "DEPROVISIONING",
    "STOPPED",
)
ZONE_LABEL = "topology.kubernetes.io/zone"
_CONTAINER_IDS = uuid.UUID("5c0b7c1e-9a57-4f7e-8f39-3e0cf1a7d0a1")  # namespace for stable container ids


@dataclass(frozen=True)
class TaskSource:
    """Everything known about one ECS task."""

    task_id: str
    cluster: str
    record: Mapping[str, Any] | None = None  # standalone: the ECSTask's status.tasks[] entry
    pod: Mapping[str, Any] | None = None
    node: Mapping[str, Any] | None = None
    owner: Mapping[str, Any] | None = None  # the ECSTask or the ECSService
    definition: Mapping[str, Any] | None = None  # the revision's task definition (containerDefinitions, cpu...)
    task_definition: str | None = None  # family:revision
    service: str | None = None  # the ECS service name, for a service's task
    started_by: str | None = None  # a service task: its deployment's id
    now: datetime | None = None
    gone_at: float | None = None  # the pod was deleted then (epoch seconds): its last copy tells the task
    stop_reason: str | None = None  # a service task StopTask stopped, with this reason

    @property
    def family(self) -> str | None:
        return self.task_definition.rsplit(":", 1)[0] if self.task_definition else None


def epoch(value: Any) -> float | None:
    """An RFC 3339 timestamp as epoch seconds (ECS's JSON timestamps), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = parse_time(value)
    except ValueError:
        return None
    return None if moment is None else moment.astimezone(UTC).timestamp()


def task_definition_of(source_record: Mapping[str, Any] | None, pod: Mapping[str, Any] | None) -> str | None:
    """``family:revision`` from a record's taskDefinitionArn or the pod's labels."""
    arn = str((source_record or {}).get("taskDefinitionArn") or "")
    if ":task-definition/" in arn:
        return arn.split(":task-definition/", 1)[1]
    labels = ((pod or {}).get("metadata") or {}).get("labels") or {}
    family, revision = labels.get(LABEL_FAMILY), labels.get(LABEL_REVISION)
    return f"{family}:{revision}" if family and revision else None


def _container_defs(source: TaskSource) -> dict[str, Mapping[str, Any]]:
    defs = (source.definition or {}).get("containerDefinitions") or []
    return {str(d.get("name")): d for d in defs if isinstance(d, Mapping)}


def _pod_containers(pod: Mapping[str, Any]) -> list[Obj]:
    """Containers as the pod tells them (a task not recorded yet, or a service's task)."""
    statuses = container_statuses(pod)
    out = []
    for k8s, name in ecs_container_names(pod).items():
        status = statuses.get(k8s) or {}
        state = status.get("state", {})
        terminated = last_termination(status)
        entry: Obj = {"name": name}
        if terminated is not None:
            entry.update({"lastStatus": "STOPPED", "exitCode": int(terminated.get("exitCode", 0))})
        elif "running" in state:
            entry["lastStatus"] = "RUNNING"
        else:
            entry["lastStatus"] = "PENDING"
        reason = container_reason(terminated, state.get("waiting"))
        if reason:
            entry["reason"] = reason
        out.append(entry)
    return out


def _pod_specs(pod: Mapping[str, Any] | None) -> dict[str, tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """ECS container name -> (pod container spec, its status)."""
    if pod is None:
        return {}
    spec = pod.get("spec") or {}
    by_k8s = {c["name"]: c for c in [*spec.get("initContainers", []), *spec.get("containers", [])]}
    statuses = container_statuses(pod)
    return {name: (by_k8s.get(k8s, {}), statuses.get(k8s) or {}) for k8s, name in ecs_container_names(pod).items()}


def _bindings(container: Mapping[str, Any]) -> list[Obj]:
    out = []
    for port in container.get("ports") or []:
        if port.get("hostPort"):
            out.append(
                {
                    "bindIP": str(port.get("hostIP") or "0.0.0.0"),
                    "containerPort": int(port["containerPort"]),
                    "hostPort": int(port["hostPort"]),
                    "protocol": str(port.get("protocol") or "TCP").lower(),
                }
            )
    return out


def _containers(source: TaskSource, arns: Arns, task_arn: str) -> list[Obj]:
    base = [dict(c) for c in (source.record or {}).get("containers") or []]
    if not base and source.pod is not None:
        base = _pod_containers(source.pod)
        if source.gone_at is not None:
            base = [{**c, "lastStatus": "STOPPED"} for c in base]
    if not base:
        base = [{"name": name, "lastStatus": "PENDING"} for name in _container_defs(source)]
    defs = _container_defs(source)
    specs = _pod_specs(source.pod)
    out = []
    for entry in base:
        name = str(entry.get("name"))
        definition = defs.get(name, {})
        spec, status = specs.get(name, ({}, {}))
        container: Obj = {
            "containerArn": f"{arns.prefix}:container/{source.cluster}/{source.task_id}/"
            + str(uuid.uuid5(_CONTAINER_IDS, f"{source.task_id}/{name}")),
            "taskArn": task_arn,
            "name": name,
            "lastStatus": str(entry.get("lastStatus") or "PENDING"),
            "networkBindings": _bindings(spec),
            "networkInterfaces": [],
        }
        image = spec.get("image") or definition.get("image")
        if image:
            container["image"] = str(image)
        if entry.get("exitCode") is not None:
            container["exitCode"] = int(entry["exitCode"])
        if entry.get("reason"):
            container["reason"] = str(entry["reason"])
        if definition.get("healthCheck") and container["lastStatus"] == "RUNNING":
            container["healthStatus"] = "HEALTHY" if status.get("ready") else "UNHEALTHY"
        else:
            container["healthStatus"] = "UNKNOWN"
        for key in ("cpu", "memory", "memoryReservation"):
            if definition.get(key) is not None:
                container[key] = str(definition[key])
        out.append(container)
    return out


def _is_fargate(node: Mapping[str, Any] | None) -> bool:
    labels = ((node or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(FARGATE_TAINT_KEY) == "fargate"


def _pod_state(source: TaskSource) -> tuple[str, str, Obj]:
    """lastStatus, desiredStatus and stop members of a task known only by its pod."""
    pod = source.pod or {}
    state = "STOPPED" if source.gone_at is not None else last_status(pod)
    stop = None
    if state in ("DEACTIVATING", "STOPPED") or is_terminal(pod):
        stop = task_stop(pod, now=source.now or datetime.now(UTC))
        if stop is None:  # gone without a deletion the last copy shows: stopped all the same
            stop = task_stop(pod, now=source.now or datetime.now(UTC), desired_status="STOPPED")
    if source.record is None and source.service is None and state == "ACTIVATING":
        statuses = container_statuses(pod)
        if all("running" in (statuses.get(n) or {}).get("state", {}) for n in essential_containers(pod)):
            state = "RUNNING"  # a standalone task is RUNNING once its essential containers run
    extra: Obj = {}
    if stop is not None:
        extra = {"stopCode": stop.stop_code, "stoppedReason": stop.detail}
        if source.service is not None and stop.stop_code == StopCode.USER_INITIATED:
            extra = _service_stop(source)
    desired = "STOPPED" if stop is not None or state in ("DEACTIVATING", "STOPPED") else "RUNNING"
    return state, desired, extra


def _service_stop(source: TaskSource) -> Obj:
    """A service's task that stopped without exiting: StopTask's (remembered), else the scheduler's
    doing (a deployment replacing it, scale-in), as ECS's ServiceSchedulerInitiated tells it."""
    if source.stop_reason is not None:
        return {"stopCode": StopCode.USER_INITIATED, "stoppedReason": source.stop_reason or USER_STOP_REASON}
    by = f" (deployment {source.started_by})" if source.started_by else ""
    return {"stopCode": StopCode.SERVICE_SCHEDULER_INITIATED, "stoppedReason": f"Scaling activity initiated by{by}"}


def _health(source: TaskSource) -> str:
    recorded = (source.record or {}).get("healthStatus")
    if recorded in ("HEALTHY", "UNHEALTHY", "UNKNOWN"):
        return str(recorded)
    conditions = ((source.pod or {}).get("status") or {}).get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return "HEALTHY" if ready else "UNKNOWN"


def _overrides(source: TaskSource) -> Obj:
    given = dict(((source.owner or {}).get("spec") or {}).get("overrides") or {}) if source.service is None else {}
    named = {o.get("name") for o in given.get("containerOverrides") or [] if isinstance(o, Mapping)}
    containers = list(given.get("containerOverrides") or [])
    containers += [{"name": n} for n in _container_defs(source) if n not in named]
    given["containerOverrides"] = containers
    given.setdefault("inferenceAcceleratorOverrides", [])
    return given


def _tags(source: TaskSource) -> list[Obj]:
    spec = (source.owner or {}).get("spec") or {}
    if source.service is not None and spec.get("propagateTags") != "SERVICE":
        return []
    return [{"key": str(t.get("key")), "value": str(t.get("value", ""))} for t in spec.get("tags") or []]


def _states(source: TaskSource) -> Obj:
    """lastStatus, desiredStatus and, once it stops, stopCode and stoppedReason."""
    record = source.record or {}
    if not record:
        state, desired, stop = _pod_state(source)
        return {"lastStatus": state, "desiredStatus": desired, **stop}
    out: Obj = {
        "lastStatus": str(record.get("lastStatus") or "PROVISIONING"),
        "desiredStatus": str(record.get("desiredStatus") or "RUNNING"),
    }
    for key in ("stopCode", "stoppedReason"):
        if record.get(key):
            out[key] = str(record[key])
    return out


def _instance_id(source: TaskSource) -> str | None:
    """The container instance's id (its node's uid); None on Fargate or once the pod is gone."""
    node = source.node
    return None if node is None or _is_fargate(node) else uid_id(str(node["metadata"]["uid"]))


def _started_by(source: TaskSource) -> str | None:
    if source.service is not None:
        return source.started_by
    value = (source.record or {}).get("startedBy") or ((source.owner or {}).get("spec") or {}).get("startedBy")
    return str(value) if value else None


def _provider(source: TaskSource) -> str | None:
    spec = (source.owner or {}).get("spec") or {}
    annotations = ((source.pod or {}).get("metadata") or {}).get("annotations") or {}
    value = (
        (source.record or {}).get("capacityProviderName")
        or annotations.get(ANNOTATION_PROVIDER_NAME)
        or next((s.get("capacityProvider") for s in spec.get("capacityProviderStrategy") or []), None)
    )
    return str(value) if value else None


def _launch_type(source: TaskSource) -> str:
    value = (source.record or {}).get("launchType") or ((source.owner or {}).get("spec") or {}).get("launchType")
    if value:
        return str(value)
    return "FARGATE" if _is_fargate(source.node) or str(_provider(source) or "").startswith("FARGATE") else "EC2"


def list_facts(source: TaskSource) -> Obj:
    """What ListTasks filters on, without presenting the whole task (it runs over every task)."""
    return {
        "desiredStatus": _states(source)["desiredStatus"],
        "family": source.family,
        "startedBy": _started_by(source),
        "containerInstance": _instance_id(source),
        "launchType": _launch_type(source),
    }


def present_task(source: TaskSource, arns: Arns, *, tags: bool = False) -> Obj:
    """The task as DescribeTasks, RunTask and StopTask answer it."""
    record = source.record or {}
    spec = (source.owner or {}).get("spec") or {}
    task_arn = arns.task(source.cluster, source.task_id)
    pod_meta = (source.pod or {}).get("metadata") or {}
    task: Obj = {
        "taskArn": task_arn,
        "clusterArn": arns.cluster(source.cluster),
        "attachments": [],
        "containers": _containers(source, arns, task_arn),
    }
    if source.task_definition:
        family, _, revision = source.task_definition.rpartition(":")
        if revision.isdigit():
            task["taskDefinitionArn"] = arns.task_definition(family, int(revision))
    task.update(_states(source))
    node = source.node
    instance = _instance_id(source)
    if instance is not None:
        task["containerInstanceArn"] = arns.container_instance(source.cluster, instance)
    created = epoch(record.get("createdAt")) or epoch(pod_meta.get("creationTimestamp"))
    if created is not None:
        task["createdAt"] = created
    started = epoch(record.get("startedAt"))
    if started is None and source.pod is not None and task["lastStatus"] in ("RUNNING", "DEACTIVATING", "STOPPING"):
        started = min(
            (
                t
                for s in container_statuses(source.pod).values()
                if (t := epoch(((s.get("state") or {}).get("running") or {}).get("startedAt"))) is not None
            ),
            default=None,
        )
    if started is not None:
        task["startedAt"] = started
    for key in ("stoppingAt", "stoppedAt", "executionStoppedAt"):
        moment = epoch(record.get(key))
        if moment is not None:
            task[key] = moment
    if "stoppingAt" not in task and pod_meta.get("deletionTimestamp"):
        moment = epoch(pod_meta.get("deletionTimestamp"))
        if moment is not None:
            task["stoppingAt"] = moment
    if source.gone_at is not None and not record:
        task.setdefault("stoppingAt", source.gone_at)
        task["stoppedAt"] = max(source.gone_at, task["stoppingAt"])
        task.setdefault("executionStoppedAt", task["stoppedAt"])
    if source.service is not None:
        task["group"] = f"service:{source.service}"
    else:
        group = record.get("group") or spec.get("group") or (f"family:{source.family}" if source.family else None)
        if group:
            task["group"] = str(group)
    started_by = _started_by(source)
    if started_by:
        task["startedBy"] = started_by
    provider = _provider(source)
    if provider:
        task["capacityProviderName"] = provider
    task["launchType"] = _launch_type(source)
    overrides = (spec.get("overrides") or {}) if source.service is None else {}
    definition = source.definition or {}
    for key in ("cpu", "memory"):
        value = overrides.get(key) or definition.get(key)
        if value is not None:
            task[key] = str(value)
    task["overrides"] = _overrides(source)
    task["healthStatus"] = _health(source)
    zone = ((node or {}).get("metadata") or {}).get("labels", {}).get(ZONE_LABEL) or (pod_meta.get("labels") or {}).get(
        ZONE_LABEL
    )
    if zone:
        task["availabilityZone"] = str(zone)
    task["enableExecuteCommand"] = bool(spec.get("enableExecuteCommand", False))
    state = task["lastStatus"]
    task["version"] = 1 + (LIFECYCLE.index(state) if state in LIFECYCLE else 0)
    if tags:
        task["tags"] = _tags(source)
    return task
