"""plan_task: an ECSTask's reconcile, from what it saw to what it does.

RunTask (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html) starts each
task once and never replaces it; StopTask stops them with stopCode UserInitiated: all of them with
``spec.desiredStatus: STOPPED``, one with an ``ecs.operator.dev/stop-task.<task id>`` annotation whose
value is StopTask's reason (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html;
the ECS API server writes it, then deletes that task's pod). An ECS task is
immutable once launched: a spec change reaches only tasks not yet launched (reported as a warning).
Stopped tasks stay in status for the retention period, as ECS keeps them about an hour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..models import ECSTaskSpec
from ..render.revision import spec_digest
from ..vocabulary import ANNOTATION_STOP_TASK_PREFIX
from .task_status import TaskObservation, compute_task_status, indices_to_launch
from .types import Deletion, Event, Patch, Plan, Reason, Severity

__all__ = [
    "IMMUTABLE_WARNING",
    "RESYNC_SECONDS",
    "DEPENDENCY_RECHECK_SECONDS",
    "TaskSnapshot",
    "desired_status",
    "launch_digest",
    "newly_stopped",
    "plan_task",
    "stop_requests",
    "tasks_to_launch",
]

RESYNC_SECONDS = 60.0
DEPENDENCY_RECHECK_SECONDS = 10.0
STOPPING_RECHECK_SECONDS = 2.0
DELETING_RECHECK_SECONDS = 1.0
IMMUTABLE_WARNING = "spec: tasks already launched do not change"


def desired_status(body: Mapping[str, Any], spec: ECSTaskSpec) -> str:
    """STOPPED after StopTask (``desiredStatus: STOPPED``) or while the ECSTask is deleted."""
    deleting = bool(body["metadata"].get("deletionTimestamp"))
    return "STOPPED" if deleting or spec.desired_status == "STOPPED" else "RUNNING"


def tasks_to_launch(body: Mapping[str, Any], spec: ECSTaskSpec, pods: Sequence[Mapping[str, Any]]) -> list[int]:
    """Task numbers to start now: never for a schedule (its CronJob does) or after StopTask."""
    if spec.schedule is not None or desired_status(body, spec) == "STOPPED":
        return []
    return indices_to_launch(spec.task_count, body.get("status") or {}, pods)


def stop_requests(body: Mapping[str, Any]) -> dict[str, str]:
    """StopTask of single tasks (the ECS API's way): task id -> reason, from the ECSTask's annotations."""
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    n = len(ANNOTATION_STOP_TASK_PREFIX)
    return {key[n:]: str(value) for key, value in annotations.items() if key.startswith(ANNOTATION_STOP_TASK_PREFIX)}


def launch_digest(raw_spec: Mapping[str, Any]) -> str:
    """What a launched task was started from (desiredStatus excluded: it is StopTask)."""
    return spec_digest({k: v for k, v in raw_spec.items() if k != "desiredStatus"})


@dataclass(frozen=True)
class TaskSnapshot:
    """What the ECSTask's reconcile saw, after launching what it had to launch."""

    body: Mapping[str, Any]
    spec: ECSTaskSpec
    family: str
    task_definition: str | None  # family:revision the tasks run, when known
    pods: Sequence[Mapping[str, Any]]
    now: datetime
    retention_seconds: float
    launched_now: Sequence[int] = ()
    render_warnings: Sequence[str] | None = None  # None: nothing was rendered this round
    cron_schedule: str | None = None
    jobs: Sequence[Mapping[str, Any]] = ()
    cronjob: Mapping[str, Any] | None = None
    dependency_problems: Sequence[str] = field(default_factory=tuple)


def _warnings(snapshot: TaskSnapshot, digest: str) -> list[str]:
    previous = snapshot.body.get("status") or {}
    if snapshot.render_warnings is not None:
        warnings = list(snapshot.render_warnings)
    else:
        warnings = [w for w in previous.get("warnings") or [] if not w.startswith(IMMUTABLE_WARNING)]
    raw = snapshot.body.get("spec") or {}
    if not snapshot.launched_now and snapshot.spec.schedule is None and digest != launch_digest(raw):
        warnings.append(
            f"{IMMUTABLE_WARNING} (an ECS task is immutable); only desiredStatus STOPPED applies "
            "to them. Create a new ECSTask to run with the new spec"
        )
    return warnings


def plan_task(snapshot: TaskSnapshot) -> Plan:
    """The ECSTask's status, the pods of stopped tasks to delete (after the status says how they
    ended), events, the CronJob's suspension after StopTask, and when to look again."""
    body, spec = snapshot.body, snapshot.spec
    previous = body.get("status") or {}
    desired = desired_status(body, spec)
    plan = Plan()
    scheduled = spec.schedule is not None
    cronjob = snapshot.cronjob
    if cronjob is not None and desired == "STOPPED" and not (cronjob.get("spec") or {}).get("suspend"):
        plan.patch.append(Patch("batch/v1", "CronJob", cronjob["metadata"]["name"], {"spec": {"suspend": True}}))
    digest = previous.get("launchSpec")
    if snapshot.launched_now or digest is None:
        digest = launch_digest(body.get("spec") or {})
    strategy = spec.capacity_provider_strategy or []
    observation = TaskObservation(
        name=body["metadata"]["name"],
        cluster=spec.cluster_name,
        task_definition=snapshot.task_definition,
        count=spec.task_count,
        desired_status=desired,
        pods=snapshot.pods,
        now=snapshot.now,
        retention_seconds=snapshot.retention_seconds,
        group=spec.group or f"family:{snapshot.family}",
        started_by=spec.started_by,
        launch_type=spec.launch_type,
        capacity_provider=strategy[0].capacity_provider if strategy else None,
        scheduled=scheduled,
        jobs=snapshot.jobs,
        cronjob=cronjob,
        schedule=spec.schedule,
        cron_schedule=snapshot.cron_schedule or (previous.get("schedule") or {}).get("cronJobSchedule"),
        timezone=spec.timezone,
        launched_now=snapshot.launched_now,
        generation=body["metadata"].get("generation"),
        warnings=_warnings(snapshot, digest),
        stop_requests=stop_requests(body),
    )
    result = compute_task_status(observation, previous)
    status = result.status
    problems = list(snapshot.dependency_problems)
    status.update({"launchSpec": digest, "problem": None, "dependencyProblems": problems or None})
    if status != {k: previous.get(k) for k in status} or previous.get("problem"):
        plan.status = status
    plan.delete_after_status = [Deletion("v1", "Pod", name, uid or None) for name, uid in result.delete]
    if body["metadata"].get("deletionTimestamp"):
        # The ECSTask goes with its records: pods of tasks that ended by themselves (kept for
        # `kubectl logs`) go too, or the delete would wait for the retention period.
        doomed = {d.name for d in plan.delete_after_status}
        plan.delete_after_status += [
            Deletion("v1", "Pod", p["metadata"]["name"], p["metadata"].get("uid") or None)
            for p in snapshot.pods
            if p["metadata"]["name"] not in doomed and not p["metadata"].get("deletionTimestamp")
        ]
    plan.events = list(result.events)
    plan.stopped = newly_stopped(previous.get("tasks") or (), status.get("tasks") or ())
    for message in problems:
        if message not in (previous.get("dependencyProblems") or []):
            plan.events.append(Event(Reason.TASK_DEPENDENCY_MISSING, message, Severity.WARNING))
    plan.requeue_after = _requeue(snapshot, result.delete, result.next_check)
    return plan


def newly_stopped(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> list[str]:
    """The stopCode of each task record that has one now and had none before: each stop counts once."""
    had = {r.get("podName") for r in before if r.get("stopCode")}
    return [str(r["stopCode"]) for r in after if r.get("stopCode") and r.get("podName") not in had]


def _requeue(snapshot: TaskSnapshot, deleted: Sequence[tuple[str, str]], next_check: datetime | None) -> float | None:
    if snapshot.body["metadata"].get("deletionTimestamp"):
        remaining = [
            p
            for p in snapshot.pods
            if (p["metadata"]["name"], p["metadata"].get("uid", "")) not in deleted
            and not p["metadata"].get("deletionTimestamp")
        ]
        return DELETING_RECHECK_SECONDS if remaining else None
    delay = RESYNC_SECONDS
    if next_check is not None:
        delay = min(delay, max(0.5, (next_check - snapshot.now).total_seconds() + 0.5))
    if snapshot.dependency_problems:
        delay = min(delay, DEPENDENCY_RECHECK_SECONDS)
    if deleted:
        delay = min(delay, STOPPING_RECHECK_SECONDS)
    return delay
