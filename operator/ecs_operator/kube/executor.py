"""Carry out a Plan: the one place where a reconcile's decisions become API requests.

Order matters and is fixed: create (a new revision, a task's pod), apply owned objects,
merge-patch, delete what must go before the status is written (tasks a service replaces,
pruned workloads), write the status, delete what the status had to record first (a stopped
standalone task's pod), then post events. A create that loses its race drops the rest of the
plan: the winner's watch event brings the object back for a fresh look. The tasks a plan stops
count in ``ecs_operator_stopped_tasks_total`` once their deletions and status are written.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..metrics import Metrics
from ..plan.types import Deletion, Plan
from .applier import Applier
from .client import Kube
from .errors import Conflict, NotFound
from .events import post_event

__all__ = ["Executor", "Outcome"]

log = logging.getLogger("ecs_operator.executor")


@dataclass(frozen=True)
class Outcome:
    """What happened: the requeue delay to honour and whether the object still existed."""

    requeue_after: float | None
    gone: bool = False  # the object was deleted meanwhile: nothing left to record on


class Executor:
    def __init__(self, kube: Kube, applier: Applier, metrics: Metrics | None = None) -> None:
        self._kube = kube
        self._applier = applier
        self._metrics = metrics

    def execute(self, owner: Mapping[str, Any], plan: Plan) -> Outcome:
        meta = owner["metadata"]
        namespace = meta.get("namespace")
        for creation in plan.create:
            try:
                self._kube.create(creation.obj)
            except Conflict:
                if not creation.exists_ok:
                    return Outcome(plan.requeue_on_conflict)
        for obj in plan.apply:
            self._applier.apply(owner, obj)
        for patch in plan.patch:
            with contextlib.suppress(NotFound):
                self._kube.patch(patch.api_version, patch.kind, namespace, patch.name, patch.body)
        self._delete(namespace, plan.delete)
        if plan.status is not None:
            try:
                self.write_status(owner, plan.status)
            except NotFound:
                return Outcome(None, gone=True)
        self._delete(namespace, plan.delete_after_status)
        if self._metrics is not None and plan.stopped:
            self._metrics.tasks_stopped(plan.stopped)
        for event in plan.events:
            post_event(self._kube, owner, reason=event.reason.value, message=event.message, warning=event.warning)
        return Outcome(plan.requeue_after)

    def write_status(self, owner: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        """Merge-patch the status subresource of an ECS object (None values remove members)."""
        meta = owner["metadata"]
        self._kube.patch(
            owner["apiVersion"],
            owner["kind"],
            meta["namespace"],
            meta["name"],
            {"status": dict(status)},
            subresource="status",
        )

    def _delete(self, namespace: str | None, deletions: list[Deletion]) -> None:
        for deletion in deletions:
            self._kube.delete(deletion.api_version, deletion.kind, namespace, deletion.name, uid=deletion.uid)
