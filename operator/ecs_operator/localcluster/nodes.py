"""The fake node pools of the local cluster: the EKS node types ECS users meet.

Managed node groups (on-demand and spot) carry the labels EKS puts on their nodes;
self-managed nodes carry only what the kubelet and the cloud provider set. Sizes are
the allocatable figures of the real instance types, so scheduling behaves as on EKS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..vocabulary import LABEL_NODE_TYPE

REGION = "us-east-1"
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"


@dataclass(frozen=True)
class InstanceType:
    name: str
    cpu: str  # allocatable
    memory: str  # allocatable
    pods: int  # max pods with the VPC CNI
    cpu_capacity: str
    memory_capacity: str
    arch: str = "amd64"
    gpus: int = 0  # nvidia.com/gpu, as the NVIDIA device plugin advertises them


M5_XLARGE = InstanceType("m5.xlarge", "3920m", "15136Mi", 58, "4", "15896Mi")
M5_LARGE = InstanceType("m5.large", "1930m", "7111Mi", 29, "2", "7871Mi")
C5_LARGE = InstanceType("c5.large", "1930m", "3157Mi", 29, "2", "3917Mi")
T3_LARGE = InstanceType("t3.large", "1930m", "7111Mi", 35, "2", "7871Mi")
G5_XLARGE = InstanceType("g5.xlarge", "3920m", "14640Mi", 58, "4", "15400Mi", gpus=1)


@dataclass(frozen=True)
class FakeNode:
    name: str
    instance: InstanceType
    zone: str
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[dict[str, str], ...] = ()
    instance_id: str = ""

    def manifest(self) -> dict[str, Any]:
        """The Node object kwok adopts (the annotation) and keeps Ready."""
        labels = {
            "kubernetes.io/hostname": self.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": self.instance.arch,
            "node.kubernetes.io/instance-type": self.instance.name,
            "topology.kubernetes.io/region": REGION,
            "topology.kubernetes.io/zone": self.zone,
            "type": "kwok",
            **self.labels,
        }
        resources_alloc = {
            "cpu": self.instance.cpu,
            "memory": self.instance.memory,
            "pods": str(self.instance.pods),
            "ephemeral-storage": "18Gi",
        }
        resources_cap = {
            "cpu": self.instance.cpu_capacity,
            "memory": self.instance.memory_capacity,
            "pods": str(self.instance.pods),
            "ephemeral-storage": "20Gi",
        }
        if self.instance.gpus:
            resources_alloc["nvidia.com/gpu"] = resources_cap["nvidia.com/gpu"] = str(self.instance.gpus)
        spec: dict[str, Any] = {"providerID": f"aws:///{self.zone}/{self.instance_id}"}
        if self.taints:
            spec["taints"] = [dict(t) for t in self.taints]
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name,
                "labels": labels,
                "annotations": {FAKE_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            },
            "spec": spec,
            "status": {
                "allocatable": resources_alloc,
                "capacity": resources_cap,
                "nodeInfo": {"architecture": self.instance.arch, "operatingSystem": "linux"},
            },
        }


def _managed(nodegroup: str, capacity_type: str) -> dict[str, str]:
    return {
        "eks.amazonaws.com/nodegroup": nodegroup,
        "eks.amazonaws.com/capacityType": capacity_type,
        "eks.amazonaws.com/nodegroup-image": "ami-0a1b2c3d4e5f67890",
        "k8s.io/cloud-provider-aws": "ecs-operator-local",
    }


def default_node_pools() -> list[FakeNode]:
    """3 managed on-demand nodes in 3 zones, 2 managed spot nodes, 2 self-managed nodes,
    and 1 GPU node (a managed node group with the taint accelerated node groups carry)."""
    nodes = []
    for i, zone in enumerate(("a", "b", "c")):
        nodes.append(
            FakeNode(
                f"ng-ondemand-{zone}",
                M5_XLARGE,
                f"{REGION}{zone}",
                _managed("ng-ondemand", "ON_DEMAND"),
                instance_id=f"i-0d0000000000000{i}",
            )
        )
    for i, (zone, itype) in enumerate((("a", M5_LARGE), ("b", C5_LARGE))):
        nodes.append(
            FakeNode(
                f"ng-spot-{zone}",
                itype,
                f"{REGION}{zone}",
                _managed("ng-spot", "SPOT"),
                instance_id=f"i-05000000000000{i}",
            )
        )
    for i, zone in enumerate(("a", "c")):
        nodes.append(
            FakeNode(
                f"self-managed-{zone}",
                T3_LARGE,
                f"{REGION}{zone}",
                {"node.kubernetes.io/lifecycle": "normal", LABEL_NODE_TYPE: "self-managed"},
                instance_id=f"i-0e00000000000{i:02d}",
            )
        )
    nodes.append(
        FakeNode(
            "ng-gpu-a",
            G5_XLARGE,
            f"{REGION}a",
            _managed("ng-gpu", "ON_DEMAND"),
            taints=({"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},),
            instance_id="i-0a000000000000g00",
        )
    )
    return nodes
