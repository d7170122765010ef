"""ECSService: resolve the revision, render the workload, apply it, report ECS status.

Every trigger (spec change, a pod of the service, a new TaskDefinition revision, drift
of an owned object, a timer) lands in :func:`reconcile_service`, which is level-based:
it reads the current object, renders everything and server-side applies it.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

import kopf

from ..kube import NotFound
from ..kube.events import post_event
from ..kube.lookups import (
    Revision,
    find_task_definition,
    list_revisions,
    node_label_inventory,
    service_pods,
)
from ..models import SpecError, parse_service, parse_task_definition
from ..render.capacity import CapacityProviderError
from ..render.dependencies import DependencyCycleError
from ..render.meta import API_VERSION, GROUP, LABEL_REVISION, LABEL_SERVICE
from ..render.query import QueryError
from ..render.revision import parse_reference
from ..render.schedule import ScheduleError
from ..render.service import render_service
from ..render.service_status import (
    MAX_EVENTS,
    ServiceObservation,
    compute_service_status,
    event,
    provider_counts,
    target_revision,
)
from ..render.task_state import task_failure
from ..render.workload import service_selector
from . import cache
from .applier import applier
from .clusters import cluster_spec_for
from .dependencies import apply_pod_dependencies, on_resource_available, release_pods
from .errors import DependencyMissing, InvalidSpec, kopf_errors
from .reporting import iso, report_problem, utcnow
from .runtime import Reconciler, kube
from .traffic import apply_traffic, load_balancer_health, prune_traffic, waiting_for_api

__all__ = ["reconcile_service", "services"]

log = logging.getLogger("ecs_operator.services")

DEFAULT_START_TIMEOUT = 300.0  # seconds a task may take to become healthy without a grace period
RESYNC_SECONDS = 30.0
POD_EVENT_DELAY = 1.0  # pod events of a rollout arrive in bursts; one recount per burst
DEPENDENCY_RECHECK_SECONDS = 10.0  # a missing Secret is also watched for; this is the safety net
RENDER_ERRORS = (QueryError, DependencyCycleError, SpecError, CapacityProviderError, ScheduleError)


def reconcile_service(namespace: str, name: str) -> float | None:
    client = kube()
    try:
        body = client.get(API_VERSION, "ECSService", namespace, name)
    except NotFound:
        services.forget(namespace, name)
        return None
    if body["metadata"].get("deletionTimestamp"):
        return None
    previous = body.get("status") or {}
    try:
        spec = parse_service(body.get("spec") or {})
    except SpecError as exc:
        report_problem(body, "InvalidSpec", str(exc))
        raise
    service_name = spec.service_name or name
    cluster = spec.cluster_name
    try:
        family, pinned = parse_reference(spec.task_definition)
    except ValueError as exc:
        report_problem(body, "InvalidSpec", str(exc))
        raise InvalidSpec(str(exc)) from exc

    td = cached_task_definition(namespace, family)
    revisions = cached_revisions(td, pinned) if td else []
    wanted = pinned if pinned is not None else (revisions[-1].number if revisions else None)
    by_number = {r.number: r for r in revisions}
    if wanted is None or wanted not in by_number:
        what = f"TaskDefinition {family}" + (f" revision {pinned}" if pinned else "")
        message = f"taskDefinition: {what} not found in namespace {namespace}"
        report_problem(body, "TaskDefinitionNotFound", message)
        _scale_existing(namespace, name, spec.desired_count)
        raise DependencyMissing(message, delay=10)
    revision = target_revision(wanted, previous)
    if revision not in by_number:
        revision = wanted
    td_spec = parse_task_definition(by_number[revision].spec)

    cluster_spec = _cluster_spec(body, namespace, cluster)
    node_labels = node_label_inventory(client) if _uses_member_of(spec, td_spec) else []
    try:
        rendered = render_service(
            body,
            spec,
            td_spec,
            family=family,
            revision=revision,
            cluster=cluster,
            cluster_spec=cluster_spec,
            node_labels=node_labels,
            fargate_provisioner=os.environ.get("ECS_OPERATOR_FARGATE_PROVISIONER"),
            now=utcnow(),
        )
    except RENDER_ERRORS as exc:
        message = str(exc) if isinstance(exc, ScheduleError) else f"taskDefinition {family}:{revision}: {exc}"
        report_problem(body, "InvalidSpec", message)
        raise InvalidSpec(message) from exc
    warnings = [f"{w.path}: {w.reason}" for w in rendered.warnings]
    breaker = spec.deployment_configuration.deployment_circuit_breaker if spec.deployment_configuration else None
    daemon = spec.scheduling_strategy == "DAEMON"
    # role, volumes, secrets: before any pod
    problems = apply_pod_dependencies(body, rendered.pod, cluster_spec=cluster_spec)
    for obj in rendered.objects:
        applier.apply(body, obj)
    warnings.extend(apply_traffic(body, rendered.traffic))
    prune_traffic(body, rendered.traffic.names, previous.get("trafficObjects"))
    if previous.get("workloads") not in (None, rendered.workload_names):
        _prune_workloads(namespace, name, rendered.workload_names)
    if rendered.autoscaler is None and previous.get("autoScaling"):
        client.delete("autoscaling/v2", "HorizontalPodAutoscaler", namespace, name)  # autoScaling removed

    now = utcnow()
    grace = spec.health_check_grace_period_seconds
    start_timeout = float(grace) if grace else DEFAULT_START_TIMEOUT
    pods = cache.service_pods.get(namespace, name) or service_pods(client, namespace, name)
    release_pods(body, pods)
    stopped: list[str] = []
    failed_starts = 0
    live = []
    for pod in pods:
        failure = task_failure(pod, now=now, start_timeout_seconds=start_timeout)
        if failure is None:
            live.append(pod)
            continue
        pod_name = pod["metadata"]["name"]
        if client.delete("v1", "Pod", namespace, pod_name, uid=pod["metadata"]["uid"]):
            detail = f"{failure.reason}" + (
                f" (container {failure.container} exit code {failure.exit_code})" if failure.container else ""
            )
            stopped.append(
                f"service {service_name} has stopped 1 running tasks: (task {pod_name}) {failure.stop_code}: {detail}."
            )
            pod_revision = pod["metadata"].get("labels", {}).get(LABEL_REVISION)
            if failure.failed and pod_revision == str(revision):
                failed_starts += 1
    desired = spec.desired_count if spec.desired_count is not None else 1
    if daemon:
        desired = _daemon_desired(namespace, name)
    observation = ServiceObservation(
        service_name=service_name,
        uid=body["metadata"]["uid"],
        family=family,
        revision=revision,
        desired=desired,
        pods=live,
        now=iso(now),
        circuit_breaker=bool(breaker and breaker.enable),
        rollback=bool(breaker and breaker.rollback),
        selector=",".join(f"{k}={v}" for k, v in service_selector(name).items()),
        generation=body["metadata"].get("generation"),
        stopped=stopped,
        failed_starts=failed_starts,
        warnings=warnings,
    )
    status, new_events = compute_service_status(observation, previous)
    status["cluster"] = cluster
    status["workloads"] = rendered.workload_names
    status["capacityProviders"] = provider_counts(rendered.shares, live) or None
    status["problem"] = None
    status["warnings"] = warnings or None
    status["dependencyProblems"] = problems or None
    status["loadBalancers"] = load_balancer_health(body, rendered.traffic)
    status["trafficObjects"] = rendered.traffic.names or None
    status["autoScaling"] = rendered.autoscaler.status() if rendered.autoscaler else None
    for message in problems:
        if message not in (previous.get("dependencyProblems") or []):
            text = f"service {service_name} was unable to start tasks: {message}"
            new_events.append(text)
            status["events"] = [event(text, iso(now), "dependency"), *status["events"]][:MAX_EVENTS]
    if status != {k: previous.get(k) for k in status} or previous.get("problem"):
        client.patch(API_VERSION, "ECSService", namespace, name, {"status": status}, subresource="status")
    for message in new_events:
        warning = "failed" in message or "stopped" in message
        post_event(client, body, reason="ServiceEvent", message=message, warning=warning)
    if status["rollback"] and status["rollback"].get("toRevision") != revision:
        return 0.1  # the circuit breaker just chose a rollback target: apply it now
    if problems:
        return min(_next_check(live, now, start_timeout), DEPENDENCY_RECHECK_SECONDS)
    api_recheck = waiting_for_api(rendered.traffic)
    if api_recheck is not None:
        return min(_next_check(live, now, start_timeout), api_recheck)
    change = rendered.autoscaler.bounds.next_change if rendered.autoscaler else None
    if change is not None:  # a scheduled scaling action fires: render the new bounds then
        return min(_next_check(live, now, start_timeout), max(0.5, (change - utcnow()).total_seconds() + 0.5))
    return _next_check(live, now, start_timeout)


def cached_task_definition(namespace: str, family: str) -> dict[str, Any] | None:
    found = cache.task_definitions.get(namespace, family)
    return found[0] if found else find_task_definition(kube(), namespace, family)


def cached_revisions(td: dict[str, Any], pinned: int | None) -> list[Revision]:
    """The TaskDefinition's revisions from the watch cache, or the API when the cache is behind."""
    meta = td["metadata"]
    revisions = sorted(
        (
            Revision(int(r["revision"]), (r.get("data") or {}).get("spec") or {}, r["metadata"]["name"])
            for r in cache.revisions.get(meta["namespace"], meta["name"])
        ),
        key=lambda r: r.number,
    )
    known = {r.number for r in revisions}
    latest = (td.get("status") or {}).get("revision")
    if not revisions or (pinned is not None and pinned not in known) or (latest and latest not in known):
        return list_revisions(kube(), meta["namespace"], meta["name"])
    return revisions


def _uses_member_of(spec: Any, td_spec: Any) -> bool:
    constraints = [*(spec.placement_constraints or ()), *(td_spec.placement_constraints or ())]
    return any(c.expression for c in constraints)


def _cluster_spec(body: dict[str, Any], namespace: str, cluster: str) -> Any:
    try:
        return cluster_spec_for(namespace, cluster)
    except DependencyMissing as exc:
        report_problem(body, "ClusterNotFound", str(exc))
        raise


def _prune_workloads(namespace: str, name: str, keep: list[str]) -> None:
    """Remove workloads a previous capacity provider split created and this one does not."""
    client = kube()
    for kind in ("Deployment", "DaemonSet"):
        for obj in client.list("apps/v1", kind, namespace, labels={LABEL_SERVICE: name}):
            if obj["metadata"]["name"] not in keep:
                client.delete("apps/v1", kind, namespace, obj["metadata"]["name"])


def _next_check(pods: list[dict[str, Any]], now: datetime, start_timeout: float) -> float:
    """When a not-yet-healthy task would cross its start timeout, look again; else resync."""
    from ..render.task_state import last_status, parse_time

    soonest = RESYNC_SECONDS
    for pod in pods:
        if last_status(pod) != "ACTIVATING":
            continue
        created = parse_time(pod["metadata"].get("creationTimestamp"))
        if created is not None:
            soonest = min(soonest, max(0.2, start_timeout - (now - created).total_seconds() + 0.5))
    return soonest


def _daemon_desired(namespace: str, name: str) -> int:
    try:
        ds = kube().get("apps/v1", "DaemonSet", namespace, name)
    except NotFound:
        return 0
    return int((ds.get("status") or {}).get("desiredNumberScheduled", 0))


def _scale_existing(namespace: str, name: str, desired: int | None) -> None:
    """Without a TaskDefinition we cannot render, but running tasks keep running and scaling works."""
    if desired is None:
        return
    try:
        kube().patch("apps/v1", "Deployment", namespace, name, {"spec": {"replicas": desired}})
    except NotFound:
        pass


services = Reconciler("ECSService", reconcile_service)
on_resource_available("ECSService", lambda namespace, name: services.later(namespace, name, 0))


@kopf.on.resume(GROUP, "v1alpha1", "ecsservices", backoff=5)
@kopf.on.create(GROUP, "v1alpha1", "ecsservices", backoff=5)
@kopf.on.update(GROUP, "v1alpha1", "ecsservices", field="spec", backoff=5)
@kopf_errors
def service_changed(namespace: str, name: str, **_: Any) -> None:
    services.run(namespace, name, raise_errors=True)


@kopf.on.delete(GROUP, "v1alpha1", "ecsservices", backoff=5)
@kopf_errors
def service_deleted(body: kopf.Body, namespace: str, name: str, **_: Any) -> None:
    """ECS DeleteService: DRAINING while tasks stop; garbage collection removes the rest."""
    client = kube()
    services.forget(namespace, name)
    client.patch(
        API_VERSION,
        "ECSService",
        namespace,
        name,
        {"status": {"status": "DRAINING", "desiredCount": 0}},
        subresource="status",
    )
    for kind in ("Deployment", "DaemonSet"):
        try:
            if kind == "Deployment":
                client.patch("apps/v1", kind, namespace, name, {"spec": {"replicas": 0}})
            else:
                client.delete("apps/v1", kind, namespace, name)
        except NotFound:
            pass
    remaining = [p for p in service_pods(client, namespace, name)]
    if remaining:
        raise DependencyMissing(f"draining: {len(remaining)} tasks still stopping", delay=1)
    applier.forget_owner(namespace, name)


@kopf.on.event(GROUP, "v1alpha1", "ecsservices")
async def service_seen(event: dict[str, Any], body: kopf.Body, **_: Any) -> None:
    cache.services_by_cluster.observe(event.get("type"), body)


@kopf.on.event("", "v1", "pods", labels={LABEL_SERVICE: kopf.PRESENT})
async def service_pod_event(
    event: dict[str, Any], body: kopf.Body, namespace: str, labels: dict[str, str], **_: Any
) -> None:
    """A task changed: recount (and stop it if an essential container exited).

    Pod events come in bursts (a rollout changes every task several times); a short delay
    folds a burst into one reconcile.
    """
    cache.service_pods.observe(event.get("type"), body)
    services.later(namespace, labels[LABEL_SERVICE], POD_EVENT_DELAY)
