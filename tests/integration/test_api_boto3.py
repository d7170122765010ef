"""Acceptance with boto3: paginators, waiters, modeled exceptions and the CI deploy step.

The scripts run in the clients' own virtualenv (tests/integration/aws_clients.py). botocore
parses responses itself, so each script also records every raw response body it received
(botocore's after-call event) and the test checks those against the output shapes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_clients import AwsClients
from ecs_api import EcsClient
from kube_helpers import get_json, wait_for

from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_shapes import output_problems

pytestmark = pytest.mark.usefixtures("operator")

REPO = Path(__file__).resolve().parents[2]
CI_DEPLOY = REPO / "examples" / "ci-deploy"

PRELUDE = r"""
import json, os, sys
import boto3
RAW = open(os.environ["RAW_LOG"], "a")

def record(http_response, model, **_):
    RAW.write(json.dumps({"operation": model.name, "status": http_response.status_code,
                          "body": http_response.content.decode()}) + "\n")
    RAW.flush()

ecs = boto3.client("ecs")
ecs.meta.events.register("after-call.ecs", record)
out = {}
def fast(name):
    return {"Delay": 2, "MaxAttempts": 60}
"""

FLOW = r"""
out["cluster"] = ecs.create_cluster(clusterName="b3")["cluster"]["clusterArn"]
td = ecs.register_task_definition(
    family="b3-app",
    containerDefinitions=[{"name": "app", "image": "app:1", "cpu": 64, "memory": 128, "essential": True}],
    requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
)["taskDefinition"]
out["revision"] = td["revision"]
ecs.register_task_definition(family="b3-app", containerDefinitions=td["containerDefinitions"])
net = {"awsvpcConfiguration": {"subnets": ["subnet-0a1b2c3d"]}}
for name in ("s1", "s2", "s3"):
    ecs.create_service(cluster="b3", serviceName=name, taskDefinition="b3-app:1", desiredCount=1,
                       launchType="FARGATE", networkConfiguration=net)
ecs.get_waiter("services_stable").wait(cluster="b3", services=["s1", "s2", "s3"], WaiterConfig=fast(1))

def collect(operation, key, **kwargs):
    pages = list(ecs.get_paginator(operation).paginate(PaginationConfig={"PageSize": 1}, **kwargs))
    return {"pages": len(pages), "items": [x for p in pages for x in p[key]]}

out["services"] = collect("list_services", "serviceArns", cluster="b3")
out["tasks"] = collect("list_tasks", "taskArns", cluster="b3")
out["definitions"] = collect("list_task_definitions", "taskDefinitionArns", familyPrefix="b3-app")
out["clusters"] = collect("list_clusters", "clusterArns")

run = ecs.run_task(cluster="b3", taskDefinition="b3-app:1", count=1, launchType="FARGATE",
                   networkConfiguration=net, tags=[{"key": "ecs.operator.dev/kwok-exit-code", "value": "4"}])
arn = run["tasks"][0]["taskArn"]
ecs.get_waiter("tasks_stopped").wait(cluster="b3", tasks=[arn], WaiterConfig=fast(1))
task = ecs.describe_tasks(cluster="b3", tasks=[arn, "0123456789abcdef0123456789abcdef"])
first = task["tasks"][0]
out["stopped"] = {"lastStatus": first["lastStatus"], "exitCode": first["containers"][0].get("exitCode"),
                  "failures": [f["reason"] for f in task["failures"]]}

caught = {}
def expect(name, call):
    try:
        call()
    except getattr(ecs.exceptions, name) as exc:
        caught[name] = exc.response["Error"]["Message"]
    else:
        caught[name] = None
expect("ServiceNotFoundException", lambda: ecs.update_service(cluster="b3", service="nope", desiredCount=1))
expect("ClusterNotFoundException", lambda: ecs.list_services(cluster="no-such-cluster"))
expect("ClientException", lambda: ecs.describe_task_definition(taskDefinition="b3-app:99"))
expect("InvalidParameterException", lambda: ecs.list_services(cluster="b3", maxResults=1000))
out["caught"] = caught

forced = ecs.update_service(cluster="b3", service="s1", forceNewDeployment=True)["service"]
ecs.get_waiter("services_stable").wait(cluster="b3", services=["s1"], WaiterConfig=fast(1))
after = ecs.describe_services(cluster="b3", services=["s1"])["services"][0]
out["forced"] = {"deployments_in_answer": len(forced["deployments"]), "after": len(after["deployments"]),
                 "new_id": after["deployments"][0]["id"] != forced["deployments"][-1]["id"]}
for name in ("s1", "s2", "s3"):
    ecs.delete_service(cluster="b3", service=name, force=True)
ecs.get_waiter("services_inactive").wait(cluster="b3", services=["s1", "s2", "s3"], WaiterConfig=fast(1))
import time
for _ in range(45):
    try:
        out["deleted"] = ecs.delete_cluster(cluster="b3")["cluster"]["status"]
        break
    except (ecs.exceptions.ClusterContainsServicesException, ecs.exceptions.ClusterContainsTasksException):
        time.sleep(2)
print(json.dumps(out, default=str))
"""


@pytest.fixture
def aws(ecs: EcsClient, tmp_path: Path) -> AwsClients:
    return AwsClients(ecs.env(), tmp_path / "aws")


def run_script(aws: AwsClients, body: str, *args: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    raw_log = aws.workdir / "raw.jsonl"
    aws.env["RAW_LOG"] = str(raw_log)
    out = aws.python(PRELUDE + body, *args).stdout
    raws = [json.loads(line) for line in raw_log.read_text().splitlines()]
    return json.loads(out.strip().splitlines()[-1]), raws


def assert_raw_responses_conform(raws: list[dict[str, Any]]) -> None:
    assert raws
    for raw in raws:
        if raw["status"] != 200:
            body = json.loads(raw["body"])
            assert raw["status"] == 400 and body["__type"] and body["message"], raw
            continue
        problems = output_problems(raw["operation"], json.loads(raw["body"]))
        assert problems == [], f"{raw['operation']}: {problems}"


def test_boto3_paginators_waiters_and_exceptions(aws: AwsClients) -> None:
    out, raws = run_script(aws, FLOW)
    assert out["cluster"] == "arn:aws:ecs:us-east-1:123456789012:cluster/b3" and out["revision"] == 1
    base = "arn:aws:ecs:us-east-1:123456789012"
    assert sorted(out["services"]["items"]) == [f"{base}:service/b3/s{i}" for i in (1, 2, 3)]
    assert out["services"]["pages"] == 3  # one service a page: the paginator followed nextToken
    assert len(out["tasks"]["items"]) == 3 and out["tasks"]["pages"] == 3
    assert out["definitions"]["items"] == [f"{base}:task-definition/b3-app:1", f"{base}:task-definition/b3-app:2"]
    assert f"{base}:cluster/b3" in out["clusters"]["items"]
    assert out["stopped"] == {"lastStatus": "STOPPED", "exitCode": 4, "failures": ["MISSING"]}
    caught = out["caught"]
    assert all(caught[name] for name in caught), caught  # each modeled exception was raised and caught
    assert set(caught) == {
        "ServiceNotFoundException",
        "ClusterNotFoundException",
        "ClientException",
        "InvalidParameterException",
    }
    assert out["forced"] == {"deployments_in_answer": 2, "after": 1, "new_id": True}  # PRIMARY + ACTIVE, then one
    assert out["deleted"] in ("INACTIVE", "DEPROVISIONING")
    assert_raw_responses_conform(raws)
    operations = {r["operation"] for r in raws}
    assert {"CreateService", "DescribeServices", "ListTasks", "RunTask", "DescribeTasks"} <= operations


def test_ci_deploy_step(aws: AwsClients, ecs: EcsClient, cluster: ClusterHandle) -> None:
    """examples/ci-deploy: kubectl-applied service, then the deploy step from a file and from the service."""
    cluster.kubectl("apply", "-n", ecs.namespace, "-f", str(CI_DEPLOY))
    wait_for(
        lambda: (
            (get_json(cluster, "ecsservice", "shop-api", "-n", ecs.namespace).get("status") or {}).get("runningCount")
            == 2
        ),
        timeout=90,
        message="shop-api to run two tasks",
    )
    deploy = CI_DEPLOY / "deploy.py"
    common = ("--cluster", "default", "--service", "shop-api", "--wait-delay", "2")
    from_file = aws.python(deploy, *common, "--task-definition", str(CI_DEPLOY / "ecs" / "taskdefinition.ecs-json"))
    first = json.loads(from_file.stdout.strip().splitlines()[-1])
    assert first["revision"] == 2
    assert first["deployments"] == [{"taskDefinition": first["taskDefinitionArn"], "status": "PRIMARY"}]

    from_service = aws.python(deploy, *common, "--image", "api=shop-api:1.2.0")
    second = json.loads(from_service.stdout.strip().splitlines()[-1])
    assert second["revision"] == 3 and second["taskDefinitionArn"].endswith(":task-definition/shop-api:3")

    described = ecs.ok("DescribeTaskDefinition", {"taskDefinition": "shop-api:3"})
    assert output_problems("DescribeTaskDefinition", described) == []
    assert described["taskDefinition"]["containerDefinitions"][0]["image"] == "shop-api:1.2.0"
    assert described["taskDefinition"]["containerDefinitions"][0]["environment"] == [
        {"name": "LOG_LEVEL", "value": "info"}
    ]
    services = ecs.ok("DescribeServices", {"cluster": "default", "services": ["shop-api"]})
    assert output_problems("DescribeServices", services) == []
    assert services["services"][0]["taskDefinition"] == second["taskDefinitionArn"]
    # kubectl sees the same object the API deployed.
    spec = get_json(cluster, "ecsservice", "shop-api", "-n", ecs.namespace)["spec"]
    assert spec["taskDefinition"] in ("shop-api:3", second["taskDefinitionArn"])
