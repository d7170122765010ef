"""ECSTask (RunTask and scheduled tasks): what to create, and the ECS story of each task.

A standalone ECS task runs once. ECS never restarts or replaces it: when an essential container
exits the task stops, and `describe-tasks` shows how (exit codes, stopCode, stoppedReason) for a
while. So each task is a bare Pod with ``restartPolicy: Never``, named ``<ecstask>-<index>`` and
owned by the ECSTask, never a Job: a Job retries and replaces failed pods (or kills the
siblings when one fails), which would hide exactly the per-task lifecycle ECS shows. The
ECSTask's status is the record (``status.tasks``, shaped like `describe-tasks`), so a pod can be
deleted as soon as its task stopped with its story written down.

A task with ``schedule`` is an EventBridge rule that runs the task definition ``count`` times
per firing: a CronJob whose Jobs never retry (``backoffLimit: 0``, or per index when
``count > 1``, so one failed task does not stop its siblings). Its pods are tasks too and appear
in ``status.tasks`` with the run (Job) they belong to; ``status.runs`` summarises the runs.

Everything here is pure: the handler passes the pods, Jobs, previous status and ``now`` in,
and gets back what to create, what to delete and the new status.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import names
from .capacity import CapacityProviderError, apply_profile, effective_strategy, implicit_profile, split_tasks
from .container import ANNOTATION_PREFIX
from .meta import LABEL_CLUSTER, LABEL_TASK, owner_reference, standard_labels
from .placement import apply_placement
from .pod import PodTemplateResult, render_pod_template
from .schedule import ScheduleError, to_cronjob_schedule
from .secrets import has_gate
from .service import propagated_annotations
from .service_status import condition
from .task_state import OOM_REASON, essential_containers, is_terminal, last_status, parse_time
from .warnings import RenderWarning, dedupe

__all__ = [
    "ANNOTATION_ECSTASK",
    "LABEL_TASK_INDEX",
    "MAX_RUNS",
    "MAX_SCHEDULED_TASK_RECORDS",
    "START_GRACE_SECONDS",
    "TaskObservation",
    "TaskPlan",
    "TaskRender",
    "compute_task_status",
    "indices_to_launch",
    "render_task",
    "task_label",
    "task_pod_name",
]

ANNOTATION_ECSTASK = f"{ANNOTATION_PREFIX}/ecstask"
ANNOTATION_STARTED_BY = f"{ANNOTATION_PREFIX}/started-by"
ANNOTATION_REFERENCE_ID = f"{ANNOTATION_PREFIX}/reference-id"
LABEL_TASK_INDEX = f"{ANNOTATION_PREFIX}/task-index"
LABEL_JOB_NAME = "batch.kubernetes.io/job-name"
SCHEDULED_AT_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
ARN_PREFIX = "arn:aws:ecs:local:000000000000"
CRONJOB_NAME_MAX = 52  # the CronJob controller appends -<11 digits> for its Jobs
MAX_RUNS = 10
MAX_SCHEDULED_TASK_RECORDS = 50
START_GRACE_SECONDS = 60.0  # a container that cannot be created (missing Secret...) gets this long
USER_STOP_REASON = "Task stopped by user"

_PULL_FAILURES = ("ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
_CONFIG_FAILURES = ("CreateContainerConfigError", "CreateContainerError")
_ANNOTATION_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
_PENDING = ("PROVISIONING", "PENDING", "ACTIVATING")
_ORDER = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "STOPPED")

Obj = dict[str, Any]


ANNOTATION_PROVIDER = "ecs.operator.dev/capacity-provider-name"


def task_label(name: str) -> str:
    """The ``ecs.operator.dev/task`` label value of an ECSTask's pods and Jobs."""
    return names.label_value(name)


def task_pod_name(name: str, index: int) -> str:
    return f"{name}-{index}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- rendering ---------------------------------------------------------------------------------


@dataclass
class TaskRender:
    """The pod template of the task (after overrides, tags, placement) and, when scheduled, the CronJob."""

    owner: Mapping[str, Any]
    cluster: str
    template: Obj
    pod: PodTemplateResult
    warnings: list[RenderWarning] = field(default_factory=list)
    cronjob: Obj | None = None
    cron_schedule: str | None = None
    # capacity providers: task index -> (provider name, its pod template); empty without a strategy
    providers: list[tuple[str, Obj]] = field(default_factory=list)

    def provider_of(self, index: int) -> str | None:
        return self.providers[index][0] if index < len(self.providers) else None

    def task_pod(self, index: int) -> Obj:
        """Task number ``index`` as a Pod owned by the ECSTask."""
        meta = self.owner["metadata"]
        chosen = self.providers[index][1] if index < len(self.providers) else self.template
        template = copy.deepcopy(chosen)
        if index < len(self.providers):
            template["metadata"].setdefault("annotations", {})[ANNOTATION_PROVIDER] = self.providers[index][0]
        pod_meta = template["metadata"]
        pod_meta["labels"][LABEL_TASK_INDEX] = str(index)
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": task_pod_name(meta["name"], index),
                "namespace": meta["namespace"],
                "labels": pod_meta["labels"],
                "annotations": pod_meta["annotations"],
                "ownerReferences": [owner_reference(self.owner)],
            },
            "spec": template["spec"],
        }


def _tag_annotations(tags: Mapping[str, str], path: str, warnings: list[RenderWarning]) -> dict[str, str]:
    out = {}
    for key, value in tags.items():
        if _ANNOTATION_KEY.fullmatch(key) and len(key) <= 253:
            out[key] = value
        else:
            warnings.append(
                RenderWarning(
                    path, f"tag {key!r} is not a valid annotation key; it is not put on the task's pod", "unsupported"
                )
            )
    return out


def _unsupported(spec: Any) -> list[RenderWarning]:
    out = []
    if spec.network_configuration is not None:
        out.append(
            RenderWarning(
                "networkConfiguration",
                "pods use the cluster network; subnets, security groups and public IPs are not applied",
                "unsupported",
            )
        )
    if spec.platform_version:
        out.append(
            RenderWarning("platformVersion", "there is no Fargate platform version on Kubernetes", "unsupported")
        )
    if spec.enable_execute_command:
        out.append(RenderWarning("enableExecuteCommand", "use `kubectl exec` into the task's pod", "approximated"))
    if spec.volume_configurations:
        out.append(
            RenderWarning(
                "volumeConfigurations",
                "EBS volumes configured at launch are not provisioned for standalone tasks",
                "unsupported",
            )
        )
    return out


def _provider_templates(
    template: Obj,
    spec: Any,
    td: Any,
    count: int,
    cluster: str,
    cluster_spec: Any,
    fargate_provisioner: str | None,
    warnings: list[RenderWarning],
) -> list[tuple[str, Obj]]:
    """RunTask's capacity provider split: task i goes to the provider ECS's base/weight arithmetic gives it."""
    strategy = effective_strategy(
        spec.capacity_provider_strategy,
        spec.launch_type,
        cluster_spec.default_capacity_provider_strategy if cluster_spec else None,
    )
    if not strategy:
        return []
    out: list[tuple[str, Obj]] = []
    for share in split_tasks(count, strategy):
        assert share.provider is not None
        profile = cluster_spec.provider(share.provider) if cluster_spec else implicit_profile(share.provider)
        if profile is None:
            raise CapacityProviderError(
                f"capacityProviderStrategy: capacity provider '{share.provider}' is not "
                f"associated with cluster {cluster}"
            )
        steered, profile_warnings = apply_profile(
            template,
            profile,
            cluster=cluster,
            task_cpu_units=td.cpu_units,
            task_memory_mib=td.memory_mib,
            fargate_provisioner=fargate_provisioner,
        )
        warnings.extend(profile_warnings)
        out.extend([(share.provider, steered)] * share.count)
    return out


def _zone_check(zone: str | None) -> None:
    if not zone:
        return
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"timezone: unknown time zone {zone!r} (use an IANA name such as Europe/Lisbon)") from None


def render_task(
    owner: Mapping[str, Any],
    spec: Any,
    td: Any,
    *,
    family: str,
    revision: int,
    cluster: str,
    node_labels: Sequence[Mapping[str, str]] = (),
    cluster_spec: Any = None,
    fargate_provisioner: str | None = None,
) -> TaskRender:
    """`spec` is an ECSTaskSpec, `td` the TaskDefinitionSpec of `family:revision`, `cluster_spec` the
    ECSClusterSpec whose capacity providers launchType / capacityProviderStrategy refer to.

    Raises ScheduleError for a schedule a CronJob cannot express, and what render_pod_template
    raises (QuerySyntaxError, DependencyCycleError, SpecError from overrides).
    """
    name = owner["metadata"]["name"]
    group = spec.group or f"family:{family}"
    pod = render_pod_template(
        td,
        family=family,
        revision=revision,
        overrides=spec.overrides,
        for_service=False,
        node_labels=node_labels,
        task_group=group,
        restart_policy="Never",
    )
    warnings = list(pod.warnings)
    selector = {LABEL_TASK: task_label(name)}
    template, placement_warnings = apply_placement(
        pod.template,
        task_constraints=td.placement_constraints,
        constraints=spec.placement_constraints,
        strategies=spec.placement_strategy,
        selector_labels=selector,
        node_labels=node_labels,
    )
    warnings.extend(placement_warnings)
    meta = template.setdefault("metadata", {})
    meta["labels"] = {**meta.get("labels", {}), LABEL_CLUSTER: cluster, **selector}
    annotations = dict(meta.get("annotations", {}))
    annotations.update(
        _tag_annotations(propagated_annotations(spec.propagate_tags, None, td.tags), "propagateTags", warnings)
    )
    annotations.update(_tag_annotations({t.key: t.value or "" for t in spec.tags or ()}, "tags", warnings))
    annotations[ANNOTATION_ECSTASK] = name
    if spec.started_by:
        annotations[ANNOTATION_STARTED_BY] = spec.started_by
    if spec.reference_id:
        annotations[ANNOTATION_REFERENCE_ID] = spec.reference_id
    meta["annotations"] = dict(sorted(annotations.items()))
    template.setdefault("spec", {})["restartPolicy"] = "Never"
    warnings.extend(_unsupported(spec))
    result = TaskRender(owner=owner, cluster=cluster, template=template, pod=pod)
    result.providers = _provider_templates(
        template, spec, td, spec.task_count, cluster, cluster_spec, fargate_provisioner, warnings
    )
    if spec.schedule:
        schedule = to_cronjob_schedule(spec.schedule)
        _zone_check(spec.timezone)
        warnings.extend(schedule.warnings)
        result.cron_schedule = schedule.schedule
        if len({provider for provider, _ in result.providers}) > 1:
            warnings.append(
                RenderWarning(
                    "capacityProviderStrategy",
                    "a scheduled task runs every task of a run on the first provider of its strategy",
                    "approximated",
                )
            )
        job_template = result.providers[0][1] if result.providers else template
        result.cronjob = _cronjob(owner, spec, job_template, schedule.schedule, cluster)
    elif spec.timezone:
        warnings.append(RenderWarning("timezone", "only used with schedule", "unsupported"))
    result.warnings = dedupe(warnings)
    return result


def cronjob_name(name: str) -> str:
    return names.dns_label(name, CRONJOB_NAME_MAX)


def _cronjob(owner: Mapping[str, Any], spec: Any, template: Obj, schedule: str, cluster: str) -> Obj:
    name = owner["metadata"]["name"]
    count = spec.task_count
    job_spec: Obj = {"parallelism": count, "completions": count}
    if count > 1:
        # Each task is an index that is never retried and whose failure leaves the others alone.
        job_spec.update({"completionMode": "Indexed", "backoffLimitPerIndex": 0})
    else:
        job_spec["backoffLimit"] = 0
    job_spec["template"] = copy.deepcopy(template)
    labels = {LABEL_TASK: task_label(name), LABEL_CLUSTER: cluster}
    cron_spec: Obj = {
        "schedule": schedule,
        "suspend": spec.desired_status == "STOPPED",
        "concurrencyPolicy": "Allow",  # EventBridge starts a run whether or not the last one finished
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {"metadata": {"labels": labels, "annotations": {ANNOTATION_ECSTASK: name}}, "spec": job_spec},
    }
    if spec.timezone:
        cron_spec["timeZone"] = spec.timezone
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": cronjob_name(name),
            "namespace": owner["metadata"]["namespace"],
            "labels": standard_labels(name, "scheduled-task", labels),
            "annotations": {f"{ANNOTATION_PREFIX}/schedule-expression": spec.schedule, ANNOTATION_ECSTASK: name},
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": cron_spec,
    }


# -- what to launch ----------------------------------------------------------------------------


def indices_to_launch(count: int, previous: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> list[int]:
    """Task numbers never started: ECS runs each task once and never replaces it."""
    launched = set(int(i) for i in previous.get("launchedTasks") or ())
    for pod in pods:
        index = pod.get("metadata", {}).get("labels", {}).get(LABEL_TASK_INDEX)
        if index is not None and index.isdigit():
            launched.add(int(index))
    return [i for i in range(count) if i not in launched]


# -- status ------------------------------------------------------------------------------------


@dataclass
class TaskObservation:
    """What the handler saw: the ECSTask, its pods (and Jobs, CronJob when scheduled)."""

    name: str
    cluster: str
    task_definition: str | None  # family:revision the tasks run, when known
    count: int
    desired_status: str  # RUNNING or STOPPED (StopTask, or the ECSTask is being deleted)
    pods: Sequence[Mapping[str, Any]]
    now: datetime
    retention_seconds: float
    group: str | None = None
    started_by: str | None = None
    launch_type: str | None = None
    capacity_provider: str | None = None
    scheduled: bool = False
    jobs: Sequence[Mapping[str, Any]] = ()
    cronjob: Mapping[str, Any] | None = None
    schedule: str | None = None
    cron_schedule: str | None = None
    timezone: str | None = None
    launched_now: Sequence[int] = ()
    generation: int | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class TaskPlan:
    status: Obj
    delete: list[tuple[str, str]] = field(default_factory=list)  # (pod name, uid) to stop or expire
    events: list[tuple[str, bool]] = field(default_factory=list)  # (message, warning)
    next_check: datetime | None = None


def _ecs_container_names(pod: Mapping[str, Any]) -> dict[str, str]:
    annotations = pod.get("metadata", {}).get("annotations", {}) or {}
    out = {}
    spec = pod.get("spec", {})
    for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        k8s = container["name"]
        out[k8s] = annotations.get(names.annotation_key(ANNOTATION_PREFIX, f"container-name.{k8s}"), k8s)
    return out


def _statuses(pod: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    status = pod.get("status", {})
    return {s["name"]: s for s in [*status.get("initContainerStatuses", []), *status.get("containerStatuses", [])]}


def _container_reason(terminated: Mapping[str, Any] | None, waiting: Mapping[str, Any] | None) -> str | None:
    if terminated is not None:
        if terminated.get("reason") == "OOMKilled":
            return OOM_REASON
        return terminated.get("message") or None
    if waiting is not None:
        reason = waiting.get("reason")
        message = waiting.get("message") or reason
        if reason in (*_PULL_FAILURES, "ErrImagePull"):
            return f"CannotPullContainerError: {message}"
        if reason in _CONFIG_FAILURES:
            return f"ResourceInitializationError: {message}"
    return None


def _containers(pod: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]) -> list[Obj]:
    before = {c.get("name"): c for c in previous}
    statuses = _statuses(pod)
    out = []
    for k8s, ecs_name in _ecs_container_names(pod).items():
        entry: Obj = {"name": ecs_name}
        status = statuses.get(k8s)
        state = (status or {}).get("state", {})
        terminated = state.get("terminated")
        if terminated is None and (status or {}).get("restartCount", 0) > 0:
            terminated = (status or {}).get("lastState", {}).get("terminated")
        if terminated is not None:
            entry.update({"lastStatus": "STOPPED", "exitCode": int(terminated.get("exitCode", 0))})
        elif "running" in state:
            entry["lastStatus"] = "RUNNING"
        else:
            entry["lastStatus"] = "PENDING"
        reason = _container_reason(terminated, state.get("waiting"))
        if reason:
            entry["reason"] = reason
        old = before.get(ecs_name)
        if old is not None and old.get("exitCode") is not None and entry.get("exitCode") is None:
            entry = dict(old)  # the exit was recorded before the pod was torn down
        out.append(entry)
    return out


def _stopped_containers(previous: Sequence[Mapping[str, Any]]) -> list[Obj]:
    return [{**c, "lastStatus": "STOPPED"} for c in previous]


def _finished_at(pod: Mapping[str, Any]) -> datetime | None:
    times = []
    for status in _statuses(pod).values():
        terminated = status.get("state", {}).get("terminated")
        if terminated and terminated.get("finishedAt"):
            moment = parse_time(terminated["finishedAt"])
            if moment is not None:
                times.append(moment)
    return max(times) if times else None


def _started_at(pod: Mapping[str, Any]) -> str | None:
    times = []
    for status in _statuses(pod).values():
        state = status.get("state", {})
        started = (state.get("running") or state.get("terminated") or {}).get("startedAt")
        if started:
            times.append(started)
    return min(times) if times else None


@dataclass(frozen=True)
class _Stop:
    code: str
    reason: str
    container: str | None = None
    exit_code: int | None = None


def _essential_exit(pod: Mapping[str, Any], ecs_names: Mapping[str, str]) -> _Stop | None:
    essential = essential_containers(pod)
    statuses = _statuses(pod)
    exits = []
    for k8s in essential:
        status = statuses.get(k8s) or {}
        terminated = status.get("state", {}).get("terminated")
        if terminated is None and status.get("restartCount", 0) > 0:
            terminated = status.get("lastState", {}).get("terminated")
        if terminated is not None:
            exits.append((k8s, terminated))
    if not exits:
        return None
    # The first essential container to exit stopped the task; with no order, a failing one.
    exits.sort(key=lambda e: (e[1].get("finishedAt") or "", int(e[1].get("exitCode", 0)) == 0))
    k8s, terminated = exits[0]
    reason = OOM_REASON if terminated.get("reason") == "OOMKilled" else "Essential container in task exited"
    return _Stop("EssentialContainerExited", reason, ecs_names.get(k8s, k8s), int(terminated.get("exitCode", 0)))


def _disruption(pod: Mapping[str, Any]) -> _Stop | None:
    for cond in pod.get("status", {}).get("conditions", []):
        if cond.get("type") == "DisruptionTarget" and cond.get("status") == "True":
            return _Stop("TerminationNotice", f"Task stopped: {cond.get('reason')}: {cond.get('message', '')}".strip())
    if pod.get("status", {}).get("reason") == "Evicted":
        return _Stop("TerminationNotice", f"Task stopped: evicted: {pod['status'].get('message', '')}".strip())
    return None


def _start_failure(pod: Mapping[str, Any], now: datetime) -> _Stop | None:
    created = parse_time(pod.get("metadata", {}).get("creationTimestamp"))
    age = (now - created).total_seconds() if created is not None else 0.0
    if has_gate(pod) and age >= START_GRACE_SECONDS:
        return _Stop(
            "TaskFailedToStart",
            "ResourceInitializationError: unable to pull secrets or registry auth: "
            "a Secret or ConfigMap the task reads does not exist",
        )
    for status in _statuses(pod).values():
        waiting = status.get("state", {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in _PULL_FAILURES:
            return _Stop("TaskFailedToStart", f"CannotPullContainerError: {waiting.get('message') or reason}")
        if reason in _CONFIG_FAILURES and age >= START_GRACE_SECONDS:
            return _Stop("TaskFailedToStart", f"ResourceInitializationError: {waiting.get('message') or reason}")
    return None


def _decide_stop(pod: Mapping[str, Any], desired: str, now: datetime) -> _Stop | None:
    """Why this task stops now, or None while it should keep running."""
    ecs_names = _ecs_container_names(pod)
    exited = _essential_exit(pod, ecs_names)
    if exited is not None:
        return exited
    if is_terminal(pod):
        return _disruption(pod) or _Stop("EssentialContainerExited", "Essential container in task exited")
    if desired == "STOPPED":
        return _Stop("UserInitiated", USER_STOP_REASON)
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return _disruption(pod) or _Stop("UserInitiated", "Task stopped: its pod was deleted")
    return _start_failure(pod, now)


def _pod_task_status(pod: Mapping[str, Any]) -> str:
    """As for services, except that readiness does not hold a standalone task back: ECS shows a task
    RUNNING once its essential containers run, whatever their health (that is healthStatus)."""
    state = last_status(pod)
    if state == "ACTIVATING":
        statuses = _statuses(pod)
        if all("running" in (statuses.get(name) or {}).get("state", {}) for name in essential_containers(pod)):
            return "RUNNING"
    return "STOPPING" if state == "DEACTIVATING" else state


def _health(pod: Mapping[str, Any]) -> str:
    ready = [c for c in pod.get("status", {}).get("conditions", []) if c.get("type") == "Ready"]
    return "HEALTHY" if ready and ready[0].get("status") == "True" else "UNKNOWN"


def _task_record(
    pod: Mapping[str, Any],
    old: Mapping[str, Any],
    obs: TaskObservation,
    events: list[tuple[str, bool]],
    delete: list[tuple[str, str]],
) -> Obj:
    meta = pod.get("metadata", {})
    pod_name = meta["name"]
    record: Obj = dict(old)
    uid = str(meta.get("uid", "")).replace("-", "")
    record.update(
        {
            "taskArn": f"{ARN_PREFIX}:task/{obs.cluster}/{uid or pod_name}",
            "podName": pod_name,
            "clusterArn": f"{ARN_PREFIX}:cluster/{obs.cluster}",
            "createdAt": record.get("createdAt") or meta.get("creationTimestamp"),
        }
    )
    labels = meta.get("labels", {})
    if LABEL_TASK_INDEX in labels:
        record["index"] = int(labels[LABEL_TASK_INDEX])
    job = labels.get(LABEL_JOB_NAME) or labels.get("job-name")
    if job:
        record["run"] = job
    if obs.task_definition and not record.get("taskDefinitionArn"):
        record["taskDefinitionArn"] = f"{ARN_PREFIX}:task-definition/{obs.task_definition}"
    provider = meta.get("annotations", {}).get(ANNOTATION_PROVIDER) or obs.capacity_provider
    for key, value in (
        ("group", obs.group),
        ("startedBy", obs.started_by),
        ("launchType", obs.launch_type),
        ("capacityProviderName", provider),
    ):
        if value and not record.get(key):
            record[key] = value
    record["containers"] = _containers(pod, old.get("containers") or ())
    started = _started_at(pod)
    if started and not record.get("startedAt"):
        record["startedAt"] = started

    if record.get("lastStatus") == "STOPPED":
        if not is_terminal(pod) and not meta.get("deletionTimestamp"):
            delete.append((pod_name, meta.get("uid", "")))
        return record
    stop = None if record.get("stopCode") else _decide_stop(pod, obs.desired_status, obs.now)
    if stop is not None:
        record.update(
            {
                "desiredStatus": "STOPPED",
                "stopCode": stop.code,
                "stoppedReason": stop.reason,
                "stoppingAt": _iso(obs.now),
            }
        )
        if stop.exit_code is not None:
            record["exitCode"] = stop.exit_code
        detail = f" (container {stop.container} exit code {stop.exit_code})" if stop.container else ""
        failed = stop.code != "UserInitiated" and stop.exit_code != 0
        verb = "stopped" if is_terminal(pod) else "stopping"
        events.append((f"task {pod_name} {verb}: {stop.code}: {stop.reason}{detail}.", failed))
    record.setdefault("desiredStatus", "RUNNING")
    if is_terminal(pod):
        record["lastStatus"] = "STOPPED"
        record["stoppedAt"] = _iso(_finished_at(pod) or obs.now)
        record["executionStoppedAt"] = record["stoppedAt"]
    elif record.get("stopCode"):
        record["lastStatus"] = "STOPPING"
        if not meta.get("deletionTimestamp"):
            delete.append((pod_name, meta.get("uid", "")))
    else:
        record["lastStatus"] = _pod_task_status(pod)
        record["healthStatus"] = _health(pod)
    return record


def _vanished(old: Mapping[str, Any], now: datetime, events: list[tuple[str, bool]]) -> Obj:
    """A task whose pod is gone: it is STOPPED, whatever stopped it."""
    record = dict(old)
    if record.get("lastStatus") == "STOPPED":
        return record
    if not record.get("stopCode"):
        record.update({"stopCode": "UserInitiated", "stoppedReason": "Task stopped: its pod was deleted"})
        events.append((f"task {record.get('podName')} stopped: its pod was deleted.", True))
    record.update(
        {
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stoppedAt": _iso(now),
            "containers": _stopped_containers(record.get("containers") or ()),
        }
    )
    record.setdefault("executionStoppedAt", record["stoppedAt"])
    return record


def _succeeded(record: Mapping[str, Any]) -> bool:
    """Stopped because an essential container exited with 0 (the batch job's success)."""
    return record.get("stopCode") == "EssentialContainerExited" and record.get("exitCode") == 0


def _failed(record: Mapping[str, Any]) -> bool:
    return (
        record.get("lastStatus") == "STOPPED" and record.get("stopCode") != "UserInitiated" and not _succeeded(record)
    )


def _summary(records: Sequence[Mapping[str, Any]], launched: int) -> Obj:
    states = [r.get("lastStatus") for r in records]
    stopped = [r for r in records if r.get("lastStatus") == "STOPPED"]
    return {
        "launched": launched,
        "pending": sum(states.count(s) for s in _PENDING),
        "running": states.count("RUNNING"),
        "stopping": states.count("STOPPING") + states.count("DEACTIVATING"),
        "stopped": len(stopped),
        "succeeded": sum(1 for r in stopped if _succeeded(r)),
        "failed": sum(1 for r in stopped if _failed(r)),
    }


def _runs(
    obs: TaskObservation, previous: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]]
) -> list[Obj]:
    by_name = {r.get("name"): dict(r) for r in previous}
    for job in obs.jobs:
        meta = job.get("metadata", {})
        status = job.get("status", {})
        conditions = {c.get("type"): c for c in status.get("conditions", []) if c.get("status") == "True"}
        run = by_name.setdefault(meta["name"], {"name": meta["name"]})
        run["scheduledAt"] = (
            (meta.get("annotations") or {}).get(SCHEDULED_AT_ANNOTATION)
            or run.get("scheduledAt")
            or meta.get("creationTimestamp")
        )
        run["startedAt"] = status.get("startTime") or run.get("startedAt")
        if "Complete" in conditions or "SuccessCriteriaMet" in conditions:
            run.update(
                {
                    "lastStatus": "STOPPED",
                    "result": "Succeeded",
                    "stoppedAt": status.get("completionTime")
                    or conditions.get("Complete", {}).get("lastTransitionTime"),
                }
            )
        elif "Failed" in conditions or "FailureTarget" in conditions:
            cond = conditions.get("Failed") or conditions.get("FailureTarget") or {}
            run.update(
                {
                    "lastStatus": "STOPPED",
                    "result": "Failed",
                    "stoppedAt": cond.get("lastTransitionTime"),
                    "reason": cond.get("reason"),
                }
            )
        else:
            run["lastStatus"] = "RUNNING"
        run["succeeded"] = int(status.get("succeeded", 0))
        run["failed"] = int(status.get("failed", 0))
    for run in by_name.values():
        mine = [r for r in records if r.get("run") == run.get("name")]
        if mine:
            run["tasks"] = [r["podName"] for r in mine]
    ordered = sorted(by_name.values(), key=lambda r: (r.get("scheduledAt") or "", r.get("name") or ""), reverse=True)
    return ordered[:MAX_RUNS]


def _least_advanced(states: Sequence[str]) -> str:
    return min(states, key=_ORDER.index)


def compute_task_status(obs: TaskObservation, previous: Mapping[str, Any]) -> TaskPlan:
    """The new ECSTask status, the pods to delete (stopped tasks, expired records) and events."""
    events: list[tuple[str, bool]] = []
    delete: list[tuple[str, str]] = []
    old_records = {r.get("podName"): r for r in previous.get("tasks") or () if r.get("podName")}
    live = {p["metadata"]["name"]: p for p in obs.pods}
    records: dict[str, Obj] = {}
    for pod_name, pod in sorted(live.items()):
        records[pod_name] = _task_record(pod, old_records.get(pod_name, {}), obs, events, delete)
    for pod_name, old in old_records.items():
        if pod_name not in live:
            records[pod_name] = _vanished(old, obs.now, events)

    # Stopped tasks stay visible for the retention period, as in ECS; then the record and any
    # pod left behind (one that ended by itself, kept for `kubectl logs`) go.
    next_check: datetime | None = None
    kept: list[Obj] = []
    for pod_name, record in records.items():
        stopped_at = parse_time(record.get("stoppedAt")) if record.get("lastStatus") == "STOPPED" else None
        if stopped_at is not None:
            expires = stopped_at + timedelta(seconds=obs.retention_seconds)
            if expires <= obs.now:
                pod = live.get(pod_name)
                if pod is not None and not pod["metadata"].get("deletionTimestamp"):
                    delete.append((pod_name, pod["metadata"].get("uid", "")))
                continue
            next_check = expires if next_check is None else min(next_check, expires)
        kept.append(record)
        created = parse_time(record.get("createdAt"))
        if record.get("lastStatus") in _PENDING and created is not None:
            deadline = created + timedelta(seconds=START_GRACE_SECONDS + 1)
            if deadline > obs.now:
                next_check = deadline if next_check is None else min(next_check, deadline)
    kept.sort(key=lambda r: (r.get("index", 0), r.get("createdAt") or "", r.get("podName") or ""))
    if obs.scheduled:
        kept = kept[-MAX_SCHEDULED_TASK_RECORDS:]

    launched = sorted(
        set(int(i) for i in previous.get("launchedTasks") or ())
        | set(obs.launched_now)
        | {int(r["index"]) for r in kept if "index" in r}
    )
    summary = _summary(kept, len(launched) if not obs.scheduled else len(kept))
    states = [r["lastStatus"] for r in kept if r.get("lastStatus") != "STOPPED"]
    all_launched = obs.scheduled or len(launched) >= obs.count or obs.desired_status == "STOPPED"
    if states:
        last = _least_advanced(states)
    elif obs.scheduled:
        last = "STOPPED" if obs.desired_status == "STOPPED" else "SCHEDULED"
    elif all_launched and (launched or obs.desired_status == "STOPPED"):
        last = "STOPPED"
    else:
        last = "PROVISIONING"
    stopped_records = [r for r in kept if r.get("lastStatus") == "STOPPED"]
    headline = None
    if stopped_records and (last == "STOPPED" or obs.scheduled):
        pool = stopped_records
        if obs.scheduled:
            pool = sorted(stopped_records, key=lambda r: r.get("stoppedAt") or "")[-1:]
        headline = next((r for r in pool if _failed(r)), pool[0])
    previous_last = previous.get("lastStatus")
    status: Obj = {
        "cluster": obs.cluster,
        "clusterArn": f"{ARN_PREFIX}:cluster/{obs.cluster}",
        "taskDefinition": obs.task_definition or previous.get("taskDefinition"),
        "group": obs.group,
        "startedBy": obs.started_by,
        "launchType": obs.launch_type,
        "capacityProviderName": obs.capacity_provider,
        "lastStatus": last,
        "desiredStatus": "STOPPED" if (last == "STOPPED" or obs.desired_status == "STOPPED") else "RUNNING",
        "stopCode": headline.get("stopCode") if headline else None,
        "stoppedReason": headline.get("stoppedReason") if headline else None,
        "summary": summary,
        "tasks": kept,
        "launchedTasks": launched if not obs.scheduled else None,
        "warnings": obs.warnings or None,
    }
    if obs.scheduled:
        cron = obs.cronjob or {}
        cron_status = cron.get("status", {})
        status["schedule"] = {
            "expression": obs.schedule,
            "cronJob": (cron.get("metadata") or {}).get("name"),
            "cronJobSchedule": obs.cron_schedule,
            "timeZone": obs.timezone,
            "suspended": obs.desired_status == "STOPPED",
            "lastScheduleTime": cron_status.get("lastScheduleTime"),
            "lastSuccessfulTime": cron_status.get("lastSuccessfulTime"),
        }
        status["runs"] = _runs(obs, previous.get("runs") or (), kept)
    if obs.generation is not None:
        status["observedGeneration"] = obs.generation
    if last == "STOPPED" and previous_last != "STOPPED" and not obs.scheduled:
        failed = summary["failed"]
        events.append(
            (f"all {summary['launched']} tasks stopped: {summary['succeeded']} succeeded, {failed} failed.", failed > 0)
        )

    now = _iso(obs.now) or ""
    old_conditions = previous.get("conditions", [])
    target = 0 if obs.scheduled else obs.count
    ready = not obs.scheduled and obs.desired_status == "RUNNING" and summary["running"] == target
    if obs.scheduled:
        ready = obs.desired_status == "RUNNING"
    complete = not obs.scheduled and last == "STOPPED"
    degraded = summary["failed"] > 0
    conditions = [
        condition(
            "Ready",
            ready,
            "TasksRunning" if ready else "NotRunning",
            (f"schedule {obs.schedule} active" if obs.scheduled else f"{summary['running']}/{obs.count} tasks running"),
            now,
            old_conditions,
        ),
        condition(
            "Progressing",
            summary["pending"] + summary["stopping"] > 0 or (not all_launched),
            "TasksStarting" if summary["pending"] else ("TasksStopping" if summary["stopping"] else "Idle"),
            f"{summary['pending']} pending, {summary['stopping']} stopping",
            now,
            old_conditions,
        ),
        condition(
            "Degraded",
            degraded,
            "TasksFailed" if degraded else "AsExpected",
            f"{summary['failed']} tasks failed" if degraded else "",
            now,
            old_conditions,
        ),
        condition(
            "Complete",
            complete,
            ("Succeeded" if not degraded else "Failed") if complete else "NotComplete",
            f"{summary['succeeded']} succeeded, {summary['failed']} failed, "
            f"{summary['stopped'] - summary['succeeded'] - summary['failed']} stopped by user"
            if complete
            else "",
            now,
            old_conditions,
        ),
    ]
    status["conditions"] = conditions
    return TaskPlan(status=status, delete=delete, events=events, next_check=next_check)
