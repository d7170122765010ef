"""ECSCluster: container instances and counts, recomputed when nodes or the cluster's tasks change.

Pod and node events arrive in bursts; they only schedule a recount a moment later (the work
queue keeps the earliest request), so a rollout of many tasks costs a few cluster reconciles
rather than one per pod event. The clusters to recount are the ones in the watch cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kopf

from ..kube import NotFound
from ..kube.finalizers import has_finalizer
from ..models import SpecError, parse_cluster
from ..plan import plan_cluster, plan_invalid_cluster
from ..plan.cluster import cluster_name, cluster_reference, plan_cluster_deletion
from ..vocabulary import API_VERSION, GROUP, KIND_CLUSTER, KIND_SERVICE, KIND_TASK, LABEL_CLUSTER, PLURALS, VERSION
from .changes import adopt, register_changes, release
from .clock import utcnow
from .context import OperatorContext, context_of, namespaced

__all__ = ["reconcile_cluster", "register"]

RECOUNT_DELAY = 3.0  # pod/node event bursts fold into one recount per cluster
DELETE_RECHECK_SECONDS = 2.0  # a cluster being deleted looks again for its last services and tasks


def reconcile_cluster(ctx: OperatorContext, namespace: str, name: str) -> float | None:
    try:
        body = ctx.lookups.get(KIND_CLUSTER, namespace, name)
    except NotFound:
        return None
    if body["metadata"].get("deletionTimestamp"):
        return _deprovision(ctx, body) if has_finalizer(body) else None
    adopt(ctx, body)
    now = utcnow()
    try:
        spec = parse_cluster(body.get("spec") or {})
    except SpecError as exc:
        return ctx.executor.execute(body, plan_invalid_cluster(body, str(exc), now)).requeue_after
    cluster = cluster_name(body)
    active = sum(
        1 for s in ctx.caches.services_by_cluster.get(namespace, cluster) if not s["metadata"].get("deletionTimestamp")
    )
    # ECS counts what its own tasks reserve on an instance: every task pod the operator watches.
    pods = ctx.caches.service_pods.all() + ctx.caches.task_pods.all()
    plan = plan_cluster(body, spec, ctx.kube.list("v1", "Node"), pods, active, now)
    return ctx.executor.execute(body, plan).requeue_after


def _recount(ctx: OperatorContext, namespace: str | None = None, cluster: str | None = None) -> None:
    for known in ctx.caches.clusters.all():
        meta = known["metadata"]
        if (namespace is None or meta["namespace"] == namespace) and (
            cluster is None or cluster_name(known) == cluster
        ):
            ctx.clusters.later(meta["namespace"], meta["name"], RECOUNT_DELAY)


def _deprovision(ctx: OperatorContext, body: dict[str, Any]) -> float | None:
    """DeleteCluster: held (DEPROVISIONING) while services or tasks still use the cluster.

    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html
    """
    namespace = body["metadata"]["namespace"]
    cluster = cluster_name(body)
    services, tasks = (
        [
            o["metadata"]["name"]
            for o in ctx.kube.list(API_VERSION, kind, namespace)  # fresh: a deletion must not trust a cold cache
            if cluster_reference(o) == cluster and not o["metadata"].get("deletionTimestamp")
        ]
        for kind in (KIND_SERVICE, KIND_TASK)
    )
    plan, empty = plan_cluster_deletion(body, services, tasks, utcnow())
    ctx.executor.execute(body, plan)
    if not empty:
        return DELETE_RECHECK_SECONDS
    release(ctx, KIND_CLUSTER, body)
    return None


async def cluster_seen(event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    context_of(memo).caches.clusters.observe(event.get("type"), body)


async def node_event(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    """Nodes joining, leaving or being cordoned change every cluster's container instances."""
    if event.get("type") in ("ADDED", "DELETED", "MODIFIED"):
        _recount(context_of(memo))


async def cluster_task_event(namespace: str | None, labels: Mapping[str, str], memo: kopf.Memo, **_: Any) -> None:
    namespace = namespaced(namespace)
    _recount(context_of(memo), namespace, labels[LABEL_CLUSTER])


def register(registry: kopf.OperatorRegistry) -> None:
    plural = PLURALS[KIND_CLUSTER]
    register_changes(registry, KIND_CLUSTER)
    kopf.on.event(GROUP, VERSION, plural, registry=registry)(cluster_seen)
    kopf.on.event("", "v1", "nodes", registry=registry)(node_event)
    kopf.on.event("", "v1", "pods", labels={LABEL_CLUSTER: kopf.PRESENT}, registry=registry)(cluster_task_event)
