"""plan_cluster: an ECSCluster's status (container instances, counts) from the nodes and tasks seen.

The counts follow DescribeClusters
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Cluster.html); which nodes are
the cluster's container instances is :func:`.cluster_status.cluster_members`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ..models import ECSClusterSpec
from ..models.references import cluster_name as cluster_name_of
from .cluster_status import compute_cluster_status
from .conditions import condition, iso
from .types import Event, Plan, Reason, Severity

__all__ = [
    "RESYNC_SECONDS",
    "cluster_name",
    "cluster_reference",
    "plan_cluster",
    "plan_cluster_deletion",
    "plan_invalid_cluster",
]

RESYNC_SECONDS = 30.0


def plan_cluster(
    body: Mapping[str, Any],
    spec: ECSClusterSpec,
    nodes: Sequence[Mapping[str, Any]],
    pods: Sequence[Mapping[str, Any]],
    active_services: int,
    now: datetime,
) -> Plan:
    """Write the status when a reader would see something new; recount again after a while."""
    previous = body.get("status") or {}
    name = cluster_name(body)
    status = compute_cluster_status(
        name,
        spec,
        nodes,
        pods,
        active_services,
        body["metadata"].get("generation"),
        namespace=body["metadata"]["namespace"],
    )
    status["problem"] = None
    instances = status["registeredContainerInstancesCount"]
    status["conditions"] = [
        condition("Ready", True, "Active", f"{instances} container instances", iso(now), previous.get("conditions", []))
    ]
    changed = any(status.get(k) != previous.get(k) for k in status)
    return Plan(status=status if changed else None, requeue_after=RESYNC_SECONDS)


def plan_invalid_cluster(body: Mapping[str, Any], message: str, now: datetime) -> Plan:
    """An ECSCluster whose spec the models refuse: INACTIVE, with the message, until it is fixed."""
    previous = body.get("status") or {}
    status = {
        "problem": message,
        "status": "INACTIVE",
        "conditions": [condition("Ready", False, "InvalidSpec", message, iso(now), previous.get("conditions", []))],
    }
    events = [] if previous.get("problem") == message else [Event(Reason.INVALID_SPEC, message, Severity.WARNING)]
    return Plan(status=status, events=events)


def cluster_name(body: Mapping[str, Any]) -> str:
    """The ECS cluster name: spec.clusterName, else the object's name."""
    return str((body.get("spec") or {}).get("clusterName") or body["metadata"]["name"])


def cluster_reference(obj: Mapping[str, Any]) -> str:
    """The ECS cluster an ECSService or ECSTask names (a name or an ARN), ``default`` when none."""
    return cluster_name_of(str((obj.get("spec") or {}).get("cluster") or "default"))


def plan_cluster_deletion(
    body: Mapping[str, Any], services: Sequence[str], tasks: Sequence[str], now: datetime
) -> tuple[Plan, bool]:
    """DeleteCluster, as ECS guards it: a cluster that still has services or tasks is not deleted.

    ECS refuses the call with ClusterContainsServicesException / ClusterContainsTasksException
    (API reference, DeleteCluster). A Kubernetes delete cannot be refused after the fact, so the
    cluster stays DEPROVISIONING (its finalizer held) with that message until its last service and
    task are gone, then becomes INACTIVE and goes. Container instances are the cluster's nodes,
    which outlive it, so they never hold it. Returns the plan and whether the cluster may go.
    """
    previous = body.get("status") or {}
    holds = []
    if services:
        holds.append(
            "ClusterContainsServicesException: The cluster cannot be deleted while services are active "
            f"({len(services)}: {', '.join(sorted(services)[:10])})"
        )
    if tasks:
        holds.append(
            "ClusterContainsTasksException: The cluster cannot be deleted while tasks are active "
            f"({len(tasks)}: {', '.join(sorted(tasks)[:10])})"
        )
    if not holds:
        return Plan(status={"status": "INACTIVE", "problem": None}), True
    message = "; ".join(holds)
    stamp = iso(now)
    status = {
        "status": "DEPROVISIONING",
        "problem": message,
        "conditions": [condition("Ready", False, "Deprovisioning", message, stamp, previous.get("conditions", []))],
    }
    events = [] if previous.get("problem") == message else [Event(Reason.CLUSTER_NOT_EMPTY, message, Severity.WARNING)]
    return Plan(status=status, events=events), False
