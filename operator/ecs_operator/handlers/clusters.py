"""ECSCluster: container instances and counts, recomputed when nodes or the cluster's tasks change.

Pod and node events arrive in bursts; they only schedule a recount a moment later
(:meth:`Reconciler.later` keeps the earliest), so a rollout of many tasks costs a few
cluster reconciles rather than one per pod event.
"""

from __future__ import annotations

import threading
from typing import Any

import kopf

from ..kube import NotFound
from ..kube.events import post_event
from ..kube.lookups import find_cluster
from ..models import SpecError, parse_cluster
from ..render.cluster_status import compute_cluster_status
from ..render.meta import API_VERSION, GROUP, LABEL_CLUSTER
from ..render.service_status import condition
from . import cache
from .errors import DependencyMissing, kopf_errors
from .reporting import iso, write_status
from .runtime import Reconciler, kube

__all__ = ["clusters", "reconcile_cluster", "cluster_spec_for"]

RECOUNT_DELAY = 3.0  # pod/node event bursts fold into one recount per cluster
RESYNC_SECONDS = 30.0

_known: set[tuple[str, str]] = set()
_known_lock = threading.Lock()


def cluster_spec_for(namespace: str, cluster: str) -> Any:
    """The ECSCluster spec a service or task names; ECS's implicit `default` is created on first use.

    Raises DependencyMissing (with a message naming the field) when the cluster is missing or invalid.
    """
    client = kube()
    cached = cache.clusters.get(namespace, cluster)
    found = cached[0] if cached else find_cluster(client, namespace, cluster)
    if found is None and cluster == "default":
        found = client.apply(
            {
                "apiVersion": API_VERSION,
                "kind": "ECSCluster",
                "metadata": {"name": "default", "namespace": namespace},
                "spec": {},
            }
        )
    if found is None:
        raise DependencyMissing(f"cluster: ECSCluster {cluster} not found in namespace {namespace}", delay=10)
    try:
        return parse_cluster(found.get("spec") or {})
    except SpecError as exc:
        raise DependencyMissing(f"cluster: ECSCluster {cluster} is invalid: {exc}", delay=10) from exc


def _active_services(namespace: str, cluster: str) -> int:
    return sum(
        1 for svc in cache.services_by_cluster.get(namespace, cluster) if not svc["metadata"].get("deletionTimestamp")
    )


def reconcile_cluster(namespace: str, name: str) -> float | None:
    client = kube()
    try:
        body = client.get(API_VERSION, "ECSCluster", namespace, name)
    except NotFound:
        with _known_lock:
            _known.discard((namespace, name))
        return None
    with _known_lock:
        _known.add((namespace, name))
    previous = body.get("status") or {}
    cluster = str((body.get("spec") or {}).get("clusterName") or name)
    try:
        spec = parse_cluster(body.get("spec") or {})
    except SpecError as exc:
        message = str(exc)
        if previous.get("problem") != message:
            post_event(client, body, reason="InvalidSpec", message=message, warning=True)
        write_status(
            body,
            {
                "problem": message,
                "status": "INACTIVE",
                "conditions": [
                    condition("Ready", False, "InvalidSpec", message, iso(), previous.get("conditions", []))
                ],
            },
        )
        raise
    nodes = client.list("v1", "Node")
    # ECS counts what its own tasks reserve on an instance: every task pod the operator watches.
    pods = cache.service_pods.all() + cache.task_pods.all()
    status = compute_cluster_status(
        cluster,
        spec,
        nodes,
        pods,
        _active_services(namespace, cluster),
        body["metadata"].get("generation"),
        namespace=namespace,
    )
    status["problem"] = None
    status["conditions"] = [
        condition(
            "Ready",
            True,
            "Active",
            f"{status['registeredContainerInstancesCount']} container instances",
            iso(),
            previous.get("conditions", []),
        )
    ]
    if any(status.get(k) != previous.get(k) for k in status):
        write_status(body, status)
    return RESYNC_SECONDS


clusters = Reconciler("ECSCluster", reconcile_cluster)


def recount_all() -> None:
    with _known_lock:
        known = list(_known)
    for namespace, name in known:
        clusters.later(namespace, name, RECOUNT_DELAY)


@kopf.on.resume(GROUP, "v1alpha1", "ecsclusters", backoff=5)
@kopf.on.create(GROUP, "v1alpha1", "ecsclusters", backoff=5)
@kopf.on.update(GROUP, "v1alpha1", "ecsclusters", field="spec", backoff=5)
@kopf_errors
def cluster_changed(namespace: str, name: str, **_: Any) -> None:
    clusters.run(namespace, name, raise_errors=True)


@kopf.on.event(GROUP, "v1alpha1", "ecsclusters")
async def cluster_seen(event: dict[str, Any], body: kopf.Body, **_: Any) -> None:
    cache.clusters.observe(event.get("type"), body)


@kopf.on.event("", "v1", "nodes")
async def node_event(event: dict[str, Any], **_: Any) -> None:
    """Nodes joining, leaving or being cordoned change every cluster's container instances."""
    if event.get("type") in ("ADDED", "DELETED", "MODIFIED"):
        recount_all()


@kopf.on.event("", "v1", "pods", labels={LABEL_CLUSTER: kopf.PRESENT})
async def cluster_task_event(namespace: str, labels: dict[str, str], **_: Any) -> None:
    cluster = labels[LABEL_CLUSTER]
    with _known_lock:
        known = [(ns, n) for ns, n in _known if ns == namespace]
    for ns, name in known:
        if name == cluster:
            clusters.later(ns, name, RECOUNT_DELAY)
