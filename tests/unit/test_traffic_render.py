"""render/traffic.py and render/network.py: Services, Ingress, TargetGroupBinding, policies, LB status."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.models import SpecError, parse_service, parse_task_definition
from ecs_operator.render.network import render_network
from ecs_operator.render.pod import render_pod_template
from ecs_operator.render.traffic import healthy_targets, load_balancer_status, render_traffic

OWNER = {
    "apiVersion": "ecs.operator.dev/v1alpha1",
    "kind": "ECSService",
    "metadata": {"name": "web", "namespace": "shop", "uid": "u-1"},
}
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067"


def _td(**extra: Any) -> Any:
    containers = extra.pop("containers", None) or [
        {
            "name": "Web_App",
            "image": "nginx",
            "memory": 128,
            "portMappings": [
                {"containerPort": 80, "hostPort": 0, "name": "http", "appProtocol": "http2"},
                {"containerPort": 9090, "name": "metrics"},
            ],
        }
    ]
    return parse_task_definition({"family": "web", "containerDefinitions": containers, **extra})


def _traffic(service: dict[str, Any], td: Any = None) -> Any:
    td = td or _td(networkMode="bridge")
    spec = parse_service({"taskDefinition": "web", "desiredCount": 2, **service})
    pod = render_pod_template(td, family="web", revision=1)
    return render_traffic(OWNER, spec, td, pod.template, cluster="prod")


def _by_kind(traffic: Any, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in traffic.objects if o["kind"] == kind}


def test_without_traffic_members_the_port_service_exposes_every_container_port() -> None:
    traffic = _traffic({})
    (service,) = traffic.objects
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(80, 80), (9090, 9090)]
    assert traffic.targets == [] and traffic.optional == [] and traffic.warnings == []


def test_load_balancer_port_service_targets_the_container_port_not_the_host_port() -> None:
    traffic = _traffic({"loadBalancers": [{"targetGroupArn": TG, "containerName": "Web_App", "containerPort": 80}]})
    service = _by_kind(traffic, "Service")["web"]
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(80, 80)]
    (target,) = traffic.targets
    assert (target.service, target.target_group_binding) == ("web", "web-web-tg")
    (binding,) = traffic.optional
    assert binding.object["spec"] == {
        "serviceRef": {"name": "web", "port": 80},
        "targetGroupARN": TG,
        "targetType": "ip",
    }
    assert binding.object["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert "not installed" in binding.missing.reason


def test_a_load_balancer_on_a_missing_port_is_reported_and_gets_no_targets() -> None:
    traffic = _traffic({"loadBalancers": [{"targetGroupArn": TG, "containerName": "Web_App", "containerPort": 8080}]})
    assert _by_kind(traffic, "Service") == {}
    assert traffic.targets[0].service is None and traffic.optional == []
    assert any("no containerPort 8080" in w.reason for w in traffic.warnings)


def test_alb_ingress() -> None:
    traffic = _traffic(
        {
            "loadBalancers": [{"targetGroupArn": TG, "containerName": "Web_App", "containerPort": 80}],
            "ingress": {"host": "web.example.com", "path": "/api", "scheme": "internal"},
        }
    )
    ingress = _by_kind(traffic, "Ingress")["web"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["metadata"]["annotations"] == {
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/scheme": "internal",
    }
    (rule,) = ingress["spec"]["rules"]
    assert rule == {
        "host": "web.example.com",
        "http": {
            "paths": [
                {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}
            ]
        },
    }
    assert traffic.targets[0].ingress == "web"


def test_ingress_needs_a_load_balancer() -> None:
    with pytest.raises(SpecError) as caught:
        parse_service({"taskDefinition": "web", "desiredCount": 1, "ingress": {}})
    assert "needs a loadBalancers entry" in str(caught.value)


def test_service_registry_is_a_headless_service() -> None:
    registry = "arn:aws:servicediscovery:us-east-1:1:service/srv-1"
    traffic = _traffic(
        {"serviceRegistries": [{"registryArn": registry, "containerName": "Web_App", "containerPort": 80}]}
    )
    discovery = _by_kind(traffic, "Service")["web-discovery"]
    assert discovery["spec"]["clusterIP"] == "None"
    assert discovery["spec"]["selector"] == {"ecs.operator.dev/service": "web"}
    assert discovery["metadata"]["annotations"] == {"ecs.operator.dev/registry-arn": registry}
    named = _traffic({"serviceRegistries": [{"registryArn": registry}], "serviceDiscoveryName": "catalog"})
    assert _by_kind(named, "Service")["catalog"]["spec"]["ports"] == []  # A records only


def test_service_connect_services_by_discovery_name_and_alias() -> None:
    traffic = _traffic(
        {
            "serviceConnectConfiguration": {
                "enabled": True,
                "namespace": "internal",
                "services": [
                    {
                        "portName": "http",
                        "discoveryName": "frontend",
                        "clientAliases": [
                            {"port": 8000, "dnsName": "frontend"},
                            {"port": 80, "dnsName": "www.internal"},
                        ],
                    },
                    {"portName": "nope"},
                ],
            }
        }
    )
    services = _by_kind(traffic, "Service")
    assert sorted(
        (p["port"], p["targetPort"], p.get("appProtocol")) for p in services["frontend"]["spec"]["ports"]
    ) == [(80, 80, "kubernetes.io/h2c"), (8000, 80, "kubernetes.io/h2c")]
    assert [(p["port"], p["targetPort"]) for p in services["www"]["spec"]["ports"]] == [(80, 80)]
    reasons = " | ".join(w.reason for w in traffic.warnings)
    assert "no port mapping named nope" in reasons
    assert "www.internal is served by Service www" in reasons


def test_service_connect_alias_with_the_port_service_name_merges_ports() -> None:
    traffic = _traffic(
        {
            "serviceConnectConfiguration": {
                "enabled": True,
                "services": [{"portName": "http", "clientAliases": [{"port": 8080, "dnsName": "web"}]}],
            }
        }
    )
    ports = {(p["port"], p["targetPort"]) for p in _by_kind(traffic, "Service")["web"]["spec"]["ports"]}
    assert ports == {(80, 80), (9090, 9090), (8080, 80)}


def test_names_lists_every_rendered_object() -> None:
    traffic = _traffic(
        {"loadBalancers": [{"targetGroupArn": TG, "containerName": "Web_App", "containerPort": 80}], "ingress": {}}
    )
    assert traffic.names == ["Ingress/web", "Service/web", "TargetGroupBinding/web-web-tg"]


def test_network_mode_none_denies_all_traffic() -> None:
    out = render_network(OWNER, selector={"app": "x"}, network_mode="none", network_configuration=None)
    (policy,) = out.objects
    assert policy["kind"] == "NetworkPolicy"
    assert policy["spec"] == {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress", "Egress"]}


def test_security_groups_become_a_security_group_policy() -> None:
    spec = parse_service(
        {
            "taskDefinition": "web",
            "desiredCount": 1,
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": ["subnet-1"],
                    "securityGroups": ["sg-1", "sg-2"],
                    "assignPublicIp": "ENABLED",
                }
            },
        }
    )
    out = render_network(
        OWNER, selector={"app": "x"}, network_mode="awsvpc", network_configuration=spec.network_configuration
    )
    (policy,) = out.optional
    assert policy.api_version == "vpcresources.k8s.aws/v1beta1"
    assert policy.object["spec"] == {
        "podSelector": {"matchLabels": {"app": "x"}},
        "securityGroups": {"groupIds": ["sg-1", "sg-2"]},
    }
    assert {w.path for w in out.warnings} == {
        "networkConfiguration.awsvpcConfiguration.subnets",
        "networkConfiguration.awsvpcConfiguration.assignPublicIp",
    }


SLICES = [
    {
        "ports": [{"port": 80}],
        "endpoints": [
            {"addresses": ["10.0.0.1"], "conditions": {"ready": True}, "targetRef": {"name": "a"}},
            {"addresses": ["10.0.0.2"], "conditions": {"ready": False}, "targetRef": {"name": "b"}},
            {"addresses": ["10.0.0.3"], "conditions": {"ready": True, "terminating": True}, "targetRef": {"name": "c"}},
            {"addresses": ["10.0.0.4"], "conditions": {}, "targetRef": {"name": "d"}},
        ],
    },
    {
        "ports": [{"port": 80}],
        "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}, "targetRef": {"name": "a"}}],
    },
    {
        "ports": [{"port": 9090}],
        "endpoints": [{"addresses": ["10.0.0.9"], "conditions": {"ready": True}, "targetRef": {"name": "z"}}],
    },
]


def test_healthy_targets_are_ready_not_terminating_endpoints_on_the_port() -> None:
    assert healthy_targets(SLICES, 80) == ["a", "d"]
    assert healthy_targets(SLICES, 9090) == ["z"]
    assert healthy_targets([], 80) == []


def test_load_balancer_status() -> None:
    traffic = _traffic({"loadBalancers": [{"targetGroupArn": TG, "containerName": "Web_App", "containerPort": 80}]})
    assert load_balancer_status(traffic.targets, SLICES) == [
        {
            "containerName": "Web_App",
            "containerPort": 80,
            "targetGroupArn": TG,
            "service": "web",
            "targetGroupBinding": "web-web-tg",
            "healthyTargets": 2,
        }
    ]
