"""The local control plane is a real Kubernetes: scheduler, garbage collector, kwok stages."""

from __future__ import annotations

import os

import pytest
from kube_helpers import get_json, wait_for, wait_for_pod_phase

from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_operator.localcluster.nodes import default_node_pools

POOL_NODES = {node.name for node in default_node_pools()}


def _pod(name: str, annotations: dict[str, str], containers: list[str], restart: str = "Never") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "restartPolicy": restart,
            "containers": [{"name": c, "image": "busybox"} for c in containers],
        },
    }


def _running_ready(pod: dict) -> bool:
    conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
    return pod["status"].get("phase") == "Running" and conditions.get("Ready") == "True"


def _require_local(cluster: ClusterHandle) -> None:
    if "ng-ondemand-a" in cluster.kubectl("get", "nodes", "-o", "name").stdout:
        return
    if os.environ.get("ECS_OPERATOR_E2E_KUBECONFIG"):  # kind, EKS: another cluster's nodes
        pytest.skip("needs the local cluster's node pools")
    pytest.fail(
        "the local control plane has no node ng-ondemand-a: LocalCluster.up() no longer creates the "
        "default node pools (localcluster/nodes.py default_node_pools)"
    )


def test_node_pools_carry_eks_labels(cluster: ClusterHandle) -> None:
    _require_local(cluster)
    out = cluster.kubectl("get", "nodes", "-L", "eks.amazonaws.com/capacityType,topology.kubernetes.io/zone").stdout
    rows = [line.split() for line in out.splitlines()[1:]]
    by_name = {row[0]: row for row in rows}
    assert set(by_name) >= POOL_NODES
    groups = {
        n: get_json(cluster, "node", n)["metadata"]["labels"].get("eks.amazonaws.com/nodegroup") for n in POOL_NODES
    }
    on_demand = [n for n in POOL_NODES if groups[n] == "ng-ondemand"]
    spot = [n for n in POOL_NODES if groups[n] == "ng-spot"]
    self_managed = [n for n in POOL_NODES if groups[n] is None]
    assert (len(on_demand), len(spot), len(self_managed)) == (3, 2, 2)
    assert {by_name[n][-2] for n in on_demand} == {"ON_DEMAND"} and {by_name[n][-2] for n in spot} == {"SPOT"}
    assert get_json(cluster, "node", "ng-gpu-a")["status"]["allocatable"]["nvidia.com/gpu"] == "1"
    assert {by_name[f"ng-ondemand-{z}"][-1] for z in "abc"} == {"us-east-1a", "us-east-1b", "us-east-1c"}
    for name in POOL_NODES:
        assert by_name[name][1] == "Ready"
    node = get_json(cluster, "node", "ng-ondemand-a")
    assert node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "m5.xlarge"
    assert node["status"]["allocatable"]["pods"] == "58"


def test_deployment_pods_are_scheduled_and_garbage_collected(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}]},
            },
        },
    }
    cluster.apply([deployment])

    def three_ready():
        pods = get_json(cluster, "pods", "-n", namespace, "-l", "app=web")["items"]
        ready = [p for p in pods if _running_ready(p)]
        return ready if len(ready) == 3 else None

    pods = wait_for(three_ready, timeout=60, message="3 Running and Ready pods")
    assert {p["spec"]["nodeName"] for p in pods} <= POOL_NODES  # placed by the real scheduler

    cluster.kubectl("delete", "deployment", "web", "-n", namespace, "--wait=false")
    wait_for(
        lambda: not get_json(cluster, "replicasets", "-n", namespace)["items"],
        timeout=60,
        message="the garbage collector to delete the ReplicaSet",
    )
    wait_for(
        lambda: not get_json(cluster, "pods", "-n", namespace)["items"],
        timeout=60,
        message="the garbage collector to delete the pods",
    )


def _terminated(pod: dict) -> dict[str, int]:
    return {
        s["name"]: s["state"]["terminated"]["exitCode"]
        for s in pod["status"].get("containerStatuses", [])
        if "terminated" in s.get("state", {})
    }


def test_exit_code_stage(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    pod = _pod("exits", {"ecs.operator.dev/kwok-exit-code": "3", "ecs.operator.dev/kwok-exit-after": "1s"}, ["main"])
    cluster.apply([pod], "-n", namespace)
    done = wait_for_pod_phase(cluster, namespace, "exits", "Failed")
    assert _terminated(done) == {"main": 3}


def test_exit_stage_for_one_container(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    pod = _pod(
        "sidecar-exits",
        {"ecs.operator.dev/kwok-exit-code": "0", "ecs.operator.dev/kwok-exit-container": "sidecar"},
        ["app", "sidecar"],
    )
    cluster.apply([pod], "-n", namespace)

    def sidecar_done():
        p = get_json(cluster, "pod", "sidecar-exits", "-n", namespace)
        return p if _terminated(p) else None

    done = wait_for(sidecar_done, timeout=60, message="the sidecar to exit")
    assert _terminated(done) == {"sidecar": 0}
    assert done["status"]["phase"] == "Running"
    running = [s["name"] for s in done["status"]["containerStatuses"] if "running" in s["state"]]
    assert running == ["app"]


def test_never_ready_stage(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    cluster.apply([_pod("stuck", {"ecs.operator.dev/kwok-never-ready": "true"}, ["main"], "Always")], "-n", namespace)
    pod = wait_for_pod_phase(cluster, namespace, "stuck", "Running")
    conditions = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
    assert conditions["Ready"] == "False"
    assert [s["ready"] for s in pod["status"]["containerStatuses"]] == [False]
