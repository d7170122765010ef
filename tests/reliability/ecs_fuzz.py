"""Hypothesis strategies for ECS documents, and the checks every one of them must pass.

Documents are *mostly valid*: either a real document (the ECS samples and golden inputs the
unit tests use) or one assembled from realistic parts whose cross-references (dependsOn,
mountPoints, capacity providers, memberOf expressions) point at each other, then bent by a few
random mutations: a value replaced by an arbitrary JSON value or an edge case, a member
deleted, an unknown member added, a list item duplicated, a reference pointed elsewhere.

:func:`check_documents` runs one task definition / service / cluster triple through the
models and the renderers the operator uses. What may come out is pinned down:

* a ``models.SpecError`` whose every issue names the offending field (non-empty path);
* the render's documented refusals: ``QuerySyntaxError`` / ``QueryTranslationError``
  (memberOf expressions), ``DependencyCycleError`` (dependsOn), ``CapacityProviderError``
  (capacity providers, Fargate sizes), each with a message;
* otherwise a rendering that is deterministic and plain JSON.

Anything else (KeyError, TypeError, an issue without a path, ...) is a bug.

Shared by tests/reliability (10,000+ examples) and a quick run in tests/unit.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ecs_operator.models import SpecError, parse_cluster, parse_service, parse_task_definition
from ecs_operator.render.capacity import CapacityProviderError
from ecs_operator.render.dependencies import DependencyCycleError
from ecs_operator.render.pod import render_pod_template
from ecs_operator.render.query import QuerySyntaxError, QueryTranslationError
from ecs_operator.render.service import render_service

__all__ = [
    "RENDER_REFUSALS",
    "check_documents",
    "clusters",
    "register_profiles",
    "services",
    "task_definitions",
]

TESTS = Path(__file__).resolve().parents[1]
RENDER_REFUSALS = (QuerySyntaxError, QueryTranslationError, DependencyCycleError, CapacityProviderError)

# -- seeds: real documents ------------------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}  # golden cases' render options


def _seed_task_definitions() -> list[dict[str, Any]]:
    paths = sorted((TESTS / "unit" / "golden" / "render").glob("*.json"))
    paths += sorted((TESTS / "unit" / "data" / "ecs").glob("register-*.json"))
    paths.append(TESTS / "unit" / "data" / "ecs" / "describe-task-definition.json")
    return [_load(p) for p in paths if p.is_file()]


def _seed_service() -> list[dict[str, Any]]:
    path = TESTS / "unit" / "data" / "ecs" / "create-service.json"
    if not path.is_file():
        return []
    service = _load(path)
    on_fargate = {**service, "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]}
    plain = {k: v for k, v in service.items() if k != "capacityProviderStrategy"}
    return [service, on_fargate, plain]


# A cluster whose profiles make the sample service's providers (on-demand, spot) real.
NODE_GROUP_CLUSTER: dict[str, Any] = {
    "clusterName": "production",
    "capacityProviders": ["on-demand", "spot", "FARGATE"],
    "capacityProviderProfiles": [
        {"name": "on-demand", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng-ondemand", "capacityType": "ON_DEMAND"},
        {
            "name": "spot",
            "type": "MANAGED_NODEGROUP",
            "nodegroupName": "ng-spot",
            "capacityType": "SPOT",
            "tolerations": [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
        },
    ],
    "defaultCapacityProviderStrategy": [{"capacityProvider": "on-demand", "base": 1, "weight": 1}],
}


def _seed_cluster() -> list[dict[str, Any]]:
    path = TESTS / "unit" / "data" / "ecs" / "create-cluster.json"
    return ([_load(path)] if path.is_file() else []) + [NODE_GROUP_CLUSTER]


SEED_TASK_DEFINITIONS = _seed_task_definitions()
SEED_SERVICES = _seed_service()
SEED_CLUSTERS = _seed_cluster()

NODE_LABELS = [
    {
        "node.kubernetes.io/instance-type": itype,
        "topology.kubernetes.io/zone": zone,
        "kubernetes.io/arch": arch,
        "eks.amazonaws.com/capacityType": cap,
        "stack": stack,
    }
    for itype, zone, arch, cap, stack in [
        ("m5.xlarge", "us-east-1a", "amd64", "ON_DEMAND", "prod"),
        ("m5.large", "us-east-1b", "amd64", "SPOT", "prod"),
        ("t3.large", "us-east-1c", "amd64", "ON_DEMAND", "dev"),
        ("t4g.medium", "us-east-1a", "arm64", "SPOT", "dev"),
    ]
]

# -- scalar vocabularies --------------------------------------------------------------------------

CONTAINER_NAMES = ["app", "web", "sidecar", "log-router", "envoy", "init_1", "Worker", "a" * 255, "x"]
VOLUME_NAMES = ["data", "scratch", "cache", "shared-data", "logs", "Vol_1"]
IMAGES = [
    "nginx",
    "nginx:1.27",
    "public.ecr.aws/docker/library/busybox:latest",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64,
    "registry:5000/x/y:z",
]
SECRET_ARNS = [
    "arn:aws:ssm:us-east-1:123456789012:parameter/app/key",
    "arn:aws:ssm:us-east-1:123456789012:parameter/deep/nested/path/Name_1",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password:AWSCURRENT:",
    "plain-parameter-name",
]
ROLE_ARNS = [
    "arn:aws:iam::123456789012:role/app-task",
    "arn:aws:iam::123456789012:role/path/to/Role+Name",
    "arn:aws:iam::123456789012:role/" + "r" * 64,
]
FILE_SYSTEMS = ["fs-12345678", "fs-0123456789abcdef0", "fs-UPPER"]
PROVIDERS = ["FARGATE", "FARGATE_SPOT", "on-demand", "spot", "self-managed", "missing"]
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
NASTY_STRINGS = [
    "",
    " ",
    "\t",
    "null",
    "0",
    "-1",
    "1e9",
    "../..",
    "a" * 300,
    "ünïcødé",
    "UPPER",
    "a b",
    "x:y:z",
    "*",
    "[",
    "(",
    "==",
    "\x00",
    "${VAR}",
    "arn:aws:iam::1:role/",
]
EDGE_NUMBERS = [0, -1, 1, 2, 6, 128, 1023, 1024, 65535, 65536, 2**31 - 1, 2**31, 2**63, -(2**63), 0.5, 1e308]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(EDGE_NUMBERS),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(NASTY_STRINGS),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)

# -- memberOf expressions -------------------------------------------------------------------------

_attribute = st.sampled_from(
    [
        "attribute:ecs.instance-type",
        "attribute:ecs.availability-zone",
        "attribute:ecs.cpu-architecture",
        "attribute:stack",
        "attribute:ecs.os-type",
        "ecs.instance-type",
        "attribute:unknown.thing",
    ]
)
_value = st.sampled_from(["t3.large", "m5.*", "t3.*", "us-east-1a", "arm64", "x86_64", "prod", "linux", "*"])
_term = st.one_of(
    st.builds(lambda a, op, v: f"{a} {op} {v}", _attribute, st.sampled_from(["==", "!=", "=~", "!~"]), _value),
    st.builds(lambda a, vs: f"{a} in [{', '.join(vs)}]", _attribute, st.lists(_value, min_size=1, max_size=3)),
    st.builds(lambda a, op: f"{a} {op}", _attribute, st.sampled_from(["exists", "!exists"])),
    st.builds(lambda g: f"task:group == {g}", st.sampled_from(["service:web", "service:other", "batch"])),
)
expressions = st.one_of(
    st.recursive(
        _term,
        lambda inner: st.one_of(
            st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["and", "or"]), inner),
            st.builds(lambda a: f"not({a})", inner),
            st.builds(lambda a: f"({a})", inner),
        ),
        max_leaves=8,
    ),
    st.text(alphabet="attribute:ecs.=~![](), andorxyz-*", max_size=40),
)

# -- task definitions assembled from parts --------------------------------------------------------

_port = st.fixed_dictionaries(
    {"containerPort": st.sampled_from([80, 443, 8080, 9090, 53, 1, 65535])},
    optional={
        "hostPort": st.sampled_from([0, 80, 8080, 9090]),
        "protocol": st.sampled_from(["tcp", "udp"]),
        "name": st.sampled_from(["http", "grpc", "metrics", "a-very-long-port-name", "http"]),
        "appProtocol": st.sampled_from(["http", "http2", "grpc"]),
    },
)
_port_range = st.fixed_dictionaries(
    {"containerPortRange": st.sampled_from(["7000-7010", "8000-8001"]), "protocol": st.sampled_from(["tcp", "udp"])}
)
_env = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["PORT", "MODE", "A", "lower_case"]), "value": st.sampled_from(["1", "", "x y"])}
    ),
    max_size=3,
)
_secrets = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["DB_PASSWORD", "API_KEY", "TOKEN"]), "valueFrom": st.sampled_from(SECRET_ARNS)}
    ),
    max_size=3,
)
_health = st.fixed_dictionaries(
    {"command": st.sampled_from([["CMD-SHELL", "curl -f http://localhost/ || exit 1"], ["CMD", "true"]])},
    optional={
        "interval": st.sampled_from([5, 30, 300]),
        "timeout": st.sampled_from([2, 5, 60]),
        "retries": st.sampled_from([1, 3, 10]),
        "startPeriod": st.sampled_from([0, 30, 300]),
    },
)
_linux = st.fixed_dictionaries(
    {},
    optional={
        "initProcessEnabled": st.booleans(),
        "capabilities": st.fixed_dictionaries(
            {},
            optional={
                "add": st.lists(st.sampled_from(["NET_ADMIN", "SYS_PTRACE", "ALL"]), max_size=2),
                "drop": st.lists(st.sampled_from(["MKNOD", "ALL"]), max_size=2),
            },
        ),
        "sharedMemorySize": st.sampled_from([64, 256]),
        "tmpfs": st.lists(
            st.fixed_dictionaries(
                {"containerPath": st.sampled_from(["/run", "/tmp/x"]), "size": st.sampled_from([16, 64])}
            ),
            max_size=2,
        ),
    },
)
_log = st.fixed_dictionaries(
    {"logDriver": st.sampled_from(["awslogs", "awsfirelens", "json-file", "fluentd"])},
    optional={
        "options": st.dictionaries(
            st.sampled_from(["awslogs-group", "tag"]), st.sampled_from(["/ecs/x", "y"]), max_size=2
        )
    },
)


@st.composite
def _container(
    draw: st.DrawFn, index: int, names: list[str], essential: list[bool], health: list[bool], volumes: list[str]
) -> dict[str, Any]:
    """Container ``names[index]``; dependsOn mostly follows ECS's rules (earlier containers, a
    condition the target allows), occasionally not (cycles, conditions on essential targets)."""
    name = names[index]
    c: dict[str, Any] = {"name": name, "image": draw(st.sampled_from(IMAGES)), "essential": essential[index]}
    if draw(st.integers(0, 9)):
        c["memory"] = draw(st.sampled_from([64, 256, 512, "1024"]))
        if draw(st.booleans()):
            c["memoryReservation"] = draw(st.sampled_from([32, 48]))
    else:
        c["memoryReservation"] = draw(st.sampled_from([6, 128]))
    if health[index]:
        c["healthCheck"] = draw(_health)
    optional: dict[str, st.SearchStrategy[Any]] = {
        "cpu": st.sampled_from([0, 10, 128, 256, 1024, "512"]),
        "portMappings": st.lists(st.one_of(_port, _port_range), max_size=3),
        "environment": _env,
        "secrets": _secrets,
        "command": st.lists(st.sampled_from(["serve", "--port", "8080", "sh", "-c", "echo hi"]), max_size=3),
        "entryPoint": st.lists(st.sampled_from(["/bin/app", "sh"]), max_size=2),
        "linuxParameters": _linux,
        "logConfiguration": _log,
        "user": st.sampled_from(["1000", "1000:1000", "0"]),
        "workingDirectory": st.sampled_from(["/app", "/"]),
        "hostname": st.sampled_from(["app", "Very.Long.Host.Name.example.com", "x_y"]),
        "readonlyRootFilesystem": st.booleans(),
        "privileged": st.booleans(),
        "stopTimeout": st.sampled_from([0, 30, 120]),
        "startTimeout": st.sampled_from([2, 60, 600]),
        "dnsServers": st.lists(st.sampled_from(["10.0.0.2", "8.8.8.8", "1.1.1.1", "9.9.9.9"]), max_size=4),
        "dnsSearchDomains": st.lists(st.sampled_from(["corp.example.com", "svc.local"]), max_size=2),
        "extraHosts": st.lists(
            st.fixed_dictionaries(
                {"hostname": st.sampled_from(["db", "cache.local"]), "ipAddress": st.sampled_from(["10.0.0.7", "::1"])}
            ),
            max_size=2,
        ),
        "systemControls": st.lists(
            st.fixed_dictionaries(
                {
                    "namespace": st.sampled_from(["net.core.somaxconn", "kernel.shmmax"]),
                    "value": st.sampled_from(["1024", "2048"]),
                }
            ),
            max_size=2,
        ),
        "ulimits": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["nofile", "nproc"]),
                    "softLimit": st.sampled_from([1024, 65536]),
                    "hardLimit": st.sampled_from([1024, 65536]),
                }
            ),
            max_size=2,
        ),
        "dockerLabels": st.dictionaries(
            st.sampled_from(["com.example.team", "tier"]), st.sampled_from(["a", ""]), max_size=2
        ),
        "restartPolicy": st.fixed_dictionaries(
            {"enabled": st.booleans()},
            optional={"ignoredExitCodes": st.lists(st.sampled_from([0, 1, 143]), max_size=2)},
        ),
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=8)):
        c[key] = draw(optional[key])
    earlier = list(range(index))
    if earlier and draw(st.booleans()):
        rule_breaking = draw(st.integers(0, 9)) == 0
        targets = list(range(len(names))) if rule_breaking else earlier
        deps = []
        for target in draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique=True)):
            allowed = ["START"]
            if not essential[target] or rule_breaking:
                allowed += ["COMPLETE", "SUCCESS"]
            if health[target] or rule_breaking:
                allowed.append("HEALTHY")
            deps.append({"containerName": names[target], "condition": draw(st.sampled_from(allowed))})
        c["dependsOn"] = deps
    if earlier and draw(st.integers(0, 5)) == 0:
        c["volumesFrom"] = [{"sourceContainer": names[draw(st.sampled_from(earlier))], "readOnly": draw(st.booleans())}]
    if volumes and draw(st.booleans()):
        c["mountPoints"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "sourceVolume": st.sampled_from(volumes),
                        "containerPath": st.sampled_from(["/data", "/cache", "/var/log/app", "/data"]),
                    },
                    optional={"readOnly": st.booleans()},
                ),
                min_size=1,
                max_size=3,
            )
        )
    return c


def _volume(name: str) -> st.SearchStrategy[dict[str, Any]]:
    efs = st.fixed_dictionaries(
        {"fileSystemId": st.sampled_from(FILE_SYSTEMS)},
        optional={
            "rootDirectory": st.sampled_from(["/", "/shared", "/a/../b", ""]),
            "transitEncryption": st.sampled_from(["ENABLED", "DISABLED"]),
            "authorizationConfig": st.fixed_dictionaries(
                {},
                optional={
                    "accessPointId": st.sampled_from(["fsap-0123456789abcdef0", "fsap-1"]),
                    "iam": st.sampled_from(["ENABLED", "DISABLED"]),
                },
            ),
        },
    )
    docker = st.fixed_dictionaries(
        {},
        optional={
            "scope": st.sampled_from(["task", "shared"]),
            "autoprovision": st.booleans(),
            "driver": st.sampled_from(["local", "rexray/ebs"]),
            "driverOpts": st.dictionaries(
                st.sampled_from(["type", "device"]), st.sampled_from(["tmpfs", "none"]), max_size=2
            ),
        },
    )
    return st.one_of(
        st.just({"name": name}),
        st.fixed_dictionaries(
            {
                "name": st.just(name),
                "host": st.fixed_dictionaries(
                    {}, optional={"sourcePath": st.sampled_from(["/var/log", "/", "relative"])}
                ),
            }
        ),
        st.fixed_dictionaries({"name": st.just(name), "dockerVolumeConfiguration": docker}),
        st.fixed_dictionaries({"name": st.just(name), "efsVolumeConfiguration": efs}),
        st.just({"name": name, "configuredAtLaunch": True}),
    )


@st.composite
def assembled_task_definition(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(CONTAINER_NAMES), min_size=1, max_size=4, unique=True))
    volume_names = draw(st.lists(st.sampled_from(VOLUME_NAMES), max_size=3, unique=True))
    td: dict[str, Any] = {"family": draw(st.sampled_from(["web", "orders-api", "f" * 255, "a_b-c"]))}
    essential = [True] + [draw(st.booleans()) for _ in names[1:]]
    health = [draw(st.booleans()) for _ in names]
    td["containerDefinitions"] = [
        draw(_container(i, names, essential, health, volume_names)) for i in range(len(names))
    ]
    if volume_names:
        td["volumes"] = [draw(_volume(v)) for v in volume_names]
    optional: dict[str, st.SearchStrategy[Any]] = {
        "networkMode": st.sampled_from(["awsvpc", "bridge", "host", "none"]),
        "requiresCompatibilities": st.lists(
            st.sampled_from(["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]), max_size=2, unique=True
        ),
        "cpu": st.sampled_from(["256", "512", "1024", "1 vCPU", "0.25 vcpu", 2048, "4096", "3"]),
        "memory": st.sampled_from(["512", "1GB", "2 GB", "3072", 8192, "0.5GB"]),
        "taskRoleArn": st.sampled_from(ROLE_ARNS),
        "executionRoleArn": st.sampled_from(ROLE_ARNS),
        "pidMode": st.sampled_from(["host", "task"]),
        "ipcMode": st.sampled_from(["host", "task", "none"]),
        "placementConstraints": st.lists(
            st.fixed_dictionaries({"type": st.just("memberOf"), "expression": expressions}), max_size=2
        ),
        "runtimePlatform": st.fixed_dictionaries(
            {},
            optional={
                "cpuArchitecture": st.sampled_from(["X86_64", "ARM64"]),
                "operatingSystemFamily": st.sampled_from(["LINUX", "WINDOWS_SERVER_2022_CORE"]),
            },
        ),
        "tags": st.lists(
            st.fixed_dictionaries(
                {
                    "key": st.sampled_from(["team", "ecs.operator.dev/kwok-exit-code", "k" * 120]),
                    "value": st.sampled_from(["a", "", "1"]),
                }
            ),
            max_size=3,
        ),
        "ephemeralStorage": st.fixed_dictionaries({"sizeInGiB": st.sampled_from([21, 40, 200])}),
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=7)):
        td[key] = draw(optional[key])
    return td


# -- services and clusters ------------------------------------------------------------------------


@st.composite
def assembled_service(draw: st.DrawFn) -> dict[str, Any]:
    svc: dict[str, Any] = {
        "taskDefinition": draw(
            st.sampled_from(["web", "web:3", "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"])
        ),
        "desiredCount": draw(st.sampled_from([0, 1, 2, 3, 10, 1000])),
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "schedulingStrategy": st.sampled_from(["REPLICA", "DAEMON"]),
        "launchType": st.sampled_from(["EC2", "FARGATE", "EXTERNAL"]),
        "capacityProviderStrategy": st.lists(
            st.fixed_dictionaries(
                {
                    "capacityProvider": st.sampled_from(
                        ["FARGATE", "FARGATE_SPOT", "on-demand", "spot", "on-demand", "spot", "missing"]
                    )
                },
                optional={"base": st.sampled_from([0, 1, 2, 100000]), "weight": st.sampled_from([0, 1, 3, 1000])},
            ),
            max_size=3,
        ),
        "deploymentConfiguration": st.fixed_dictionaries(
            {},
            optional={
                "maximumPercent": st.sampled_from([100, 150, 200, 99, 0]),
                "minimumHealthyPercent": st.sampled_from([0, 50, 100]),
                "deploymentCircuitBreaker": st.fixed_dictionaries({"enable": st.booleans(), "rollback": st.booleans()}),
            },
        ),
        "placementConstraints": st.lists(
            st.one_of(
                st.just({"type": "distinctInstance"}),
                st.fixed_dictionaries({"type": st.just("memberOf"), "expression": expressions}),
            ),
            max_size=2,
        ),
        "placementStrategy": st.lists(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "type": st.just("spread"),
                        "field": st.sampled_from(["attribute:ecs.availability-zone", "instanceId", "host"]),
                    }
                ),
                st.fixed_dictionaries({"type": st.just("binpack"), "field": st.sampled_from(["memory", "cpu"])}),
                st.just({"type": "random"}),
            ),
            max_size=3,
        ),
        "propagateTags": st.sampled_from(["TASK_DEFINITION", "SERVICE", "NONE"]),
        "tags": st.lists(
            st.fixed_dictionaries({"key": st.sampled_from(["team", "env"]), "value": st.sampled_from(["a", ""])}),
            max_size=2,
        ),
        "healthCheckGracePeriodSeconds": st.sampled_from([0, 60, 2147483647]),
        "loadBalancers": st.lists(
            st.fixed_dictionaries(
                {
                    "targetGroupArn": st.just("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/0123"),
                    "containerName": st.sampled_from(CONTAINER_NAMES),
                    "containerPort": st.sampled_from([80, 8080]),
                }
            ),
            max_size=2,
        ),
        "networkConfiguration": st.just(
            {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "DISABLED"}}
        ),
        "serviceName": st.sampled_from(["web", "orders-api", "x" * 255]),
        "cluster": st.sampled_from(["default", "production", "arn:aws:ecs:us-east-1:123456789012:cluster/production"]),
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=7)):
        svc[key] = draw(optional[key])
    return svc


_profile = st.fixed_dictionaries(
    {
        "name": st.sampled_from(PROVIDERS),
        "type": st.sampled_from(["MANAGED_NODEGROUP", "SELF_MANAGED", "FARGATE", "FARGATE_SPOT"]),
    },
    optional={
        "nodegroupName": st.sampled_from(["ng-ondemand", "ng-spot"]),
        "capacityType": st.sampled_from(["ON_DEMAND", "SPOT"]),
        "nodeSelector": st.dictionaries(
            st.sampled_from(["ecs.operator.dev/node-type", "zone"]), st.sampled_from(["self-managed", "a"]), max_size=2
        ),
        "tolerations": st.just([{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}]),
        "schedulerName": st.sampled_from(["default-scheduler", "fargate-scheduler"]),
        "runtimeClassName": st.sampled_from(["kata", "gvisor"]),
    },
)


@st.composite
def assembled_cluster(draw: st.DrawFn) -> dict[str, Any]:
    profiles = draw(st.lists(_profile, max_size=3))
    providers = draw(st.lists(st.sampled_from(PROVIDERS), max_size=3, unique=True))
    cluster: dict[str, Any] = {"clusterName": "default"}
    if profiles:
        cluster["capacityProviderProfiles"] = profiles
    if providers:
        cluster["capacityProviders"] = providers
        cluster["defaultCapacityProviderStrategy"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"capacityProvider": st.sampled_from(providers)},
                    optional={"base": st.sampled_from([0, 1]), "weight": st.sampled_from([0, 1, 2])},
                ),
                max_size=2,
            )
        )
    return cluster


# -- mutations ------------------------------------------------------------------------------------

Path_ = tuple[Any, ...]


def _paths(doc: Any, prefix: Path_ = ()) -> list[Path_]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _parent(doc: Any, path: Path_) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _strings_in(doc: Any) -> list[str]:
    if isinstance(doc, dict):
        return [s for v in doc.values() for s in _strings_in(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in _strings_in(v)]
    return [doc] if isinstance(doc, str) else []


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]], max_mutations: int = 3) -> dict[str, Any]:
    """``base``'s document with 0..max_mutations random edits; the top level stays an object."""
    doc = copy.deepcopy(draw(base))
    count = draw(st.integers(0, max_mutations)) if draw(st.integers(0, 4)) else 0  # ~1 in 5 unmutated
    for _ in range(count):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        target = _parent(doc, path)[path[-1]] if path else doc
        kind = draw(st.sampled_from(["replace", "edge", "delete", "unknown", "duplicate", "reference", "wrap"]))
        if kind in ("replace", "edge", "reference", "wrap") and path:
            parent = _parent(doc, path)
            if kind == "replace":
                parent[path[-1]] = draw(json_values)
            elif kind == "edge":
                parent[path[-1]] = draw(
                    st.one_of(
                        st.sampled_from(EDGE_NUMBERS),
                        st.sampled_from(NASTY_STRINGS),
                        st.sampled_from([[], {}, None, True, False]),
                    )
                )
            elif kind == "reference":  # point a string at another name used in the document
                parent[path[-1]] = draw(st.sampled_from(_strings_in(doc) or [""]))
            else:
                parent[path[-1]] = draw(st.sampled_from([[target], {"value": target}, str(target)]))
        elif kind == "delete" and path:
            parent = _parent(doc, path)
            del parent[path[-1]]
        elif kind == "unknown" and isinstance(target, dict):
            target[draw(st.sampled_from(["extra", "Name", "containerport", "memoryReservaton", ""]))] = draw(
                json_values
            )
        elif kind == "duplicate" and isinstance(target, list) and target:
            target.append(copy.deepcopy(draw(st.sampled_from(target))))
    return doc


def task_definitions() -> st.SearchStrategy[dict[str, Any]]:
    base = (
        st.one_of(st.sampled_from(SEED_TASK_DEFINITIONS), assembled_task_definition())
        if SEED_TASK_DEFINITIONS
        else assembled_task_definition()
    )
    return mutated(base)


def services() -> st.SearchStrategy[dict[str, Any]]:
    base = st.one_of(st.sampled_from(SEED_SERVICES), assembled_service()) if SEED_SERVICES else assembled_service()
    return mutated(base, max_mutations=2)


def clusters() -> st.SearchStrategy[dict[str, Any] | None]:
    base = st.one_of(st.sampled_from(SEED_CLUSTERS), assembled_cluster()) if SEED_CLUSTERS else assembled_cluster()
    return st.one_of(
        st.none(), st.just(NODE_GROUP_CLUSTER), st.just(NODE_GROUP_CLUSTER), mutated(base, max_mutations=1)
    )


# -- the properties -------------------------------------------------------------------------------


def assert_names_fields(exc: SpecError, document: Any) -> None:
    assert exc.issues, f"SpecError without issues for {document!r}"
    for issue in exc.issues:
        assert issue.path, f"issue without a field path: {issue!r}\nin: {json.dumps(document)[:2000]}"
        assert issue.message, f"issue without a message at {issue.path}"


def _refused(exc: Exception) -> None:
    assert str(exc).strip(), f"{type(exc).__name__} without a message"


def _stable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


def check_documents(td_doc: dict[str, Any], svc_doc: dict[str, Any], cluster_doc: dict[str, Any] | None) -> str:
    """Run the documents through parse -> render; return the outcome (for hypothesis.event)."""
    try:
        td = parse_task_definition(td_doc)
    except SpecError as exc:
        assert_names_fields(exc, td_doc)
        return "task definition rejected"
    try:
        first = render_pod_template(td, family="web", revision=3, node_labels=NODE_LABELS, task_group="service:web")
    except RENDER_REFUSALS as exc:
        _refused(exc)
        return f"pod refused: {type(exc).__name__}"
    second = render_pod_template(td, family="web", revision=3, node_labels=NODE_LABELS, task_group="service:web")
    assert _stable(first.to_dict()) == _stable(second.to_dict()), "render_pod_template is not deterministic"
    try:
        spec = parse_service(svc_doc)
    except SpecError as exc:
        assert_names_fields(exc, svc_doc)
        return "service rejected"
    cluster_spec = None
    if cluster_doc is not None:
        try:
            cluster_spec = parse_cluster(cluster_doc)
        except SpecError as exc:
            assert_names_fields(exc, cluster_doc)
            cluster_spec = None
    owner = {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "ECSService",
        "metadata": {
            "name": "web",
            "namespace": "fuzz",
            "uid": "00000000-0000-0000-0000-000000000001",
            "generation": 1,
        },
    }
    try:
        rendered = render_service(
            owner,
            spec,
            td,
            family="web",
            revision=3,
            cluster="default",
            cluster_spec=cluster_spec,
            node_labels=NODE_LABELS,
            fargate_provisioner="kwok",
        )
    except RENDER_REFUSALS as exc:
        _refused(exc)
        return f"service refused: {type(exc).__name__}"
    assert rendered.objects, "a service renders to no objects"
    _stable(rendered.objects)  # plain JSON, no NaN / objects
    for obj in rendered.objects:
        assert obj["metadata"]["name"], f"object without a name: {obj['kind']}"
    return "rendered"


# -- profiles ------------------------------------------------------------------------------------


def register_profiles() -> int:
    """Hypothesis profiles; ECS_OPERATOR_FUZZ_EXAMPLES sets the examples (default 10,000)."""
    examples = int(os.environ.get("ECS_OPERATOR_FUZZ_EXAMPLES", "10000"))
    common: dict[str, Any] = {
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        "print_blob": True,
    }
    settings.register_profile("ecs-reliability", max_examples=examples, **common)
    settings.register_profile("ecs-quick", max_examples=int(os.environ.get("ECS_OPERATOR_FUZZ_QUICK", "150")), **common)
    return examples
