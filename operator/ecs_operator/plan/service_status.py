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
from ..render.service import pod_force_token
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
MAX_HISTORY = 10
Status = dict[str, Any]
FORCE_TOKEN = "forceToken"
"""On a deployment entry: the forceNewDeployment token its tasks were started under (absent when none).
A deployment is one (revision, token): UpdateService forceNewDeployment starts a new deployment of
the same revision (API reference, UpdateService,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html)."""
DeploymentKey = tuple[int, str]


THRESHOLD_MIN, THRESHOLD_MAX = 3, 200


def failure_threshold(desired: int, kind: str = "BOUNDED_PERCENT", value: int = 50) -> int:
    """Failed tasks that trip the circuit breaker. By default 0.5 x the desired count, at least 3, at
    most 200 (API reference, ServiceDeploymentCircuitBreaker.threshold); thresholdConfiguration can make
    it a COUNT, or a percentage without those bounds (API reference, ThresholdConfiguration)."""
    if kind == "COUNT":
        return max(1, value)
    wanted = math.ceil(desired * value / 100)
    if kind == "UNBOUNDED_PERCENT":
        return max(1, wanted)
    return max(THRESHOLD_MIN, min(THRESHOLD_MAX, wanted))


@dataclass(frozen=True)
class RolloutStep:
    """One step of a deployment's life: its rolloutState and the circuit breaker's count after it."""

    state: str  # IN_PROGRESS | COMPLETED | FAILED
    failed_tasks: int
    breaker_status: str  # MONITORING | TRIGGERED | MONITORING_COMPLETE | DISABLED


def rollout_step(
    state: str,
    failed_tasks: int,
    *,
    new_failures: int,
    healthy_before: int,
    healthy_now: int,
    breaker: bool,
    reset_on_healthy: bool,
    threshold: int,
    steady: bool,
) -> RolloutStep:
    """The ECS deployment decision table.

    COMPLETED and FAILED are final for a deployment ("How the Amazon ECS deployment circuit breaker
    detects failures", developer guide): a deployment that completed is not failed afterwards, and a
    failed one stops being evaluated. While IN_PROGRESS the breaker counts the deployment's failed
    tasks (never RUNNING, or stopped / unhealthy after it); with resetOnHealthyTask (default true) a
    task that becomes healthy resets the count; at the threshold the deployment is FAILED. It is
    COMPLETED only on a steady state of the new revision (all desired tasks RUNNING and healthy, none
    of another revision left).
    """
    if state in ("COMPLETED", "FAILED"):
        status = "MONITORING_COMPLETE" if state == "COMPLETED" else "TRIGGERED"
        return RolloutStep(state, failed_tasks, status if breaker else "DISABLED")
    count = 0 if reset_on_healthy and healthy_now > healthy_before else failed_tasks
    count += new_failures
    if breaker and count >= threshold:
        return RolloutStep("FAILED", count, "TRIGGERED")
    if steady:
        return RolloutStep("COMPLETED", count, "MONITORING_COMPLETE" if breaker else "DISABLED")
    return RolloutStep("IN_PROGRESS", count, "MONITORING" if breaker else "DISABLED")


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
    reset_on_healthy: bool = True  # deploymentCircuitBreaker.resetOnHealthyTask
    threshold: tuple[str, int] = ("BOUNDED_PERCENT", 50)  # deploymentCircuitBreaker.thresholdConfiguration
    healthy: int = 0  # PRIMARY tasks RUNNING and healthy for the steady-state window
    throttle: Mapping[str, Any] | None = None  # the service's launch throttle (status.throttle)
    force_token: str = ""  # the service's forceNewDeployment token: a new one is a new deployment


def _key_of(entry: Mapping[str, Any]) -> DeploymentKey:
    return int(entry["taskDefinitionRevision"]), str(entry.get(FORCE_TOKEN) or "")


def _counts(pods: Sequence[Mapping[str, Any]]) -> dict[DeploymentKey, dict[str, int]]:
    by_revision: dict[DeploymentKey, dict[str, int]] = {}
    for pod in pods:
        labels = pod.get("metadata", {}).get("labels", {})
        try:
            rev = int(labels.get(LABEL_REVISION, "0"))
        except ValueError:
            rev = 0
        state = last_status(pod)
        bucket = by_revision.setdefault((rev, pod_force_token(pod)), {"running": 0, "pending": 0})
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
    old_deployments = {_key_of(d): d for d in previous.get("deployments", []) if "taskDefinitionRevision" in d}
    key = (obs.revision, obs.force_token)
    old_primary = next((d for d in previous.get("deployments", []) if d.get("status") == "PRIMARY"), None)
    rollback_state = dict(previous.get("rollback") or {})
    last_completed = previous.get("lastCompletedRevision")

    primary = dict(old_deployments.get(key, {}))
    if old_primary is None or "taskDefinitionRevision" not in old_primary or _key_of(old_primary) != key or not primary:
        primary = {
            "id": f"ecs-svc/{_id(obs.uid, obs.revision, now)}",
            "taskDefinitionRevision": obs.revision,
            "createdAt": now,
            "failedTasks": 0,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment in progress.",
        }
        if obs.force_token:
            primary[FORCE_TOKEN] = obs.force_token
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
    mine = counts.get(key, {"running": 0, "pending": 0})
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
    others_running = sum(c["running"] + c["pending"] for k, c in counts.items() if k != key)
    threshold = failure_threshold(obs.desired, *obs.threshold)
    before = primary.get("rolloutState", "IN_PROGRESS")
    step = rollout_step(
        before,
        int(primary.get("failedTasks", 0)),
        new_failures=obs.failed_starts,
        healthy_before=int(primary.get("healthyTasks", 0)),
        healthy_now=obs.healthy,
        breaker=obs.circuit_breaker,
        reset_on_healthy=obs.reset_on_healthy,
        threshold=threshold,
        steady=mine["running"] == obs.desired
        and mine["pending"] == 0
        and others_running == 0
        and obs.healthy >= obs.desired,
    )
    state = step.state
    primary["failedTasks"] = step.failed_tasks
    primary["healthyTasks"] = obs.healthy if before == "IN_PROGRESS" else primary.get("healthyTasks", 0)
    primary["circuitBreaker"] = {
        "status": step.breaker_status,
        "failureCount": step.failed_tasks,
        "threshold": threshold,
    }
    if state == "FAILED" and before != "FAILED":
        primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
        message = f"(service {name}) (deployment {primary['id']}) deployment failed: tasks failed to start."
        new_events.append(Event(Reason.SERVICE_EVENT, message, Severity.WARNING))
        if obs.rollback and last_completed and int(last_completed) != obs.revision:
            rollback_state = {"fromRevision": obs.revision, "toRevision": int(last_completed)}
    elif state == "COMPLETED" and before != "COMPLETED":
        primary["rolloutStateReason"] = "ECS deployment completed."
        message = f"(service {name}) (deployment {primary['id']}) deployment completed."
        new_events.append(Event(Reason.SERVICE_EVENT, message))
        last_completed = obs.revision
    primary["rolloutState"] = state
    _keep_updated_at(primary, old_deployments.get(key))

    deployments = [primary]
    for (rev, token), c in sorted(counts.items(), reverse=True):
        if (rev, token) == key or c["running"] + c["pending"] == 0:
            continue
        old = dict(old_deployments.get((rev, token), {}))
        old.setdefault("id", f"ecs-svc/{_id(obs.uid, rev, token, 'active') if token else _id(obs.uid, rev, 'active')}")
        if token:
            old[FORCE_TOKEN] = token
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
        _keep_updated_at(old, old_deployments.get((rev, token)))
        deployments.append(old)

    # A deployment that leaves deployments[] (replaced and drained) goes to the history, newest
    # first, as ListServiceDeployments keeps them: deployments[] itself holds only PRIMARY and
    # ACTIVE, so `aws ecs wait services-stable` (one deployment) holds after a rollback too.
    listed = {d.get("id") for d in deployments}
    history = [
        {**d, "status": "INACTIVE", "runningCount": 0, "pendingCount": 0, "desiredCount": 0, "updatedAt": now}
        for d in previous.get("deployments", [])
        if d.get("id") not in listed
    ]
    history += [h for h in previous.get("deploymentHistory") or [] if h.get("id") not in listed]
    history = history[:MAX_HISTORY]

    running = sum(c["running"] for c in counts.values())
    pending = sum(c["pending"] for c in counts.values())
    steady = state == "COMPLETED" and running == obs.desired and pending == 0
    was_steady = any(c.get("type") == "Ready" and c.get("status") == "True" for c in previous.get("conditions", []))
    if steady and not was_steady:
        new_events.append(Event(Reason.SERVICE_EVENT, f"(service {name}) has reached a steady state."))

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
        "deploymentHistory": history or None,
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
