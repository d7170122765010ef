"""RunTask, StopTask, DescribeTasks and ListTasks through the ECS API, operator running.

Task definitions and services are applied with kubectl (other actions' tests cover their API
calls). kwok's stages make a task exit: the task's own tags become pod annotations, so a RunTask
tag ``ecs.operator.dev/kwok-exit-code`` ends its container with that code (after
``ecs.operator.dev/kwok-exit-after``). Every answer is checked against botocore's output shape.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aws_clients import AwsClients
from ecs_api import Answer, EcsClient
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ecs_shapes import output_problems

pytestmark = pytest.mark.usefixtures("operator")

EXIT_CODE = "ecs.operator.dev/kwok-exit-code"
EXIT_AFTER = "ecs.operator.dev/kwok-exit-after"
Obj = dict[str, Any]


def _ok(ecs: EcsClient, action: str, body: Obj) -> Obj:
    answer = ecs.ok(action, body)
    assert output_problems(action, answer) == [], answer
    return answer


def _batch(cluster: ClusterHandle, namespace: str, family: str = "job") -> None:
    containers = [{"name": "main", "image": "busybox:1.36", "cpu": 64, "memory": 128, "essential": True}]
    cluster.apply([task_definition(family, containers=containers)], "-n", namespace)
    wait_for(
        lambda: (get_json(cluster, "taskdefinition", family, "-n", namespace).get("status") or {}).get("revision"),
        timeout=30,
        message=f"{family} registered",
    )


def _run(ecs: EcsClient, body: Obj) -> Obj:
    """RunTask, once the API's caches have the revision kubectl just registered."""

    def answered() -> Answer | None:
        answer = ecs.call("RunTask", body)
        if answer.status == 400 and "TaskDefinition not found" in answer.body.get("message", ""):
            return None
        return answer

    answer = wait_for(answered, timeout=15, message="RunTask to see the task definition")
    assert answer.status == 200, answer.body
    assert output_problems("RunTask", answer.body) == [], answer.body
    return answer.body


def _describe(ecs: EcsClient, arns: list[str], **extra: Any) -> list[Obj]:
    return list(_ok(ecs, "DescribeTasks", {"tasks": arns, **extra})["tasks"])


def _when_stopped(ecs: EcsClient, arn: str, timeout: float = 60) -> Obj:
    def stopped() -> Obj | None:
        (task,) = _describe(ecs, [arn])
        return task if task["lastStatus"] == "STOPPED" else None

    return wait_for(stopped, timeout=timeout, message=f"{arn} STOPPED")


def test_run_task_that_crashes_after_starting_is_stopped_with_its_exit_code(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str
) -> None:
    _batch(cluster, namespace)
    tags = [{"key": EXIT_CODE, "value": "3"}, {"key": EXIT_AFTER, "value": "4s"}]
    answer = _run(ecs, {"taskDefinition": "job", "tags": tags, "startedBy": "ci-42"})
    assert answer["failures"] == []
    (task,) = answer["tasks"]
    assert task["lastStatus"] in ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")
    assert task["taskDefinitionArn"] == "arn:aws:ecs:us-east-1:123456789012:task-definition/job:1"
    assert task["startedBy"] == "ci-42" and task["desiredStatus"] == "RUNNING"
    arn = task["taskArn"]
    wait_for(lambda: _describe(ecs, [arn])[0]["lastStatus"] == "RUNNING", timeout=30, message="RUNNING first")

    stopped = _when_stopped(ecs, arn)
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert [(c["name"], c["exitCode"]) for c in stopped["containers"]] == [("main", 3)]
    assert stopped["stoppedAt"] >= stopped["startedAt"] >= stopped["createdAt"]
    assert arn in _ok(ecs, "ListTasks", {"desiredStatus": "STOPPED"})["taskArns"]
    assert arn not in _ok(ecs, "ListTasks", {})["taskArns"]

    # The record outlives the pod: delete it, the exit code is still told.
    cluster.kubectl("delete", "pods", "-n", namespace, "-l", "ecs.operator.dev/family=job", "--wait=true")
    (after,) = _describe(ecs, [arn])
    assert after["lastStatus"] == "STOPPED" and after["containers"][0]["exitCode"] == 3


def test_run_task_count_three_is_listed_by_started_by_one_page_at_a_time(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str
) -> None:
    _batch(cluster, namespace)
    answer = _run(ecs, {"taskDefinition": "job:1", "count": 3, "startedBy": "backfill"})
    assert answer["failures"] == [] and len(answer["tasks"]) == 3
    started = sorted(t["taskArn"] for t in answer["tasks"])
    assert len(set(started)) == 3
    assert sorted(_ok(ecs, "ListTasks", {"startedBy": "backfill"})["taskArns"]) == started
    assert _ok(ecs, "ListTasks", {"startedBy": "someone-else"})["taskArns"] == []
    assert sorted(_ok(ecs, "ListTasks", {"family": "job"})["taskArns"]) == started

    pages: list[list[str]] = []
    body: Obj = {"startedBy": "backfill", "maxResults": 1}
    while True:
        page = _ok(ecs, "ListTasks", body)
        pages.append(page["taskArns"])
        if "nextToken" not in page:
            break
        body = {**body, "nextToken": page["nextToken"]}
    assert [len(p) for p in pages] == [1, 1, 1] and sorted(a for p in pages for a in p) == started
    # One ECSTask holds the three, as kubectl shows it.
    items = get_json(cluster, "ecstasks", "-n", namespace)["items"]
    assert len(items) == 1 and items[0]["spec"]["count"] == 3 and items[0]["spec"]["taskDefinition"] == "job:1"


def test_bare_family_pins_its_latest_revision_and_client_token_is_idempotent(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str
) -> None:
    _batch(cluster, namespace)
    first = _run(ecs, {"taskDefinition": "job", "clientToken": "deploy-7"})
    again = _run(ecs, {"taskDefinition": "job", "clientToken": "deploy-7"})
    assert [t["taskArn"] for t in again["tasks"]] == [t["taskArn"] for t in first["tasks"]]
    items = get_json(cluster, "ecstasks", "-n", namespace)["items"]
    assert len(items) == 1 and items[0]["spec"]["taskDefinition"] == "job:1"


def test_stop_task_stops_one_task_with_the_reason(ecs: EcsClient, cluster: ClusterHandle, namespace: str) -> None:
    _batch(cluster, namespace)
    answer = _run(ecs, {"taskDefinition": "job", "count": 2})
    doomed, kept = (t["taskArn"] for t in answer["tasks"])
    wait_for(
        lambda: all(t["lastStatus"] == "RUNNING" for t in _describe(ecs, [doomed, kept])),
        timeout=30,
        message="both RUNNING",
    )
    stopping = _ok(ecs, "StopTask", {"task": doomed, "reason": "replaced by v2"})["task"]
    assert stopping["taskArn"] == doomed and stopping["desiredStatus"] == "STOPPED"

    stopped = _when_stopped(ecs, doomed)
    assert stopped["stopCode"] == "UserInitiated" and stopped["stoppedReason"] == "replaced by v2"
    time.sleep(2)
    (other,) = _describe(ecs, [kept])
    assert other["lastStatus"] == "RUNNING" and "stopCode" not in other
    assert _ok(ecs, "ListTasks", {})["taskArns"] == [kept]

    # Without a reason, ECS's default; stopping a stopped task answers it as it is.
    _ok(ecs, "StopTask", {"task": kept.rsplit("/", 1)[-1]})
    assert _when_stopped(ecs, kept)["stoppedReason"] == "Task stopped by user"
    again = _ok(ecs, "StopTask", {"task": doomed, "reason": "twice"})["task"]
    assert again["lastStatus"] == "STOPPED" and again["stoppedReason"] == "replaced by v2"


def test_service_tasks_are_listed_described_and_replaced_when_stopped(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str
) -> None:
    cluster.apply([task_definition("web"), ecs_service("web", "web", desired=2)], "-n", namespace)

    def two_running() -> list[str] | None:
        arns = _ok(ecs, "ListTasks", {"serviceName": "web"})["taskArns"]
        tasks = _describe(ecs, arns) if len(arns) == 2 else []
        # startedBy is the deployment's id, once the operator has written the service's status
        settled = tasks and all(t["lastStatus"] == "RUNNING" and "startedBy" in t for t in tasks)
        return arns if settled else None

    arns = wait_for(two_running, timeout=60, message="the service's 2 tasks RUNNING")
    for task in _describe(ecs, arns, include=["TAGS"]):
        assert task["group"] == "service:web" and task["startedBy"].startswith("ecs-svc/")
        assert task["taskDefinitionArn"].endswith(":task-definition/web:1")
        assert ":container-instance/default/" in task["containerInstanceArn"]
        assert task["containers"][0]["name"] == "web" and task["containers"][0]["image"] == "nginx:1.27"
    assert sorted(_ok(ecs, "ListTasks", {"family": "web"})["taskArns"]) == sorted(arns)

    stopped = _ok(ecs, "StopTask", {"task": arns[0], "reason": "bad host"})["task"]
    assert stopped["desiredStatus"] == "STOPPED" and stopped["stoppedReason"] == "bad host"

    def replaced() -> list[str] | None:
        now = two_running()
        return now if now is not None and arns[0] not in now else None

    after = wait_for(replaced, timeout=60, message="the stopped task replaced")
    assert arns[1] in after
    gone = _when_stopped(ecs, arns[0], timeout=30)  # its pod is gone; the API server remembers it
    assert (gone["stopCode"], gone["stoppedReason"]) == ("UserInitiated", "bad host")


@pytest.mark.parametrize(
    ("action", "body", "error"),
    [
        ("RunTask", {"taskDefinition": "job", "count": 0}, "InvalidParameterException"),
        ("RunTask", {"taskDefinition": "job", "count": 11}, "InvalidParameterException"),
        ("RunTask", {"taskDefinition": "job", "count": "2"}, "SerializationException"),
        ("RunTask", {"taskDefinition": "job", "cluster": "nowhere"}, "ClusterNotFoundException"),
        ("RunTask", {"taskDefinition": "no-such-family"}, "InvalidParameterException"),
        ("RunTask", {"taskDefinition": ["job"]}, "SerializationException"),
        ("RunTask", {"taskDefinition": "job", "overrides": {"containerOverrides": "x"}}, "InvalidParameterException"),
        ("DescribeTasks", {"tasks": [f"{i:032x}" for i in range(101)]}, "InvalidParameterException"),
        ("DescribeTasks", {"tasks": "abc"}, "SerializationException"),
        ("DescribeTasks", {"tasks": ["abc"], "cluster": "nowhere"}, "ClusterNotFoundException"),
        ("ListTasks", {"maxResults": 500}, "InvalidParameterException"),
        ("ListTasks", {"desiredStatus": 1}, "SerializationException"),
        ("ListTasks", {"serviceName": "ghost"}, "ServiceNotFoundException"),
        ("StopTask", {"task": "0123456789abcdef0123456789abcdef"}, "InvalidParameterException"),
        ("StopTask", {"task": {"id": 1}}, "SerializationException"),
    ],
)
def test_bad_input_is_a_4xx_never_a_5xx(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str, action: str, body: Obj, error: str
) -> None:
    if action == "RunTask":
        _batch(cluster, namespace)
    answer = ecs.call(action, body)
    assert (answer.status, answer.error) == (400, error), answer.body
    assert not get_json(cluster, "ecstasks", "-n", namespace)["items"]  # nothing was started


def test_describe_reports_unknown_tasks_as_missing(ecs: EcsClient) -> None:
    answer = _ok(ecs, "DescribeTasks", {"tasks": ["0123456789abcdef0123456789abcdef"]})
    assert answer["tasks"] == []
    assert answer["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef", "reason": "MISSING"}
    ]


def test_aws_cli_run_task_and_wait_tasks_stopped(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str, tmp_path: Path
) -> None:
    """The acceptance flow: run-task, `aws ecs wait tasks-running` then `tasks-stopped`, describe-tasks' exit code."""
    _batch(cluster, namespace)
    aws = AwsClients(ecs.env(), tmp_path)
    _run(ecs, {"taskDefinition": "job", "startedBy": "warm-up"})  # the API's caches have the revision
    # Long enough for tasks-running's first polls (every 6 s) to see it RUNNING, not yet STOPPED.
    tags = f"key={EXIT_CODE},value=7 key={EXIT_AFTER},value=10s"
    ran = aws.aws("ecs", "run-task", "--task-definition", "job", "--started-by", "cli", "--tags", *tags.split())
    assert ran["failures"] == [] and len(ran["tasks"]) == 1
    arn = ran["tasks"][0]["taskArn"]
    aws.aws("ecs", "wait", "tasks-running", "--tasks", arn, timeout=120)
    aws.aws("ecs", "wait", "tasks-stopped", "--tasks", arn, timeout=120)
    described = aws.aws("ecs", "describe-tasks", "--tasks", arn)
    (task,) = described["tasks"]
    assert task["lastStatus"] == "STOPPED" and task["containers"][0]["exitCode"] == 7
    assert task["stopCode"] == "EssentialContainerExited"
    listed = aws.aws("ecs", "list-tasks", "--started-by", "cli", "--desired-status", "STOPPED", "--page-size", "1")
    assert listed["taskArns"] == [arn]
    # tasks-running gives up on a task ECS does not know (tasks-stopped has no such acceptor).
    unknown = "0123456789abcdef0123456789abcdef"
    missing = aws.aws_cli("ecs", "wait", "tasks-running", "--tasks", unknown, check=False, timeout=60)
    assert missing.returncode != 0 and "MISSING" in missing.stderr


def test_a_service_task_that_exits_stays_stopped_with_its_exit_code_after_its_pod_is_gone(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str
) -> None:
    cluster.apply([task_definition("api"), ecs_service("api", "api", desired=1)], "-n", namespace)

    def running() -> str | None:
        arns = _ok(ecs, "ListTasks", {"serviceName": "api"})["taskArns"]
        tasks = _describe(ecs, arns) if len(arns) == 1 else []
        return arns[0] if tasks and tasks[0]["lastStatus"] == "RUNNING" else None

    arn = wait_for(running, timeout=60, message="the service's task RUNNING")
    pod = next(
        p
        for p in get_json(cluster, "pods", "-n", namespace, "-l", "ecs.operator.dev/service=api")["items"]
        if p["metadata"]["uid"].replace("-", "") == arn.rsplit("/", 1)[-1]
    )
    cluster.kubectl("annotate", "pod", pod["metadata"]["name"], f"{EXIT_CODE}=4", "-n", namespace)

    def gone() -> bool:
        names = [p["metadata"]["name"] for p in get_json(cluster, "pods", "-n", namespace)["items"]]
        return pod["metadata"]["name"] not in names

    wait_for(gone, timeout=60, message="the exited task's pod to be deleted")
    task = _when_stopped(ecs, arn, timeout=10)
    assert task["stopCode"] == "EssentialContainerExited" and task["containers"][0]["exitCode"] == 4
    assert task["group"] == "service:api" and "stoppedAt" in task
    assert arn in _ok(ecs, "ListTasks", {"serviceName": "api", "desiredStatus": "STOPPED"})["taskArns"]
    wait_for(running, timeout=60, message="a replacement task")


def test_run_task_the_operator_cannot_render_is_refused_and_leaves_nothing(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str
) -> None:
    """A task definition in bridge mode cannot run on Fargate: the operator's InvalidSpec is the answer."""
    _batch(cluster, namespace)
    _run(ecs, {"taskDefinition": "job", "startedBy": "warm-up"})
    for task in get_json(cluster, "ecstasks", "-n", namespace)["items"]:
        cluster.kubectl("delete", "ecstask", task["metadata"]["name"], "-n", namespace, "--wait=true")
    answer = ecs.call("RunTask", {"taskDefinition": "job", "launchType": "FARGATE"})
    assert (answer.status, answer.error) == (400, "ClientException"), answer.body
    assert "Fargate" in answer.body["message"]
    wait_for(
        lambda: not get_json(cluster, "ecstasks", "-n", namespace)["items"],
        timeout=30,
        message="the refused ECSTask to be deleted",
    )
