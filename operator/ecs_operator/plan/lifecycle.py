"""One ECS task lifecycle, read off a Pod, for every task: service-owned or standalone.

ECS's task states (PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPED) and stop
codes are documented in the developer guide, "Amazon ECS task lifecycle"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html) and
the API reference's Task.stopCode
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html). Stopped-task error
texts (CannotPullContainerError, ResourceInitializationError, OutOfMemoryError, "Essential
container in task exited") follow "Amazon ECS stopped tasks error messages"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).

:func:`task_stop` is the single decision "must this task stop now, and how is it told": an
ECSService's reconcile stops and replaces such a task, an ECSTask's records it and stops it.
Pure: a pod dict and an explicit ``now`` in, a value out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..render import names
from ..render.secrets import has_gate
from ..vocabulary import ANNOTATION_ESSENTIAL_CONTAINERS, GROUP

__all__ = [
    "ESSENTIAL_ANNOTATION",
    "OOM_REASON",
    "ESSENTIAL_EXIT_REASON",
    "SECRETS_MISSING_REASON",
    "START_GRACE_SECONDS",
    "USER_STOP_REASON",
    "StopCode",
    "TaskStop",
    "container_reason",
    "container_statuses",
    "ecs_container_names",
    "essential_containers",
    "healthy_since",
    "is_terminal",
    "last_status",
    "parse_time",
    "task_stop",
    "count_by_status",
]

ESSENTIAL_ANNOTATION = ANNOTATION_ESSENTIAL_CONTAINERS
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"
ESSENTIAL_EXIT_REASON = "Essential container in task exited"
SECRETS_MISSING_REASON = (
    "ResourceInitializationError: unable to pull secrets or registry auth: "
    "a Secret or ConfigMap the task reads does not exist"
)
USER_STOP_REASON = "Task stopped by user"
START_GRACE_SECONDS = 60.0  # a container that cannot be created (missing Secret...) gets this long

PULL_FAILURES = ("ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
CONFIG_FAILURES = ("CreateContainerConfigError", "CreateContainerError")

Pod = Mapping[str, Any]


class StopCode:
    """ECS Task.stopCode values the operator produces."""

    TASK_FAILED_TO_START = "TaskFailedToStart"
    ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
    USER_INITIATED = "UserInitiated"
    TERMINATION_NOTICE = "TerminationNotice"
    SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def is_terminal(pod: Pod) -> bool:
    return pod.get("status", {}).get("phase") in ("Succeeded", "Failed")


def _conditions(pod: Pod) -> dict[str, Mapping[str, Any]]:
    return {c["type"]: c for c in pod.get("status", {}).get("conditions", [])}


def last_status(pod: Pod) -> str:
    """PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING or STOPPED."""
    status = pod.get("status", {})
    if is_terminal(pod):
        return "STOPPED"
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return "DEACTIVATING"
    if not pod.get("spec", {}).get("nodeName"):
        return "PROVISIONING"
    if status.get("phase") != "Running":
        return "PENDING"
    if _conditions(pod).get("Ready", {}).get("status") == "True":
        return "RUNNING"
    return "ACTIVATING"


def count_by_status(pods: Sequence[Pod]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pod in pods:
        state = last_status(pod)
        counts[state] = counts.get(state, 0) + 1
    return counts


def essential_containers(pod: Pod) -> list[str]:
    """Containers whose exit stops the task; all app containers when not annotated."""
    annotated = pod.get("metadata", {}).get("annotations", {}).get(ESSENTIAL_ANNOTATION)
    if annotated is not None:
        return [name for name in str(annotated).split(",") if name]
    return [c["name"] for c in pod.get("spec", {}).get("containers", [])]


def ecs_container_names(pod: Pod) -> dict[str, str]:
    """Pod container name -> the ECS container name it was rendered from."""
    annotations = pod.get("metadata", {}).get("annotations", {}) or {}
    spec = pod.get("spec", {})
    out = {}
    for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        k8s = container["name"]
        out[k8s] = annotations.get(names.annotation_key(GROUP, f"container-name.{k8s}"), k8s)
    return out


def container_statuses(pod: Pod) -> dict[str, Mapping[str, Any]]:
    status = pod.get("status", {})
    return {s["name"]: s for s in [*status.get("initContainerStatuses", []), *status.get("containerStatuses", [])]}


def last_termination(status: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The container's exit: its terminated state, or the previous one when the kubelet restarted it."""
    terminated: Mapping[str, Any] | None = status.get("state", {}).get("terminated")
    if terminated is None and status.get("restartCount", 0) > 0:
        terminated = status.get("lastState", {}).get("terminated")
    return terminated


def healthy_since(pod: Pod) -> datetime | None:
    """When a RUNNING task became healthy (its Ready condition turned True), or None."""
    if last_status(pod) != "RUNNING":
        return None
    ready = _conditions(pod).get("Ready", {})
    return parse_time(ready.get("lastTransitionTime")) if ready.get("status") == "True" else None


def container_reason(terminated: Mapping[str, Any] | None, waiting: Mapping[str, Any] | None) -> str | None:
    """The ECS container ``reason`` for a stopped or stuck container."""
    if terminated is not None:
        if terminated.get("reason") == "OOMKilled":
            return OOM_REASON
        return terminated.get("message") or None
    if waiting is not None:
        reason = waiting.get("reason")
        message = waiting.get("message") or reason
        if reason in (*PULL_FAILURES, "ErrImagePull"):
            return f"CannotPullContainerError: {message}"
        if reason in CONFIG_FAILURES:
            return f"ResourceInitializationError: {message}"
    return None


@dataclass(frozen=True)
class TaskStop:
    """Why a task stops: ECS's stopCode and stoppedReason, and the container that caused it."""

    stop_code: str
    reason: str
    container: str | None = None
    exit_code: int | None = None
    started: bool = True  # False: the task never reached RUNNING (image pull, Secrets, container config)

    @property
    def failed(self) -> bool:
        """Counts against a deployment's circuit breaker: anything but a clean exit or a user's stop."""
        return self.stop_code != StopCode.USER_INITIATED and self.exit_code != 0

    @property
    def detail(self) -> str:
        """``reason (container c exit code n)``, as ECS's stopped-task messages read."""
        if self.container:
            return f"{self.reason} (container {self.container} exit code {self.exit_code})"
        return self.reason


def _essential_exit(pod: Pod) -> TaskStop | None:
    statuses = container_statuses(pod)
    exits = []
    for k8s in essential_containers(pod):
        terminated = last_termination(statuses.get(k8s) or {})
        if terminated is not None:
            exits.append((k8s, terminated))
    if not exits:
        return None
    # The first essential container to exit stopped the task; with no order, a failing one.
    exits.sort(key=lambda e: (e[1].get("finishedAt") or "", int(e[1].get("exitCode", 0)) == 0))
    k8s, terminated = exits[0]
    reason = OOM_REASON if terminated.get("reason") == "OOMKilled" else ESSENTIAL_EXIT_REASON
    container = ecs_container_names(pod).get(k8s, k8s)
    return TaskStop(StopCode.ESSENTIAL_CONTAINER_EXITED, reason, container, int(terminated.get("exitCode", 0)))


def _disruption(pod: Pod) -> TaskStop | None:
    """Evictions and node drains: ECS's TerminationNotice."""
    for cond in pod.get("status", {}).get("conditions", []):
        if cond.get("type") == "DisruptionTarget" and cond.get("status") == "True":
            message = f"Task stopped: {cond.get('reason')}: {cond.get('message', '')}".strip()
            return TaskStop(StopCode.TERMINATION_NOTICE, message)
    if pod.get("status", {}).get("reason") == "Evicted":
        message = f"Task stopped: evicted: {pod['status'].get('message', '')}".strip()
        return TaskStop(StopCode.TERMINATION_NOTICE, message)
    return None


def _start_failure(pod: Pod, now: datetime, deadline: float) -> TaskStop | None:
    """Tasks that cannot start: an image that cannot be pulled (at once), Secrets that never appear
    or containers that cannot be created (after ``deadline`` seconds)."""
    created = parse_time(pod.get("metadata", {}).get("creationTimestamp"))
    age = (now - created).total_seconds() if created is not None else 0.0
    if has_gate(pod) and age >= deadline:
        return TaskStop(StopCode.TASK_FAILED_TO_START, SECRETS_MISSING_REASON, started=False)
    for status in container_statuses(pod).values():
        waiting = status.get("state", {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in PULL_FAILURES:
            message = f"CannotPullContainerError: {waiting.get('message') or reason}"
            return TaskStop(StopCode.TASK_FAILED_TO_START, message, started=False)
        if reason in CONFIG_FAILURES and age >= deadline:
            message = f"ResourceInitializationError: {waiting.get('message') or reason}"
            return TaskStop(StopCode.TASK_FAILED_TO_START, message, started=False)
    return None


def _unhealthy(pod: Pod, now: datetime, start_timeout: float | None) -> TaskStop | None:
    """A service task still not healthy after its grace period failed to start."""
    if start_timeout is None or last_status(pod) == "RUNNING":
        return None
    created = parse_time(pod.get("metadata", {}).get("creationTimestamp"))
    if created is not None and (now - created).total_seconds() > start_timeout:
        return TaskStop(StopCode.TASK_FAILED_TO_START, f"Task failed to become healthy within {start_timeout:.0f}s")
    return None


def task_stop(
    pod: Pod, *, now: datetime, desired_status: str = "RUNNING", start_timeout: float | None = None
) -> TaskStop | None:
    """Why this task stops now, or None while it should keep running.

    In ECS's order: an essential container exited (the first to exit decides; the kubelet's
    restart of it counts as an exit); the pod ended by itself (evicted, drained); the user asked
    (StopTask, the ECSTask deleted, the pod deleted); the task cannot start (image pull, Secrets);
    a service task that stays unhealthy past ``start_timeout`` seconds (a service's task may take
    that long to start; a standalone task gets START_GRACE_SECONDS).
    """
    exited = _essential_exit(pod)
    if exited is not None:
        return exited
    if is_terminal(pod):
        return _disruption(pod) or TaskStop(StopCode.ESSENTIAL_CONTAINER_EXITED, ESSENTIAL_EXIT_REASON)
    if desired_status == "STOPPED":
        return TaskStop(StopCode.USER_INITIATED, USER_STOP_REASON)
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return _disruption(pod) or TaskStop(StopCode.USER_INITIATED, "Task stopped: its pod was deleted")
    deadline = START_GRACE_SECONDS if start_timeout is None else start_timeout
    return _start_failure(pod, now, deadline) or _unhealthy(pod, now, start_timeout)
