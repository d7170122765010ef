"""Terraform state (format 4), `terraform show -json` and plan JSON -> the custom resources, rendered."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ecs_operator.convert import ConvertError, Source, convert
from ecs_operator.convert_terraform import is_terraform
from ecs_operator.preview import preview

DATA = Path(__file__).parent / "data" / "terraform"


def _source(name: str, data: Any = None) -> Source:
    text = (DATA / name).read_text() if data is None else json.dumps(data)
    return Source(name, text, Path(name).stem)


def _by_kind(name: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for manifest in convert([_source(name)]).manifests:
        found.setdefault(manifest["kind"], []).append(manifest)
    return found


def test_the_three_documents_are_told_apart_from_ecs_json() -> None:
    for name in ("shop.tfstate", "batch-show.json", "api-plan.json"):
        assert is_terraform(json.loads((DATA / name).read_text())), name
    assert not is_terraform({"family": "web", "containerDefinitions": []})
    assert not is_terraform({"version": 4, "resources": []})  # no terraform_version: not a state file


def test_state_file_gives_cluster_task_definition_and_service() -> None:
    found = _by_kind("shop.tfstate")
    assert sorted(found) == ["ECSCluster", "ECSService", "TaskDefinition"]
    cluster = found["ECSCluster"][0]["spec"]
    # aws_ecs_cluster_capacity_providers lands on the aws_ecs_cluster of the same name
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["defaultCapacityProviderStrategy"][1] == {"base": 0, "capacityProvider": "FARGATE_SPOT", "weight": 3}
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert cluster["configuration"]["executeCommandConfiguration"]["logConfiguration"]["s3EncryptionEnabled"] is False
    assert cluster["tags"] == [{"key": "team", "value": "shop"}]  # tags, not tags_all


def test_container_definitions_are_parsed_from_their_json_string_without_nulls() -> None:
    spec = _by_kind("shop.tfstate")["TaskDefinition"][0]["spec"]
    container = spec["containerDefinitions"][0]
    assert container["name"] == "web" and container["memory"] == 512
    assert "secrets" not in container and "volumesFrom" not in container
    assert "secretOptions" not in container["logConfiguration"]
    efs = spec["volumes"][0]["efsVolumeConfiguration"]
    assert efs["authorizationConfig"] == {"accessPointId": "fsap-0123456789abcdef0", "iam": "ENABLED"}
    assert "transitEncryptionPort" not in efs  # the provider's 0 means unset
    assert spec["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    for unset in ("taskRoleArn", "pidMode", "ipcMode", "ephemeralStorage", "proxyConfiguration", "tags"):
        assert unset not in spec, unset


def test_service_attributes_map_to_create_service_members() -> None:
    spec = _by_kind("shop.tfstate")["ECSService"][0]["spec"]
    assert spec["serviceName"] == "web" and spec["cluster"] == "shop"  # cluster ARN -> name
    assert spec["taskDefinition"] == "web"  # ARN web:7 -> the family (revisions restart at 1)
    assert spec["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 50,
    }
    assert spec["loadBalancers"] == [
        {
            "containerName": "web",
            "containerPort": 80,
            "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef",
        }
    ]
    assert spec["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert spec["capacityProviderStrategy"][0] == {"base": 1, "capacityProvider": "FARGATE", "weight": 1}
    # Terraform's stored defaults and provider-only attributes are not members
    for absent in ("role", "launchType", "enableECSManagedTags", "placementStrategy", "forceNewDeployment", "id"):
        assert absent not in spec, absent


def test_keep_revisions_keeps_the_terraform_reference() -> None:
    from ecs_operator.convert import ConvertOptions

    result = convert([_source("shop.tfstate")], ConvertOptions(keep_revisions=True))
    service = next(m for m in result.manifests if m["kind"] == "ECSService")
    assert service["spec"]["taskDefinition"] == "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"


def test_show_json_reads_child_modules_and_ec2_placement() -> None:
    found = _by_kind("batch-show.json")
    service = found["ECSService"][0]["spec"]
    assert service["placementStrategy"] == [
        {"type": "spread", "field": "attribute:ecs.availability-zone"},
        {"type": "binpack", "field": "memory"},
    ]
    assert service["placementConstraints"] == [{"type": "distinctInstance"}]
    assert "deploymentCircuitBreaker" not in service["deploymentConfiguration"]  # both false = none
    assert service["deploymentConfiguration"]["minimumHealthyPercent"] == 0  # a real 0 stays
    task_definition = found["TaskDefinition"][0]["spec"]
    assert task_definition["volumes"] == [{"name": "scratch", "host": {"sourcePath": "/var/scratch"}}]
    assert "cpu" not in task_definition and "memory" not in task_definition
    assert found["ECSCluster"][0]["spec"]["clusterName"] == "batch"


def test_plan_json_reads_planned_values() -> None:
    found = _by_kind("api-plan.json")
    service = found["ECSService"][0]["spec"]
    assert service["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-0ccc"],
        "assignPublicIp": "ENABLED",
    }
    assert service["tags"] == [{"key": "app", "value": "api"}]
    assert found["TaskDefinition"][0]["spec"]["containerDefinitions"][0]["portMappings"] == [{"containerPort": 8080}]


@pytest.mark.parametrize("name", ["shop.tfstate", "batch-show.json", "api-plan.json"])
def test_every_fixture_renders(name: str) -> None:
    result = preview(convert([_source(name)]).items, namespace="shop")
    kinds = {obj["kind"] for obj in result.objects}
    assert "Deployment" in kinds, kinds


def test_every_problem_is_reported_at_once_with_its_terraform_path() -> None:
    state = json.loads((DATA / "shop.tfstate").read_text())
    broken = copy.deepcopy(state)
    task_definition = broken["resources"][3]["instances"][0]["attributes"]
    containers = json.loads(task_definition["container_definitions"])
    containers[0]["memoryReservation"] = 4096  # more than memory (512)
    task_definition["container_definitions"] = json.dumps(containers)
    service = broken["resources"][4]["instances"][0]["attributes"]
    service["deployment_minimum_healthy_percent"] = -5
    service["load_balancer"][0]["container_port"] = 70000
    with pytest.raises(ConvertError) as caught:
        convert([_source("shop.tfstate", broken)])
    messages = [str(p) for p in caught.value.problems]
    base = "shop.tfstate: resources[{}].instances[0].attributes."
    assert any(m.startswith(base.format(3) + "container_definitions[0].memoryReservation") for m in messages), messages
    assert any(m.startswith(base.format(4) + "deployment_minimum_healthy_percent") for m in messages), messages
    assert any(m.startswith(base.format(4) + "load_balancer[0].container_port") for m in messages), messages


def test_an_unparsable_container_definitions_string_is_reported() -> None:
    plan = json.loads((DATA / "api-plan.json").read_text())
    plan["planned_values"]["root_module"]["resources"][1]["values"]["container_definitions"] = "[{not json"
    with pytest.raises(ConvertError) as caught:
        convert([_source("api-plan.json", plan)])
    assert [p.path for p in caught.value.problems] == [
        "planned_values.root_module.resources[1].values.container_definitions"
    ]


def test_blocks_the_provider_names_differently_map_to_ecs_members() -> None:
    plan = json.loads((DATA / "api-plan.json").read_text())
    service, task_definition = (r["values"] for r in plan["planned_values"]["root_module"]["resources"])
    service["service_connect_configuration"] = [
        {
            "enabled": True,
            "namespace": "shop",
            "service": [
                {"port_name": "http", "discovery_name": "api", "client_alias": [{"port": 80, "dns_name": "api"}]}
            ],
        }
    ]
    service["volume_configuration"] = [
        {"name": "data", "managed_ebs_volume": [{"role_arn": "arn:aws:iam::123456789012:role/ebs", "size_in_gb": 30,
                                                   "file_system_type": "ext4"}]}
    ]  # fmt: skip
    service["deployment_maximum_percent"] = 150
    service["deployment_configuration"] = [{"strategy": "ROLLING"}]
    task_definition["container_definitions"] = json.dumps(
        [
            {
                "name": "api",
                "image": "busybox:1.36",
                "essential": True,
                "portMappings": [{"containerPort": 8080, "name": "http"}],
            }
        ]
    )
    task_definition["ephemeral_storage"] = [{"size_in_gib": 30}]
    task_definition["proxy_configuration"] = [
        {"type": "APPMESH", "container_name": "api", "properties": {"AppPorts": "8080", "IgnoredUID": "1337"}}
    ]
    found = {m["kind"]: m["spec"] for m in convert([_source("api-plan.json", plan)]).manifests}
    connect = found["ECSService"]["serviceConnectConfiguration"]
    assert connect["services"] == [
        {"portName": "http", "discoveryName": "api", "clientAliases": [{"port": 80, "dnsName": "api"}]}
    ]
    ebs = found["ECSService"]["volumeConfigurations"][0]["managedEBSVolume"]
    assert (ebs["sizeInGiB"], ebs["filesystemType"]) == (30, "ext4")
    assert found["ECSService"]["deploymentConfiguration"] == {"maximumPercent": 150, "strategy": "ROLLING"}
    assert found["TaskDefinition"]["ephemeralStorage"] == {"sizeInGiB": 30}
    assert found["TaskDefinition"]["proxyConfiguration"]["properties"] == [
        {"name": "AppPorts", "value": "8080"},
        {"name": "IgnoredUID", "value": "1337"},
    ]
