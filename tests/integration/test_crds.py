"""The generated CRDs on a real API server.

Every CRD installs; real ECS documents apply unchanged (nothing pruned); broken documents are
rejected by `kubectl apply` itself with a message that names the field; the models reject the
same documents too, so the two layers agree. The rules CEL cannot express are unit-tested in
tests/unit/test_models_rejections.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_operator.models import SpecError, parse_cluster, parse_service, parse_task, parse_task_definition
from ecs_operator.models.base import ECSModel
from ecs_operator.models.crd import KINDS

DATA = Path(__file__).resolve().parents[1] / "unit" / "data" / "ecs"
API_VERSION = "ecs.operator.dev/v1alpha1"
PARSERS: dict[str, Callable[[Mapping[str, Any]], ECSModel]] = {
    "TaskDefinition": parse_task_definition,
    "ECSService": parse_service,
    "ECSTask": parse_task,
    "ECSCluster": parse_cluster,
}


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / name).read_text())
    return document


def manifest(kind: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": dict(spec)}


def apply(cluster: ClusterHandle, namespace: str, *objects: dict[str, Any]) -> Any:
    return cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump_all(objects), check=False)


def get_spec(cluster: ClusterHandle, namespace: str, resource: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(cluster.kubectl("get", resource, "-n", namespace, "-o", "json").stdout)["spec"]
    return spec


def test_every_crd_is_established(cluster: ClusterHandle, crds: list[str]) -> None:
    assert sorted(crds) == sorted(f"customresourcedefinition.apiextensions.k8s.io/{kind.name}" for kind in KINDS)
    for kind in KINDS:
        crd = json.loads(cluster.kubectl("get", "crd", kind.name, "-o", "json").stdout)
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conditions.get("Established") == "True", kind.name
        assert conditions.get("NamesAccepted") == "True", kind.name


def test_seed_webserver_applies(cluster: ClusterHandle, crds: list[str], namespace: str) -> None:
    seed = load("register-webserver.json")
    result = apply(cluster, namespace, manifest("TaskDefinition", "webserver", seed))
    assert result.returncode == 0, result.stderr
    assert get_spec(cluster, namespace, "td/webserver") == seed  # "memory": "100" kept as written
    listing = cluster.kubectl("get", "td", "-n", namespace).stdout
    assert listing.split("\n")[0].split()[:4] == ["NAME", "FAMILY", "REVISION", "STATUS"]
    assert "webserver" in listing.split("\n")[1]


SAMPLES = [
    ("TaskDefinition", "orders-api", "register-orders-ec2.json"),
    ("TaskDefinition", "catalog", "register-fargate-mesh.json"),
    ("ECSService", "orders-api", "create-service.json"),
    ("ECSTask", "nightly-report", "run-task.json"),
    ("ECSCluster", "production", "create-cluster.json"),
]


@pytest.mark.parametrize(("kind", "name", "sample"), SAMPLES, ids=[s[2] for s in SAMPLES])
def test_real_ecs_documents_apply_unchanged(
    cluster: ClusterHandle, crds: list[str], namespace: str, kind: str, name: str, sample: str
) -> None:
    spec = load(sample)
    result = apply(cluster, namespace, manifest(kind, name, spec))
    assert result.returncode == 0, result.stderr
    assert get_spec(cluster, namespace, f"{kind.lower()}/{name}") == spec


def test_describe_output_pastes_under_spec(cluster: ClusterHandle, crds: list[str], namespace: str) -> None:
    body = load("describe-task-definition.json")["taskDefinition"]
    result = apply(cluster, namespace, manifest("TaskDefinition", "described", body))
    assert result.returncode == 0, result.stderr
    stored = get_spec(cluster, namespace, "td/described")
    assert stored["taskDefinitionArn"] == body["taskDefinitionArn"]
    assert parse_task_definition(stored).dump()["family"] == "webserver"


def test_kubectl_get_ecs_lists_every_kind(cluster: ClusterHandle, crds: list[str], namespace: str) -> None:
    result = apply(
        cluster,
        namespace,
        manifest("ECSCluster", "default", {}),
        manifest("TaskDefinition", "webserver", load("register-webserver.json")),
        manifest("ECSService", "web", {"cluster": "default", "taskDefinition": "webserver", "desiredCount": 1}),
        manifest("ECSTask", "once", {"cluster": "default", "taskDefinition": "webserver:1"}),
    )
    assert result.returncode == 0, result.stderr
    names = cluster.kubectl("get", "ecs", "-n", namespace, "-o", "name").stdout.split()
    kinds = {name.split("/")[0].split(".")[0] for name in names}
    assert kinds == {"ecscluster", "taskdefinition", "ecsservice", "ecstask"}
    for short in ("ecsc", "td", "ecss", "ecst"):
        assert cluster.kubectl("get", short, "-n", namespace, "-o", "name").stdout.strip()


def test_scale_subresource_drives_desired_count(cluster: ClusterHandle, crds: list[str], namespace: str) -> None:
    spec = {"taskDefinition": "webserver", "desiredCount": 2}
    assert apply(cluster, namespace, manifest("ECSService", "web", spec)).returncode == 0
    cluster.kubectl("scale", "ecss/web", "-n", namespace, "--replicas=5")
    assert get_spec(cluster, namespace, "ecss/web")["desiredCount"] == 5


def _td(**members: Any) -> dict[str, Any]:
    return {"family": "bad", "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 512}], **members}


def _container(**members: Any) -> dict[str, Any]:
    return _td(containerDefinitions=[{"name": "web", "image": "nginx", "memory": 512, **members}])


_FARGATE = {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512"}

BROKEN: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("reservation", "TaskDefinition", _container(memoryReservation=1024),
     ["spec.containerDefinitions[0].memoryReservation", "memoryReservation must be less than memory"]),
    ("no-essential", "TaskDefinition", _container(essential=False),
     ["spec.containerDefinitions", "a task definition must have at least one essential container"]),
    ("duplicate-names", "TaskDefinition",
     _td(containerDefinitions=[{"name": "web", "image": "a", "memory": 64},
                               {"name": "web", "image": "b", "memory": 64}]),
     ["spec.containerDefinitions", "container names must be unique"]),
    ("too-many-containers", "TaskDefinition",
     _td(containerDefinitions=[{"name": f"c{i}", "image": "a", "memory": 6} for i in range(11)]),
     ["spec.containerDefinitions", "must have at most 10 items"]),
    ("health-interval", "TaskDefinition", _container(healthCheck={"command": ["CMD", "true"], "interval": 2}),
     ["spec.containerDefinitions[0].healthCheck.interval", "must be between 5 and 300"]),
    ("health-timeout-string", "TaskDefinition", _container(healthCheck={"command": ["CMD", "true"], "timeout": "100"}),
     ["spec.containerDefinitions[0].healthCheck.timeout", "must be between 2 and 60"]),
    ("health-command-cmd-alone", "TaskDefinition", _container(healthCheck={"command": ["CMD"]}),
     ["spec.containerDefinitions[0].healthCheck.command", "CMD and CMD-SHELL need the command to run after them"]),
    ("awsvpc-host-port", "TaskDefinition",
     _container(portMappings=[{"containerPort": 80, "hostPort": 8080}]) | {"networkMode": "awsvpc"},
     ["spec.containerDefinitions", "hostPort must match containerPort"]),
    ("fargate-bridge", "TaskDefinition", _td(**{**_FARGATE, "networkMode": "bridge"}),
     ["spec.networkMode", "Fargate only supports network mode 'awsvpc'"]),
    ("fargate-no-cpu", "TaskDefinition", _td(**{k: v for k, v in _FARGATE.items() if k != "cpu"}),
     ["spec.cpu", "Fargate requires that 'cpu' be defined at the task level"]),
    ("fargate-privileged", "TaskDefinition",
     _td(**_FARGATE, containerDefinitions=[{"name": "web", "image": "nginx", "privileged": True}]),
     ["spec.containerDefinitions", "privileged containers are not supported on Fargate"]),
    ("fargate-host-path", "TaskDefinition", _td(**_FARGATE, volumes=[{"name": "v", "host": {"sourcePath": "/data"}}]),
     ["spec.volumes", "Fargate does not support host volumes with a sourcePath"]),
    ("family-pattern", "TaskDefinition", _td(family="web server"), ["spec.family", "should match"]),
    ("memory-words", "TaskDefinition", _container(memory="lots"),
     ["spec.containerDefinitions[0].memory", "must be an integer"]),
    ("task-cpu-words", "TaskDefinition", _td(cpu="1 core"), ["spec.cpu", "must be CPU units (1024) or vCPUs"]),
    ("user-with-space", "TaskDefinition", _container(user="app user"),
     ["spec.containerDefinitions[0].user", "should match"]),
    ("typo", "TaskDefinition", _container(memoryReservaton=128),
     ['unknown field "spec.containerDefinitions[0].memoryReservaton"']),
    ("network-mode", "TaskDefinition", _td(networkMode="nat"), ["spec.networkMode", 'Unsupported value: "nat"']),
    ("s3-volume", "TaskDefinition", _td(volumes=[{"name": "v", "s3filesVolumeConfiguration": {"fileSystemArn": "x"}}]),
     ["spec.volumes[0].s3filesVolumeConfiguration", "not supported"]),
    ("percent-order", "ECSService",
     {"taskDefinition": "web", "desiredCount": 1,
      "deploymentConfiguration": {"maximumPercent": 50, "minimumHealthyPercent": 75}},
     ["spec.deploymentConfiguration.minimumHealthyPercent", "must not exceed maximumPercent"]),
    ("negative-desired", "ECSService", {"taskDefinition": "web", "desiredCount": -1},
     ["spec.desiredCount", "greater than or equal to 0"]),
    ("desired-missing", "ECSService", {"taskDefinition": "web"},
     ["spec.desiredCount", "desiredCount is required when schedulingStrategy is REPLICA"]),
    ("task-definition-form", "ECSService", {"taskDefinition": "web:latest", "desiredCount": 1},
     ["spec.taskDefinition", "should match"]),
    ("launch-type-and-strategy", "ECSService",
     {"taskDefinition": "web", "desiredCount": 1, "launchType": "FARGATE",
      "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]},
     ["spec.launchType", "launchType cannot be given together with capacityProviderStrategy"]),
    ("two-bases", "ECSService",
     {"taskDefinition": "web", "desiredCount": 1,
      "capacityProviderStrategy": [{"capacityProvider": "a", "base": 1, "weight": 1},
                                   {"capacityProvider": "b", "base": 1, "weight": 1}]},
     ["spec.capacityProviderStrategy", "only one capacity provider in a strategy can have a base"]),
    ("client-token-too-long", "ECSService", {"taskDefinition": "web", "desiredCount": 1, "clientToken": "t" * 37},
     ["spec.clientToken", "Too long"]),
    ("scaling-bounds", "ECSService",
     {"taskDefinition": "web", "desiredCount": 1, "autoScaling": {"minCapacity": 5, "maxCapacity": 2}},
     ["spec.autoScaling.minCapacity", "minCapacity must not exceed maxCapacity"]),
    ("daemon-fargate", "ECSService", {"taskDefinition": "web", "schedulingStrategy": "DAEMON", "launchType": "FARGATE"},
     ["spec.launchType", "the DAEMON scheduling strategy does not support FARGATE"]),
    ("count", "ECSTask", {"taskDefinition": "web", "count": 11}, ["spec.count", "must be between 1 and 10"]),
    ("propagate-service", "ECSTask", {"taskDefinition": "web", "propagateTags": "SERVICE"},
     ["spec.propagateTags", "propagateTags SERVICE is not valid when running a task"]),
    ("schedule", "ECSTask", {"taskDefinition": "web", "schedule": "every day"}, ["spec.schedule", "should match"]),
    ("desired-status", "ECSTask", {"taskDefinition": "web", "desiredStatus": "PENDING"},
     ["spec.desiredStatus", 'Unsupported value: "PENDING"']),
    ("override-reservation", "ECSTask",
     {"taskDefinition": "web", "overrides": {"containerOverrides": [{"name": "web", "memory": 128,
                                                                      "memoryReservation": 256}]}},
     ["spec.overrides.containerOverrides[0].memoryReservation", "memoryReservation must be less than memory"]),
    ("unknown-provider", "ECSCluster", {"capacityProviders": ["on-demand"]},
     ["spec.capacityProviders", "every capacity provider must be FARGATE, FARGATE_SPOT or described"]),
    ("strategy-not-associated", "ECSCluster",
     {"capacityProviders": ["FARGATE"], "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT"}]},
     ["spec.defaultCapacityProviderStrategy", "must be one of the cluster's capacityProviders"]),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "spec", "expected"), [pytest.param(*case[1:], id=case[0]) for case in BROKEN])
def test_apply_rejects_with_field_named(
    cluster: ClusterHandle, crds: list[str], namespace: str, kind: str, spec: dict[str, Any], expected: list[str]
) -> None:
    result = apply(cluster, namespace, manifest(kind, "broken", copy.deepcopy(spec)))
    assert result.returncode != 0, f"{kind} was accepted: {spec}"
    for words in expected:
        assert words in result.stderr, f"{words!r} not in:\n{result.stderr}"
    assert cluster.kubectl("get", kind.lower(), "broken", "-n", namespace, check=False).returncode != 0
    with pytest.raises(SpecError):  # the models agree
        PARSERS[kind](spec)


def test_enough_rules_are_enforced_by_the_api_server() -> None:
    assert len(BROKEN) >= 12


# Inputs ECS accepts that the models and CRDs once refused (tests/unit/test_models_leniency.py has
# the ECS sources): kubectl apply takes them, and the models agree.
ECS_ACCEPTS: list[tuple[str, str, dict[str, Any]]] = [
    ("health-exec-form", "TaskDefinition", _container(healthCheck={"command": ["/healthcheck", "--live"]})),
    ("health-none", "TaskDefinition", _container(healthCheck={"command": ["NONE"]})),
    ("user-name", "TaskDefinition", _container(user="www-data:www-data")),
    ("service-client-token", "ECSService", {"taskDefinition": "web", "desiredCount": 1, "clientToken": "deploy-42"}),
    ("task-client-token", "ECSTask", {"taskDefinition": "web", "clientToken": "t" * 64}),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "spec"), [pytest.param(*case[1:], id=case[0]) for case in ECS_ACCEPTS])
def test_inputs_ecs_accepts_apply(
    cluster: ClusterHandle, crds: list[str], namespace: str, kind: str, spec: dict[str, Any]
) -> None:
    result = apply(cluster, namespace, manifest(kind, "lenient", copy.deepcopy(spec)))
    assert result.returncode == 0, result.stderr
    assert get_spec(cluster, namespace, f"{kind.lower()}/lenient") == spec
    PARSERS[kind](spec)  # the models agree


def test_null_members_are_pruned_like_absent_ones(cluster: ClusterHandle, crds: list[str], namespace: str) -> None:
    spec = _container(essential=None, memoryReservation=None, healthCheck=None) | {"ipcMode": None}
    result = apply(cluster, namespace, manifest("TaskDefinition", "nulls", spec))
    assert result.returncode == 0, result.stderr
    stored = get_spec(cluster, namespace, "td/nulls")
    assert "ipcMode" not in stored
    assert stored["containerDefinitions"][0] == {"name": "web", "image": "nginx", "memory": 512}
    assert parse_task_definition(spec).dump() == stored  # the models read a null as an absent member too
