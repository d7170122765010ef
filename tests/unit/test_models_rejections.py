"""Bad ECS input is rejected with ECS's rule and the path of the offending field.

Each case is a small valid document with one thing broken; the SpecError must contain an issue
at exactly that path whose message contains the expected words.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from ecs_operator.models import SpecError, parse_cluster, parse_service, parse_task, parse_task_definition
from ecs_operator.models.base import ECSModel

Parser = Callable[[Mapping[str, Any]], ECSModel]

WEB: dict[str, Any] = {"name": "web", "image": "nginx", "memory": 512}
FARGATE: dict[str, Any] = {
    "family": "web",
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
    "containerDefinitions": [{"name": "web", "image": "nginx"}],
}


def td(*containers: dict[str, Any], **members: Any) -> dict[str, Any]:
    """A task definition with the given containers (default: one 'web') and members."""
    return {"family": "web", "containerDefinitions": list(containers) or [dict(WEB)], **members}


def web(**members: Any) -> dict[str, Any]:
    return {**WEB, **members}


def fargate(**members: Any) -> dict[str, Any]:
    document = copy.deepcopy(FARGATE)
    document.update(members)
    return document


def service(**members: Any) -> dict[str, Any]:
    return {"taskDefinition": "web", "desiredCount": 2, **members}


def task(**members: Any) -> dict[str, Any]:
    return {"taskDefinition": "web:3", **members}


def health(**members: Any) -> dict[str, Any]:
    return web(healthCheck={"command": ["CMD-SHELL", "true"], **members})


TASK_DEFINITION_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("reservation-not-below-memory", td(web(memoryReservation=512)),
     "containerDefinitions[0].memoryReservation", "must be less than memory (512)"),
    ("reservation-as-string", td(web(memory="256", memoryReservation="300")),
     "containerDefinitions[0].memoryReservation", "must be less than memory (256)"),
    ("no-essential-container", td(web(essential=False)),
     "containerDefinitions", "at least one essential container"),
    ("duplicate-container-names", td(web(), web()),
     "containerDefinitions[1].name", "duplicate container name 'web'"),
    ("too-many-containers", td(*[web(name=f"c{i}", memory=6) for i in range(11)]),
     "containerDefinitions", "at most 10 items"),
    ("bad-family", td(family="web server"), "family", "letters, digits, hyphens or underscores"),
    ("family-too-long", td(family="f" * 256), "family", "at most 255 characters"),
    ("missing-family", {"containerDefinitions": [WEB]}, "family", "is required"),
    ("bad-container-name", td(web(name="web.1")), "containerDefinitions[0].name", "letters, digits, hyphens"),
    ("user-with-space", td(web(user="app user")), "containerDefinitions[0].user", "must be user, user:group"),
    ("user-three-parts", td(web(user="1000:1000:1000")), "containerDefinitions[0].user", "uid:gid"),
    ("memory-not-a-number", td(web(memory="lots")), "containerDefinitions[0].memory", "must be an integer"),
    ("memory-below-docker-minimum", td(web(memory=4)), "containerDefinitions[0].memory", "at least 6 MiB"),
    ("essential-as-string", td(web(essential="yes")), "containerDefinitions[0].essential", "must be a boolean"),
    ("typo", td(web(memoryReservaton=128)),
     "containerDefinitions[0].memoryReservaton", "did you mean 'memoryReservation'"),
    ("unknown-top-level", td(famliy="x"), "famliy", "unknown field"),
    ("no-memory-anywhere", td({"name": "web", "image": "nginx"}),
     "containerDefinitions[0]", "At least one of 'memory' or 'memoryReservation' must be specified"),
    ("container-memory-over-task", td(web(memory=1024), memory="512"),
     "containerDefinitions[0].memory", "must not exceed the task memory (512 MiB)"),
    ("reservations-over-task", td(web(memory=300), web(name="side", memory=300), memory="0.5 GB"),
     "containerDefinitions", "reserve 600 MiB"),
    ("cpu-over-task", td(web(cpu=512), cpu="256"), "containerDefinitions", "adds up to 512 units"),
    ("task-cpu-words", td(cpu="1 core"), "cpu", "Invalid 'cpu' setting for task"),
    ("task-memory-words", td(memory="2 TB"), "memory", "Invalid 'memory' setting for task"),
    ("task-cpu-fraction", td(cpu="0.3 vCPU"), "cpu", "not a whole number of CPU units"),
    ("ec2-cpu-too-small", td(cpu="64"), "cpu", "between 128 and 196608"),
    ("awsvpc-host-port", td(web(portMappings=[{"containerPort": 80, "hostPort": 8080}]), networkMode="awsvpc"),
     "containerDefinitions[0].portMappings[0].hostPort", "must match containerPort (80)"),
    ("host-mode-host-port", td(web(portMappings=[{"containerPort": 80, "hostPort": "81"}]), networkMode="host"),
     "containerDefinitions[0].portMappings[0].hostPort", "when networkMode is host"),
    ("port-missing", td(web(portMappings=[{"protocol": "tcp"}])),
     "containerDefinitions[0].portMappings[0].containerPort", "is required"),
    ("port-out-of-range", td(web(portMappings=[{"containerPort": 70000}])),
     "containerDefinitions[0].portMappings[0].containerPort", "between 0 and 65535"),
    ("port-range-backwards", td(web(portMappings=[{"containerPortRange": "9000-8000"}])),
     "containerDefinitions[0].portMappings[0].containerPortRange", "first port must be less than the last"),
    ("port-range-and-port", td(web(portMappings=[{"containerPort": 80, "containerPortRange": "80-90"}])),
     "containerDefinitions[0].portMappings[0].containerPortRange", "cannot be given together"),
    ("duplicate-port-name", td(web(portMappings=[{"containerPort": 80, "name": "http"},
                                                 {"containerPort": 81, "name": "http"}])),
     "containerDefinitions[0].portMappings[1].name", "already used"),
    ("bad-protocol", td(web(portMappings=[{"containerPort": 80, "protocol": "sctp"}])),
     "containerDefinitions[0].portMappings[0].protocol", "must be one of 'tcp' or 'udp'"),
    ("mount-unknown-volume", td(web(mountPoints=[{"sourceVolume": "data", "containerPath": "/data"}])),
     "containerDefinitions[0].mountPoints[0].sourceVolume", "no volume named 'data'"),
    ("volumes-from-unknown", td(web(volumesFrom=[{"sourceContainer": "ghost"}])),
     "containerDefinitions[0].volumesFrom[0].sourceContainer", "no container named 'ghost'"),
    ("volumes-from-self", td(web(volumesFrom=[{"sourceContainer": "web"}])),
     "containerDefinitions[0].volumesFrom[0].sourceContainer", "from itself"),
    ("depends-on-unknown", td(web(dependsOn=[{"containerName": "db", "condition": "START"}])),
     "containerDefinitions[0].dependsOn[0].containerName", "no container named 'db'"),
    ("depends-on-cycle", td(web(name="a", dependsOn=[{"containerName": "b", "condition": "START"}]),
                            web(name="b", dependsOn=[{"containerName": "a", "condition": "START"}])),
     "containerDefinitions[0].dependsOn", "cycle: a -> b -> a"),
    ("depends-on-self", td(web(dependsOn=[{"containerName": "web", "condition": "START"}])),
     "containerDefinitions[0].dependsOn", "cycle: web -> web"),
    ("success-on-essential", td(web(dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
                                web(name="init", memory=64)),
     "containerDefinitions[0].dependsOn[0].condition", "can't be set on an essential container"),
    ("complete-on-essential", td(web(dependsOn=[{"containerName": "init", "condition": "COMPLETE"}]),
                                 web(name="init", memory=64)),
     "containerDefinitions[0].dependsOn[0].condition", "set essential: false on 'init'"),
    ("healthy-without-check", td(web(dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]),
                                 web(name="db", memory=64)),
     "containerDefinitions[0].dependsOn[0].condition", "HEALTHY needs a healthCheck on 'db'"),
    ("bad-condition", td(web(dependsOn=[{"containerName": "web", "condition": "READY"}])),
     "containerDefinitions[0].dependsOn[0].condition", "must be one of"),
    ("health-interval", td(health(interval=4)), "containerDefinitions[0].healthCheck.interval", "between 5 and 300"),
    ("health-interval-high", td(health(interval="301")),
     "containerDefinitions[0].healthCheck.interval", "between 5 and 300"),
    ("health-timeout", td(health(timeout=61)), "containerDefinitions[0].healthCheck.timeout", "between 2 and 60"),
    ("health-retries", td(health(retries=0)), "containerDefinitions[0].healthCheck.retries", "between 1 and 10"),
    ("health-start-period", td(health(startPeriod=301)),
     "containerDefinitions[0].healthCheck.startPeriod", "between 0 and 300"),
    ("health-command-cmd-alone", td(web(healthCheck={"command": ["CMD"]})),
     "containerDefinitions[0].healthCheck.command", "CMD needs the command to run after it"),
    ("health-command-empty", td(web(healthCheck={"command": []})),
     "containerDefinitions[0].healthCheck.command", "at least 1 item"),
    ("links-in-awsvpc", td(web(links=["db"]), web(name="db", memory=64), networkMode="awsvpc"),
     "containerDefinitions[0].links", "only supported when networkMode is bridge"),
    ("hostname-in-awsvpc", td(web(hostname="web"), networkMode="awsvpc"),
     "containerDefinitions[0].hostname", "not supported when networkMode is awsvpc"),
    ("ulimit-soft-over-hard", td(web(ulimits=[{"name": "nofile", "softLimit": 10, "hardLimit": 5}])),
     "containerDefinitions[0].ulimits[0].softLimit", "must not exceed hardLimit (5)"),
    ("gpu-count", td(web(resourceRequirements=[{"type": "GPU", "value": "two"}])),
     "containerDefinitions[0].resourceRequirements[0].value", "whole number"),
    ("s3-volume", td(volumes=[{"name": "v", "s3filesVolumeConfiguration": {"fileSystemArn": "arn:aws:s3files:x"}}]),
     "volumes[0].s3filesVolumeConfiguration", "S3 Files volumes have no Kubernetes equivalent"),
    ("two-volume-sources", td(volumes=[{"name": "v", "host": {}, "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]),
     "volumes[0].efsVolumeConfiguration", "a volume takes one source"),
    ("duplicate-volume", td(volumes=[{"name": "v"}, {"name": "v"}]), "volumes[1].name", "duplicate volume name"),
    ("efs-access-point-unencrypted",
     td(volumes=[{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1",
                                                           "authorizationConfig": {"accessPointId": "fsap-1"}}}]),
     "volumes[0].efsVolumeConfiguration.transitEncryption", "must be ENABLED"),
    ("efs-access-point-root",
     td(volumes=[{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/data",
                                                           "transitEncryption": "ENABLED",
                                                           "authorizationConfig": {"accessPointId": "fsap-1"}}}]),
     "volumes[0].efsVolumeConfiguration.rootDirectory", "must be omitted or '/'"),
    ("autoprovision-task-scope", td(volumes=[{"name": "v", "dockerVolumeConfiguration": {"autoprovision": True}}]),
     "volumes[0].dockerVolumeConfiguration.autoprovision", "only supported when scope is shared"),
    ("proxy-unknown-container", td(proxyConfiguration={"type": "APPMESH", "containerName": "envoy"}),
     "proxyConfiguration.containerName", "no container named 'envoy'"),
    ("ephemeral-storage-small", td(ephemeralStorage={"sizeInGiB": 20}),
     "ephemeralStorage.sizeInGiB", "between 21 and 200 GiB"),
    ("fargate-cpu", fargate(cpu="300"), "cpu", "Invalid 'cpu' setting for task"),
    ("fargate-combination", fargate(cpu="256", memory="4096"),
     "memory", "No Fargate configuration exists for given values: 256 CPU, 4096 memory"),
    ("fargate-combination-vcpu", fargate(cpu="1 vCPU", memory="1 GB"),
     "memory", "Fargate accepts memory 2048-8192 in steps of 1024"),
    ("fargate-network-mode", fargate(networkMode="bridge"),
     "networkMode", "Fargate only supports network mode 'awsvpc'"),
    ("fargate-no-network-mode", {k: v for k, v in FARGATE.items() if k != "networkMode"},
     "networkMode", "Fargate only supports network mode 'awsvpc'"),
    ("fargate-no-cpu", {k: v for k, v in FARGATE.items() if k != "cpu"},
     "cpu", "Fargate requires that 'cpu' be defined at the task level"),
    ("fargate-no-memory", {k: v for k, v in FARGATE.items() if k != "memory"},
     "memory", "Fargate requires that 'memory' be defined at the task level"),
    ("fargate-privileged", fargate(containerDefinitions=[{"name": "web", "image": "nginx", "privileged": True}]),
     "containerDefinitions[0].privileged", "not supported on Fargate"),
    ("fargate-host-path", fargate(volumes=[{"name": "v", "host": {"sourcePath": "/var/run"}}]),
     "volumes[0].host.sourcePath", "Fargate does not support host volumes with a sourcePath"),
    ("fargate-docker-volume", fargate(volumes=[{"name": "v", "dockerVolumeConfiguration": {"scope": "task"}}]),
     "volumes[0].dockerVolumeConfiguration", "not supported on Fargate"),
    ("fargate-ipc", fargate(ipcMode="host"), "ipcMode", "not supported on Fargate"),
    ("fargate-capability", fargate(containerDefinitions=[
        {"name": "web", "image": "nginx", "linuxParameters": {"capabilities": {"add": ["NET_ADMIN"]}}}]),
     "containerDefinitions[0].linuxParameters.capabilities.add[0]", "Fargate can only add SYS_PTRACE"),
    ("fargate-devices", fargate(containerDefinitions=[{"name": "web", "image": "nginx",
                                                       "linuxParameters": {"devices": [{"hostPath": "/dev/fuse"}]}}]),
     "containerDefinitions[0].linuxParameters.devices", "not supported on Fargate"),
    ("bad-capability-name", td(web(linuxParameters={"capabilities": {"drop": ["cap_net_raw"]}})),
     "containerDefinitions[0].linuxParameters.capabilities.drop[0]", "capability name"),
    ("bad-network-mode", td(networkMode="nat"), "networkMode", "must be one of"),
]  # fmt: skip

SERVICE_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("task-definition-form", service(taskDefinition="web:latest"), "taskDefinition", "family, family:revision or"),
    ("task-definition-revision-zero", service(taskDefinition="web:0"), "taskDefinition", "family:revision"),
    ("desired-count-negative", service(desiredCount=-1), "desiredCount", "must be at least 0"),
    ("desired-count-missing", {"taskDefinition": "web"},
     "desiredCount", "is required when schedulingStrategy is REPLICA"),
    ("launch-type-and-strategy",
     service(launchType="FARGATE", capacityProviderStrategy=[{"capacityProvider": "FARGATE"}]),
     "launchType", "cannot be given together with capacityProviderStrategy"),
    ("min-over-max", service(deploymentConfiguration={"maximumPercent": 50, "minimumHealthyPercent": 75}),
     "deploymentConfiguration.minimumHealthyPercent", "must not exceed maximumPercent (50)"),
    ("min-over-100", service(deploymentConfiguration={"minimumHealthyPercent": "150"}),
     "deploymentConfiguration.minimumHealthyPercent", "between 0 and 100"),
    ("circuit-breaker-incomplete", service(deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True}}),
     "deploymentConfiguration.deploymentCircuitBreaker.rollback", "is required"),
    ("daemon-on-fargate", service(schedulingStrategy="DAEMON", launchType="FARGATE"),
     "launchType", "DAEMON scheduling strategy does not support FARGATE"),
    ("daemon-placement-strategy", service(schedulingStrategy="DAEMON", placementStrategy=[{"type": "random"}]),
     "placementStrategy", "not supported with the DAEMON scheduling strategy"),
    ("daemon-autoscaling", service(schedulingStrategy="DAEMON", autoScaling={"minCapacity": 1, "maxCapacity": 2}),
     "autoScaling", "cannot be scaled"),
    ("two-bases", service(capacityProviderStrategy=[{"capacityProvider": "a", "base": 1, "weight": 1},
                                                    {"capacityProvider": "b", "base": 2, "weight": 1}]),
     "capacityProviderStrategy[1].base", "only one capacity provider in a strategy can have a base"),
    ("duplicate-provider", service(capacityProviderStrategy=[{"capacityProvider": "a", "weight": 1},
                                                             {"capacityProvider": "a", "weight": 1}]),
     "capacityProviderStrategy[1].capacityProvider", "listed twice"),
    ("all-weights-zero", service(capacityProviderStrategy=[{"capacityProvider": "a"}, {"capacityProvider": "b"}]),
     "capacityProviderStrategy", "at least one capacity provider must have a weight"),
    ("weight-too-big", service(capacityProviderStrategy=[{"capacityProvider": "a", "weight": 1001}]),
     "capacityProviderStrategy[0].weight", "between 0 and 1000"),
    ("binpack-field", service(placementStrategy=[{"type": "binpack", "field": "disk"}]),
     "placementStrategy[0].field", "binpack needs field cpu or memory"),
    ("member-of-no-expression", service(placementConstraints=[{"type": "memberOf"}]),
     "placementConstraints[0].expression", "is required when type is memberOf"),
    ("too-many-load-balancers", service(loadBalancers=[{"containerName": "web", "containerPort": 80}] * 6),
     "loadBalancers", "at most 5 items"),
    ("load-balancer-container", service(loadBalancers=[{"targetGroupArn": "arn:tg"}]),
     "loadBalancers[0].containerName", "is required"),
    ("scaling-min-over-max", service(autoScaling={"minCapacity": 5, "maxCapacity": 2}),
     "autoScaling.minCapacity", "must not exceed maxCapacity (2)"),
    ("policy-two-metrics", service(autoScaling={"minCapacity": 1, "maxCapacity": 3, "targetTrackingScalingPolicies": [
        {"targetValue": 50,
         "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
         "customizedMetricSpecification": {"metricName": "m", "namespace": "n"}}]}),
     "autoScaling.targetTrackingScalingPolicies[0]", "exactly one of"),
    ("alb-metric-label", service(autoScaling={"minCapacity": 1, "maxCapacity": 3, "targetTrackingScalingPolicies": [
        {"targetValue": 50, "predefinedMetricSpecification": {"predefinedMetricType": "ALBRequestCountPerTarget"}}]}),
     "autoScaling.targetTrackingScalingPolicies[0].predefinedMetricSpecification.resourceLabel", "is required"),
    ("unknown-metric-type", service(autoScaling={"minCapacity": 1, "maxCapacity": 3, "targetTrackingScalingPolicies": [
        {"targetValue": 50, "predefinedMetricSpecification": {"predefinedMetricType": "CPU"}}]}),
     "autoScaling.targetTrackingScalingPolicies[0].predefinedMetricSpecification.predefinedMetricType",
     "must be one of"),
    ("scheduled-action-cron", service(autoScaling={"minCapacity": 1, "maxCapacity": 3, "scheduledActions": [
        {"schedule": "cron(0 8 * * *)", "scalableTargetAction": {"minCapacity": 2}}]}),
     "autoScaling.scheduledActions[0].schedule", "cron() needs 6 fields"),
    ("client-token-too-long", service(clientToken="t" * 37), "clientToken", "at most 36 characters"),
    ("cluster-reference", service(cluster="arn:aws:ecs:us-east-1:123456789012:service/prod/web"),
     "cluster", "must be a cluster name or a cluster ARN"),
    ("managed-tags-spelling", service(enableEcsManagedTags=True),
     "enableEcsManagedTags", "did you mean 'enableECSManagedTags'"),
]  # fmt: skip

TASK_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("count-too-high", task(count=11), "count", "between 1 and 10"),
    ("count-zero", task(count="0"), "count", "between 1 and 10"),
    ("propagate-service", task(propagateTags="SERVICE"), "propagateTags", "SERVICE is not valid when running a task"),
    ("schedule-words", task(schedule="every 5 minutes"), "schedule", "must be a schedule expression"),
    ("schedule-rate-plural", task(schedule="rate(1 minutes)"), "schedule", "must use the singular unit"),
    ("schedule-cron-days", task(schedule="cron(0 12 * * * *)"),
     "schedule", "exactly one of day-of-month and day-of-week"),
    ("schedule-cron-range", task(schedule="cron(0 25 * * ? *)"), "schedule", "hours must be between 0 and 23"),
    ("desired-status", task(desiredStatus="PENDING"), "desiredStatus", "must be one of 'RUNNING' or 'STOPPED'"),
    ("override-reservation", task(overrides={"containerOverrides": [{"name": "web", "memory": 256,
                                                                     "memoryReservation": 512}]}),
     "overrides.containerOverrides[0].memoryReservation", "must be less than memory (256)"),
    ("override-twice", task(overrides={"containerOverrides": [{"name": "web"}, {"name": "web"}]}),
     "overrides.containerOverrides[1].name", "overridden twice"),
    ("override-task-cpu", task(overrides={"cpu": "lots"}), "overrides.cpu", "Invalid 'cpu' setting"),
    ("started-by", task(startedBy="nightly job"), "startedBy", "up to 128 letters"),
    ("launch-type-and-strategy", task(launchType="EC2", capacityProviderStrategy=[{"capacityProvider": "x"}]),
     "launchType", "cannot be given together"),
    ("task-definition-arn", task(taskDefinition="arn:aws:ecs:us-east-1:1234:task-definition/web:1"),
     "taskDefinition", "task-definition ARN"),
]  # fmt: skip

CLUSTER_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown-provider", {"capacityProviders": ["on-demand"]}, "capacityProviders[0]",
     "unknown capacity provider 'on-demand'"),
    ("strategy-not-associated",
     {"capacityProviders": ["FARGATE"],
      "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]},
     "defaultCapacityProviderStrategy[0].capacityProvider", "not one of the cluster's capacityProviders"),
    ("fargate-profile-type", {"capacityProviderProfiles": [{"name": "FARGATE", "type": "SELF_MANAGED"}]},
     "capacityProviderProfiles[0].type", "must have type FARGATE"),
    ("capacity-type-self-managed", {"capacityProviderProfiles": [{"name": "metal", "type": "SELF_MANAGED",
                                                                  "capacityType": "SPOT"}]},
     "capacityProviderProfiles[0].capacityType", "only applies to MANAGED_NODEGROUP"),
    ("reserved-prefix", {"capacityProviderProfiles": [{"name": "ecs-nodes", "type": "SELF_MANAGED"}]},
     "capacityProviderProfiles[0].name", "can't start with aws, ecs or fargate"),
    ("duplicate-profile", {"capacityProviderProfiles": [{"name": "a", "type": "SELF_MANAGED"},
                                                        {"name": "a", "type": "SELF_MANAGED"}]},
     "capacityProviderProfiles[1].name", "duplicate capacity provider 'a'"),
    ("bad-profile-type", {"capacityProviderProfiles": [{"name": "a", "type": "EC2"}]},
     "capacityProviderProfiles[0].type", "must be one of"),
    ("setting-name", {"settings": [{"name": "insights", "value": "enabled"}]}, "settings[0].name", "must be one of"),
    ("cluster-name", {"clusterName": "prod cluster"}, "clusterName", "letters, digits, hyphens"),
]  # fmt: skip


def _cases(parse: Parser, cases: list[tuple[str, dict[str, Any], str, str]]) -> list[Any]:
    return [pytest.param(parse, document, path, words, id=name) for name, document, path, words in cases]


@pytest.mark.parametrize(
    ("parse", "document", "path", "words"),
    _cases(parse_task_definition, TASK_DEFINITION_CASES)
    + _cases(parse_service, SERVICE_CASES)
    + _cases(parse_task, TASK_CASES)
    + _cases(parse_cluster, CLUSTER_CASES),
)
def test_rejected_with_field_path(parse: Parser, document: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse(document)
    matching = [issue for issue in caught.value.issues if issue.path == path]
    assert matching, f"no issue at {path!r}; got:\n{caught.value}"
    assert any(words in issue.message for issue in matching), f"{words!r} not in {matching}"
    assert f"{path}: " in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    document = td(
        web(memoryReservation=600),
        web(name="side", memory=64, user="www data"),
        web(name="side", memory=64, dependsOn=[{"containerName": "db", "condition": "START"}]),
    )
    with pytest.raises(SpecError) as caught:
        parse_task_definition(document)
    paths = {issue.path for issue in caught.value.issues}
    assert "containerDefinitions[1].user" in paths  # structural problems first...
    document["containerDefinitions"][1]["user"] = "33"
    with pytest.raises(SpecError) as caught:
        parse_task_definition(document)
    paths = {issue.path for issue in caught.value.issues}
    assert paths >= {  # ...then every rule at once
        "containerDefinitions[0].memoryReservation",
        "containerDefinitions[2].name",
        "containerDefinitions[2].dependsOn[0].containerName",
    }


def test_spec_error_reads_well() -> None:
    with pytest.raises(SpecError) as caught:
        parse_task_definition(td(web(memoryReservation=1024)))
    assert str(caught.value) == (
        "invalid TaskDefinition:\n  containerDefinitions[0].memoryReservation: must be less than memory (512)"
    )
    assert isinstance(caught.value, ValueError)
    assert caught.value.messages == ["containerDefinitions[0].memoryReservation: must be less than memory (512)"]


@pytest.mark.parametrize("document", [[], "family: web", None])
def test_non_objects_are_rejected(document: Any) -> None:
    with pytest.raises(SpecError, match="must be a JSON object"):
        parse_task_definition(document)


def test_manifest_of_another_kind_is_rejected() -> None:
    manifest = {"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "ECSService", "spec": {}}
    with pytest.raises(SpecError) as caught:
        parse_task_definition(manifest)
    assert caught.value.issues[0].path == "kind"
