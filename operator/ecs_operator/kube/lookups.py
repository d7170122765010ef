"""Domain look-ups: find a family's TaskDefinition, its revisions, a service's pods.

Kept here (not in handlers) because they are API reads; handlers only decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..render.meta import API_VERSION, LABEL_SERVICE, LABEL_TASK_DEFINITION
from .client import Kube
from .errors import NotFound

__all__ = [
    "find_task_definition",
    "list_revisions",
    "Revision",
    "service_pods",
    "services_following",
    "find_cluster",
    "node_label_inventory",
]

Obj = dict[str, Any]


def _family_of(td: Obj) -> str:
    return str((td.get("spec") or {}).get("family") or td["metadata"]["name"])


def find_task_definition(kube: Kube, namespace: str, family: str) -> Obj | None:
    """The TaskDefinition whose family is `family`: by name first, else by spec.family."""
    try:
        td = kube.get(API_VERSION, "TaskDefinition", namespace, family)
        if _family_of(td) == family:
            return td
    except NotFound:
        pass
    for td in kube.list(API_VERSION, "TaskDefinition", namespace):
        if _family_of(td) == family:
            return td
    return None


@dataclass(frozen=True)
class Revision:
    number: int
    spec: dict[str, Any]
    name: str


def list_revisions(kube: Kube, namespace: str, task_definition: str) -> list[Revision]:
    """Revisions of a TaskDefinition, oldest first."""
    items = kube.list("apps/v1", "ControllerRevision", namespace, labels={LABEL_TASK_DEFINITION: task_definition})
    revisions = [
        Revision(int(i["revision"]), (i.get("data") or {}).get("spec") or {}, i["metadata"]["name"]) for i in items
    ]
    return sorted(revisions, key=lambda r: r.number)


def service_pods(kube: Kube, namespace: str, service: str) -> list[Obj]:
    return kube.list("v1", "Pod", namespace, labels={LABEL_SERVICE: service})


def services_following(kube: Kube, namespace: str, family: str) -> list[str]:
    """ECSServices in `namespace` whose taskDefinition is `family` (latest, not pinned)."""
    names = []
    for svc in kube.list(API_VERSION, "ECSService", namespace):
        ref = str((svc.get("spec") or {}).get("taskDefinition", ""))
        if ref.startswith("arn:"):
            ref = ref.split(":task-definition/", 1)[-1]
        if ref == family:
            names.append(svc["metadata"]["name"])
    return names


def find_cluster(kube: Kube, namespace: str, cluster: str) -> Obj | None:
    """The ECSCluster named `cluster`: by object name first, else by spec.clusterName."""
    try:
        found = kube.get(API_VERSION, "ECSCluster", namespace, cluster)
        if str((found.get("spec") or {}).get("clusterName") or found["metadata"]["name"]) == cluster:
            return found
    except NotFound:
        pass
    for item in kube.list(API_VERSION, "ECSCluster", namespace):
        if str((item.get("spec") or {}).get("clusterName") or item["metadata"]["name"]) == cluster:
            return item
    return None


def node_label_inventory(kube: Kube) -> list[dict[str, str]]:
    """Every node's labels, for memberOf regular expressions."""
    return [dict(n["metadata"].get("labels") or {}) for n in kube.list("v1", "Node")]
