"""plan_service: from what an ECSService's reconcile observed to what it does.

The reconcile has already resolved the revision, rendered the service (pure) and made the
tasks' dependencies exist; this decides the rest: which tasks stop (the one task lifecycle),
the ECS status (:mod:`.service_status`: deployments, circuit breaker, events), the Kubernetes
events and their severity, what to prune, and when to look again.

ECS semantics cited where they live: rolling updates and the circuit breaker in
:mod:`.service_status`; task stops in :mod:`.lifecycle`; service event texts follow the developer
guide's "Amazon ECS service event messages"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..models import ECSServiceSpec
from ..models.deployment import DeploymentCircuitBreaker
from ..render.service import ServiceRender, force_token, pod_force_token
from ..render.workload import service_selector
from ..vocabulary import LABEL_REVISION
from .conditions import iso
from .lifecycle import StopCode, healthy_since, last_status, parse_time, task_stop
from .service_events import CATALOGUE, Observed, fresh, observe, record, unhealthy_target_messages
from .service_status import MAX_EVENTS, ServiceObservation, compute_service_status, event, provider_counts
from .throttle import Throttle, throttle_message
from .types import Deletion, Event, Obj, Patch, Plan, Reason, Severity

__all__ = [
    "DEFAULT_START_TIMEOUT",
    "RESYNC_SECONDS",
    "DEPENDENCY_RECHECK_SECONDS",
    "ServiceSnapshot",
    "plan_service",
    "plan_service_deletion",
    "start_timeout",
]

STEADY_STATE_SECONDS = 10.0
"""A task must stay RUNNING and healthy this long before it counts toward a steady state: a task that
crashes seconds after it became healthy has not brought its deployment to COMPLETED."""
DEFAULT_START_TIMEOUT = 300.0  # seconds a task may take to become healthy without a grace period
RESYNC_SECONDS = 30.0
DEPENDENCY_RECHECK_SECONDS = 10.0  # a missing Secret is also watched for; this is the safety net
ROLLBACK_NOW_SECONDS = 0.1


@dataclass(frozen=True)
class ServiceSnapshot:
    """What the ECSService's reconcile saw, after rendering and making dependencies exist."""

    body: Mapping[str, Any]
    spec: ECSServiceSpec
    family: str
    revision: int
    cluster: str
    rendered: ServiceRender
    pods: Sequence[Mapping[str, Any]]
    now: datetime
    dependency_problems: Sequence[str] = ()
    traffic_warnings: Sequence[str] = ()
    load_balancers: list[dict[str, Any]] | None = None
    daemon_desired: int | None = None  # DAEMON: the DaemonSet's desiredNumberScheduled
    existing_workloads: Sequence[tuple[str, str]] | None = None  # (kind, name) when the set may have changed
    api_recheck: float | None = None  # an add-on API is missing: look again then
    extra_warnings: Sequence[str] = field(default_factory=tuple)
    nodes: Sequence[Mapping[str, Any]] | None = None  # only when a task cannot be placed (service_events)
    creation_failures: Sequence[str] = ()  # the workloads' ReplicaFailure messages (quota, limit range)


def start_timeout(spec: ECSServiceSpec) -> float:
    """healthCheckGracePeriodSeconds, else how long a task may take to become healthy."""
    grace = spec.health_check_grace_period_seconds
    return float(grace) if grace else DEFAULT_START_TIMEOUT


@dataclass
class _Stops:
    """What the task lifecycle decided this round for the service's tasks."""

    live: list[Mapping[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    failed: int = 0  # failed tasks of the PRIMARY revision (the circuit breaker counts them)
    throttle: Throttle | None = None
    held_until: datetime | None = None  # a task that failed to start waits for its throttled relaunch
    seen: list[dict[str, str]] = field(default_factory=list)  # messages added this round (de-duplication)


def _stop_tasks(snapshot: ServiceSnapshot, plan: Plan) -> _Stops:
    """Tasks that must stop (the service scheduler replaces them): their deletions and ECS messages."""
    name = snapshot.spec.service_name or snapshot.body["metadata"]["name"]
    timeout = start_timeout(snapshot.spec)
    current = str(snapshot.revision)
    throttle = Throttle.of(snapshot.body.get("status"), snapshot.revision)
    out = _Stops()
    pods = sorted(snapshot.pods, key=lambda p: p["metadata"].get("creationTimestamp") or "")
    if any(
        last_status(p) == "RUNNING" and p["metadata"].get("labels", {}).get(LABEL_REVISION) == current for p in pods
    ):
        throttle = throttle.started()
    for pod in pods:
        meta = pod["metadata"]
        stop = None if meta.get("deletionTimestamp") else task_stop(pod, now=snapshot.now, start_timeout=timeout)
        if stop is not None and not stop.started and throttle.holds(snapshot.now):
            out.held_until = throttle.next_launch_at
            stop = None  # throttled: its relaunch is not due yet
        if stop is None:
            out.live.append(pod)
            continue
        if not stop.started:
            throttle = throttle.failed_start(snapshot.now)
        plan.delete.append(Deletion("v1", "Pod", meta["name"], meta["uid"]))
        plan.stopped.append(stop.stop_code)
        if stop.stop_code == StopCode.TASK_FAILED_TO_START and stop.started:  # never healthy in its grace period
            for text in unhealthy_target_messages(name, pod, snapshot.spec, snapshot.nodes):
                listed = [*((snapshot.body.get("status") or {}).get("events") or []), *out.seen]
                if fresh(text, listed, snapshot.now):
                    out.events.append(Event(Reason.SERVICE_EVENT, text, Severity.WARNING))
                    out.seen.append({"message": text, "createdAt": iso(snapshot.now)})
        message = (
            f"(service {name}) has stopped 1 running tasks: (task {meta['name']}) {stop.stop_code}: {stop.detail}."
        )
        out.events.append(Event(Reason.SERVICE_EVENT, message, Severity.WARNING if stop.failed else Severity.NORMAL))
        if stop.failed and _of_primary(pod, current, force_token(snapshot.body)):
            out.failed += 1
    if throttle.active and not throttle.announced:
        out.events.append(Event(Reason.SERVICE_EVENT, throttle_message(name), Severity.WARNING))
        throttle = replace(throttle, announced=True)
    out.throttle = throttle
    return out


def _threshold(breaker: DeploymentCircuitBreaker | None) -> tuple[str, int]:
    config = breaker.threshold_configuration if breaker else None
    return (config.type, config.value) if config else ("BOUNDED_PERCENT", 50)


def _started(snapshot: ServiceSnapshot, live: Sequence[Mapping[str, Any]]) -> tuple[Event | None, Obj | None]:
    """ECS's "(service X) has started N tasks: (task a) (task b)." for tasks first seen this round.

    ``status.lastStarted`` remembers the newest creation time reported and the tasks created in that
    second, so each task is announced once without keeping every task's name.
    """
    name = snapshot.spec.service_name or snapshot.body["metadata"]["name"]
    previous = (snapshot.body.get("status") or {}).get("lastStarted") or {}
    since, seen = str(previous.get("at") or ""), set(previous.get("tasks") or ())
    created = [
        (str(p["metadata"].get("creationTimestamp") or ""), p["metadata"]["name"])
        for p in live
        if not p["metadata"].get("deletionTimestamp")
    ]
    new = sorted((at, task) for at, task in created if at > since or (at == since and task not in seen))
    if not new:
        return None, previous or None
    latest = new[-1][0]
    marker = {
        "at": latest,
        "tasks": sorted({t for at, t in created if at == latest} | (seen if latest == since else set())),
    }
    tasks = " ".join(f"(task {task})" for _, task in new)
    message = f"(service {name}) has started {len(new)} tasks: {tasks}."
    return Event(Reason.SERVICE_EVENT, message), marker


def _of_primary(pod: Mapping[str, Any], revision: str, token: str) -> bool:
    """A task of the PRIMARY deployment: its revision and the forceNewDeployment token it started under."""
    return pod["metadata"].get("labels", {}).get(LABEL_REVISION) == revision and pod_force_token(pod) == token


def _healthy(snapshot: ServiceSnapshot, live: Sequence[Mapping[str, Any]]) -> tuple[int, float | None]:
    """PRIMARY tasks healthy for the steady-state window, and seconds until the next one will be."""
    current = str(snapshot.revision)
    token = force_token(snapshot.body)
    count, soonest = 0, None
    for pod in live:
        if not _of_primary(pod, current, token):
            continue
        since = healthy_since(pod)
        if since is None:
            continue
        left = STEADY_STATE_SECONDS - (snapshot.now - since).total_seconds()
        if left <= 0:
            count += 1
        else:
            soonest = left if soonest is None else min(soonest, left)
    return count, soonest


def _prune(snapshot: ServiceSnapshot, plan: Plan) -> None:
    previous = snapshot.body.get("status") or {}
    keep = set(snapshot.rendered.workload_names)
    for kind, workload in snapshot.existing_workloads or ():
        if workload not in keep:
            plan.delete.append(Deletion("apps/v1", kind, workload))
    if snapshot.rendered.autoscaler is None and previous.get("autoScaling"):
        plan.delete.append(Deletion("autoscaling/v2", "HorizontalPodAutoscaler", snapshot.body["metadata"]["name"]))


def _next_check(snapshot: ServiceSnapshot, live: Sequence[Mapping[str, Any]]) -> float:
    """When a task not yet RUNNING and healthy would cross its start timeout, look again; else resync."""
    timeout = start_timeout(snapshot.spec)
    soonest = RESYNC_SECONDS
    for pod in live:
        if last_status(pod) not in ("PROVISIONING", "PENDING", "ACTIVATING"):
            continue
        created = parse_time(pod["metadata"].get("creationTimestamp"))
        if created is not None:
            soonest = min(soonest, max(0.2, timeout - (snapshot.now - created).total_seconds() + 0.5))
    return soonest


def plan_service(snapshot: ServiceSnapshot) -> Plan:
    """Objects to apply, tasks to stop, the ECS status and events, and when to look again."""
    body, spec, rendered = snapshot.body, snapshot.spec, snapshot.rendered
    name = body["metadata"]["name"]
    previous = body.get("status") or {}
    plan = Plan(apply=list(rendered.objects))
    _prune(snapshot, plan)
    stops = _stop_tasks(snapshot, plan)
    live = stops.live
    started, last_started = _started(snapshot, live)
    if started is not None:
        stops.events.append(started)
    healthy, settles_in = _healthy(snapshot, live)

    breaker = spec.deployment_configuration.deployment_circuit_breaker if spec.deployment_configuration else None
    warnings = [f"{w.path}: {w.reason}" for w in rendered.warnings]
    warnings += [*snapshot.traffic_warnings, *snapshot.extra_warnings]
    desired = spec.desired_count if spec.desired_count is not None else 1
    if spec.scheduling_strategy == "DAEMON":
        desired = snapshot.daemon_desired or 0
    now = iso(snapshot.now)
    observation = ServiceObservation(
        service_name=spec.service_name or name,
        uid=body["metadata"]["uid"],
        family=snapshot.family,
        revision=snapshot.revision,
        desired=desired,
        pods=live,
        now=now,
        circuit_breaker=bool(breaker and breaker.enable),
        rollback=bool(breaker and breaker.rollback),
        selector=",".join(f"{k}={v}" for k, v in service_selector(name).items()),
        generation=body["metadata"].get("generation"),
        stopped=stops.events,
        failed_starts=stops.failed,
        warnings=warnings,
        reset_on_healthy=breaker is None or breaker.reset_on_healthy_task is not False,
        threshold=_threshold(breaker),
        healthy=healthy,
        force_token=force_token(body),
    )
    status, events = compute_service_status(observation, previous)
    problems = list(snapshot.dependency_problems)
    status.update(
        {
            "cluster": snapshot.cluster,
            "workloads": rendered.workload_names,
            "capacityProviders": provider_counts(rendered.shares, live) or None,
            "problem": None,
            "warnings": warnings or None,
            "dependencyProblems": problems or None,
            "loadBalancers": snapshot.load_balancers,
            "trafficObjects": rendered.traffic.names or None,
            "autoScaling": rendered.autoscaler.status() if rendered.autoscaler else None,
            "throttle": stops.throttle.status() if stops.throttle else None,
            "lastStarted": last_started,
        }
    )
    for message in problems:
        if message not in (previous.get("dependencyProblems") or []):
            text = f"(service {observation.service_name}) was unable to start tasks: {message}"
            events.append(Event(Reason.SERVICE_EVENT, text, Severity.WARNING))
            status["events"] = [event(text, now, "dependency"), *status["events"]][:MAX_EVENTS]
    situations = observe(
        Observed(
            service=observation.service_name,
            spec=spec,
            body=body,
            pods=snapshot.pods,
            now=snapshot.now,
            desired=desired,
            deployments=status["deployments"],
            nodes=snapshot.nodes,
            creation_failures=snapshot.creation_failures,
            load_balancers=snapshot.load_balancers,
        ),
        previous,
    )
    status["events"], added = record(status["events"], situations.events, snapshot.now)
    events += added
    status.update(situations.status)
    if status != {k: previous.get(k) for k in status} or previous.get("problem"):
        plan.status = status
    plan.events = events
    plan.requeue_after = _requeue(snapshot, status, live)
    if settles_in is not None and status["deployments"][0].get("rolloutState") == "IN_PROGRESS":
        plan.look_again(settles_in + 0.2)  # the steady state may be reached then
    held = _seconds_until(snapshot.now, stops.held_until)
    if held is not None:
        plan.look_again(max(0.2, held + 0.2))  # a throttled relaunch is due
    return plan


def _requeue(snapshot: ServiceSnapshot, status: Obj, live: Sequence[Mapping[str, Any]]) -> float:
    rollback = status.get("rollback") or {}
    if rollback and rollback.get("toRevision") != snapshot.revision:
        return ROLLBACK_NOW_SECONDS  # the circuit breaker just chose a rollback target: apply it now
    delay = _next_check(snapshot, live)
    if snapshot.dependency_problems:
        delay = min(delay, DEPENDENCY_RECHECK_SECONDS)
    if snapshot.api_recheck is not None:
        delay = min(delay, snapshot.api_recheck)
    autoscaler = snapshot.rendered.autoscaler
    change = autoscaler.bounds.next_change if autoscaler else None
    if change is not None:  # a scheduled scaling action fires: render the new bounds then
        delay = min(delay, max(0.5, (change - snapshot.now).total_seconds() + 0.5))
    return delay


def _seconds_until(now: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else (moment - now).total_seconds()


def plan_service_deletion(
    body: Mapping[str, Any],
    workloads: Sequence[tuple[str, str]],
    pods: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
) -> tuple[Plan, int]:
    """ECS DeleteService: DRAINING while every workload (one per capacity provider, or a DaemonSet)
    scales to zero; garbage collection removes the rest. Returns the plan and the tasks still stopping.
    A load-balanced service says, once, that it has begun draining its tasks' connections."""
    plan = Plan(status={"status": "DRAINING", "desiredCount": 0})
    previous = body.get("status") or {}
    spec = body.get("spec") or {}
    running = [p for p in pods if last_status(p) in ("RUNNING", "ACTIVATING", "DEACTIVATING")]
    if spec.get("loadBalancers") and running and previous.get("status") != "DRAINING":
        name = spec.get("serviceName") or body["metadata"]["name"]
        drained = CATALOGUE["draining"].event(service=name, count=len(running))
        plan.events.append(drained)
        if now is not None:
            entries = [event(drained.message, iso(now), "draining"), *(previous.get("events") or [])]
            plan.status = {**(plan.status or {}), "events": entries[:MAX_EVENTS]}
    for kind, workload in workloads:
        if kind == "Deployment":
            plan.patch.append(Patch("apps/v1", "Deployment", workload, {"spec": {"replicas": 0}}))
        else:
            plan.delete.append(Deletion("apps/v1", kind, workload))
    return plan, len(pods)
