"""Golden files for whole workloads: every object a representative service or task renders to.

test_render_golden.py pins pod templates; this module pins what is built around them, through
the public pure renderers: render_service (Deployment / DaemonSet, one Deployment per capacity
provider, the HorizontalPodAutoscaler, the traffic Services and optional TargetGroupBinding) and
render_task (the CronJob of a scheduled task, the Pod of a RunTask).

Inputs are inline below (ECS JSON); each rendered object is compared byte for byte with
``golden/workloads/<case>.<kind>.<name>.yaml``. Owner bodies and ``now`` are fixed so the files are
stable. Refresh with ``pytest tests/unit/test_workload_golden.py --update-golden`` and review the diff.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ecs_operator.models import parse_cluster, parse_service, parse_task, parse_task_definition
from ecs_operator.render.serialize import to_yaml
from ecs_operator.render.service import render_service
from ecs_operator.render.task import render_task

GOLDEN = Path(__file__).parent / "golden" / "workloads"
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)  # a Wednesday, inside the business-hours action below
API_VERSION = "ecs.operator.dev/v1alpha1"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067"

Obj = dict[str, Any]


def owner(kind: str, name: str, namespace: str, uid: str) -> Obj:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": uid,
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
    }


WEB_TD = {
    "family": "web",
    "networkMode": "awsvpc",
    "cpu": "512",
    "memory": "1024",
    "tags": [{"key": "team", "value": "storefront"}],
    "containerDefinitions": [
        {
            "name": "web",
            "image": "public.ecr.aws/nginx/nginx:1.27",
            "cpu": 256,
            "memory": 512,
            "essential": True,
            "portMappings": [{"containerPort": 80, "protocol": "tcp", "name": "http", "appProtocol": "http"}],
            "environment": [{"name": "STAGE", "value": "prod"}],
            "healthCheck": {
                "command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
                "interval": 10,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 15,
            },
        },
        {
            "name": "log_router",
            "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
            "memory": 64,
            "essential": False,
        },
    ],
}

API_TD = {
    "family": "api",
    "networkMode": "awsvpc",
    "containerDefinitions": [
        {
            "name": "api",
            "image": "registry.example.com/api:2.3.1",
            "cpu": 512,
            "memory": 1024,
            "essential": True,
            "portMappings": [{"containerPort": 8080, "name": "api"}],
        }
    ],
}

AGENT_TD = {
    "family": "log-agent",
    "networkMode": "host",
    "containerDefinitions": [
        {
            "name": "agent",
            "image": "amazon/cloudwatch-agent:latest",
            "cpu": 128,
            "memory": 256,
            "essential": True,
            "mountPoints": [{"sourceVolume": "varlog", "containerPath": "/var/log", "readOnly": True}],
        }
    ],
    "volumes": [{"name": "varlog", "host": {"sourcePath": "/var/log"}}],
}

ETL_TD = {
    "family": "etl",
    "tags": [{"key": "owner", "value": "data-team"}],
    "containerDefinitions": [
        {
            "name": "app",
            "image": "etl:1",
            "cpu": 256,
            "memory": 512,
            "essential": True,
            "command": ["run", "--incremental"],
            "environment": [{"name": "MODE", "value": "incremental"}, {"name": "LEVEL", "value": "info"}],
        },
        {"name": "log_router", "image": "fluent-bit", "memory": 64, "essential": False},
    ],
}


def _service_objects(
    body: Obj,
    service: Obj,
    td: Obj,
    *,
    revision: int,
    cluster: str,
    cluster_spec: Obj | None = None,
) -> list[Obj]:
    spec = parse_service(service)
    parsed_td = parse_task_definition(td)
    rendered = render_service(
        body,
        spec,
        parsed_td,
        family=parsed_td.family,
        revision=revision,
        cluster=cluster,
        cluster_spec=parse_cluster(cluster_spec) if cluster_spec is not None else None,
        now=NOW,
    )
    # In the order the handler applies them: workloads (and the HPA), then traffic, then optional objects.
    return [*rendered.objects, *rendered.traffic.objects, *(o.object for o in rendered.traffic.optional)]


def replica_with_load_balancer() -> list[Obj]:
    return _service_objects(
        owner("ECSService", "web", "shop", "5f0c8a1e-0000-4000-8000-000000000001"),
        {
            "serviceName": "web",
            "taskDefinition": "web:7",
            "desiredCount": 3,
            "launchType": "EC2",
            "deploymentConfiguration": {"maximumPercent": 150, "minimumHealthyPercent": 50},
            "loadBalancers": [{"targetGroupArn": TG, "containerName": "web", "containerPort": 80}],
            "propagateTags": "SERVICE",
            "tags": [{"key": "cost-center", "value": "cc-42"}],
        },
        WEB_TD,
        revision=7,
        cluster="prod",
    )


def capacity_provider_split() -> list[Obj]:
    return _service_objects(
        owner("ECSService", "api", "shop", "5f0c8a1e-0000-4000-8000-000000000002"),
        {
            "serviceName": "api",
            "taskDefinition": "api:2",
            "desiredCount": 7,
            "capacityProviderStrategy": [
                {"capacityProvider": "on-demand", "base": 2, "weight": 1},
                {"capacityProvider": "spot", "weight": 3},
            ],
        },
        API_TD,
        revision=2,
        cluster="prod",
        cluster_spec={
            "capacityProviders": ["on-demand", "spot"],
            "capacityProviderProfiles": [
                {
                    "name": "on-demand",
                    "type": "MANAGED_NODEGROUP",
                    "nodegroupName": "ng-on-demand",
                    "capacityType": "ON_DEMAND",
                },
                {"name": "spot", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng-spot", "capacityType": "SPOT"},
            ],
        },
    )


def daemon_service() -> list[Obj]:
    return _service_objects(
        owner("ECSService", "log-agent", "ops", "5f0c8a1e-0000-4000-8000-000000000003"),
        {
            "serviceName": "log-agent",
            "taskDefinition": "log-agent:4",
            "schedulingStrategy": "DAEMON",
            "launchType": "EC2",
        },
        AGENT_TD,
        revision=4,
        cluster="prod",
    )


def autoscaled_service() -> list[Obj]:
    return _service_objects(
        owner("ECSService", "web", "shop", "5f0c8a1e-0000-4000-8000-000000000004"),
        {
            "serviceName": "web",
            "taskDefinition": "web:7",
            "desiredCount": 4,
            "autoScaling": {
                "minCapacity": 2,
                "maxCapacity": 12,
                "targetTrackingScalingPolicies": [
                    {
                        "policyName": "cpu60",
                        "targetValue": 60,
                        "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
                        "scaleInCooldown": 300,
                        "scaleOutCooldown": 60,
                    }
                ],
                "scheduledActions": [
                    {
                        "scheduledActionName": "business-hours",
                        "schedule": "cron(0 8 ? * MON-FRI *)",
                        "scalableTargetAction": {"minCapacity": 4, "maxCapacity": 20},
                    },
                    {
                        "scheduledActionName": "night",
                        "schedule": "cron(0 20 ? * MON-FRI *)",
                        "scalableTargetAction": {"minCapacity": 2, "maxCapacity": 6},
                    },
                ],
            },
        },
        WEB_TD,
        revision=7,
        cluster="prod",
    )


ETL_OWNER = owner("ECSTask", "etl", "data", "5f0c8a1e-0000-4000-8000-000000000005")


def _task(spec: Obj) -> Any:
    parsed_td = parse_task_definition(ETL_TD)
    return render_task(ETL_OWNER, parse_task(spec), parsed_td, family="etl", revision=3, cluster="analytics")


def scheduled_task() -> list[Obj]:
    rendered = _task({"taskDefinition": "etl:3", "schedule": "cron(0 12 * * ? *)", "propagateTags": "TASK_DEFINITION"})
    assert rendered.cronjob is not None
    return [rendered.cronjob]


def run_task_pod() -> list[Obj]:
    rendered = _task(
        {
            "taskDefinition": "etl:3",
            "count": 2,
            "group": "nightly",
            "startedBy": "airflow",
            "tags": [{"key": "run", "value": "42"}],
            "overrides": {
                "containerOverrides": [
                    {
                        "name": "app",
                        "command": ["run", "--full"],
                        "environment": [{"name": "MODE", "value": "full"}],
                    }
                ]
            },
        }
    )
    return [rendered.task_pod(0)]


CASES: dict[str, Callable[[], list[Obj]]] = {
    "replica-load-balancer": replica_with_load_balancer,
    "capacity-split": capacity_provider_split,
    "daemon": daemon_service,
    "autoscaling": autoscaled_service,
    "scheduled-task": scheduled_task,
    "run-task-pod": run_task_pod,
}

# What each case must render (kind, name): a lost or extra object fails here, not only as a diff.
EXPECTED_OBJECTS = {
    "replica-load-balancer": [("Deployment", "web"), ("Service", "web"), ("TargetGroupBinding", "web-web-tg")],
    "capacity-split": [("Deployment", "api-on-demand"), ("Deployment", "api-spot"), ("Service", "api")],
    "daemon": [("DaemonSet", "log-agent")],
    "autoscaling": [("Deployment", "web"), ("HorizontalPodAutoscaler", "web"), ("Service", "web")],
    "scheduled-task": [("CronJob", "etl")],
    "run-task-pod": [("Pod", "etl-0")],
}


def golden_name(case: str, obj: Obj) -> str:
    return f"{case}.{obj['kind'].lower()}.{obj['metadata']['name']}.yaml"


def render_case(case: str) -> dict[str, str]:
    """Golden file name -> YAML of each object the case renders."""
    out: dict[str, str] = {}
    for obj in CASES[case]():
        name = golden_name(case, obj)
        assert name not in out, f"{case} renders {obj['kind']}/{obj['metadata']['name']} twice"
        out[name] = to_yaml(obj)
    return out


def test_every_case_lists_its_objects() -> None:
    assert sorted(CASES) == sorted(EXPECTED_OBJECTS)


@pytest.mark.parametrize("case", sorted(CASES))
def test_workload_golden(case: str, update_golden: bool) -> None:
    first = render_case(case)
    second = render_case(case)
    assert first == second, "rendering the same input twice gave different YAML"
    kinds = [tuple(name.split(".")[1:3]) for name in first]
    assert sorted(kinds) == sorted((kind.lower(), name) for kind, name in EXPECTED_OBJECTS[case])
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for stale in GOLDEN.glob(f"{case}.*.yaml"):
            if stale.name not in first:
                stale.unlink()
        for name, text in first.items():
            (GOLDEN / name).write_text(text)
        return
    for name, text in first.items():
        expected = GOLDEN / name
        assert expected.exists(), f"{name} is missing; run pytest with --update-golden and review it"
        assert text == expected.read_text(), f"{name} differs from its golden file"
    stale = sorted(p.name for p in GOLDEN.glob(f"{case}.*.yaml") if p.name not in first)
    assert not stale, f"golden files {case} no longer renders: {stale}"


def test_golden_files_belong_to_a_case() -> None:
    orphans = sorted(p.name for p in GOLDEN.glob("*.yaml") if p.name.split(".")[0] not in CASES)
    assert not orphans, f"golden outputs without a case: {orphans}"
