"""ECSTask status: the ECS story of each task (describe-tasks), runs of a schedule, conditions.

Pure: the pods, Jobs, previous status and ``now`` come in; the new status, the pods to delete
(stopped tasks, expired records) and the events go out. Each task's stop decision is the one
task lifecycle (:mod:`.lifecycle`) services use too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..vocabulary import ANNOTATION_PROVIDER_NAME, LABEL_TASK_INDEX
from .conditions import condition
from .lifecycle import (
    START_GRACE_SECONDS,
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
from .types import Event, Reason, Severity

__all__ = [
    "ARN_PREFIX",
    "MAX_RUNS",
    "MAX_SCHEDULED_TASK_RECORDS",
    "TaskObservation",
    "TaskStatusPlan",
    "compute_task_status",
    "indices_to_launch",
]

LABEL_JOB_NAME = "batch.kubernetes.io/job-name"
SCHEDULED_AT_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
ARN_PREFIX = "arn:aws:ecs:local:000000000000"
MAX_RUNS = 10
MAX_SCHEDULED_TASK_RECORDS = 50
_PENDING = ("PROVISIONING", "PENDING", "ACTIVATING")
_ORDER = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "STOPPED")

Obj = dict[str, Any]


def _stopped_event(message: str, failed: bool) -> Event:
    return Event(Reason.TASK_STOPPED, message, Severity.WARNING if failed else Severity.NORMAL)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    stop_requests: Mapping[str, str] = field(default_factory=dict)  # task id -> StopTask reason

    def stop_requested(self, task_id: str) -> str | None:
        """The reason StopTask gave for this one task ("" becomes ECS's default), or None."""
        if not task_id or task_id not in self.stop_requests:
            return None
        return self.stop_requests[task_id] or USER_STOP_REASON


@dataclass
class TaskStatusPlan:
    status: Obj
    delete: list[tuple[str, str]] = field(default_factory=list)  # (pod name, uid) to stop or expire
    events: list[Event] = field(default_factory=list)
    next_check: datetime | None = None


def _containers(pod: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]) -> list[Obj]:
    before = {c.get("name"): c for c in previous}
    statuses = container_statuses(pod)
    out = []
    for k8s, ecs_name in ecs_container_names(pod).items():
        entry: Obj = {"name": ecs_name}
        status = statuses.get(k8s)
        state = (status or {}).get("state", {})
        terminated = last_termination(status or {})
        if terminated is not None:
            entry.update({"lastStatus": "STOPPED", "exitCode": int(terminated.get("exitCode", 0))})
        elif "running" in state:
            entry["lastStatus"] = "RUNNING"
        else:
            entry["lastStatus"] = "PENDING"
        reason = container_reason(terminated, state.get("waiting"))
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
    for status in container_statuses(pod).values():
        terminated = status.get("state", {}).get("terminated")
        if terminated and terminated.get("finishedAt"):
            moment = parse_time(terminated["finishedAt"])
            if moment is not None:
                times.append(moment)
    return max(times) if times else None


def _started_at(pod: Mapping[str, Any]) -> str | None:
    times = []
    for status in container_statuses(pod).values():
        state = status.get("state", {})
        started = (state.get("running") or state.get("terminated") or {}).get("startedAt")
        if started:
            times.append(started)
    return min(times) if times else None


def _pod_task_status(pod: Mapping[str, Any]) -> str:
    """As for services, except that readiness does not hold a standalone task back: ECS shows a task
    RUNNING once its essential containers run, whatever their health (that is healthStatus)."""
    state = last_status(pod)
    if state == "ACTIVATING":
        statuses = container_statuses(pod)
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
    events: list[Event],
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
    provider = meta.get("annotations", {}).get(ANNOTATION_PROVIDER_NAME) or obs.capacity_provider
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
    requested = obs.stop_requested(uid)
    desired = "STOPPED" if requested is not None else obs.desired_status
    stop = None if record.get("stopCode") else task_stop(pod, now=obs.now, desired_status=desired)
    if stop is not None and requested is not None and stop.stop_code == StopCode.USER_INITIATED:
        stop = replace(stop, reason=requested)  # StopTask of this task, with the caller's reason
    if stop is not None:
        record.update(
            {
                "desiredStatus": "STOPPED",
                "stopCode": stop.stop_code,
                "stoppedReason": stop.reason,
                # A task seen only once it ended began stopping when it ended (ECS orders
                # stoppingAt <= executionStoppedAt <= stoppedAt).
                "stoppingAt": _iso((_finished_at(pod) if is_terminal(pod) else None) or obs.now),
            }
        )
        if stop.exit_code is not None:
            record["exitCode"] = stop.exit_code
        verb = "stopped" if is_terminal(pod) else "stopping"
        events.append(_stopped_event(f"task {pod_name} {verb}: {stop.stop_code}: {stop.detail}.", stop.failed))
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


def _vanished(old: Mapping[str, Any], now: datetime, events: list[Event], requested: str | None = None) -> Obj:
    """A task whose pod is gone: it is STOPPED, whatever stopped it (StopTask's reason when asked)."""
    record = dict(old)
    if record.get("lastStatus") == "STOPPED":
        return record
    if not record.get("stopCode") and requested is not None:
        record.update({"stopCode": StopCode.USER_INITIATED, "stoppedReason": requested, "desiredStatus": "STOPPED"})
        events.append(
            _stopped_event(f"task {record.get('podName')} stopped: {StopCode.USER_INITIATED}: {requested}.", False)
        )
    elif not record.get("stopCode"):
        record.update({"stopCode": "UserInitiated", "stoppedReason": "Task stopped: its pod was deleted"})
        events.append(_stopped_event(f"task {record.get('podName')} stopped: its pod was deleted.", True))
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


def compute_task_status(obs: TaskObservation, previous: Mapping[str, Any]) -> TaskStatusPlan:
    """The new ECSTask status, the pods to delete (stopped tasks, expired records) and events."""
    events: list[Event] = []
    delete: list[tuple[str, str]] = []
    old_records = {r.get("podName"): r for r in previous.get("tasks") or () if r.get("podName")}
    live = {p["metadata"]["name"]: p for p in obs.pods}
    records: dict[str, Obj] = {}
    for pod_name, pod in sorted(live.items()):
        records[pod_name] = _task_record(pod, old_records.get(pod_name, {}), obs, events, delete)
    for pod_name, old in old_records.items():
        if pod_name not in live:
            task_id = str(old.get("taskArn") or "").rsplit("/", 1)[-1]
            records[pod_name] = _vanished(old, obs.now, events, obs.stop_requested(task_id))

    # Stopped tasks stay visible for the retention period, as in ECS; then the record and any
    # pod left behind (one that ended by itself, kept for `kubectl logs`) go.
    next_check: datetime | None = None
    kept: list[Obj] = []
    for pod_name, record in records.items():
        stopped_at = parse_time(record.get("stoppedAt")) if record.get("lastStatus") == "STOPPED" else None
        if stopped_at is not None:
            expires = stopped_at + timedelta(seconds=obs.retention_seconds)
            if expires <= obs.now:
                left = live.get(pod_name)
                if left is not None and not left["metadata"].get("deletionTimestamp"):
                    delete.append((pod_name, left["metadata"].get("uid", "")))
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
        {int(i) for i in previous.get("launchedTasks") or ()}
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
        message = f"all {summary['launched']} tasks stopped: {summary['succeeded']} succeeded, {failed} failed."
        events.append(_stopped_event(message, failed > 0))

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
    return TaskStatusPlan(status=status, delete=delete, events=events, next_check=next_check)


# -- what to launch ----------------------------------------------------------------------------


def indices_to_launch(count: int, previous: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> list[int]:
    """Task numbers never started: ECS runs each task once and never replaces it."""
    launched = {int(i) for i in previous.get("launchedTasks") or ()}
    for pod in pods:
        index = pod.get("metadata", {}).get("labels", {}).get(LABEL_TASK_INDEX)
        if index is not None and index.isdigit():
            launched.add(int(index))
    return [i for i in range(count) if i not in launched]
