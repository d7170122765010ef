"""ECSService: observe -> plan -> act.

Every trigger (spec change, a pod of the service, a new TaskDefinition revision, drift of an
owned object, a timer) lands in :func:`reconcile_service`, which is level-based: it reads the
object, resolves its revision and cluster, renders everything (pure), makes the tasks'
dependencies exist, and hands what it saw to :func:`..plan.plan_service`; the executor does the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import kopf

from ..kube import NotFound
from ..kube.finalizers import has_finalizer
from ..models import ECSClusterSpec, ECSServiceSpec, SpecError, TaskDefinitionSpec, parse_service
from ..plan import Patch, Problem, Reason, ServiceSnapshot, plan_service, plan_service_deletion
from ..plan.conditions import report
from ..plan.resolve import Resolved, reference, resolve_revision
from ..plan.service_events import needs_nodes, needs_workload_status
from ..plan.service_status import FORCE_TOKEN
from ..render.errors import RenderError
from ..render.schedule import ScheduleError
from ..render.service import ServiceRender, force_token, render_service
from ..vocabulary import GROUP, KIND_SERVICE, LABEL_SERVICE, PLURALS, VERSION
from .changes import adopt, register_changes, release
from .clock import utcnow
from .context import OperatorContext, context_of, namespaced

__all__ = ["reconcile_service", "register"]

POD_EVENT_DELAY = 1.0  # pod events of a rollout arrive in bursts; one recount per burst
DRAIN_RECHECK_SECONDS = 1.0


def reconcile_service(ctx: OperatorContext, namespace: str, name: str) -> float | None:
    try:
        body = ctx.lookups.get(KIND_SERVICE, namespace, name)
    except NotFound:
        ctx.services.forget(namespace, name)
        return None
    if body["metadata"].get("deletionTimestamp"):
        return _drain(ctx, body)
    adopt(ctx, body)
    now = utcnow()
    try:
        snapshot = _observe(ctx, body, now)
    except Problem as problem:
        return ctx.executor.execute(body, report(body, problem, now)).requeue_after
    return ctx.executor.execute(body, plan_service(snapshot)).requeue_after


def _observe(ctx: OperatorContext, body: dict[str, Any], now: datetime) -> ServiceSnapshot:
    """Resolve, render, and make what the tasks need exist (before any pod of theirs runs)."""
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    previous = body.get("status") or {}
    spec = _parse(body)
    try:
        resolved = _resolve(ctx, namespace, spec, previous)
        cluster_spec = ctx.lookups.cluster_spec(namespace, spec.cluster_name)
    except Problem as problem:
        # Without a revision or a cluster nothing renders, but running tasks keep running and
        # scaling works (desiredCount still reaches the service's Deployments).
        problem.patch = _scale_existing(ctx, namespace, name, spec.desired_count)
        raise
    rendered = _render(ctx, body, spec, resolved, cluster_spec, now)
    problems = ctx.dependencies.apply_pod_dependencies(body, rendered.pod, cluster_spec=cluster_spec)
    traffic_warnings = ctx.traffic.apply_traffic(body, rendered.traffic)
    ctx.traffic.prune_traffic(body, rendered.traffic.names, previous.get("trafficObjects"))
    pods = ctx.lookups.service_pods(namespace, name)
    ctx.dependencies.release_pods(body, pods)
    reshaped = previous.get("workloads") not in (None, rendered.workload_names)
    return ServiceSnapshot(
        body=body,
        spec=spec,
        family=resolved.family,
        revision=resolved.revision,
        cluster=spec.cluster_name,
        rendered=rendered,
        pods=pods,
        now=now,
        dependency_problems=problems,
        traffic_warnings=traffic_warnings,
        load_balancers=ctx.traffic.load_balancer_health(body, rendered.traffic),
        daemon_desired=_daemon_desired(ctx, namespace, name) if spec.scheduling_strategy == "DAEMON" else None,
        existing_workloads=ctx.lookups.workloads(namespace, name) if reshaped else None,
        api_recheck=ctx.traffic.waiting_for_api(rendered.traffic),
        nodes=ctx.lookups.nodes() if needs_nodes(pods, spec) else None,
        creation_failures=_creation_failures(ctx, namespace, name, spec, rendered, pods),
    )


def _creation_failures(
    ctx: OperatorContext,
    namespace: str,
    name: str,
    spec: ECSServiceSpec,
    rendered: ServiceRender,
    pods: list[dict[str, Any]],
) -> list[str]:
    """Why pods cannot be created (quota, limit range): read only while tasks are missing."""
    desired = spec.desired_count if spec.desired_count is not None else 1
    if spec.is_daemon or not needs_workload_status(pods, desired):
        return []
    return ctx.lookups.replica_failures(namespace, name, rendered.workload_names)


def _parse(body: Mapping[str, Any]) -> ECSServiceSpec:
    try:
        return parse_service(body.get("spec") or {})
    except SpecError as exc:
        raise Problem(Reason.INVALID_SPEC, str(exc)) from exc


def _resolve(ctx: OperatorContext, namespace: str, spec: ECSServiceSpec, previous: Mapping[str, Any]) -> Resolved:
    family, pinned = reference(spec.task_definition)
    td = ctx.lookups.task_definition(namespace, family)
    return resolve_revision(family, pinned, ctx.lookups.revisions(td, pinned) if td else [], namespace, previous)


def _render(
    ctx: OperatorContext,
    body: dict[str, Any],
    spec: ECSServiceSpec,
    resolved: Resolved,
    cluster_spec: ECSClusterSpec,
    now: datetime,
) -> ServiceRender:
    try:
        return render_service(
            body,
            spec,
            resolved.spec,
            family=resolved.family,
            revision=resolved.revision,
            cluster=spec.cluster_name,
            cluster_spec=cluster_spec,
            node_labels=ctx.lookups.node_labels() if _uses_member_of(spec, resolved.spec) else [],
            fargate_provisioner=ctx.settings.fargate_provisioner,
            now=now,
        )
    except (RenderError, SpecError) as exc:
        prefix = "" if isinstance(exc, ScheduleError) else f"taskDefinition {resolved.family}:{resolved.revision}: "
        raise Problem(Reason.INVALID_SPEC, f"{prefix}{exc}") from exc


def _uses_member_of(spec: ECSServiceSpec, td: TaskDefinitionSpec) -> bool:
    constraints = [*(spec.placement_constraints or ()), *(td.placement_constraints or ())]
    return any(c.expression for c in constraints)


def _daemon_desired(ctx: OperatorContext, namespace: str, name: str) -> int:
    ds = ctx.kube.get_or_none("apps/v1", "DaemonSet", namespace, name)
    return int(((ds or {}).get("status") or {}).get("desiredNumberScheduled", 0))


def _scale_existing(ctx: OperatorContext, namespace: str, name: str, desired: int | None) -> list[Patch]:
    """desiredCount over the service's Deployments as they are (one per capacity provider)."""
    if desired is None:
        return []
    deployments = [w for kind, w in ctx.lookups.workloads(namespace, name) if kind == "Deployment"]
    share, extra = divmod(desired, len(deployments)) if deployments else (0, 0)
    return [
        Patch("apps/v1", "Deployment", w, {"spec": {"replicas": share + (1 if i < extra else 0)}})
        for i, w in enumerate(sorted(deployments))
    ]


def _drain(ctx: OperatorContext, body: dict[str, Any]) -> float | None:
    """ECS DeleteService: DRAINING while every workload scales to zero; garbage collection does the rest.

    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html
    """
    if not has_finalizer(body):
        return None  # not ours to hold (deleted before its first reconcile)
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    plan, stopping = plan_service_deletion(
        body,
        ctx.lookups.workloads(namespace, name),
        ctx.kube.list("v1", "Pod", namespace, labels={LABEL_SERVICE: name}),
        utcnow(),
    )
    ctx.executor.execute(body, plan)
    if stopping:
        return DRAIN_RECHECK_SECONDS
    release(ctx, KIND_SERVICE, body)
    return None


async def service_seen(event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    ctx = context_of(memo)
    ctx.caches.services_by_cluster.observe(event.get("type"), body)
    if event.get("type") in ("ADDED", "MODIFIED") and _force_unobserved(body):
        ctx.services.later(namespaced(body["metadata"].get("namespace")), body["metadata"]["name"], 0.0)


def _force_unobserved(body: Mapping[str, Any]) -> bool:
    """UpdateService forceNewDeployment set a token the PRIMARY deployment was not rolled for.

    The annotation does not bump metadata.generation, and kopf leaves annotations under its own
    prefix out of what its update handlers compare, so the "changed" handler never sees it: the
    raw event does.
    """
    if body["metadata"].get("deletionTimestamp"):
        return False
    token = force_token(body)
    deployments = (body.get("status") or {}).get("deployments") or []
    primary: Mapping[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    # Without a PRIMARY deployment (a service held by a Problem) the next reconcile renders the
    # token anyway; waking it on every status write would only spin.
    return bool(token) and bool(primary) and str(primary.get(FORCE_TOKEN) or "") != token


async def service_pod_event(
    event: kopf.RawEvent, body: kopf.Body, namespace: str | None, labels: Mapping[str, str], memo: kopf.Memo, **_: Any
) -> None:
    """A task changed: recount (and stop it if it failed). A short delay folds a burst into one reconcile."""
    namespace = namespaced(namespace)
    ctx = context_of(memo)
    ctx.caches.service_pods.observe(event.get("type"), body)
    ctx.services.later(namespace, labels[LABEL_SERVICE], POD_EVENT_DELAY)


def register(registry: kopf.OperatorRegistry) -> None:
    plural = PLURALS[KIND_SERVICE]
    register_changes(registry, KIND_SERVICE)
    kopf.on.event(GROUP, VERSION, plural, registry=registry)(service_seen)
    kopf.on.event("", "v1", "pods", labels={LABEL_SERVICE: kopf.PRESENT}, registry=registry)(service_pod_event)
