"""Acceptance with the AWS CLI v1: the deploy flow a shell pipeline runs, against the ECS API.

Every JSON the CLI prints is checked against botocore's output shape of its operation
(tests/ecs_shapes.py). The CLI v1 prints timestamps as they came over the wire
(cli_timestamp_format defaults to `none`), so the check also sees epoch-second numbers.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_clients import AwsClients, ClientFailed
from ecs_api import EcsClient
from kube_helpers import wait_for

from botocore_model import load_ecs_model
from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_shapes import output_problems

pytestmark = pytest.mark.usefixtures("operator")

REPO = Path(__file__).resolve().parents[2]
WEBSERVER = REPO / "examples" / "webserver" / "taskdefinition.yaml"
READ_ONLY = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
)
EXIT_CODE = "ecs.operator.dev/kwok-exit-code"
NEVER_READY = "ecs.operator.dev/kwok-never-ready"
NETWORK = "awsvpcConfiguration={subnets=[subnet-0a1b2c3d],assignPublicIp=DISABLED}"


@pytest.fixture
def aws(ecs: EcsClient, tmp_path: Path) -> AwsClients:
    return AwsClients(ecs.env(), tmp_path / "aws")


def operation(command: str) -> str:
    return "".join(word.capitalize() for word in command.split("-"))


def ecs_cli(aws: AwsClients, command: str, *args: str) -> Any:
    """`aws ecs COMMAND ARGS`, its output checked against the operation's output shape."""
    out = aws.aws("ecs", command, *args)
    problems = output_problems(operation(command), out)
    assert problems == [], f"aws ecs {command}: {problems}\n{json.dumps(out, indent=1)[:4000]}"
    return out


def as_model_types(shape_name: str, value: Any) -> Any:
    """``value`` with numbers the CRD accepts as strings (container "cpu": "99") made the model's integers."""
    shape = load_ecs_model()["shapes"][shape_name]
    kind = shape["type"]
    if kind == "structure" and isinstance(value, dict):
        members = shape["members"]
        return {k: as_model_types(members[k]["shape"], v) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [as_model_types(shape["member"]["shape"], v) for v in value]
    if kind in ("integer", "long") and isinstance(value, str):
        return int(value)
    return value


def webserver_input(path: Path) -> Path:
    """examples/webserver's task definition as the ECS JSON `--cli-input-json` takes."""
    spec = yaml.safe_load(WEBSERVER.read_text())["spec"]
    converted = as_model_types("RegisterTaskDefinitionRequest", spec)
    assert converted["containerDefinitions"][0]["cpu"] == 99 and converted["cpu"] == "256"
    path.write_text(json.dumps(converted))
    return path


def strip_read_only(task_definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in task_definition.items() if k not in READ_ONLY}


def test_cli_deploy_flow(aws: AwsClients, ecs: EcsClient, cluster: ClusterHandle, tmp_path: Path) -> None:
    created = ecs_cli(aws, "create-cluster", "--cluster-name", "cli")
    assert created["cluster"]["clusterName"] == "cli" and created["cluster"]["status"] == "ACTIVE"
    cluster_arn = created["cluster"]["clusterArn"]
    assert cluster_arn == "arn:aws:ecs:us-east-1:123456789012:cluster/cli"

    # Register from an examples/ file, then from what describe-task-definition printed.
    first = ecs_cli(
        aws, "register-task-definition", "--cli-input-json", f"file://{webserver_input(tmp_path / 'td.json')}"
    )["taskDefinition"]
    assert (first["family"], first["revision"], first["status"]) == ("webserver", 1, "ACTIVE")
    described = ecs_cli(aws, "describe-task-definition", "--task-definition", "webserver")["taskDefinition"]
    assert described["taskDefinitionArn"] == first["taskDefinitionArn"]
    (tmp_path / "described.json").write_text(json.dumps(strip_read_only(described)))
    second = ecs_cli(aws, "register-task-definition", "--cli-input-json", f"file://{tmp_path / 'described.json'}")
    second_arn = second["taskDefinition"]["taskDefinitionArn"]
    assert second["taskDefinition"]["revision"] == 2 and second_arn.endswith(":task-definition/webserver:2")
    assert second["taskDefinition"]["containerDefinitions"][0]["image"] == "nginx"

    service = ecs_cli(
        aws,
        "create-service",
        "--cluster", "cli",
        "--service-name", "web",
        "--task-definition", "webserver:1",
        "--desired-count", "4",
        "--launch-type", "FARGATE",
        "--network-configuration", NETWORK,
        # One task more at a time, none fewer: the rollout takes four steps, so both deployments show.
        "--deployment-configuration", "maximumPercent=125,minimumHealthyPercent=100",
        "--propagate-tags", "TASK_DEFINITION",
    )["service"]  # fmt: skip
    assert service["serviceName"] == "web" and service["clusterArn"] == cluster_arn
    assert service["taskDefinition"] == first["taskDefinitionArn"]
    assert service["desiredCount"] == 4

    aws.aws("ecs", "wait", "services-stable", "--cluster", "cli", "--services", "web")
    steady = ecs_cli(aws, "describe-services", "--cluster", "cli", "--services", "web")["services"][0]
    assert steady["runningCount"] == 4 and len(steady["deployments"]) == 1

    updated = ecs_cli(
        aws, "update-service", "--cluster", "cli", "--service", "web", "--task-definition", "webserver:2",
        "--force-new-deployment",
    )["service"]  # fmt: skip
    assert updated["taskDefinition"] == second_arn
    aws.aws("ecs", "wait", "services-stable", "--cluster", "cli", "--services", "web")
    stable = ecs_cli(aws, "describe-services", "--cluster", "cli", "--services", "web")["services"][0]
    # services-stable: one deployment, runningCount == desiredCount (rolloutState may still be IN_PROGRESS).
    assert [d["taskDefinition"] for d in stable["deployments"]] == [second_arn] and stable["runningCount"] == 4

    # kwok replaces healthy tasks within a second, so hold a rollout open to look at it: revision 3's
    # tasks never become ready (kwok-never-ready, a task-definition tag the service propagates to them).
    # The tag goes in through kubectl: tags given to RegisterTaskDefinition are not propagated (see
    # /tmp/api-bugs.md), and the family's TaskDefinition is an ordinary object kubectl may change.
    cluster.kubectl(
        "patch", "taskdefinition", "webserver", "-n", ecs.namespace, "--type", "merge",
        "-p", json.dumps({"spec": {"tags": [{"key": NEVER_READY, "value": "true"}]}}),
    )  # fmt: skip

    def third() -> str | None:
        done = aws.aws_cli("ecs", "describe-task-definition", "--task-definition", "webserver:3", check=False)
        return json.loads(done.stdout)["taskDefinition"]["taskDefinitionArn"] if done.returncode == 0 else None

    third_arn = wait_for(third, timeout=30, interval=1, message="revision 3 from kubectl's change")
    ecs_cli(aws, "update-service", "--cluster", "cli", "--service", "web", "--task-definition", "webserver:3")

    # During the rollout both deployments show: the new PRIMARY and the old ACTIVE one.
    seen: list[Any] = []

    def both_deployments() -> dict[str, Any] | None:
        svc = ecs_cli(aws, "describe-services", "--cluster", "cli", "--services", "web")["services"][0]
        seen.append([(d["status"], d["taskDefinition"], d.get("rolloutState")) for d in svc["deployments"]])
        return svc if [d["status"] for d in svc["deployments"]] == ["PRIMARY", "ACTIVE"] else None

    deadline = time.monotonic() + 60
    while (rolling := both_deployments()) is None:
        assert time.monotonic() < deadline, f"never PRIMARY and ACTIVE deployments; saw {seen}"
        time.sleep(0.5)
    primary, active = rolling["deployments"]
    assert (primary["taskDefinition"], primary["rolloutState"]) == (third_arn, "IN_PROGRESS")
    assert active["taskDefinition"] == second_arn and active["runningCount"] >= 1
    assert rolling["taskDefinition"] == third_arn

    # Back to revision 2 with a forced new deployment; stable again with one deployment.
    ecs_cli(aws, "update-service", "--cluster", "cli", "--service", "web", "--task-definition", "webserver:2",
            "--force-new-deployment")  # fmt: skip
    aws.aws("ecs", "wait", "services-stable", "--cluster", "cli", "--services", "web")
    after = ecs_cli(aws, "describe-services", "--cluster", "cli", "--services", "web", "gone")
    done = after["services"][0]
    assert [d["taskDefinition"] for d in done["deployments"]] == [second_arn]
    assert done["runningCount"] == 4
    assert any(e["message"].startswith("(service web) has started") for e in done["events"])

    # services-stable holds once runningCount is reached; the steady-state event follows when the
    # deployment is COMPLETED (after the operator's steady window), as ECS posts it after the rollout.
    def steady_event() -> dict[str, Any] | None:
        svc = ecs_cli(aws, "describe-services", "--cluster", "cli", "--services", "web")["services"][0]
        messages = [e["message"] for e in svc["events"]]
        completed = svc["deployments"][0]["rolloutState"] == "COMPLETED"
        return svc if completed and "(service web) has reached a steady state." in messages else None

    steady_svc = wait_for(steady_event, timeout=60, interval=2, message="COMPLETED and the steady-state event")
    assert steady_svc["events"][0]["createdAt"] >= done["events"][0]["createdAt"]  # newest first
    (failure,) = after["failures"]
    assert failure["reason"] == "MISSING" and failure["arn"].startswith("arn:aws:ecs:us-east-1:123456789012:service/")
    assert failure["arn"].endswith("/gone")

    # A one-off task that exits with code 3 (kwok's exit stage, from the task's tags).
    ran = ecs_cli(
        aws, "run-task", "--cluster", "cli", "--task-definition", "webserver:2", "--count", "1",
        "--launch-type", "FARGATE", "--network-configuration", NETWORK, "--started-by", "cli-test",
        "--tags", f"key={EXIT_CODE},value=3",
    )  # fmt: skip
    assert ran["failures"] == [] and len(ran["tasks"]) == 1
    task_arn = ran["tasks"][0]["taskArn"]
    assert task_arn.startswith("arn:aws:ecs:us-east-1:123456789012:task/cli/")
    aws.aws("ecs", "wait", "tasks-stopped", "--cluster", "cli", "--tasks", task_arn)
    task = ecs_cli(aws, "describe-tasks", "--cluster", "cli", "--tasks", task_arn)["tasks"][0]
    assert task["lastStatus"] == "STOPPED" and task["stopCode"] == "EssentialContainerExited"
    assert task["containers"][0]["exitCode"] == 3
    assert task["startedBy"] == "cli-test"

    # list-* with --page-size: the CLI follows nextToken page by page and prints every item.
    families = ecs_cli(aws, "list-task-definitions", "--family-prefix", "webserver", "--page-size", "1")
    assert families["taskDefinitionArns"] == [first["taskDefinitionArn"], second_arn, third_arn]
    assert ecs_cli(aws, "list-task-definition-families", "--page-size", "1")["families"] == ["webserver"]
    ecs_cli(aws, "create-service", "--cluster", "cli", "--service-name", "web2", "--task-definition", "webserver",
            "--desired-count", "0", "--launch-type", "FARGATE", "--network-configuration", NETWORK)  # fmt: skip
    services = ecs_cli(aws, "list-services", "--cluster", "cli", "--page-size", "1")["serviceArns"]
    assert sorted(services) == [f"{cluster_arn.replace(':cluster/', ':service/')}/{n}" for n in ("web", "web2")]
    tasks = ecs_cli(aws, "list-tasks", "--cluster", "cli", "--service-name", "web", "--page-size", "1")
    assert len(tasks["taskArns"]) == 4
    stopped = ecs_cli(aws, "list-tasks", "--cluster", "cli", "--desired-status", "STOPPED", "--page-size", "1")
    assert task_arn in stopped["taskArns"]
    clusters = ecs_cli(aws, "list-clusters", "--page-size", "1")["clusterArns"]
    assert cluster_arn in clusters
    one = aws.aws("ecs", "list-services", "--cluster", "cli", "--max-items", "1")
    assert len(one["serviceArns"]) == 1 and one["NextToken"]  # the CLI's own resume token

    # Tear down: delete-service --force keeps running tasks from blocking it, then the cluster.
    for name in ("web", "web2"):
        gone = ecs_cli(aws, "delete-service", "--cluster", "cli", "--service", name, "--force")["service"]
        assert gone["status"] in ("DRAINING", "INACTIVE")
    aws.aws("ecs", "wait", "services-inactive", "--cluster", "cli", "--services", "web", "web2")

    def delete_cluster() -> dict[str, Any] | None:
        try:
            return ecs_cli(aws, "delete-cluster", "--cluster", "cli")  # type: ignore[no-any-return]
        except ClientFailed as failed:  # tasks still draining: ECS says ClusterContains...Exception
            assert "ClusterContains" in failed.stderr, failed.stderr
            return None

    deleted = wait_for(delete_cluster, timeout=90, interval=2, message="delete-cluster to succeed")
    assert deleted["cluster"]["clusterArn"] == cluster_arn
    assert deleted["cluster"]["status"] in ("INACTIVE", "DEPROVISIONING")


def test_cli_errors_are_ecs_errors(aws: AwsClients) -> None:
    """The CLI shows ECS's error codes (it exits 254/255 on a service error)."""
    missing = aws.aws_cli("ecs", "update-service", "--cluster", "default", "--service", "nope", "--desired-count", "1",
                          check=False)  # fmt: skip
    assert missing.returncode != 0
    assert "ServiceNotFoundException" in missing.stderr or "ClusterNotFoundException" in missing.stderr
    no_cluster = aws.aws_cli("ecs", "list-services", "--cluster", "no-such-cluster", check=False)
    assert no_cluster.returncode != 0 and "ClusterNotFoundException" in no_cluster.stderr
    bad = aws.aws_cli("ecs", "describe-task-definition", "--task-definition", "nope:7", check=False)
    assert bad.returncode != 0 and "ClientException" in bad.stderr


def test_a_users_aws_config_does_not_interfere(ecs: EcsClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ~/.aws and AWS_PROFILE of the user's are ignored: the CLI gets empty config files and only our variables."""
    monkeypatch.setenv("AWS_PROFILE", "a-profile-nowhere")  # the CLI refuses to start with an unknown profile
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:9\n")
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAWRONG000000000000\naws_secret_access_key = wrong\n"
    )
    aws = AwsClients({**ecs.env(), "HOME": str(home)}, tmp_path / "aws")
    out = ecs_cli(aws, "list-clusters")
    assert all(arn.startswith("arn:aws:ecs:us-east-1:123456789012:cluster/") for arn in out["clusterArns"])
