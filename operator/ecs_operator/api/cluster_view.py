"""ECS's Cluster, ContainerInstance and CapacityProvider shapes, from the objects behind them.

Pure presenters: the ECSCluster (spec as CreateCluster took it, status as the operator counts it
in plan/cluster_status.py), a node and its container-instance entry, a capacity provider profile.
Member names and types follow botocore's ECS model; what ECS reports by default and what only
on ``include`` follows DescribeClusters
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeClusters.html) and
DescribeContainerInstances
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeContainerInstances.html).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..models import CapacityProviderProfile
from ..plan.cluster import cluster_name
from ..render.query import ATTRIBUTE_LABELS
from .arns import Arns, uid_id

__all__ = [
    "CLUSTER_FIELDS",
    "DEFAULT_SETTINGS",
    "cluster_status",
    "present_cluster",
    "present_instance",
    "instance_attributes",
    "present_capacity_provider",
    "statistics",
    "epoch",
]

CLUSTER_FIELDS = ("ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS")
DEFAULT_SETTINGS = [{"name": "containerInsights", "value": "disabled"}]
"""What ECS reports for a cluster created without settings (Container Insights off)."""

_ARCH = {"amd64": "x86_64", "arm64": "arm64", "386": "i386"}
_LABEL_ATTRIBUTES = {label: attribute for attribute, label in ATTRIBUTE_LABELS.items()}


def epoch(stamp: str | None) -> float | None:
    """An RFC 3339 time (``2026-12-02T05:25:22Z``) as epoch seconds, as the JSON protocol sends times."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def cluster_status(obj: Mapping[str, Any]) -> str:
    """ACTIVE, DEPROVISIONING while a delete waits for services and tasks, INACTIVE once they are gone."""
    written = str((obj.get("status") or {}).get("status") or "ACTIVE")
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return written if written in ("DEPROVISIONING", "INACTIVE") else "DEPROVISIONING"
    return written


def statistics(tasks: Iterable[tuple[bool, str]], services: Iterable[tuple[bool, bool]]) -> list[dict[str, str]]:
    """ECS's per-launch-type counts, values as strings (DescribeClusters ``include STATISTICS``).

    ``tasks`` are (on Fargate, lastStatus); ``services`` are (on Fargate, being deleted).
    """
    counts = {
        "runningEC2TasksCount": 0,
        "runningFargateTasksCount": 0,
        "pendingEC2TasksCount": 0,
        "pendingFargateTasksCount": 0,
        "activeEC2ServiceCount": 0,
        "activeFargateServiceCount": 0,
        "drainingEC2ServiceCount": 0,
        "drainingFargateServiceCount": 0,
    }
    for fargate, state in tasks:
        kind = "Fargate" if fargate else "EC2"
        if state == "RUNNING":
            counts[f"running{kind}TasksCount"] += 1
        elif state in ("PROVISIONING", "PENDING", "ACTIVATING"):
            counts[f"pending{kind}TasksCount"] += 1
    for fargate, draining in services:
        kind = "Fargate" if fargate else "EC2"
        counts[f"{'draining' if draining else 'active'}{kind}ServiceCount"] += 1
    return [{"name": k, "value": str(v)} for k, v in counts.items()]


def present_cluster(
    obj: Mapping[str, Any],
    arns: Arns,
    include: Iterable[str] = CLUSTER_FIELDS,
    stats: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The Cluster shape. Without ``include`` ECS still sends empty ``statistics`` and ``tags``."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    wanted = set(include)
    name = cluster_name(obj)
    cluster: dict[str, Any] = {
        "clusterArn": arns.cluster(name),
        "clusterName": name,
        "status": cluster_status(obj),
        "registeredContainerInstancesCount": int(status.get("registeredContainerInstancesCount") or 0),
        "runningTasksCount": int(status.get("runningTasksCount") or 0),
        "pendingTasksCount": int(status.get("pendingTasksCount") or 0),
        "activeServicesCount": int(status.get("activeServicesCount") or 0),
        "statistics": [dict(s) for s in stats] if "STATISTICS" in wanted else [],
        "tags": _tags(spec.get("tags")) if "TAGS" in wanted else [],
        "capacityProviders": [str(p) for p in spec.get("capacityProviders") or []],
        "defaultCapacityProviderStrategy": [
            _strategy_item(i) for i in spec.get("defaultCapacityProviderStrategy") or []
        ],
    }
    if "SETTINGS" in wanted:
        cluster["settings"] = [dict(s) for s in spec.get("settings") or DEFAULT_SETTINGS]
    if "CONFIGURATIONS" in wanted and spec.get("configuration"):
        cluster["configuration"] = dict(spec["configuration"])
    if "ATTACHMENTS" in wanted:
        cluster["attachments"] = []  # node-type profiles need no Auto Scaling attachments
        if cluster["capacityProviders"]:
            cluster["attachmentsStatus"] = "UPDATE_COMPLETE"
    connect = spec.get("serviceConnectDefaults")
    if isinstance(connect, Mapping) and connect.get("namespace"):
        cluster["serviceConnectDefaults"] = {"namespace": str(connect["namespace"])}
    return cluster


def _tags(raw: object) -> list[dict[str, str]]:
    tags = []
    for tag in raw if isinstance(raw, list) else []:
        if isinstance(tag, Mapping) and tag.get("key"):
            tags.append({"key": str(tag["key"]), "value": str(tag.get("value") or "")})
    return tags


def _strategy_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "capacityProvider": str(item.get("capacityProvider")),
        "weight": int(item.get("weight") or 0),
        "base": int(item.get("base") or 0),
    }


def instance_attributes(node: Mapping[str, Any]) -> list[dict[str, str]]:
    """ECS attributes of a node: the ``ecs.*`` ones its well-known labels stand for, then every
    label as a custom attribute (what ``memberOf`` expressions and ``PutAttributes`` name)."""
    labels: Mapping[str, str] = (node.get("metadata") or {}).get("labels") or {}
    found: dict[str, str] = {}
    for label, value in sorted(labels.items()):
        attribute = _LABEL_ATTRIBUTES.get(label)
        if attribute:
            found[attribute] = _ARCH.get(value, value) if attribute == "ecs.cpu-architecture" else value
    provider_id = str((node.get("spec") or {}).get("providerID") or "")
    if provider_id and "ecs.instance-id" not in found:
        found["ecs.instance-id"] = provider_id.rsplit("/", 1)[-1]
    attributes = [{"name": k, "value": v} for k, v in sorted(found.items())]
    attributes += [{"name": k, "value": str(v)} for k, v in sorted(labels.items()) if k not in _LABEL_ATTRIBUTES]
    return attributes


def _resources(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "type": "INTEGER",
            "integerValue": int(values.get(name) or 0),
            "doubleValue": 0.0,
            "longValue": 0,
        }
        for name in ("CPU", "MEMORY")
    ]


def present_instance(
    entry: Mapping[str, Any], node: Mapping[str, Any] | None, cluster: str, arns: Arns, include: Iterable[str] = ()
) -> dict[str, Any]:
    """The ContainerInstance shape from the cluster status' entry for a node, and the node itself."""
    meta = (node or {}).get("metadata") or {}
    node_status = (node or {}).get("status") or {}
    info = node_status.get("nodeInfo") or {}
    name = str(entry.get("containerInstanceArn") or meta.get("name") or "")
    instance_id = uid_id(str(meta.get("uid") or name))
    instance: dict[str, Any] = {
        "containerInstanceArn": arns.container_instance(cluster, instance_id),
        "ec2InstanceId": str(entry.get("ec2InstanceId") or name),
        "version": _version(meta),
        "versionInfo": {
            "agentVersion": str(info.get("kubeletVersion") or ""),
            "agentHash": "",
            "dockerVersion": str(info.get("containerRuntimeVersion") or ""),
        },
        "remainingResources": _resources(entry.get("remainingResources") or {}),
        "registeredResources": _resources(entry.get("registeredResources") or {}),
        "status": str(entry.get("status") or "ACTIVE"),
        "agentConnected": bool(entry.get("agentConnected")),
        "runningTasksCount": int(entry.get("runningTasksCount") or 0),
        "pendingTasksCount": int(entry.get("pendingTasksCount") or 0),
        "attributes": instance_attributes(node) if node else [],
        "attachments": [],
    }
    if entry.get("capacityProviderName"):
        instance["capacityProviderName"] = str(entry["capacityProviderName"])
    registered = epoch(meta.get("creationTimestamp"))
    if registered is not None:
        instance["registeredAt"] = registered
    wanted = set(include)
    if "TAGS" in wanted:
        instance["tags"] = []
    if "CONTAINER_INSTANCE_HEALTH" in wanted:
        instance["healthStatus"] = _health(node_status)
    return instance


def _version(meta: Mapping[str, Any]) -> int:
    raw = str(meta.get("resourceVersion") or "0")
    return int(raw) if raw.isdigit() else 0


def _health(node_status: Mapping[str, Any]) -> dict[str, Any]:
    """The Ready condition as ECS's CONTAINER_RUNTIME health check."""
    ready = next((c for c in node_status.get("conditions") or [] if c.get("type") == "Ready"), None)
    if ready is None:
        return {"overallStatus": "INSUFFICIENT_DATA", "details": []}
    state = "OK" if ready.get("status") == "True" else "IMPAIRED"
    detail: dict[str, Any] = {"type": "CONTAINER_RUNTIME", "status": state}
    for member, key in (("lastUpdated", "lastHeartbeatTime"), ("lastStatusChange", "lastTransitionTime")):
        when = epoch(ready.get(key))
        if when is not None:
            detail[member] = when
    return {"overallStatus": state, "details": [detail]}


def present_capacity_provider(
    profile: CapacityProviderProfile, arns: Arns, cluster: str | None = None
) -> dict[str, Any]:
    """The CapacityProvider shape. FARGATE and FARGATE_SPOT are ECS's own; a node-type profile is
    reported as an EC2 Auto Scaling provider whose group is its node group (or node selector)."""
    provider: dict[str, Any] = {
        "capacityProviderArn": arns.capacity_provider(profile.name),
        "name": profile.name,
        "status": "ACTIVE",
        "tags": [],
    }
    if profile.type in ("FARGATE", "FARGATE_SPOT"):
        provider["type"] = profile.type
        return provider
    provider["type"] = "EC2_AUTOSCALING"
    if cluster:
        provider["cluster"] = cluster
    group = profile.nodegroup_name or ",".join(f"{k}={v}" for k, v in sorted((profile.node_selector or {}).items()))
    provider["autoScalingGroupProvider"] = {
        "autoScalingGroupArn": group or profile.name,
        "managedScaling": {"status": "DISABLED"},
        "managedTerminationProtection": "DISABLED",
        "managedDraining": "DISABLED",
    }
    provider["updateStatus"] = "UPDATE_COMPLETE"
    return provider
