"""The value every plan function returns, and the snapshot types they read.

A :class:`Plan` says everything one reconcile will do, in order: apply objects, delete
objects (with uid preconditions, so a newer object of the same name is never hit), write the
status, post events, and when to look again. ``kube.executor`` carries it out; nothing in a
plan function touches the API, the clock or the environment, so every decision is a table test.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Severity", "Reason", "Event", "Creation", "Deletion", "Patch", "Plan", "Problem", "Revision", "Obj"]

Obj = dict[str, Any]


@dataclass(frozen=True)
class Revision:
    """One registered TaskDefinition revision: its number, its spec, its ControllerRevision's name, and
    its ECS state (ACTIVE, or INACTIVE / DELETE_IN_PROGRESS once deregistered / deleted)."""

    number: int
    spec: dict[str, Any]
    name: str = ""
    status: str = "ACTIVE"

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"


class Severity(enum.Enum):
    """Kubernetes Event type: Warning for problems, Normal for everything else."""

    NORMAL = "Normal"
    WARNING = "Warning"


class Reason(enum.Enum):
    """Kubernetes Event reasons the operator posts (what `kubectl describe` groups by)."""

    SERVICE_EVENT = "ServiceEvent"
    TASK_STOPPED = "TaskStopped"
    TASK_EVENT = "TaskEvent"
    TASK_DEPENDENCY_MISSING = "TaskDependencyMissing"
    REVISION_REGISTERED = "RevisionRegistered"
    INVALID_SPEC = "InvalidSpec"
    TASK_DEFINITION_NOT_FOUND = "TaskDefinitionNotFound"
    TASK_DEFINITION_INVALID = "TaskDefinitionInvalid"
    TASK_DEFINITION_INACTIVE = "TaskDefinitionInactive"
    CLUSTER_NOT_FOUND = "ClusterNotFound"
    CLUSTER_NOT_EMPTY = "ClusterNotEmpty"


@dataclass(frozen=True)
class Event:
    reason: Reason
    message: str
    severity: Severity = Severity.NORMAL

    @property
    def warning(self) -> bool:
        return self.severity is Severity.WARNING


@dataclass(frozen=True)
class Deletion:
    """Delete one object; with ``uid``, only that incarnation of it."""

    api_version: str
    kind: str
    name: str
    uid: str | None = None


@dataclass(frozen=True)
class Creation:
    """Create one object. ``exists_ok``: a name already taken means an earlier round made it (ours);
    otherwise a taken name means another worker won the race, and the rest of the plan is dropped."""

    obj: Obj
    exists_ok: bool = True


@dataclass(frozen=True)
class Patch:
    """A merge patch of one object (a field the operator changes without owning the whole object)."""

    api_version: str
    kind: str
    name: str
    body: Obj


@dataclass
class Plan:
    """One reconcile's decisions. Empty members mean "nothing to do"."""

    create: list[Creation] = field(default_factory=list)  # first: e.g. a new revision
    apply: list[Obj] = field(default_factory=list)  # server-side applied, owned by the reconciled object
    patch: list[Patch] = field(default_factory=list)
    delete: list[Deletion] = field(default_factory=list)  # before the status is written
    status: Obj | None = None  # merge patch of the status subresource; None: unchanged
    delete_after_status: list[Deletion] = field(default_factory=list)  # once the status records why
    events: list[Event] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)  # stopCode of each task this plan stops (for metrics)
    requeue_after: float | None = None  # seconds until the next look; None: only on a change
    requeue_on_conflict: float = 0.2  # a create lost its race: look again this soon

    def look_again(self, seconds: float | None) -> None:
        """Keep the earliest of several reasons to look again."""
        if seconds is None:
            return
        self.requeue_after = seconds if self.requeue_after is None else min(self.requeue_after, seconds)


class Problem(Exception):
    """Why a reconcile cannot go on: the object's spec or something it refers to.

    ``retry_after`` None means only a change of the object helps (an invalid spec); a number is
    a dependency that may appear (a TaskDefinition, a cluster) and is looked for again then.
    ``patch`` holds what still holds without rendering (a service's replicas keep following
    desiredCount while its TaskDefinition is missing).
    """

    def __init__(
        self, reason: Reason, message: str, *, retry_after: float | None = None, patch: list[Patch] | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after
        self.patch = patch or []
