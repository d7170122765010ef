"""ECS-style ECSService status: counts, deployments[], events[], conditions.

Everything here is a pure function of the previous status, the pods and an explicit
`now`, so a rollout's bookkeeping (which revision is PRIMARY, when it COMPLETED or
FAILED, where a rollback goes) is deterministic and unit-testable.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..render.capacity import provider_label
from ..vocabulary import LABEL_PROVIDER, LABEL_REVISION
from .conditions import condition
from .lifecycle import last_status
from .types import Event, Reason, Severity

__all__ = [
    "MAX_EVENTS",
    "failure_threshold",
    "ServiceObservation",
    "target_revision",
    "compute_service_status",
    "event",
    "provider_counts",
]

MAX_EVENTS = 20
Status = dict[str, Any]


def failure_threshold(desired: int) -> int:
    """ECS circuit-breaker threshold: half the desired count, at least 10, at most 200."""
    return max(10, min(200, math.ceil(desired * 0.5)))


def _id(*parts: object) -> str:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()
    return str(int(digest[:16], 16))[:19]


def event(message: str, now: str, salt: str = "") -> dict[str, str]:
    return {"id": _id(message, now, salt)[:12], "createdAt": now, "message": message}


def target_revision(latest: int, previous: Mapping[str, Any]) -> int:
    """The revision to run: `latest`, unless the circuit breaker rolled back away from it."""
    rollback = previous.get("rollback") or {}
    if rollback.get("fromRevision") == latest and rollback.get("toRevision"):
        return int(rollback["toRevision"])
    return latest


@dataclass
class ServiceObservation:
    """What the handler saw and did in this reconcile."""

    service_name: str
    uid: str
    family: str
    revision: int  # PRIMARY revision being rolled out
    desired: int
    pods: Sequence[Mapping[str, Any]]
    now: str
    circuit_breaker: bool = False
    rollback: bool = False
    selector: str = ""
    generation: int | None = None
    stopped: list[Event] = field(default_factory=list)  # ECS messages for tasks stopped this round
    failed_starts: int = 0  # tasks of the PRIMARY revision that failed this round
    warnings: list[str] = field(default_factory=list)


def _counts(pods: Sequence[Mapping[str, Any]]) -> dict[int, dict[str, int]]:
    by_revision: dict[int, dict[str, int]] = {}
    for pod in pods:
        labels = pod.get("metadata", {}).get("labels", {})
        try:
            rev = int(labels.get(LABEL_REVISION, "0"))
        except ValueError:
            rev = 0
        state = last_status(pod)
        bucket = by_revision.setdefault(rev, {"running": 0, "pending": 0})
        if state == "RUNNING":
            bucket["running"] += 1
        elif state in ("PROVISIONING", "PENDING", "ACTIVATING"):
            bucket["pending"] += 1
    return by_revision


def _keep_updated_at(entry: dict[str, Any], before: Mapping[str, Any] | None) -> None:
    """updatedAt moves only when something in the deployment changed, so idle reconciles write nothing."""
    if before is None or "updatedAt" not in before:
        return
    same = all(entry.get(k) == before.get(k) for k in entry if k != "updatedAt")
    if same:
        entry["updatedAt"] = before["updatedAt"]


def compute_service_status(obs: ServiceObservation, previous: Mapping[str, Any]) -> tuple[Status, list[Event]]:
    """New status plus the event messages it added (for Kubernetes Events too)."""
    counts = _counts(obs.pods)
    name = obs.service_name
    now = obs.now
    new_events: list[Event] = list(obs.stopped)
    old_deployments = {
        d["taskDefinitionRevision"]: d for d in previous.get("deployments", []) if "taskDefinitionRevision" in d
    }
    old_primary = next((d for d in previous.get("deployments", []) if d.get("status") == "PRIMARY"), None)
    rollback_state = dict(previous.get("rollback") or {})
    last_completed = previous.get("lastCompletedRevision")

    primary = dict(old_deployments.get(obs.revision, {}))
    if old_primary is None or old_primary.get("taskDefinitionRevision") != obs.revision or not primary:
        primary = {
            "id": f"ecs-svc/{_id(obs.uid, obs.revision, now)}",
            "taskDefinitionRevision": obs.revision,
            "createdAt": now,
            "failedTasks": 0,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment in progress.",
        }
        if (
            old_primary is not None
            and rollback_state.get("toRevision") == obs.revision
            and rollback_state.get("announced") is not True
        ):
            message = (
                f"(service {name}) (deployment {old_primary.get('id')}) rolling back to deployment {primary['id']}."
            )
            new_events.append(Event(Reason.SERVICE_EVENT, message, Severity.WARNING))
            rollback_state["announced"] = True
    mine = counts.get(obs.revision, {"running": 0, "pending": 0})
    primary.update(
        {
            "status": "PRIMARY",
            "taskDefinition": f"{obs.family}:{obs.revision}",
            "desiredCount": obs.desired,
            "runningCount": mine["running"],
            "pendingCount": mine["pending"],
            "updatedAt": now,
        }
    )
    primary["failedTasks"] = int(primary.get("failedTasks", 0)) + obs.failed_starts
    others_running = sum(c["running"] + c["pending"] for rev, c in counts.items() if rev != obs.revision)

    state = primary.get("rolloutState", "IN_PROGRESS")
    if state != "FAILED":
        if obs.circuit_breaker and primary["failedTasks"] >= failure_threshold(obs.desired):
            state = "FAILED"
            primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
            message = f"(service {name}) (deployment {primary['id']}) deployment failed: tasks failed to start."
            new_events.append(Event(Reason.SERVICE_EVENT, message, Severity.WARNING))
            if obs.rollback and last_completed and int(last_completed) != obs.revision:
                rollback_state = {"fromRevision": obs.revision, "toRevision": int(last_completed)}
        elif mine["running"] == obs.desired and mine["pending"] == 0 and others_running == 0:
            state = "COMPLETED"
            primary["rolloutStateReason"] = "ECS deployment completed."
            last_completed = obs.revision
    primary["rolloutState"] = state
    _keep_updated_at(primary, old_deployments.get(obs.revision))

    deployments = [primary]
    for rev, c in sorted(counts.items(), reverse=True):
        if rev == obs.revision or c["running"] + c["pending"] == 0:
            continue
        old = dict(old_deployments.get(rev, {}))
        old.setdefault("id", f"ecs-svc/{_id(obs.uid, rev, 'active')}")
        old.setdefault("createdAt", now)
        old.update(
            {
                "status": "ACTIVE",
                "taskDefinitionRevision": rev,
                "taskDefinition": f"{obs.family}:{rev}",
                "desiredCount": 0,
                "runningCount": c["running"],
                "pendingCount": c["pending"],
                "updatedAt": now,
            }
        )
        _keep_updated_at(old, old_deployments.get(rev))
        deployments.append(old)

    running = sum(c["running"] for c in counts.values())
    pending = sum(c["pending"] for c in counts.values())
    steady = state == "COMPLETED" and running == obs.desired and pending == 0
    was_steady = any(c.get("type") == "Ready" and c.get("status") == "True" for c in previous.get("conditions", []))
    if steady and not was_steady:
        new_events.append(Event(Reason.SERVICE_EVENT, f"service {name} has reached a steady state."))

    events = [event(e.message, now, str(i)) for i, e in enumerate(new_events)]
    events.reverse()  # newest first: later messages of this round go on top
    events = (events + list(previous.get("events", [])))[:MAX_EVENTS]

    old_conditions = previous.get("conditions", [])
    failed = state == "FAILED"
    conditions = [
        condition(
            "Ready",
            steady,
            "SteadyState" if steady else "NotSteady",
            f"{running}/{obs.desired} tasks running",
            now,
            old_conditions,
        ),
        condition("Progressing", state == "IN_PROGRESS", state, primary["rolloutStateReason"], now, old_conditions),
        condition(
            "Degraded",
            failed,
            "CircuitBreakerTripped" if failed else "AsExpected",
            primary["rolloutStateReason"] if failed else "",
            now,
            old_conditions,
        ),
    ]
    status: Status = {
        "serviceName": name,
        "status": "ACTIVE",
        "taskDefinition": f"{obs.family}:{obs.revision}",
        "desiredCount": obs.desired,
        "runningCount": running,
        "pendingCount": pending,
        "selector": obs.selector,
        "deployments": deployments,
        "events": events,
        "conditions": conditions,
        "lastCompletedRevision": last_completed,
        "rollback": rollback_state or None,
        "warnings": obs.warnings or None,
    }
    if obs.generation is not None:
        status["observedGeneration"] = obs.generation
    return status, new_events


def provider_counts(shares: Sequence[Any], pods: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per capacity provider: the desired share and the running/pending tasks on it."""
    if len(shares) == 1 and shares[0].provider is None:
        return []
    out = []
    for share in shares:
        label = _label(share.provider)
        mine = [p for p in pods if p.get("metadata", {}).get("labels", {}).get(LABEL_PROVIDER) == label]
        states = [last_status(p) for p in mine]
        out.append(
            {
                "capacityProvider": share.provider,
                "desiredCount": share.count,
                "runningCount": states.count("RUNNING"),
                "pendingCount": sum(states.count(s) for s in ("PROVISIONING", "PENDING", "ACTIVATING")),
            }
        )
    return out


def _label(provider: str | None) -> str | None:
    return provider_label(provider) if provider else None
