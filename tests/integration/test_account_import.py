"""`ecs-operator import` against a real third-party ECS implementation: moto's server mode.

moto (PyPI `moto[server]`) serves ECS, Application Auto Scaling, EventBridge and EC2 on one port.
Its boto3 seeds an "account" (a cluster, two revisions of a task definition, a Fargate service
running the second, a scalable target with a target-tracking policy, and an EventBridge rule that
runs a task nightly); `ecs-operator import` reads it back over its own SigV4 client, and the
manifests it writes are applied to the local cluster, where the service must reach a steady state.

moto pins botocore, which cannot share the project venv (python-dateutil), so it lives in its own
virtualenv under $ECS_OPERATOR_CACHE/moto (default ~/.cache/ecs-operator/moto), built once
under a file lock with a marker written last, as tests/integration/aws_clients.py does.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_helpers import get_json, wait_for

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

MOTO_VERSION = "5.2.5"
_MARKER = f"installed-moto-{MOTO_VERSION}"
REGION = "eu-west-1"

SEED = r"""
import json, sys
import boto3

kw = dict(endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id="testing",
          aws_secret_access_key="testing")
ec2 = boto3.client("ec2", **kw)
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]

ecs = boto3.client("ecs", **kw)
cluster = ecs.create_cluster(clusterName="shop", settings=[{"name": "containerInsights", "value": "enabled"}],
                             tags=[{"key": "team", "value": "shop"}])["cluster"]
web = dict(family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512")
container = {"name": "web", "image": "nginx:1.27", "essential": True,
             "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}
ecs.register_task_definition(**web, containerDefinitions=[container])
second = {**container, "environment": [{"name": "REV", "value": "2"}]}
ecs.register_task_definition(**web, containerDefinitions=[second])
etl = ecs.register_task_definition(
    family="etl", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
    containerDefinitions=[{"name": "etl", "image": "busybox:1.36", "essential": True,
                           "command": ["sh", "-c", "echo done"]}])["taskDefinition"]
network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}}
ecs.create_service(cluster="shop", serviceName="web", taskDefinition="web:2", desiredCount=2, launchType="FARGATE",
                   networkConfiguration=network)

aas = boto3.client("application-autoscaling", **kw)
dimension = dict(ServiceNamespace="ecs", ResourceId="service/shop/web", ScalableDimension="ecs:service:DesiredCount")
aas.register_scalable_target(**dimension, MinCapacity=2, MaxCapacity=6)
aas.put_scaling_policy(PolicyName="cpu60", PolicyType="TargetTrackingScaling", **dimension,
                       TargetTrackingScalingPolicyConfiguration={
                           "TargetValue": 60.0, "ScaleInCooldown": 120, "ScaleOutCooldown": 30,
                           "PredefinedMetricSpecification": {
                               "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})

events = boto3.client("events", **kw)
events.put_rule(Name="etl-nightly", ScheduleExpression="cron(0 2 * * ? *)", State="ENABLED")
events.put_rule(Name="on-push", EventPattern=json.dumps({"source": ["aws.ecr"]}), State="ENABLED")  # not a schedule
events.put_targets(Rule="etl-nightly", Targets=[{
    "Id": "etl", "Arn": cluster["clusterArn"], "RoleArn": "arn:aws:iam::123456789012:role/ecsEventsRole",
    "Input": json.dumps({"containerOverrides": [{"name": "etl",
                                                 "environment": [{"name": "PARTITION_DATE", "value": "yesterday"}]}]}),
    "EcsParameters": {"TaskDefinitionArn": etl["taskDefinitionArn"], "TaskCount": 1, "LaunchType": "FARGATE",
                      "NetworkConfiguration": {"awsvpcConfiguration": {"Subnets": [subnet],
                                                                       "AssignPublicIp": "DISABLED"}}}}])
events.put_rule(Name="etl-weekly", ScheduleExpression="rate(7 days)", State="DISABLED")
events.put_targets(Rule="etl-weekly", Targets=[{
    "Id": "etl", "Arn": cluster["clusterArn"], "RoleArn": "arn:aws:iam::123456789012:role/ecsEventsRole",
    "EcsParameters": {"TaskDefinitionArn": etl["taskDefinitionArn"], "LaunchType": "FARGATE"}}])
print("seeded")
"""


def moto_env() -> Path:
    """The virtualenv with moto[server] (pinned), created on first use under a file lock."""
    root = Path(os.environ.get("ECS_OPERATOR_CACHE") or Path.home() / ".cache" / "ecs-operator") / "moto"
    venv = root / "python"
    if (venv / _MARKER).is_file():
        return venv
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "moto.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (venv / _MARKER).is_file():
                shutil.rmtree(venv, ignore_errors=True)
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
                subprocess.run(
                    [
                        str(venv / "bin" / "python"),
                        *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                        f"moto[server]=={MOTO_VERSION}",
                    ],
                    check=True,
                )
                (venv / _MARKER).write_text("")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return venv


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env(**extra: str) -> dict[str, str]:
    """PATH and HOME only: no AWS_* of the developer's reaches moto or the importer."""
    base = {k: v for k in ("PATH", "HOME", "LANG", "TMPDIR") if (v := os.environ.get(k)) is not None}
    return {**base, **extra}


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[str]:
    """A moto server on a free port, seeded; its endpoint URL."""
    venv = moto_env()
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "moto.log", "w")  # noqa: SIM115 - closed after the process
    proc = subprocess.Popen(
        [str(venv / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_clean_env(),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"moto_server did not start:\n{(tmp_path / 'moto.log').read_text()}") from None
                time.sleep(0.2)
        seeded = subprocess.run(
            [str(venv / "bin" / "python"), "-c", SEED, endpoint, REGION],
            env=_clean_env(AWS_EC2_METADATA_DISABLED="true"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _import(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecs_operator.cli", "import", "--region", REGION, "--endpoint-url", endpoint, *args],
        env=_clean_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _service_steady(svc: dict[str, Any]) -> bool:
    status = svc.get("status") or {}
    deployments = status.get("deployments") or []
    return (
        status.get("runningCount") == svc["spec"]["desiredCount"]
        and len(deployments) == 1
        and deployments[0].get("rolloutState") == "COMPLETED"
    )


def test_import_from_moto_applies_and_the_service_reaches_a_steady_state(
    cluster: ClusterHandle, namespace: str, moto: str, tmp_path: Path
) -> None:
    out = tmp_path / "manifests"
    proc = _import(moto, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "events rule etl-weekly target etl: the rule is DISABLED: skipped" in proc.stderr, proc.stderr
    manifests = {p.name: yaml.safe_load(p.read_text()) for p in sorted(out.glob("*.yaml"))}
    assert sorted(manifests) == [
        "ecscluster-shop.yaml",
        "ecsservice-web.yaml",
        "ecstask-etl-nightly.yaml",
        "taskdefinition-etl.yaml",
        "taskdefinition-web.yaml",
    ]
    # the revision the service runs (web:2), not the family's first
    web = manifests["taskdefinition-web.yaml"]["spec"]
    assert web["containerDefinitions"][0]["environment"] == [{"name": "REV", "value": "2"}]
    service = manifests["ecsservice-web.yaml"]["spec"]
    assert service["taskDefinition"] == "web" and service["cluster"] == "shop"
    assert service["autoScaling"] == {
        "minCapacity": 2,
        "maxCapacity": 6,
        "targetTrackingScalingPolicies": [
            {
                "policyName": "cpu60",
                "targetValue": 60.0,
                "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
                "scaleInCooldown": 120,
                "scaleOutCooldown": 30,
            }
        ],
    }
    task = manifests["ecstask-etl-nightly.yaml"]["spec"]
    assert task["schedule"] == "cron(0 2 * * ? *)" and task["taskDefinition"] == "etl" and task["count"] == 1
    assert task["overrides"]["containerOverrides"][0]["environment"] == [
        {"name": "PARTITION_DATE", "value": "yesterday"}
    ]
    assert manifests["ecscluster-shop.yaml"]["spec"]["settings"] == [{"name": "containerInsights", "value": "enabled"}]

    cluster.kubectl("apply", "-n", namespace, "-f", str(out))

    def steady_service() -> dict[str, Any] | None:
        svc = get_json(cluster, "ecsservice", "web", "-n", namespace)
        return svc if _service_steady(svc) else None

    steady = wait_for(
        steady_service,
        timeout=120,
        message="the imported service to reach a steady state",
    )
    assert steady["status"]["runningCount"] == 2
    hpa = wait_for(
        lambda: get_json(cluster, "hpa", "-n", namespace)["items"] or None,
        timeout=60,
        message="the service's HorizontalPodAutoscaler",
    )
    assert (hpa[0]["spec"]["minReplicas"], hpa[0]["spec"]["maxReplicas"]) == (2, 6)
    cronjobs = wait_for(
        lambda: get_json(cluster, "cronjobs", "-n", namespace)["items"] or None,
        timeout=60,
        message="the scheduled task's CronJob",
    )
    assert [c["spec"]["schedule"] for c in cronjobs] == ["0 2 * * *"]


def test_import_of_a_cluster_moto_does_not_have_fails_naming_it(moto: str) -> None:
    proc = _import(moto, "--cluster", "nope")
    assert proc.returncode == 1
    assert "DescribeClusters" in proc.stderr and "nope" in proc.stderr, proc.stderr


def test_import_without_credentials_says_which_variables(moto: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ecs_operator.cli", "import", "--region", REGION, "--endpoint-url", moto],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1 and "AWS_ACCESS_KEY_ID" in proc.stderr, proc.stderr
