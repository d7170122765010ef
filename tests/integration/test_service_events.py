"""ECS service event messages on a real control plane: each situation the local cluster can produce,
the exact ECS text in ``status.events`` and the Kubernetes Event's type (docs/service-events.md).

The local cluster's nodes (README, "The local cluster"): three m5.xlarge on-demand nodes
ng-ondemand-a/b/c (3920m CPU, 15136Mi), spot m5.large ng-spot-a and c5.large ng-spot-b, two
t3.large self-managed nodes, and the tainted g5.xlarge ng-gpu-a with one GPU. Ties for the closest
matching container instance go to the first node by name.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from kube_helpers import get_json, wait_for
from manifests import API, ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067"
NO_FIT = "was unable to place a task because no container instance met all of its requirements."
ON_C5 = {"type": "memberOf", "expression": "attribute:ecs.instance-type == c5.large"}  # ng-spot-b only


def _messages(cluster: ClusterHandle, namespace: str, name: str) -> list[str]:
    status = get_json(cluster, "ecsservice", name, "-n", namespace).get("status") or {}
    return [e["message"] for e in status.get("events") or []]


def _kubernetes_events(cluster: ClusterHandle, namespace: str) -> dict[str, str]:
    items = get_json(cluster, "events", "-n", namespace, "--field-selector", "involvedObject.kind=ECSService")
    return {e["message"]: e["type"] for e in items["items"]}


def _expect(cluster: ClusterHandle, namespace: str, name: str, message: str, kind: str, timeout: float = 90) -> None:
    """``message`` is in the service's status.events and is a Kubernetes Event of type ``kind``."""

    def seen() -> list[str] | None:
        found = _messages(cluster, namespace, name)
        return found if message in found and message in _kubernetes_events(cluster, namespace) else None

    found = wait_for(seen, timeout=timeout, interval=1, message=f"the event {message!r}")
    assert found.count(message) == 1, found  # a lasting situation is said once
    assert _kubernetes_events(cluster, namespace)[message] == kind


def _task(name: str, **container: Any) -> dict[str, Any]:
    definition = {"name": "web", "image": "nginx:1.27", "cpu": 128, "memory": 256, "essential": True, **container}
    return task_definition(name, containers=[definition])


def _closest(service: str, instance: str, rest: str) -> str:
    return f"(service {service}) {NO_FIT} The closest matching (container-instance {instance}) {rest}"


def test_task_larger_than_every_node_reports_insufficient_cpu(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([_task("big", cpu=8192), ecs_service("big", "big", 1)], "-n", namespace)
    expected = _closest("big", "ng-ondemand-a", "has insufficient CPU units available.")
    _expect(cluster, namespace, "big", expected, "Warning")


def test_task_larger_than_every_node_reports_insufficient_memory(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([_task("fat", memory=20000), ecs_service("fat", "fat", 1)], "-n", namespace)
    expected = _closest("fat", "ng-ondemand-a", "has insufficient memory available.")
    _expect(cluster, namespace, "fat", expected, "Warning")


def test_gpu_task_larger_than_the_gpu_node_reports_insufficient_gpu(cluster: ClusterHandle, namespace: str) -> None:
    gpus = [{"type": "GPU", "value": "2"}]
    cluster.apply([_task("train", resourceRequirements=gpus), ecs_service("train", "train", 1)], "-n", namespace)
    expected = _closest("train", "ng-gpu-a", "has insufficient GPU available.")
    _expect(cluster, namespace, "train", expected, "Warning")


def test_member_of_constraint_no_node_meets(cluster: ClusterHandle, namespace: str) -> None:
    nowhere = [{"type": "memberOf", "expression": "attribute:ecs.instance-type == m6g.large"}]
    cluster.apply([_task("arm"), ecs_service("arm", "arm", 1, placementConstraints=nowhere)], "-n", namespace)
    expected = _closest("arm", "ng-ondemand-a", 'encountered error "MemberOf placement constraint unsatisfied."')
    _expect(cluster, namespace, "arm", expected, "Warning")


def test_runtime_platform_no_node_has_is_a_missing_attribute(cluster: ClusterHandle, namespace: str) -> None:
    platform = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    td = _task("graviton")
    td["spec"]["runtimePlatform"] = platform
    cluster.apply([td, ecs_service("graviton", "graviton", 1)], "-n", namespace)
    expected = _closest("graviton", "ng-ondemand-a", "is missing an attribute required by your task.")
    _expect(cluster, namespace, "graviton", expected, "Warning")


def test_capacity_provider_without_nodes(cluster: ClusterHandle, namespace: str) -> None:
    empty = {
        "apiVersion": API,
        "kind": "ECSCluster",
        "metadata": {"name": "empty"},
        "spec": {
            "clusterName": "empty",
            "capacityProviders": ["none"],
            "capacityProviderProfiles": [{"name": "none", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng-none"}],
        },
    }
    strategy = [{"capacityProvider": "none", "weight": 1}]
    service = ecs_service("lonely", "lonely", 1, cluster="empty", capacityProviderStrategy=strategy)
    cluster.apply([empty, _task("lonely"), service], "-n", namespace)
    expected = f"(service lonely) {NO_FIT} Reason: No Container Instances were found in your capacity provider."
    _expect(cluster, namespace, "lonely", expected, "Warning")


def test_host_port_already_in_use(cluster: ClusterHandle, namespace: str) -> None:
    td = _task("fixed", portMappings=[{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}])
    td["spec"]["networkMode"] = "bridge"
    cluster.apply([td, ecs_service("fixed", "fixed", 2, placementConstraints=[ON_C5])], "-n", namespace)
    expected = _closest("fixed", "ng-spot-b", "is already using a port required by your task.")
    _expect(cluster, namespace, "fixed", expected, "Warning")


def test_distinct_instance_with_one_eligible_node(cluster: ClusterHandle, namespace: str) -> None:
    constraints = [{"type": "distinctInstance"}, ON_C5]
    cluster.apply([_task("alone"), ecs_service("alone", "alone", 2, placementConstraints=constraints)], "-n", namespace)
    expected = _closest("alone", "ng-spot-b", 'encountered error "DistinctInstance placement constraint unsatisfied."')
    _expect(cluster, namespace, "alone", expected, "Warning")


def _balancer() -> list[dict[str, Any]]:
    return [{"targetGroupArn": TG, "containerName": "web", "containerPort": 80}]


def test_never_ready_task_is_unhealthy_in_its_target_group(cluster: ClusterHandle, namespace: str) -> None:
    td = task_definition("sick", tags={"ecs.operator.dev/kwok-never-ready": "true"})
    service = ecs_service(
        "sick",
        "sick",
        1,
        loadBalancers=_balancer(),
        healthCheckGracePeriodSeconds=5,
        propagateTags="TASK_DEFINITION",
    )
    cluster.apply([td, service], "-n", namespace)
    expected = f"(service sick) (port 80) is unhealthy in (target-group {TG}) due to (reason Health checks failed)."
    _expect(cluster, namespace, "sick", expected, "Warning")
    # ECS then stops the task: the stop follows the unhealthy message.
    found = _messages(cluster, namespace, "sick")
    assert any(m.startswith("(service sick) has stopped 1 running tasks:") for m in found[: found.index(expected)])


def test_targets_registered_deregistered_and_draining(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("web"), ecs_service("web", "web", 2, loadBalancers=_balancer())], "-n", namespace)
    # The two tasks may become targets in one round or in two: "registered 2 targets" or twice "1".
    registered = re.compile(rf"\(service web\) registered (\d) targets in \(target-group {re.escape(TG)}\)")

    def both() -> list[str] | None:
        found = [m for m in _messages(cluster, namespace, "web") if registered.fullmatch(m)]
        return found if sum(int(m.split(" registered ")[1].split()[0]) for m in found) == 2 else None

    found = wait_for(both, timeout=90, interval=1, message="2 targets registered")
    kinds = _kubernetes_events(cluster, namespace)
    assert {kinds.get(m) for m in found} == {"Normal"}

    cluster.kubectl("scale", "ecsservice", "web", "-n", namespace, "--replicas=1")
    deregistered = f"(service web) deregistered 1 targets in (target-group {TG})"
    _expect(cluster, namespace, "web", deregistered, "Normal")

    cluster.kubectl("delete", "ecsservice", "web", "-n", namespace, "--wait=false")
    draining = "(service web) has begun draining connections on 1 tasks."
    kinds = wait_for(
        lambda: (found := _kubernetes_events(cluster, namespace)).get(draining) and found,
        timeout=60,
        message="the draining event",
    )
    assert kinds[draining] == "Normal"


def test_resource_quota_on_pods_is_the_task_limit(cluster: ClusterHandle, namespace: str) -> None:
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "tasks"},
        "spec": {"hard": {"pods": "1"}},
    }
    cluster.apply([quota], "-n", namespace)
    cluster.apply([task_definition("capped"), ecs_service("capped", "capped", 2)], "-n", namespace)
    expected = (
        "(service capped) was unable to place a task. "
        "Reason: You've reached the limit on the number of tasks you can run concurrently"
    )
    _expect(cluster, namespace, "capped", expected, "Warning")


def test_deployment_configuration_without_room(cluster: ClusterHandle, namespace: str) -> None:
    config = {"maximumPercent": 100, "minimumHealthyPercent": 100}
    cluster.apply(
        [task_definition("tight"), ecs_service("tight", "tight", 2, deploymentConfiguration=config)], "-n", namespace
    )
    wait_for(
        lambda: "(service tight) has reached a steady state." in _messages(cluster, namespace, "tight"),
        timeout=90,
        interval=1,
        message="the first deployment's steady state",
    )
    cluster.apply([task_definition("tight", image="nginx:1.28")], "-n", namespace)
    expected = (
        "(service tight) was unable to stop or start tasks during a deployment because of the service deployment "
        "configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
    )
    _expect(cluster, namespace, "tight", expected, "Warning")


def test_hpa_moving_desired_count_is_an_auto_scaling_message(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply(
        [task_definition("api"), ecs_service("api", "api", 5, autoScaling={"minCapacity": 1, "maxCapacity": 3})],
        "-n",
        namespace,
    )
    expected = "Message: Successfully set desired count to 3. Change successfully fulfilled by ecs."
    _expect(cluster, namespace, "api", expected, "Normal", timeout=120)
    # A user's own scale is not auto scaling.
    cluster.kubectl(
        "patch",
        "ecsservice",
        "api",
        "-n",
        namespace,
        "--type",
        "merge",
        "-p",
        json.dumps({"spec": {"desiredCount": 2}}),
    )
    wait_for(
        lambda: (get_json(cluster, "ecsservice", "api", "-n", namespace).get("status") or {}).get("desiredCount") == 2,
        timeout=60,
        message="desiredCount 2 in status",
    )
    assert not [m for m in _messages(cluster, namespace, "api") if "set desired count to 2" in m]


def test_started_tasks_are_announced_once_and_the_deployment_completes(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("web"), ecs_service("web", "web", 2)], "-n", namespace)
    started = re.compile(r"\(service web\) has started (\d+) tasks: ((?:\(task [^)]+\) ?)+)\.")

    def completed() -> dict[str, Any] | None:
        status = get_json(cluster, "ecsservice", "web", "-n", namespace).get("status") or {}
        deployments = status.get("deployments") or []
        done = deployments and deployments[0].get("rolloutState") == "COMPLETED"
        return status if done else None

    status = wait_for(completed, timeout=90, interval=1, message="the first deployment to complete")
    deployment = status["deployments"][0]["id"]
    _expect(cluster, namespace, "web", f"(service web) (deployment {deployment}) deployment completed.", "Normal")
    announced: list[str] = []
    for message in _messages(cluster, namespace, "web"):
        match = started.fullmatch(message)
        if match:
            tasks = re.findall(r"\(task ([^)]+)\)", match.group(2))
            assert int(match.group(1)) == len(tasks), message
            announced += tasks
    pods = get_json(cluster, "pods", "-n", namespace, "-l", "ecs.operator.dev/service=web")["items"]
    assert sorted(announced) == sorted(p["metadata"]["name"] for p in pods)  # every task once, no other
    kinds = _kubernetes_events(cluster, namespace)
    assert {kind for message, kind in kinds.items() if started.fullmatch(message)} == {"Normal"}


@pytest.mark.parametrize(
    ("limit", "words"),
    [({"cpu": "100m"}, "CPU"), ({"memory": "128Mi"}, "MEMORY")],
    ids=["cpu", "memory"],
)
def test_limit_range_above_the_task_size(cluster: ClusterHandle, namespace: str, limit: dict, words: str) -> None:
    limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "small"},
        "spec": {"limits": [{"type": "Container", "max": limit}]},
    }
    cluster.apply([limits], "-n", namespace)
    cluster.apply([task_definition("big"), ecs_service("big", "big", 1)], "-n", namespace)
    expected = (
        f"(service big) was unable to place a task. Reason: The requested {words} configuration is above your limit."
    )
    _expect(cluster, namespace, "big", expected, "Warning")


def test_never_ready_task_behind_a_classic_load_balancer(cluster: ClusterHandle, namespace: str) -> None:
    td = task_definition("old", tags={"ecs.operator.dev/kwok-never-ready": "true"})
    balancer = [{"loadBalancerName": "web-elb", "containerName": "web", "containerPort": 80}]
    service = ecs_service(
        "old", "old", 1, loadBalancers=balancer, healthCheckGracePeriodSeconds=5, propagateTags="TASK_DEFINITION"
    )
    cluster.apply([td, service], "-n", namespace)
    unhealthy = re.compile(
        r"\(service old\) \(instance (i-[0-9a-z]+)\) is unhealthy in \(elb web-elb\) due to \(reason Instance has "
        r"failed at least the UnhealthyThreshold number of health checks consecutively\.\)"
    )

    def seen() -> str | None:
        return next((m for m in _messages(cluster, namespace, "old") if unhealthy.fullmatch(m)), None)

    message = wait_for(seen, timeout=90, interval=1, message="the classic load balancer's unhealthy event")
    instance = unhealthy.fullmatch(message).group(1)
    nodes = get_json(cluster, "nodes")["items"]
    assert instance in {n["spec"].get("providerID", "").rsplit("/", 1)[-1] for n in nodes}  # the node's EC2 id
    assert _kubernetes_events(cluster, namespace)[message] == "Warning"


def test_fargate_without_capacity(cluster: ClusterHandle, namespace: str) -> None:
    """The local Fargate stand-in leaves a pod so annotated without a node, as Fargate without capacity."""
    td = task_definition(
        "scarce",
        tags={"ecs.operator.dev/kwok-fargate-capacity-unavailable": "true"},
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )
    service = ecs_service("scarce", "scarce", 1, launchType="FARGATE", propagateTags="TASK_DEFINITION")
    cluster.apply([td, service], "-n", namespace)
    expected = (
        "(service scarce) was unable to place a task. Reason: Capacity is unavailable at this time. "
        "Please try again later or in a different availability zone."
    )
    _expect(cluster, namespace, "scarce", expected, "Warning")


def test_the_only_matching_node_has_lost_its_agent(cluster: ClusterHandle, namespace: str) -> None:
    """A node kwok leaves alone (the kwok-node-lost annotation) reporting Ready False: the node
    controller taints it not-ready, as a disconnected ECS agent leaves its container instance unusable."""
    node = f"lost-{namespace[-5:]}"
    labels = {"node.kubernetes.io/instance-type": "x9.lost", "kubernetes.io/os": "linux"}
    annotations = {"ecs.operator.dev/kwok-node-lost": "true"}
    lost = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": node, "labels": labels, "annotations": annotations},
    }
    cluster.apply([lost])
    try:
        resources = {"cpu": "4", "memory": "16Gi", "pods": "110"}
        down = {"type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": "kubelet stopped posting"}
        status = {"status": {"capacity": resources, "allocatable": resources, "conditions": [down]}}
        cluster.kubectl("patch", "node", node, "--subresource=status", "--type=merge", "-p", json.dumps(status))
        constraint = {"type": "memberOf", "expression": "attribute:ecs.instance-type == x9.lost"}
        service = ecs_service("stranded", "stranded", 1, placementConstraints=[constraint])
        cluster.apply([_task("stranded"), service], "-n", namespace)
        agent = re.compile(
            rf"\(service stranded\) {re.escape(NO_FIT)} The closest matching \(container-instance ([^)]+)\) "
            r'encountered error "AGENT"\.'
        )
        message = wait_for(
            lambda: next((m for m in _messages(cluster, namespace, "stranded") if agent.fullmatch(m)), None),
            timeout=90,
            interval=1,
            message="the AGENT event",
        )
        assert node in message
        assert _kubernetes_events(cluster, namespace)[message] == "Warning"
    finally:
        cluster.kubectl("delete", "ecsservice", "stranded", "-n", namespace, "--wait=false", check=False)
        cluster.kubectl("delete", "node", node, "--wait=false", check=False)


def test_resource_quota_on_cpu_is_the_vcpu_limit(cluster: ClusterHandle, namespace: str) -> None:
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "compute"},
        "spec": {"hard": {"requests.cpu": "200m"}},
    }
    cluster.apply([quota], "-n", namespace)
    cluster.apply([task_definition("hungry"), ecs_service("hungry", "hungry", 2)], "-n", namespace)
    expected = (
        "(service hungry) was unable to place a task. "
        "Reason: You've reached the limit on the number of vCPUs you can run concurrently"
    )
    _expect(cluster, namespace, "hungry", expected, "Warning")


def test_every_matching_node_draining(cluster: ClusterHandle, namespace: str) -> None:
    """ng-spot-b, the only c5.large, cordoned: ECS has no closer words than 'no container instance met
    all of its requirements' for an instance that is DRAINING."""
    cluster.kubectl("cordon", "ng-spot-b")
    try:
        service = ecs_service("drained", "drained", 1, placementConstraints=[ON_C5])
        cluster.apply([_task("drained"), service], "-n", namespace)
        _expect(cluster, namespace, "drained", f"(service drained) {NO_FIT}", "Warning")
    finally:
        cluster.kubectl("uncordon", "ng-spot-b")


def test_instances_registered_in_a_classic_load_balancer(cluster: ClusterHandle, namespace: str) -> None:
    balancer = [{"loadBalancerName": "web-elb", "containerName": "web", "containerPort": 80}]
    cluster.apply(
        [task_definition("classic"), ecs_service("classic", "classic", 1, loadBalancers=balancer)], "-n", namespace
    )
    _expect(cluster, namespace, "classic", "(service classic) registered 1 instances in (elb web-elb)", "Normal")
