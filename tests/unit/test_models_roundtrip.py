"""Real ECS JSON goes in, the same JSON comes out.

parse -> dump(by_alias, exclude_unset) must reproduce the input, modulo the documented
normalisation:
  * an ECS integer written as a string of digits ("memory": "100") comes back as a number;
  * describe-task-definition output loses its read-only members (taskDefinitionArn, revision,
    status, ...) and its top-level ``tags`` move into the definition.
Task-level cpu/memory ("1 vCPU", "3 GB", "512") are kept exactly as written.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from ecs_operator.models import (
    READ_ONLY_MEMBERS,
    ECSClusterSpec,
    ECSServiceSpec,
    ECSTaskSpec,
    TaskDefinitionSpec,
    parse_cluster,
    parse_service,
    parse_task,
    parse_task_definition,
)
from ecs_operator.models.base import ECSModel
from ecs_operator.models.container import ContainerDefinition
from ecs_operator.models.introspect import field_aliases

DATA = Path(__file__).parent / "data" / "ecs"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / name).read_text())
    return document


def compare(dumped: Any, original: Any, path: str = "") -> list[str]:
    """Raise on any difference except int-for-digit-string; return the paths normalised so."""
    if isinstance(original, str) and isinstance(dumped, int) and not isinstance(dumped, bool):
        assert original == str(dumped), f"{path}: {original!r} became {dumped!r}"
        return [path]
    assert type(dumped) is type(original), f"{path}: {original!r} became {dumped!r}"
    if isinstance(original, Mapping):
        assert set(dumped) == set(original), f"{path}: members {set(original) ^ set(dumped)} differ"
        return [p for key in original for p in compare(dumped[key], original[key], f"{path}.{key}".lstrip("."))]
    if isinstance(original, list):
        assert len(dumped) == len(original), f"{path}: length differs"
        return [p for i, (d, o) in enumerate(zip(dumped, original, strict=True)) for p in compare(d, o, f"{path}[{i}]")]
    assert dumped == original, f"{path}: {original!r} became {dumped!r}"
    return []


Parser = Callable[[Mapping[str, Any]], ECSModel]

SAMPLES: list[tuple[str, Parser, set[str]]] = [
    (
        "register-webserver.json",
        parse_task_definition,
        {"containerDefinitions[0].memory", "containerDefinitions[0].cpu"},
    ),
    ("register-orders-ec2.json", parse_task_definition, set()),
    ("register-fargate-mesh.json", parse_task_definition, set()),
    ("create-service.json", parse_service, set()),
    ("run-task.json", parse_task, set()),
    ("create-cluster.json", parse_cluster, set()),
]


@pytest.mark.parametrize(("name", "parse", "normalised"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_sample_round_trips(name: str, parse: Parser, normalised: set[str]) -> None:
    original = load(name)
    spec = parse(copy.deepcopy(original))
    assert set(compare(spec.dump(), original)) == normalised


def test_seed_webserver_values() -> None:
    spec = parse_task_definition(load("register-webserver.json"))
    assert spec.family == "webserver"
    assert (spec.cpu, spec.memory) == ("256", "512")  # kept as written
    assert (spec.cpu_units, spec.memory_mib) == (256, 512)
    web = spec.container_definitions[0]
    assert (web.memory, web.cpu, web.essential) == (100, 99, True)
    assert spec.is_fargate and spec.effective_network_mode == "awsvpc"


def test_task_sizes_in_vcpu_and_gb_are_normalised_by_properties() -> None:
    orders = parse_task_definition(load("register-orders-ec2.json"))
    assert (orders.cpu, orders.memory, orders.cpu_units, orders.memory_mib) == ("1 vCPU", "3 GB", 1024, 3072)
    catalog = parse_task_definition(load("register-fargate-mesh.json"))
    assert (catalog.cpu_units, catalog.memory_mib) == (512, 1024)


def test_describe_output_drops_read_only_members_and_keeps_tags() -> None:
    described = load("describe-task-definition.json")
    spec = parse_task_definition(copy.deepcopy(described))
    expected = {k: v for k, v in described["taskDefinition"].items() if k not in READ_ONLY_MEMBERS}
    expected["tags"] = described["tags"]
    assert compare(spec.dump(), expected) == []
    assert not set(spec.dump()) & set(READ_ONLY_MEMBERS)


def test_describe_body_pasted_as_spec_is_accepted() -> None:
    body = load("describe-task-definition.json")["taskDefinition"]
    spec = TaskDefinitionSpec.model_validate(body)
    assert spec.family == "webserver" and "revision" not in spec.dump()


def test_multi_container_sample_uses_every_container_member() -> None:
    document = load("register-orders-ec2.json")
    used = {member for container in document["containerDefinitions"] for member in container}
    assert used == set(field_aliases(ContainerDefinition))


@pytest.mark.parametrize(
    ("kind", "parse", "spec"),
    [
        ("TaskDefinition", parse_task_definition, load("register-webserver.json")),
        ("ECSService", parse_service, load("create-service.json")),
        ("ECSTask", parse_task, load("run-task.json")),
        ("ECSCluster", parse_cluster, load("create-cluster.json")),
    ],
)
def test_kubernetes_manifest_form_is_unwrapped(kind: str, parse: Parser, spec: dict[str, Any]) -> None:
    manifest = {"apiVersion": "ecs.operator.dev/v1alpha1", "kind": kind, "metadata": {"name": "x"}, "spec": spec}
    assert parse(manifest).dump() == parse(spec).dump()


def test_manifest_name_defaults_service_and_cluster_names() -> None:
    service = {"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "ECSService", "metadata": {"name": "web"},
               "spec": {"taskDefinition": "webserver", "desiredCount": 2}}  # fmt: skip
    assert parse_service(service).service_name == "web"
    cluster = {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "ECSCluster",
        "metadata": {"name": "prod"},
        "spec": {},
    }
    assert parse_cluster(cluster).cluster_name == "prod"


def test_python_names_populate_too() -> None:
    spec = ECSServiceSpec(task_definition="web:2", desired_count=1, enable_ecs_managed_tags=True)
    assert spec.dump() == {"taskDefinition": "web:2", "desiredCount": 1, "enableECSManagedTags": True}


def test_service_helpers() -> None:
    spec = parse_service(load("create-service.json"))
    assert tuple(spec.task_definition_ref) == ("orders-api", 7)
    assert spec.cluster_name == "production"
    arn = parse_service({"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod", "taskDefinition": "w",
                         "desiredCount": 1})  # fmt: skip
    assert arn.cluster_name == "prod"
    assert parse_service({"taskDefinition": "w", "desiredCount": 1}).cluster_name == "default"
    assert spec.deployment_percents() == (200, 50)
    daemon = ECSServiceSpec.model_validate({"taskDefinition": "agent", "schedulingStrategy": "DAEMON"})
    assert daemon.deployment_percents() == (100, 0)
    replica = ECSServiceSpec.model_validate({"taskDefinition": "web", "desiredCount": 2})
    assert replica.deployment_percents() == (200, 100)


def test_task_helpers() -> None:
    spec = parse_task(load("run-task.json"))
    assert tuple(spec.task_definition_ref) == ("nightly-report", 12)
    assert spec.task_count == 2 and spec.desired_status == "RUNNING"
    assert spec.overrides is not None and (spec.overrides.cpu_units, spec.overrides.memory_mib) == (1024, 2048)
    assert ECSTaskSpec.model_validate({"taskDefinition": "t"}).task_count == 1


def test_cluster_knows_fargate_providers_without_profiles() -> None:
    spec = parse_cluster(load("create-cluster.json"))
    fargate = spec.provider("FARGATE_SPOT")
    assert fargate is not None and fargate.type == "FARGATE_SPOT"
    assert spec.provider("nodes") is None


def test_cluster_with_capacity_provider_profiles() -> None:
    spec = ECSClusterSpec.model_validate(
        {
            "capacityProviders": ["on-demand", "spot", "FARGATE"],
            "defaultCapacityProviderStrategy": [{"capacityProvider": "on-demand", "base": 2, "weight": 1},
                                                {"capacityProvider": "spot", "weight": 3}],
            "capacityProviderProfiles": [
                {"name": "on-demand", "type": "MANAGED_NODEGROUP", "nodegroupName": "general",
                 "capacityType": "ON_DEMAND", "nodeSelector": {"eks.amazonaws.com/capacityType": "ON_DEMAND"}},
                {"name": "spot", "type": "MANAGED_NODEGROUP", "capacityType": "SPOT",
                 "tolerations": [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
                 "labels": {"tier": "batch"}, "annotations": {"note": "cheap"}},
                {"name": "FARGATE", "type": "FARGATE", "schedulerName": "fargate-scheduler",
                 "runtimeClassName": "kata"},
            ],
        }
    )  # fmt: skip
    spot = spec.provider("spot")
    assert spot is not None and spot.tolerations == [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}]
    fargate = spec.provider("FARGATE")
    assert fargate is not None and fargate.scheduler_name == "fargate-scheduler"


def test_service_auto_scaling_block() -> None:
    spec = parse_service(
        {
            "taskDefinition": "web",
            "desiredCount": 2,
            "autoScaling": {
                "minCapacity": 2,
                "maxCapacity": "10",
                "targetTrackingScalingPolicies": [
                    {"policyName": "cpu", "targetValue": 60,
                     "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
                     "scaleInCooldown": 120, "scaleOutCooldown": 30, "disableScaleIn": False},
                    {"targetValue": 1000,
                     "customizedMetricSpecification": {"metricName": "queue_depth", "namespace": "orders",
                                                       "dimensions": [{"name": "queue", "value": "orders"}],
                                                       "statistic": "Average"}},
                ],
                "scheduledActions": [
                    {"schedule": "cron(0 8 ? * MON-FRI *)", "timezone": "Europe/Lisbon",
                     "scalableTargetAction": {"minCapacity": 4, "maxCapacity": 10}},
                    {"schedule": "at(2025-12-24T18:00:00)", "scalableTargetAction": {"maxCapacity": 3}},
                ],
            },
        }
    )  # fmt: skip
    assert spec.auto_scaling is not None
    assert (spec.auto_scaling.min_capacity, spec.auto_scaling.max_capacity) == (2, 10)
    assert spec.dump()["autoScaling"]["targetTrackingScalingPolicies"][0]["targetValue"] == 60


def test_scheduled_task_and_stop() -> None:
    spec = parse_task({"taskDefinition": "report", "schedule": "rate(1 day)", "desiredStatus": "STOPPED"})
    assert spec.schedule == "rate(1 day)" and spec.desired_status == "STOPPED"


def test_container_helpers() -> None:
    orders = parse_task_definition(load("register-orders-ec2.json"))
    app = orders.container("app")
    assert app is not None
    assert app.run_as == (1000, 1000)
    assert app.gpu_count == 1
    assert app.reserved_memory_mib == 1536
    assert [m.ports for m in app.port_mappings or ()][2] == range(7000, 7011)
    volume = orders.volume("shared-data")
    assert volume is not None and volume.source == "efsVolumeConfiguration"
    assert orders.volume("ebs-data") is not None and orders.volume("ebs-data").source == "configuredAtLaunch"  # type: ignore[union-attr]
