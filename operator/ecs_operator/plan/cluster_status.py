"""ECSCluster status: container instances (nodes) and task/service counts, as ECS reports them.

A node is a container instance of a cluster when one of the cluster's capacity provider
profiles selects it, or when it carries `ecs.operator.dev/cluster=<name>` (the analogue
of ECS_CLUSTER in /etc/ecs/ecs.config). A cluster with neither — like ECS's `default`
with EC2 instances — counts every node not registered to another cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..models import CapacityProviderProfile, ECSClusterSpec
from ..render.capacity import CAPACITY_TYPE_LABEL, FARGATE_TAINT_KEY, NODEGROUP_LABEL
from ..vocabulary import LABEL_CLUSTER
from .lifecycle import is_terminal, last_status

__all__ = ["parse_quantity", "cluster_members", "compute_cluster_status"]

_SUFFIX: dict[str, Decimal | int] = {
    "": 1,
    "m": Decimal("0.001"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}
_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")


def parse_quantity(value: str | int | float | None) -> Decimal:
    """A Kubernetes quantity ("1930m", "7111Mi", "4") as a plain number."""
    if value is None:
        return Decimal(0)
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError(f"not a quantity: {value!r}")
    return Decimal(match.group(1)) * Decimal(_SUFFIX[match.group(2)])


def _profile_selects(profile: CapacityProviderProfile, labels: Mapping[str, str], cluster: str) -> bool:
    wanted: dict[str, str] = dict(profile.node_selector or {})
    if profile.type == "MANAGED_NODEGROUP":
        if profile.nodegroup_name:
            wanted[NODEGROUP_LABEL] = profile.nodegroup_name
        if profile.capacity_type:
            wanted[CAPACITY_TYPE_LABEL] = profile.capacity_type
        if not wanted:
            wanted = {}
            if NODEGROUP_LABEL not in labels:
                return False
    elif profile.type == "SELF_MANAGED":
        if not wanted:
            wanted[LABEL_CLUSTER] = cluster
    else:
        return False  # Fargate: no container instances (filtered out before this)
    return all(labels.get(k) == v for k, v in wanted.items())


def cluster_members(
    cluster: str, cluster_spec: ECSClusterSpec | None, nodes: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], str | None]]:
    """(node, capacity provider name or None) for each container instance of the cluster."""
    profiles = list(cluster_spec.capacity_provider_profiles or ()) if cluster_spec else []
    associated = set(cluster_spec.capacity_providers or ()) if cluster_spec else set()
    profiles = [p for p in profiles if not associated or p.name in associated]
    members = []
    for node in nodes:
        labels = node["metadata"].get("labels") or {}
        if labels.get(FARGATE_TAINT_KEY) == "fargate":
            continue  # as on ECS, Fargate capacity has no container instances
        registered = labels.get(LABEL_CLUSTER)
        provider = next((p.name for p in profiles if _profile_selects(p, labels, cluster)), None)
        if registered == cluster or provider is not None:
            members.append((node, provider))
        elif not profiles and registered is None:
            members.append((node, None))
    return members


def _requests(pod: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    spec = pod.get("spec", {})
    pod_level = (spec.get("resources") or {}).get("requests") or {}
    if pod_level:
        return parse_quantity(pod_level.get("cpu")), parse_quantity(pod_level.get("memory"))
    cpu = mem = Decimal(0)
    for container in spec.get("containers", []):
        requests = (container.get("resources") or {}).get("requests") or {}
        cpu += parse_quantity(requests.get("cpu"))
        mem += parse_quantity(requests.get("memory"))
    return cpu, mem


def _in_cluster(pod: Mapping[str, Any], cluster: str, namespace: str | None) -> bool:
    meta = pod.get("metadata", {})
    return (meta.get("labels") or {}).get(LABEL_CLUSTER) == cluster and namespace in (None, meta.get("namespace"))


def _instance(
    node: Mapping[str, Any],
    provider: str | None,
    pods: Sequence[Mapping[str, Any]],
    cluster: str,
    namespace: str | None,
) -> dict[str, Any]:
    """Remaining resources count every pod on the node; task counts only this cluster's tasks."""
    meta, spec, status = node["metadata"], node.get("spec", {}), node.get("status", {})
    labels = meta.get("labels") or {}
    allocatable = status.get("allocatable") or {}
    cpu_units = int(parse_quantity(allocatable.get("cpu")) * 1024)
    memory_mib = int(parse_quantity(allocatable.get("memory")) / 2**20)
    used_cpu = used_mem = Decimal(0)
    running = pending = 0
    for pod in pods:
        if is_terminal(pod):
            continue
        cpu, mem = _requests(pod)
        used_cpu += cpu
        used_mem += mem
        if not _in_cluster(pod, cluster, namespace):
            continue
        state = last_status(pod)
        running += state == "RUNNING"
        pending += state in ("PENDING", "ACTIVATING")
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", []))
    return {
        "containerInstanceArn": meta["name"],
        "ec2InstanceId": (spec.get("providerID") or "").rsplit("/", 1)[-1] or None,
        "status": "DRAINING" if spec.get("unschedulable") else "ACTIVE",
        "agentConnected": ready,
        "capacityProviderName": provider,
        "attributes": {
            k: labels[k]
            for k in ("node.kubernetes.io/instance-type", "topology.kubernetes.io/zone", "kubernetes.io/arch")
            if k in labels
        },
        "registeredResources": {"CPU": cpu_units, "MEMORY": memory_mib},
        "remainingResources": {"CPU": cpu_units - int(used_cpu * 1024), "MEMORY": memory_mib - int(used_mem / 2**20)},
        "runningTasksCount": running,
        "pendingTasksCount": pending,
    }


def compute_cluster_status(
    cluster: str,
    cluster_spec: ECSClusterSpec | None,
    nodes: Sequence[Mapping[str, Any]],
    pods: Sequence[Mapping[str, Any]],
    active_services: int,
    generation: int | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    """`pods` are the ECS task pods the operator knows (any cluster); the cluster's own tasks are
    those labelled with its name in `namespace` (cluster names are per namespace)."""
    members = cluster_members(cluster, cluster_spec, nodes)
    by_node: dict[str, list[Mapping[str, Any]]] = {}
    for pod in pods:
        by_node.setdefault(pod.get("spec", {}).get("nodeName") or "", []).append(pod)
    instances = [
        _instance(node, provider, by_node.get(node["metadata"]["name"], []), cluster, namespace)
        for node, provider in members
    ]
    instances.sort(key=lambda i: i["containerInstanceArn"])
    tasks = [p for p in pods if _in_cluster(p, cluster, namespace) and not is_terminal(p)]
    states = [last_status(p) for p in tasks]
    providers: dict[str, dict[str, int]] = {}
    for instance in instances:
        name = instance["capacityProviderName"]
        if name:
            entry = providers.setdefault(name, {"registeredContainerInstancesCount": 0, "runningTasksCount": 0})
            entry["registeredContainerInstancesCount"] += 1
            entry["runningTasksCount"] += instance["runningTasksCount"]
    status: dict[str, Any] = {
        "clusterName": cluster,
        "status": "ACTIVE",
        "registeredContainerInstancesCount": len(instances),
        "runningTasksCount": states.count("RUNNING"),
        "pendingTasksCount": sum(states.count(s) for s in ("PROVISIONING", "PENDING", "ACTIVATING")),
        "activeServicesCount": active_services,
        "capacityProviders": sorted(set(cluster_spec.capacity_providers or ())) if cluster_spec else [],
        "capacityProviderCounts": [{"capacityProvider": k, **v} for k, v in sorted(providers.items())],
        "containerInstances": instances,
    }
    if generation is not None:
        status["observedGeneration"] = generation
    return status
