"""What the ECS-level gauges say about a set of ECSServices, computed from their statuses.

Pure, so the rules (which deployment's rolloutState counts, which counts are summed) are
table-tested; the metrics module calls it at scrape time over the operator's watch cache.
A service counts under the rolloutState of its PRIMARY deployment, as `aws ecs
describe-services` reports it; a service with no status yet (never reconciled) counts in
no state, and its tasks are not counted until its first status says how many there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ROLLOUT_STATES", "TASK_STATES", "Fleet", "ServiceCounts", "fleet", "service_counts"]

ROLLOUT_STATES = ("IN_PROGRESS", "COMPLETED", "FAILED")
"""ECS's rolloutState values: always reported (as 0 when no service is in one), so a rate() has a series."""

TASK_STATES = ("desired", "running", "pending")


@dataclass(frozen=True)
class ServiceCounts:
    """One ECSService as its status reports it."""

    namespace: str
    name: str
    rollout_state: str | None
    desired: int
    running: int
    pending: int

    def tasks(self) -> dict[str, int]:
        return {"desired": self.desired, "running": self.running, "pending": self.pending}


@dataclass(frozen=True)
class Fleet:
    """Services by rolloutState and task totals, plus each service when asked for."""

    services: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    each: tuple[ServiceCounts, ...] = ()


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def service_counts(body: Mapping[str, Any]) -> ServiceCounts | None:
    """The counts one ECSService's status reports; None before its first status."""
    meta = body.get("metadata") or {}
    status = body.get("status") or {}
    if not status.get("deployments") and "runningCount" not in status:
        return None
    primary = next((d for d in status.get("deployments") or () if d.get("status") == "PRIMARY"), None)
    state = primary.get("rolloutState") if primary else None
    return ServiceCounts(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        rollout_state=str(state) if state else None,
        desired=_count(status.get("desiredCount")),
        running=_count(status.get("runningCount")),
        pending=_count(status.get("pendingCount")),
    )


def fleet(bodies: Iterable[Mapping[str, Any]], *, each: bool = False) -> Fleet:
    """Sum the services' statuses; with ``each``, keep every service's counts (sorted by identity)."""
    services = dict.fromkeys(ROLLOUT_STATES, 0)
    tasks = dict.fromkeys(TASK_STATES, 0)
    kept: list[ServiceCounts] = []
    for body in bodies:
        counts = service_counts(body)
        if counts is None:
            continue
        if counts.rollout_state is not None:
            services[counts.rollout_state] = services.get(counts.rollout_state, 0) + 1
        for state, value in counts.tasks().items():
            tasks[state] += value
        if each:
            kept.append(counts)
    kept.sort(key=lambda c: (c.namespace, c.name))
    return Fleet(services=services, tasks=tasks, each=tuple(kept))
