"""The right-sized node a Fargate task gets from the local provisioner.

On EKS every Fargate pod runs on a micro-VM of its own, sized to the pod. The local
cluster shows the same thing with kwok: one fake node per task, exactly the task's
size, tainted so nothing else lands there, removed when the task is gone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ..vocabulary import ANNOTATION_FARGATE_POD_UID, LABEL_FARGATE_TASK, LABEL_MANAGED_BY, MANAGED_BY
from .capacity import FARGATE_TAINT_KEY

__all__ = ["FARGATE_TASK_LABEL", "fargate_node_name", "build_fargate_node", "build_binding"]

FARGATE_TASK_LABEL = LABEL_FARGATE_TASK
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def fargate_node_name(pod: Mapping[str, Any]) -> str:
    return f"fargate-{pod['metadata']['uid'][:13]}"


def build_fargate_node(pod: Mapping[str, Any]) -> dict[str, Any]:
    meta = pod["metadata"]
    name = fargate_node_name(pod)
    size = ((pod.get("spec") or {}).get("resources") or {}).get("limits") or {"cpu": "250m", "memory": "512Mi"}
    zone = ZONES[int(hashlib.sha256(meta["uid"].encode()).hexdigest(), 16) % len(ZONES)]
    resources = {"cpu": size["cpu"], "memory": size["memory"], "pods": "1", "ephemeral-storage": "20Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/region": "us-east-1",
                "topology.kubernetes.io/zone": zone,
                FARGATE_TAINT_KEY: "fargate",
                FARGATE_TASK_LABEL: f"{meta['namespace']}.{meta['name']}"[:63].strip(".-"),
                LABEL_MANAGED_BY: MANAGED_BY,
            },
            "annotations": {"kwok.x-k8s.io/node": "fake", ANNOTATION_FARGATE_POD_UID: meta["uid"]},
        },
        "spec": {
            "providerID": f"aws:///{zone}/{name}",
            "taints": [{"key": FARGATE_TAINT_KEY, "value": "fargate", "effect": "NoSchedule"}],
        },
        "status": {"allocatable": dict(resources), "capacity": dict(resources)},
    }


def build_binding(pod: Mapping[str, Any], node: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"]},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
    }
