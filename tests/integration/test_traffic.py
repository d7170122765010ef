"""Load balancers, service discovery, Service Connect, ALB Ingress, TargetGroupBinding, network policies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067"
REGISTRY = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-utcrh6wavdkggqtk"


def _status(cluster: ClusterHandle, namespace: str, name: str) -> dict[str, Any]:
    return get_json(cluster, "ecsservice", name, "-n", namespace).get("status") or {}


def _ready_pods(cluster: ClusterHandle, namespace: str, service: str) -> set[str]:
    pods = get_json(cluster, "pods", "-n", namespace, "-l", f"ecs.operator.dev/service={service}")["items"]
    return {
        p["metadata"]["name"]
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
        and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
    }


def _endpoint_pods(cluster: ClusterHandle, namespace: str, service: str) -> set[str]:
    slices = get_json(cluster, "endpointslices", "-n", namespace, "-l", f"kubernetes.io/service-name={service}")
    return {
        e["targetRef"]["name"]
        for s in slices["items"]
        for e in s.get("endpoints") or []
        if e.get("conditions", {}).get("ready")
    }


def _web_td(name: str = "web", **extra: Any) -> dict[str, Any]:
    containers = [
        {
            "name": "web",
            "image": "nginx:1.27",
            "memory": 128,
            "essential": True,
            "portMappings": [
                {"containerPort": 80, "hostPort": 0, "protocol": "tcp"},
                {"containerPort": 9090, "protocol": "tcp", "name": "metrics"},
            ],
        }
    ]
    return task_definition(name, containers=containers, networkMode="bridge", **extra)


def _healthy(cluster: ClusterHandle, namespace: str, name: str, count: int) -> dict[str, Any]:
    def check():
        status = _status(cluster, namespace, name)
        balancers = status.get("loadBalancers") or []
        ready = _ready_pods(cluster, namespace, name)
        ok = (
            status.get("runningCount") == count
            and len(ready) == count
            and balancers
            and balancers[0].get("healthyTargets") == count
            and _endpoint_pods(cluster, namespace, name) == ready
        )
        return status if ok else None

    return wait_for(check, timeout=90, message=f"{count} healthy load-balancer targets of {name}")


def test_load_balancer_targets_follow_ready_tasks(cluster: ClusterHandle, namespace: str) -> None:
    _remove_target_group_binding_crd(cluster)
    cluster.apply([_web_td()], "-n", namespace)
    balancer = {"targetGroupArn": TG, "containerName": "web", "containerPort": 80}
    cluster.apply([ecs_service("web", "web", 3, loadBalancers=[balancer])], "-n", namespace)
    status = _healthy(cluster, namespace, "web", 3)
    (entry,) = status["loadBalancers"]
    assert entry == {
        "containerName": "web",
        "containerPort": 80,
        "targetGroupArn": TG,
        "service": "web",
        "healthyTargets": 3,
    }
    service = get_json(cluster, "service", "web", "-n", namespace)
    # Only the load-balanced port, and to the container port (dynamic host port mapping is not a target).
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(80, 80)]
    assert service["spec"]["selector"] == {"ecs.operator.dev/service": "web"}
    # No AWS Load Balancer Controller here: the target group binding is reported, not created.
    assert any("targetGroupArn" in w and "not installed" in w for w in status["warnings"])

    cluster.kubectl("scale", "ecsservice", "web", "-n", namespace, "--replicas=1")
    _healthy(cluster, namespace, "web", 1)
    cluster.kubectl("scale", "ecsservice", "web", "-n", namespace, "--replicas=2")
    _healthy(cluster, namespace, "web", 2)


@pytest.fixture
def target_group_binding_api(cluster: ClusterHandle):
    _install_target_group_binding_crd(cluster)
    yield
    _remove_target_group_binding_crd(cluster)


@pytest.mark.usefixtures("target_group_binding_api")
def test_alb_ingress_and_target_group_binding(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([_web_td("shop")], "-n", namespace)
    balancer = {"targetGroupArn": TG, "containerName": "web", "containerPort": 80}
    ingress = {
        "host": "shop.example.com",
        "scheme": "internet-facing",
        "annotations": {"alb.ingress.kubernetes.io/healthcheck-path": "/health"},
    }
    cluster.apply([ecs_service("shop", "shop", 2, loadBalancers=[balancer], ingress=ingress)], "-n", namespace)
    _healthy(cluster, namespace, "shop", 2)
    # The operator notices a newly installed API within seconds.
    status = wait_for(
        lambda: (s := _status(cluster, namespace, "shop"))["loadBalancers"][0].get("targetGroupBinding") and s,
        timeout=30,
        message="the TargetGroupBinding in status",
    )
    assert status["loadBalancers"][0]["ingress"] == "shop"
    assert status["loadBalancers"][0]["targetGroupBinding"] == "shop-web-tg"
    assert not any("targetGroupArn" in w for w in status.get("warnings") or [])

    found = get_json(cluster, "ingress", "shop", "-n", namespace)
    assert found["spec"]["ingressClassName"] == "alb"
    annotations = found["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/health"
    (rule,) = found["spec"]["rules"]
    assert rule["host"] == "shop.example.com"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "shop", "port": {"number": 80}}}

    binding = wait_for(
        lambda: get_json(cluster, "targetgroupbindings", "-n", namespace)["items"],
        timeout=30,
        message="the TargetGroupBinding",
    )
    (binding,) = binding
    assert binding["spec"] == {"serviceRef": {"name": "shop", "port": 80}, "targetGroupARN": TG, "targetType": "ip"}
    assert binding["metadata"]["ownerReferences"][0]["name"] == "shop"

    # Taking the ingress out of the spec removes the Ingress.
    cluster.apply([ecs_service("shop", "shop", 2, loadBalancers=[balancer])], "-n", namespace)
    wait_for(
        lambda: not get_json(cluster, "ingress", "-n", namespace)["items"],
        timeout=30,
        message="the Ingress to be removed",
    )


def test_service_discovery_and_service_connect(cluster: ClusterHandle, namespace: str) -> None:
    containers = [
        {
            "name": "api",
            "image": "nginx:1.27",
            "memory": 128,
            "portMappings": [{"containerPort": 8080, "name": "http", "appProtocol": "http"}],
        }
    ]
    cluster.apply([task_definition("api", containers=containers)], "-n", namespace)
    connect = {
        "enabled": True,
        "namespace": namespace,
        "services": [
            {
                "portName": "http",
                "discoveryName": "api-internal",
                "clientAliases": [{"port": 80, "dnsName": "api"}, {"port": 8081, "dnsName": f"api-alt.{namespace}"}],
            }
        ],
    }
    cluster.apply(
        [
            ecs_service(
                "api",
                "api",
                2,
                serviceRegistries=[{"registryArn": REGISTRY, "port": 8080}],
                serviceConnectConfiguration=connect,
            )
        ],
        "-n",
        namespace,
    )

    def services():
        found = {s["metadata"]["name"]: s for s in get_json(cluster, "services", "-n", namespace)["items"]}
        wanted = {"api", "api-discovery", "api-internal", "api-alt"}
        return found if wanted <= set(found) else None

    found = wait_for(services, timeout=60, message="the discovery and Service Connect Services")
    discovery = found["api-discovery"]
    assert discovery["spec"]["clusterIP"] == "None"  # one DNS record per task, like Cloud Map
    assert discovery["metadata"]["annotations"]["ecs.operator.dev/registry-arn"] == REGISTRY
    assert [(p["port"], p["targetPort"]) for p in discovery["spec"]["ports"]] == [(8080, 8080)]
    assert [(p["port"], p["targetPort"], p.get("appProtocol")) for p in found["api-internal"]["spec"]["ports"]] == [
        (8080, 8080, "http")
    ]
    # The alias `api` is also the port Service's name: its ports merge.
    assert sorted((p["port"], p["targetPort"]) for p in found["api"]["spec"]["ports"]) == [(80, 8080), (8080, 8080)]
    assert [(p["port"], p["targetPort"]) for p in found["api-alt"]["spec"]["ports"]] == [(8081, 8080)]
    for name in ("api-discovery", "api-internal"):
        wait_for(
            lambda name=name: len(_endpoint_pods(cluster, namespace, name)) == 2,
            timeout=60,
            message=f"Service {name} to list both tasks",
        )


def test_a_service_name_owned_by_another_ecs_service_is_left_alone(cluster: ClusterHandle, namespace: str) -> None:
    containers = [
        {"name": "api", "image": "nginx:1.27", "memory": 128, "portMappings": [{"containerPort": 8080, "name": "http"}]}
    ]
    cluster.apply([task_definition("api", containers=containers)], "-n", namespace)
    cluster.apply([ecs_service("api", "api", 1)], "-n", namespace)
    wait_for(lambda: get_json(cluster, "services", "-n", namespace)["items"], timeout=60, message="Service api")
    connect = {"enabled": True, "services": [{"portName": "http", "discoveryName": "api"}]}
    cluster.apply([ecs_service("frontend", "api", 1, serviceConnectConfiguration=connect)], "-n", namespace)
    warnings = wait_for(
        lambda: [
            w
            for w in _status(cluster, namespace, "frontend").get("warnings") or []
            if "Service api belongs to ECSService api" in w
        ],
        timeout=60,
        message="the name clash to be reported",
    )
    assert warnings
    owners = get_json(cluster, "service", "api", "-n", namespace)["metadata"]["ownerReferences"]
    assert [o["name"] for o in owners] == ["api"]


def test_network_mode_none_and_security_groups(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply(
        [
            task_definition(
                "isolated", networkMode="none", containers=[{"name": "job", "image": "busybox", "memory": 64}]
            ),
            task_definition("vpc", networkMode="awsvpc"),
        ],
        "-n",
        namespace,
    )
    network = {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-0123456789abcdef0"]}}
    cluster.apply(
        [ecs_service("isolated", "isolated", 1), ecs_service("vpc", "vpc", 1, networkConfiguration=network)],
        "-n",
        namespace,
    )
    policy = wait_for(
        lambda: get_json(cluster, "networkpolicies", "-n", namespace)["items"],
        timeout=60,
        message="the deny-all NetworkPolicy",
    )
    (policy,) = policy
    assert policy["metadata"]["ownerReferences"][0]["name"] == "isolated"
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"ecs.operator.dev/service": "isolated"}},
        "policyTypes": ["Ingress", "Egress"],
    }
    # No VPC resource controller here: the security groups are reported as not applied.
    warnings = wait_for(lambda: _status(cluster, namespace, "vpc").get("warnings"), timeout=30, message="warnings")
    text = json.dumps(warnings)
    assert "sg-0123456789abcdef0 not applied" in text and "awsvpcConfiguration.subnets" in text


TGB_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "targetgroupbindings.elbv2.k8s.aws"},
    "spec": {
        "group": "elbv2.k8s.aws",
        "names": {
            "kind": "TargetGroupBinding",
            "plural": "targetgroupbindings",
            "singular": "targetgroupbinding",
            "listKind": "TargetGroupBindingList",
        },
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1beta1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            }
        ],
    },
}


def _install_target_group_binding_crd(cluster: ClusterHandle) -> None:
    """A stand-in for the AWS Load Balancer Controller's CRD (its API only; no controller)."""
    cluster.apply([TGB_CRD])
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/targetgroupbindings.elbv2.k8s.aws")


def _remove_target_group_binding_crd(cluster: ClusterHandle) -> None:
    cluster.kubectl(
        "delete",
        "crd",
        "targetgroupbindings.elbv2.k8s.aws",
        "--ignore-not-found",
        "--wait=true",
        "--timeout=60s",
        check=False,
    )
