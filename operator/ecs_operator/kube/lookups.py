"""Domain look-ups, watch cache first and the API when the cache is cold or behind.

A stale or cold cache costs a request, never correctness: every change that could make an
answer stale also triggers the reconcile that asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..models import ECSClusterSpec
from ..plan.cluster import cluster_name
from ..plan.resolve import cluster_spec_of
from ..plan.task_definition import family_of, task_definition_ref
from ..plan.types import Revision
from ..vocabulary import (
    ANNOTATION_REVISION_STATUS,
    API_VERSION,
    KIND_CLUSTER,
    KIND_SERVICE,
    KIND_TASK_DEFINITION,
    LABEL_SERVICE,
    LABEL_TASK_DEFINITION,
)
from .cache import Caches, Store
from .client import Kube
from .errors import NotFound

__all__ = ["Lookups", "Revision"]

Obj = dict[str, Any]


class Lookups:
    def __init__(self, kube: Kube, caches: Caches) -> None:
        self._kube = kube
        self._caches = caches

    def get(self, kind: str, namespace: str, name: str) -> Obj:
        """One of our custom resources, read fresh (a reconcile starts from the object as it is)."""
        return self._kube.get(API_VERSION, kind, namespace, name)

    def task_definition(self, namespace: str, family: str) -> Obj | None:
        """The TaskDefinition whose family is `family`: by name first, else by spec.family."""
        return self._find(KIND_TASK_DEFINITION, self._caches.task_definitions, namespace, family, family_of)

    def list_revisions(self, namespace: str, task_definition: str) -> list[Revision]:
        """Revisions of a TaskDefinition from the API, oldest first."""
        items = self._kube.list(
            "apps/v1", "ControllerRevision", namespace, labels={LABEL_TASK_DEFINITION: task_definition}
        )
        return sorted((_revision(i) for i in items), key=lambda r: r.number)

    def revisions(self, td: Mapping[str, Any], pinned: int | None = None) -> list[Revision]:
        """The TaskDefinition's revisions from the watch cache, or the API when the cache is behind."""
        meta = td["metadata"]
        cached = sorted(
            (_revision(r) for r in self._caches.revisions.get(meta["namespace"], meta["name"])), key=lambda r: r.number
        )
        known = {r.number for r in cached}
        latest = (td.get("status") or {}).get("revision")
        if not cached or (pinned is not None and pinned not in known) or (latest and latest not in known):
            return self.list_revisions(meta["namespace"], meta["name"])
        return cached

    def cluster(self, namespace: str, cluster: str) -> Obj | None:
        """The ECSCluster named `cluster`: by object name first, else by spec.clusterName."""
        return self._find(KIND_CLUSTER, self._caches.clusters, namespace, cluster, cluster_name)

    def _find(
        self, kind: str, store: Store, namespace: str, key: str, key_of: Callable[[Mapping[str, Any]], str]
    ) -> Obj | None:
        """An object of ours by its ECS name: the watch cache, else the object of that name, else a LIST."""
        cached = store.get(namespace, key)
        if cached:
            return cached[0]
        try:
            found = self._kube.get(API_VERSION, kind, namespace, key)
            if key_of(found) == key:
                return found
        except NotFound:
            pass
        return next((o for o in self._kube.list(API_VERSION, kind, namespace) if key_of(o) == key), None)

    def cluster_spec(self, namespace: str, cluster: str) -> ECSClusterSpec:
        """The spec of the ECSCluster a service or task names (ECS's implicit ``default`` is created on
        first use), or the Problem that holds it (missing, invalid)."""
        found = self.cluster(namespace, cluster)
        if found is None and cluster == "default":
            found = self.ensure_default_cluster(namespace)
        return cluster_spec_of(found, cluster, namespace)

    def ensure_default_cluster(self, namespace: str) -> Obj:
        """ECS's implicit `default` cluster, created on first use."""
        return self._kube.apply(
            {
                "apiVersion": API_VERSION,
                "kind": KIND_CLUSTER,
                "metadata": {"name": "default", "namespace": namespace},
                "spec": {},
            }
        )

    def service_pods(self, namespace: str, service: str) -> list[Obj]:
        return self._caches.service_pods.get(namespace, service) or self._kube.list(
            "v1", "Pod", namespace, labels={LABEL_SERVICE: service}
        )

    def services_following(self, namespace: str, family: str) -> list[str]:
        """ECSServices in `namespace` whose taskDefinition is `family` (latest, not pinned)."""
        services = self._kube.list(API_VERSION, KIND_SERVICE, namespace)
        return [s["metadata"]["name"] for s in services if task_definition_ref(s) == family]

    def node_labels(self) -> list[dict[str, str]]:
        """Every node's labels, for memberOf regular expressions."""
        return [dict(n["metadata"].get("labels") or {}) for n in self._kube.list("v1", "Node")]

    def nodes(self) -> list[Obj]:
        """Every node: for naming the closest container instance when a task cannot be placed (not per reconcile)."""
        return self._kube.list("v1", "Node")

    def replica_failures(self, namespace: str, service: str, deployments: list[str]) -> list[str]:
        """Why the Deployments' ReplicaSets could not create pods (a ResourceQuota, a LimitRange): the
        ReplicaFailure condition messages. Asked only while a service has fewer tasks than desired;
        read from the watch cache (a GET only for a Deployment the cache has not seen yet)."""
        cached = {d["metadata"]["name"]: d for d in self._caches.deployments.get(namespace, service)}
        out = []
        for name in deployments:
            found = cached.get(name) or self._kube.get_or_none("apps/v1", "Deployment", namespace, name)
            for cond in ((found or {}).get("status") or {}).get("conditions") or []:
                if cond.get("type") == "ReplicaFailure" and cond.get("status") == "True":
                    out.append(str(cond.get("message") or ""))
        return out

    def workloads(self, namespace: str, service: str) -> list[tuple[str, str]]:
        """(kind, name) of every Deployment and DaemonSet of a service, whatever its shape."""
        out = []
        for kind in ("Deployment", "DaemonSet"):
            for obj in self._kube.list("apps/v1", kind, namespace, labels={LABEL_SERVICE: service}):
                out.append((kind, str(obj["metadata"]["name"])))
        return out


def _revision(item: Mapping[str, Any]) -> Revision:
    """A ControllerRevision as the plan reads it; its ECS state is the annotation the ECS API's
    DeregisterTaskDefinition / DeleteTaskDefinitions write (ACTIVE when absent)."""
    meta = item["metadata"]
    status = str((meta.get("annotations") or {}).get(ANNOTATION_REVISION_STATUS) or "ACTIVE")
    return Revision(int(item["revision"]), (item.get("data") or {}).get("spec") or {}, meta["name"], status)
