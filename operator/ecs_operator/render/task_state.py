"""ECS task lifecycle read off a Pod (ECS_MAPPING.md, Status).

Pure functions of a pod dict and, where time matters, an explicit `now`; the handlers
decide what to do with the answers (stop a task, count a failure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .secrets import has_gate

__all__ = [
    "ESSENTIAL_ANNOTATION",
    "last_status",
    "is_terminal",
    "essential_containers",
    "TaskFailure",
    "task_failure",
    "parse_time",
    "OOM_REASON",
]

ESSENTIAL_ANNOTATION = "ecs.operator.dev/essential-containers"
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"

Pod = Mapping[str, Any]


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _conditions(pod: Pod) -> dict[str, Mapping[str, Any]]:
    return {c["type"]: c for c in pod.get("status", {}).get("conditions", [])}


def is_terminal(pod: Pod) -> bool:
    return pod.get("status", {}).get("phase") in ("Succeeded", "Failed")


def last_status(pod: Pod) -> str:
    """PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING or STOPPED."""
    status = pod.get("status", {})
    if is_terminal(pod):
        return "STOPPED"
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return "DEACTIVATING"
    conditions = _conditions(pod)
    if not pod.get("spec", {}).get("nodeName"):
        return "PROVISIONING"
    if status.get("phase") != "Running":
        return "PENDING"
    if conditions.get("Ready", {}).get("status") == "True":
        return "RUNNING"
    return "ACTIVATING"


def essential_containers(pod: Pod) -> list[str]:
    """Containers whose exit stops the task; all app containers when not annotated."""
    annotated = pod.get("metadata", {}).get("annotations", {}).get(ESSENTIAL_ANNOTATION)
    if annotated is not None:
        return [name for name in annotated.split(",") if name]
    return [c["name"] for c in pod.get("spec", {}).get("containers", [])]


@dataclass(frozen=True)
class TaskFailure:
    stop_code: str  # EssentialContainerExited | TaskFailedToStart
    reason: str
    container: str | None = None
    exit_code: int | None = None
    failed: bool = True  # counts against the deployment circuit breaker


def _terminated(status: Mapping[str, Any]) -> Mapping[str, Any] | None:
    state = status.get("state", {})
    if "terminated" in state:
        return state["terminated"]
    return None


def task_failure(pod: Pod, *, now: datetime, start_timeout_seconds: float | None) -> TaskFailure | None:
    """Why this running service task must be stopped, or None.

    An essential container that exited (or was restarted by the kubelet) stops the task,
    as in ECS; a task that is still not healthy `start_timeout_seconds` after it was
    created failed to start.
    """
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return None
    essential = set(essential_containers(pod))
    for status in pod.get("status", {}).get("containerStatuses", []):
        if status["name"] not in essential:
            continue
        terminated = _terminated(status)
        restarted = status.get("restartCount", 0) > 0
        if terminated is None and restarted:
            terminated = status.get("lastState", {}).get("terminated")
        if terminated is None:
            continue
        code = int(terminated.get("exitCode", 0))
        reason = "Essential container in task exited"
        if terminated.get("reason") == "OOMKilled":
            reason = OOM_REASON
        return TaskFailure("EssentialContainerExited", reason, status["name"], code, failed=code != 0)
    if is_terminal(pod):
        return TaskFailure("EssentialContainerExited", "Essential container in task exited", failed=True)
    if start_timeout_seconds is None or last_status(pod) == "RUNNING":
        return None
    created = parse_time(pod.get("metadata", {}).get("creationTimestamp"))
    if created is not None and (now - created).total_seconds() > start_timeout_seconds:
        if _held_for_resources(pod):
            return TaskFailure(
                "TaskFailedToStart",
                "ResourceInitializationError: unable to pull secrets or "
                "registry auth: a Secret or ConfigMap the task reads does not exist",
            )
        return TaskFailure("TaskFailedToStart", f"Task failed to become healthy within {start_timeout_seconds:.0f}s")
    return None


def _held_for_resources(pod: Pod) -> bool:
    """Still behind the operator's scheduling gate: its Secrets/ConfigMaps never appeared."""
    return has_gate(pod)


def count_by_status(pods: Sequence[Pod]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pod in pods:
        state = last_status(pod)
        counts[state] = counts.get(state, 0) + 1
    return counts
