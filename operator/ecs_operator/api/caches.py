"""The API server's watch caches: every read is answered from memory, never a LIST per call.

One informer per kind the ECS API shows. Pods and ControllerRevisions are narrowed to the
operator's own by label; API keys are the Secrets carrying the api-key label in the keys
namespace (the only Secrets the API server reads).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..kube import Kube
from ..kube.informer import Index, Informer
from ..plan.cluster import cluster_name, cluster_reference
from ..plan.task_definition import family_of
from ..vocabulary import (
    API_VERSION,
    KIND_CLUSTER,
    KIND_SERVICE,
    KIND_TASK,
    KIND_TASK_DEFINITION,
    LABEL_API_KEY,
    LABEL_COMPONENT,
    LABEL_FAMILY,
    LABEL_MANAGED_BY,
    MANAGED_BY,
)
from .keys import DEFAULT_KEYS_NAMESPACE
from .stopped_pods import StoppedPodsIndex
from .tombstones import Tombstones

__all__ = ["ApiCaches", "REVISION_COMPONENT"]

REVISION_COMPONENT = "task-definition-revision"


def _service_key(obj: Mapping[str, Any]) -> str:
    """``<cluster>/<serviceName>``: how ECS names a service."""
    return f"{cluster_reference(obj)}/{(obj.get('spec') or {}).get('serviceName') or obj['metadata']['name']}"


def _family_label(obj: Mapping[str, Any]) -> str | None:
    value = ((obj.get("metadata") or {}).get("labels") or {}).get(LABEL_FAMILY)
    return str(value) if value else None


@dataclass
class ApiCaches:
    clusters: Index = field(default_factory=lambda: Index({"name": cluster_name}))
    services: Index = field(default_factory=lambda: Index({"cluster": cluster_reference, "service": _service_key}))
    tasks: Index = field(default_factory=Index)  # ECSTask objects
    task_definitions: Index = field(default_factory=lambda: Index({"family": family_of}))
    revisions: Index = field(default_factory=lambda: Index({"family": _family_label}))  # one per revision
    pods: StoppedPodsIndex = field(default_factory=StoppedPodsIndex)  # the operator's pods (and lately deleted ones)
    nodes: Index = field(default_factory=Index)  # container instances
    keys: Index = field(default_factory=Index)  # Secrets holding API keys
    keys_namespace: str = DEFAULT_KEYS_NAMESPACE  # where those Secrets live (set by start)
    deleted_services: Tombstones = field(default_factory=Tombstones)  # INACTIVE after DeleteService
    informers: list[Informer] = field(default_factory=list)

    def start(self, kube: Kube, keys_namespace: str = DEFAULT_KEYS_NAMESPACE) -> ApiCaches:
        self.keys_namespace = keys_namespace
        managed = f"{LABEL_MANAGED_BY}={MANAGED_BY}"
        wanted = [
            (API_VERSION, KIND_CLUSTER, self.clusters, None),
            (API_VERSION, KIND_SERVICE, self.services, None),
            (API_VERSION, KIND_TASK, self.tasks, None),
            (API_VERSION, KIND_TASK_DEFINITION, self.task_definitions, None),
            ("apps/v1", "ControllerRevision", self.revisions, f"{LABEL_COMPONENT}={REVISION_COMPONENT}"),
            ("v1", "Pod", self.pods, managed),
            ("v1", "Node", self.nodes, None),
        ]
        for api_version, kind, index, selector in wanted:
            self.informers.append(Informer(kube, api_version, kind, index, label_selector=selector).start())
        keys = Informer(
            kube, "v1", "Secret", self.keys, label_selector=f"{LABEL_API_KEY}=true", namespace=keys_namespace
        )
        self.informers.append(keys.start())
        return self

    def wait_synced(self, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        return all(i.synced.wait(max(0.0, deadline - time.monotonic())) for i in self.informers)

    def synced(self) -> bool:
        return all(i.synced.is_set() for i in self.informers)

    def stop(self) -> None:
        for informer in self.informers:
            informer.stop()
