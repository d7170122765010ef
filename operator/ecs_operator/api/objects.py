"""Finding and writing the custom resources behind ECS names, shared by every action module.

ECS names things by (cluster, name); Kubernetes by (namespace, name). Look-ups go through
the watch caches of the caller's namespace and match ECS names (spec.clusterName,
spec.serviceName, spec.family), so objects applied with kubectl under any object name are found.
Writes are server-side apply with the API's own field manager, and the answer is put in the
cache at once so the next call reads its own write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kube.informer import Index
from ..render.names import dns_label, short_hash
from ..vocabulary import API_FIELD_MANAGER, API_VERSION, KIND_CLUSTER, LABEL_REVISION
from .arns import short_name
from .context import Call
from .errors import ClusterNotFoundException, InvalidParameterException

__all__ = [
    "Obj",
    "apply",
    "cluster_param",
    "find_cluster",
    "require_cluster",
    "service_name",
    "find_service",
    "services_in",
    "find_task_definition",
    "revisions_of",
    "revision_number",
    "object_name",
    "is_deleting",
]

Obj = dict[str, Any]


def apply(call: Call, obj: Obj, index: Index) -> Obj:
    """Server-side apply as the caller (field manager ``ecs-api``), remembered in ``index``."""
    returned = call.kube.apply(obj, field_manager=API_FIELD_MANAGER)
    index.remember(returned)
    return returned


def is_deleting(obj: Mapping[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def cluster_param(call: Call, member: str = "cluster") -> str:
    """The cluster a call names (name or ARN); ECS's implicit ``default`` when absent."""
    value = call.params.string(member)
    if value is None:
        return "default"
    name = short_name(value)
    if not name:
        raise InvalidParameterException(f"{member} can not be blank.")
    return name


def find_cluster(call: Call, name: str) -> Obj | None:
    found = call.caches.clusters.by("name", call.namespace, name)
    found.sort(key=lambda c: c["metadata"]["name"] != name)  # the object named so first
    return found[0] if found else None


def require_cluster(call: Call, name: str) -> Obj:
    """The ECSCluster, or ClusterNotFoundException. ECS's ``default`` is created on first use by the
    operator, so a missing ``default`` is created here too rather than refused."""
    found = find_cluster(call, name)
    if found is not None and not is_deleting(found):
        return found
    if found is None and name == "default":
        body = {
            "apiVersion": API_VERSION,
            "kind": KIND_CLUSTER,
            "metadata": {"name": "default", "namespace": call.namespace},
            "spec": {"clusterName": "default"},
        }
        return apply(call, body, call.caches.clusters)
    raise ClusterNotFoundException()


def service_name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("spec") or {}).get("serviceName") or obj["metadata"]["name"])


def services_in(call: Call, cluster: str) -> list[Obj]:
    return call.caches.services.by("cluster", call.namespace, cluster)


def find_service(call: Call, cluster: str, reference: str) -> Obj | None:
    """A service of ``cluster`` by name or ARN (an ARN's own cluster wins over ``cluster``)."""
    if reference.startswith("arn:"):
        parts = call.arns.parts(reference)
        if len(parts) == 2:
            cluster = parts[0]
        reference = parts[-1] if parts else reference
    found = call.caches.services.by("service", call.namespace, f"{cluster}/{reference}")
    return min(found, key=lambda s: s["metadata"]["name"]) if found else None


def find_task_definition(call: Call, family: str) -> Obj | None:
    found = call.caches.task_definitions.by("family", call.namespace, family)
    found.sort(key=lambda t: t["metadata"]["name"] != family)
    return found[0] if found else None


def revision_number(revision: Mapping[str, Any]) -> int:
    raw = ((revision.get("metadata") or {}).get("labels") or {}).get(LABEL_REVISION, "0")
    return int(raw) if str(raw).isdigit() else 0


def revisions_of(call: Call, family: str) -> list[Obj]:
    """The family's ControllerRevisions in the caller's namespace, oldest first."""
    found = call.caches.revisions.by("family", call.namespace, family)
    return sorted(found, key=revision_number)


def object_name(ecs_name: str, index: Index, namespace: str, same: Any = None) -> str:
    """A Kubernetes name for a new object named ``ecs_name`` in ECS: the name made a DNS label,
    with a short hash when that name is taken by another object (``same(obj)`` says it is ours)."""
    name = dns_label(ecs_name)
    existing = index.get(namespace, name)
    if existing is None or (same is not None and same(existing)):
        return name
    return dns_label(f"{ecs_name}-{short_hash(ecs_name + namespace)}")
