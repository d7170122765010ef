"""ECSCluster, capacity providers as node-type profiles, Fargate, and ECS placement on the node pools."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
from kube_helpers import admission_webhook_expected, get_json, wait_for
from manifests import API, ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_operator.localcluster.nodes import T3_LARGE, FakeNode
from ecs_operator.plan.cluster_status import parse_quantity

pytestmark = pytest.mark.usefixtures("operator")

SMALL = [{"name": "app", "image": "app:1", "cpu": 128, "memory": 128, "essential": True}]


def _require_local(cluster: ClusterHandle) -> None:
    if "ng-ondemand-a" in cluster.kubectl("get", "nodes", "-o", "name").stdout:
        return
    if os.environ.get("ECS_OPERATOR_E2E_KUBECONFIG"):  # kind, EKS: another cluster's nodes
        pytest.skip("needs the local cluster's node pools")
    pytest.fail(
        "the local control plane has no node ng-ondemand-a: LocalCluster.up() no longer creates the "
        "default node pools (localcluster/nodes.py default_node_pools)"
    )


def _cluster(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "ECSCluster", "metadata": {"name": name}, "spec": spec}


MIXED = _cluster(
    "mixed",
    capacityProviders=["on-demand", "spot"],
    capacityProviderProfiles=[
        {"name": "on-demand", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng-ondemand", "capacityType": "ON_DEMAND"},
        {"name": "spot", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng-spot", "capacityType": "SPOT"},
    ],
)


def _running_pods(cluster: ClusterHandle, namespace: str, service: str) -> list[dict[str, Any]]:
    pods = get_json(cluster, "pods", "-n", namespace, "-l", f"ecs.operator.dev/service={service}")["items"]
    return [p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


def _node_labels(cluster: ClusterHandle) -> dict[str, dict[str, str]]:
    return {n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in get_json(cluster, "nodes")["items"]}


def _by_label(cluster: ClusterHandle, pods: list[dict[str, Any]], label: str) -> Counter[str]:
    nodes = _node_labels(cluster)
    return Counter(nodes[p["spec"]["nodeName"]].get(label, "") for p in pods)


def _split(cluster: ClusterHandle, namespace: str, service: str, expected: dict[str, int]) -> Counter[str]:
    def check():
        pods = _running_pods(cluster, namespace, service)
        counts = _by_label(cluster, pods, "eks.amazonaws.com/capacityType")
        return counts if counts == Counter(expected) else None

    return wait_for(check, timeout=90, message=f"tasks split as {expected}")


def test_capacity_provider_strategy_splits_with_ecs_arithmetic(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    cluster.apply([MIXED, task_definition("mixed-app", containers=SMALL)], "-n", namespace)
    strategy = [{"capacityProvider": "on-demand", "base": 2, "weight": 1}, {"capacityProvider": "spot", "weight": 3}]
    cluster.apply(
        [ecs_service("mixed-app", "mixed-app", 10, cluster="mixed", capacityProviderStrategy=strategy)], "-n", namespace
    )
    _split(cluster, namespace, "mixed-app", {"ON_DEMAND": 4, "SPOT": 6})
    cluster.kubectl("scale", "ecss", "mixed-app", "--replicas=14", "-n", namespace)
    _split(cluster, namespace, "mixed-app", {"ON_DEMAND": 5, "SPOT": 9})

    def provider_status():
        status = get_json(cluster, "ecsservice", "mixed-app", "-n", namespace).get("status") or {}
        counts = {
            c["capacityProvider"]: (c["desiredCount"], c["runningCount"]) for c in status.get("capacityProviders") or []
        }
        return counts if counts == {"on-demand": (5, 5), "spot": (9, 9)} else None

    wait_for(provider_status, timeout=30, message="per-provider counts in the service status")
    deployments = {
        d["metadata"]["name"]: d["spec"]["replicas"] for d in get_json(cluster, "deployments", "-n", namespace)["items"]
    }
    assert deployments == {"mixed-app-on-demand": 5, "mixed-app-spot": 9}


def test_fargate_task_gets_its_own_right_sized_node(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    td = task_definition(
        "tiny",
        containers=[{"name": "web", "image": "nginx", "essential": True}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )
    cluster.apply([td], "-n", namespace)
    cluster.apply([ecs_service("tiny", "tiny", 1, launchType="FARGATE")], "-n", namespace)

    def on_own_node():
        pods = _running_pods(cluster, namespace, "tiny")
        return pods[0] if len(pods) == 1 else None

    pod = wait_for(on_own_node, timeout=60, message="the Fargate task to run")
    node_name = pod["spec"]["nodeName"]
    assert node_name.startswith("fargate-")
    node = get_json(cluster, "node", node_name)
    assert node["status"]["allocatable"]["cpu"] == "250m"
    assert node["status"]["allocatable"]["memory"] == "512Mi"
    assert node["metadata"]["labels"]["eks.amazonaws.com/compute-type"] == "fargate"
    on_node = get_json(cluster, "pods", "-A", "--field-selector", f"spec.nodeName={node_name}")["items"]
    assert [p["metadata"]["name"] for p in on_node] == [pod["metadata"]["name"]]
    assert pod["status"].get("qosClass") == "Guaranteed"

    cluster.kubectl("delete", "ecsservice", "tiny", "-n", namespace, "--wait=true", timeout=60)
    wait_for(
        lambda: cluster.kubectl("get", "node", node_name, check=False).returncode != 0,
        timeout=30,
        message="the Fargate node to go away with its task",
    )


def test_invalid_fargate_size_is_rejected_with_ecs_message(cluster: ClusterHandle, namespace: str) -> None:
    td = task_definition(
        "too-big",
        containers=[{"name": "web", "image": "nginx", "essential": True}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="4096",
    )
    result = cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(td), check=False)
    message = result.stderr
    if admission_webhook_expected():  # not expressible in the CRD: the operator's webhook refuses it
        assert result.returncode != 0 and "denied the request" in message
        assert "memory: No Fargate configuration exists" in message  # the field, then ECS's words
    elif result.returncode == 0:  # no webhook: the operator must say it on status

        def invalid():
            status = get_json(cluster, "taskdefinition", "too-big", "-n", namespace).get("status") or {}
            return status.get("error")

        message = wait_for(invalid, timeout=30, message="the TaskDefinition to be reported invalid")
    assert "No Fargate configuration exists for given values: 256 CPU, 4096 memory" in message

    # The same size launched as FARGATE from a task definition that did not ask for it.
    plain = task_definition(
        "plain-big",
        containers=[{"name": "web", "image": "nginx", "essential": True}],
        networkMode="awsvpc",
        cpu="256",
        memory="4096",
    )
    service = ecs_service("plain-big", "plain-big", 1, launchType="FARGATE")
    if admission_webhook_expected():
        cluster.apply([plain], "-n", namespace)
        refused = cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(service), check=False)
        assert refused.returncode != 0 and "taskDefinition plain-big:1: " in refused.stderr, refused.stderr
        assert "No Fargate configuration exists for given values: 256 CPU, 4096 memory" in refused.stderr
        # On status: a service admitted before its TaskDefinition existed (nothing to render then).
        service = ecs_service("late-big", "late-big", 1, launchType="FARGATE")
        early = cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(service))
        assert "TaskDefinition late-big not found" in early.stderr  # the webhook's warning
        late = {**plain, "metadata": {"name": "late-big"}, "spec": {**plain["spec"], "family": "late-big"}}
        cluster.apply([late], "-n", namespace)
    else:
        cluster.apply([plain], "-n", namespace)
        cluster.apply([service], "-n", namespace)

    def reported():
        status = get_json(cluster, "ecsservice", service["metadata"]["name"], "-n", namespace).get("status") or {}
        problem = status.get("problem") or ""
        return problem if "Fargate" in problem else None

    problem = wait_for(reported, timeout=30, message="the service to report the Fargate size")
    assert "No Fargate configuration exists for given values: 256 CPU, 4096 memory" in problem


def test_spread_across_zones(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    cluster.apply([task_definition("spread", containers=SMALL)], "-n", namespace)
    cluster.apply(
        [
            ecs_service(
                "spread",
                "spread",
                6,
                placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
            )
        ],
        "-n",
        namespace,
    )

    def even():
        pods = _running_pods(cluster, namespace, "spread")
        zones = _by_label(cluster, pods, "topology.kubernetes.io/zone")
        return zones if len(pods) == 6 else None

    zones = wait_for(even, timeout=60, message="6 running tasks")
    assert zones == Counter({"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2})


def test_member_of_regex_picks_matching_instance_types(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    cluster.apply([task_definition("m5only", containers=SMALL)], "-n", namespace)
    cluster.apply(
        [
            ecs_service(
                "m5only",
                "m5only",
                6,
                placementConstraints=[{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ m5.*"}],
            )
        ],
        "-n",
        namespace,
    )
    pods = wait_for(
        lambda: (p := _running_pods(cluster, namespace, "m5only")) and len(p) == 6 and p,
        timeout=60,
        message="6 running tasks",
    )
    types = _by_label(cluster, pods, "node.kubernetes.io/instance-type")
    assert set(types) <= {"m5.xlarge", "m5.large"} and sum(types.values()) == 6


def test_distinct_instance_never_colocates(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    cluster.apply([task_definition("distinct", containers=SMALL)], "-n", namespace)
    cluster.apply(
        [ecs_service("distinct", "distinct", 5, placementConstraints=[{"type": "distinctInstance"}])], "-n", namespace
    )
    pods = wait_for(
        lambda: (p := _running_pods(cluster, namespace, "distinct")) and len(p) == 5 and p,
        timeout=60,
        message="5 running tasks",
    )
    assert len({p["spec"]["nodeName"] for p in pods}) == 5


def _cluster_status(cluster: ClusterHandle, namespace: str, name: str) -> dict[str, Any]:
    return get_json(cluster, "ecscluster", name, "-n", namespace).get("status") or {}


def test_cordon_shows_draining_and_counts_match(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    cluster.apply([MIXED, task_definition("counted", containers=SMALL)], "-n", namespace)
    cluster.apply(
        [
            ecs_service(
                "counted",
                "counted",
                3,
                cluster="mixed",
                capacityProviderStrategy=[{"capacityProvider": "on-demand", "weight": 1}],
            )
        ],
        "-n",
        namespace,
    )

    def counted():
        status = _cluster_status(cluster, namespace, "mixed")
        running = len(_running_pods(cluster, namespace, "counted"))
        ok = status.get("runningTasksCount") == running == 3 and status.get("activeServicesCount") == 1
        return status if ok else None

    status = wait_for(counted, timeout=60, message="cluster counts to match the pods")
    assert status["registeredContainerInstancesCount"] == 5  # 3 on-demand + 2 spot nodes
    instances = {i["containerInstanceArn"]: i for i in status["containerInstances"]}
    assert instances["ng-ondemand-a"]["capacityProviderName"] == "on-demand"
    assert instances["ng-spot-a"]["capacityProviderName"] == "spot"
    assert instances["ng-ondemand-a"]["registeredResources"] == {"CPU": 4014, "MEMORY": 15136}
    assert sum(i["runningTasksCount"] for i in instances.values()) == 3

    cluster.kubectl("cordon", "ng-ondemand-b")
    try:

        def draining():
            entries = {
                i["containerInstanceArn"]: i["status"]
                for i in _cluster_status(cluster, namespace, "mixed").get("containerInstances", [])
            }
            return entries if entries.get("ng-ondemand-b") == "DRAINING" else None

        entries = wait_for(draining, timeout=30, message="ng-ondemand-b DRAINING")
        assert entries["ng-ondemand-a"] == "ACTIVE"
    finally:
        cluster.kubectl("uncordon", "ng-ondemand-b")


def test_self_managed_node_registers_by_label(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    cluster.apply(
        [
            _cluster(
                "selfie", capacityProviders=["own"], capacityProviderProfiles=[{"name": "own", "type": "SELF_MANAGED"}]
            )
        ],
        "-n",
        namespace,
    )
    node = FakeNode(f"self-{namespace[-5:]}", T3_LARGE, "us-east-1b", {"ecs.operator.dev/cluster": "selfie"})
    cluster.apply([node.manifest()])
    try:

        def registered():
            names = [
                i["containerInstanceArn"]
                for i in _cluster_status(cluster, namespace, "selfie").get("containerInstances", [])
            ]
            return names if names == [node.name] else None

        wait_for(registered, timeout=30, message="the labelled node as the cluster's container instance")
        status = _cluster_status(cluster, namespace, "selfie")
        assert status["registeredContainerInstancesCount"] == 1
        assert status["containerInstances"][0]["capacityProviderName"] == "own"
    finally:
        cluster.kubectl("delete", "node", node.name, "--wait=false", check=False)


def test_fargate_run_task_node_goes_away_when_the_task_stops(cluster: ClusterHandle, namespace: str) -> None:
    _require_local(cluster)
    td = task_definition(
        "oneoff",
        containers=[{"name": "job", "image": "etl:1", "essential": True}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="512",
        memory="1024",
        tags={"ecs.operator.dev/kwok-exit-code": "0", "ecs.operator.dev/kwok-exit-after": "4s"},
    )
    task = {
        "apiVersion": API,
        "kind": "ECSTask",
        "metadata": {"name": "oneoff"},
        "spec": {"taskDefinition": "oneoff", "launchType": "FARGATE", "propagateTags": "TASK_DEFINITION"},
    }
    cluster.apply([td, task], "-n", namespace)

    def placed():
        pods = get_json(cluster, "pods", "-n", namespace, "-l", "ecs.operator.dev/task=oneoff")["items"]
        return pods[0] if pods and pods[0]["spec"].get("nodeName") else None

    pod = wait_for(placed, timeout=60, message="the Fargate task to be placed")
    node_name = pod["spec"]["nodeName"]
    assert node_name.startswith("fargate-")
    node = get_json(cluster, "node", node_name)
    allocatable = node["status"]["allocatable"]
    assert parse_quantity(allocatable["cpu"]) == parse_quantity("500m")
    assert parse_quantity(allocatable["memory"]) == parse_quantity("1024Mi")

    def stopped():
        status = get_json(cluster, "ecstask", "oneoff", "-n", namespace).get("status") or {}
        tasks = status.get("tasks") or []
        return tasks[0] if tasks and tasks[0].get("lastStatus") == "STOPPED" else None

    record = wait_for(stopped, timeout=60, message="the task to stop")
    assert record["launchType"] == "FARGATE" and record["capacityProviderName"] == "FARGATE"
    wait_for(
        lambda: cluster.kubectl("get", "node", node_name, check=False).returncode != 0,
        timeout=30,
        message="the Fargate node to go away after the task stopped",
    )
