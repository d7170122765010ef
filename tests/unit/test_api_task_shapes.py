"""The ECS API's task actions over watch-cache snapshots: ECS's Task shape, filters, limits, StopTask's record.

The snapshot (data/api_tasks/play-namespace.json) is a namespace of the local cluster as the
operator left it: a service with two tasks, an ECSTask of three (one stopped by StopTask, its pod
gone) and one of two whose tasks exited with code 3. Every answer must parse against botocore's
output shapes (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html).
"""

from __future__ import annotations

import copy
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from ecs_operator.api.actions.tasks import ACTIONS, _answer
from ecs_operator.api.arns import Arns
from ecs_operator.api.caches import ApiCaches
from ecs_operator.api.context import Call
from ecs_operator.api.errors import (
    ClusterNotFoundException,
    EcsError,
    InvalidParameterException,
    SerializationException,
    ServiceNotFoundException,
)
from ecs_operator.api.params import Params
from ecs_operator.api.task_view import TaskSource, epoch, present_task
from ecs_operator.kube import Kube
from ecs_operator.plan.task_status import TaskObservation, compute_task_status

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ecs_shapes import output_problems

SNAPSHOT = json.loads((Path(__file__).parent / "data/api_tasks/play-namespace.json").read_text())
ARNS = Arns("eu-west-1", "111122223333")
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
STOPPED_BY_USER = "523f4ea8cc0345afbe687034e95fdce3"  # web-9ecc198515-0: StopTask'ed, pod gone
EXITED = "d5f925df621e44f79f58d8652d190826"  # onceoff-0: exited with 3, pod kept
Obj = dict[str, Any]


def _caches(snapshot: Obj | None = None) -> ApiCaches:
    snap = snapshot or SNAPSHOT
    caches = ApiCaches()
    caches.pods.replace(copy.deepcopy(snap["pods"]))
    caches.tasks.replace(copy.deepcopy(snap["ecstasks"]))
    caches.services.replace(copy.deepcopy(snap["services"]))
    caches.revisions.replace(copy.deepcopy(snap["revisions"]))
    caches.nodes.replace(copy.deepcopy(snap["nodes"]))
    return caches


def _call(action: str, body: Obj, caches: ApiCaches | None = None) -> Call:
    # No API server: these actions only read the caches (kube is never reached in these tests).
    return Call(action, Params(body), "play", ARNS, caches or _caches(), cast(Kube, None), NOW)


def _do(action: str, body: Obj, caches: ApiCaches | None = None) -> Obj:
    answer = ACTIONS[action](_call(action, body, caches))
    assert output_problems(action, answer) == [], answer
    return answer


def _all_arns() -> list[str]:
    running = _do("ListTasks", {})["taskArns"]
    stopped = _do("ListTasks", {"desiredStatus": "STOPPED"})["taskArns"]
    return [*running, *stopped]


def test_every_task_describes_to_ecs_task_shape() -> None:
    arns = _all_arns()
    assert len(arns) == 7  # 2 service tasks, 2 running and 3 stopped standalone tasks
    answer = _do("DescribeTasks", {"tasks": arns, "include": ["TAGS"]})
    assert answer["failures"] == []
    for task in answer["tasks"]:
        for member in ("taskArn", "clusterArn", "taskDefinitionArn", "lastStatus", "desiredStatus", "containers"):
            assert member in task, (member, task)
        assert isinstance(task["createdAt"], float) and isinstance(task["version"], int)
        assert task["taskDefinitionArn"] == "arn:aws:ecs:eu-west-1:111122223333:task-definition/web:1"
        assert task["clusterArn"] == "arn:aws:ecs:eu-west-1:111122223333:cluster/default"
        assert all(c["taskArn"] == task["taskArn"] and c["image"] == "nginx:1.27" for c in task["containers"])
        assert "tags" in task


def test_an_exited_task_is_stopped_with_its_exit_code() -> None:
    (task,) = _do("DescribeTasks", {"tasks": [EXITED]})["tasks"]
    assert (task["lastStatus"], task["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert task["stopCode"] == "EssentialContainerExited"
    assert [(c["name"], c["lastStatus"], c["exitCode"]) for c in task["containers"]] == [("web", "STOPPED", 3)]
    assert task["startedBy"] == "me" and task["group"] == "family:web"
    assert task["stoppedAt"] >= task["startedAt"] >= task["createdAt"]
    assert task["containerInstanceArn"].startswith("arn:aws:ecs:eu-west-1:111122223333:container-instance/default/")
    assert "tags" not in task  # only with include TAGS
    (tagged,) = _do("DescribeTasks", {"tasks": [EXITED], "include": ["TAGS"]})["tasks"]
    assert {"key": "ecs.operator.dev/kwok-exit-code", "value": "3"} in tagged["tags"]


def test_a_task_stopped_by_stoptask_keeps_its_reason_after_its_pod_is_gone() -> None:
    caches = _caches()
    assert all(p["metadata"]["uid"].replace("-", "") != STOPPED_BY_USER for p in caches.pods.all())
    arn = f"arn:aws:ecs:eu-west-1:111122223333:task/default/{STOPPED_BY_USER}"
    (task,) = _do("DescribeTasks", {"tasks": [arn]}, caches)["tasks"]
    assert task["lastStatus"] == "STOPPED" and task["stopCode"] == "UserInitiated"
    assert task["stoppedReason"] == "no longer needed"
    assert "containerInstanceArn" not in task  # its pod, and so its node, is no longer known


def test_service_tasks_come_from_pods() -> None:
    arns = _do("ListTasks", {"serviceName": "websvc"})["taskArns"]
    assert len(arns) == 2
    tasks = _do("DescribeTasks", {"tasks": arns})["tasks"]
    service = SNAPSHOT["services"][0]
    deployment = service["status"]["deployments"][0]["id"]
    nodes = {n["metadata"]["uid"].replace("-", "") for n in SNAPSHOT["nodes"]}
    for task in tasks:
        assert task["group"] == "service:websvc" and task["startedBy"] == deployment
        assert task["lastStatus"] == "RUNNING" and task["desiredStatus"] == "RUNNING"
        assert task["containerInstanceArn"].rsplit("/", 1)[-1] in nodes
        assert task["availabilityZone"].startswith("us-east-1")
        assert task["launchType"] == "EC2"


def test_list_filters() -> None:
    assert len(_do("ListTasks", {"startedBy": "smoke"})["taskArns"]) == 2
    assert len(_do("ListTasks", {"startedBy": "smoke", "desiredStatus": "STOPPED"})["taskArns"]) == 1
    assert _do("ListTasks", {"desiredStatus": "PENDING"})["taskArns"] == []  # ECS never sets it
    assert len(_do("ListTasks", {"family": "web"})["taskArns"]) == 4
    assert _do("ListTasks", {"family": "other"})["taskArns"] == []
    assert _do("ListTasks", {"launchType": "FARGATE"})["taskArns"] == []
    node = SNAPSHOT["nodes"][0]
    instance = node["metadata"]["uid"].replace("-", "")
    on_node = {
        p["metadata"]["uid"].replace("-", "")
        for p in SNAPSHOT["pods"]
        if p["spec"].get("nodeName") == node["metadata"]["name"] and p["status"]["phase"] == "Running"
    }
    listed = _do("ListTasks", {"containerInstance": ARNS.container_instance("default", instance)})["taskArns"]
    assert {a.rsplit("/", 1)[-1] for a in listed} == on_node


def test_list_pages_one_at_a_time() -> None:
    seen: list[str] = []
    body: Obj = {"maxResults": 1}
    while True:
        answer = _do("ListTasks", body)
        assert len(answer["taskArns"]) <= 1
        seen += answer["taskArns"]
        if "nextToken" not in answer:
            break
        body = {"maxResults": 1, "nextToken": answer["nextToken"]}
    assert seen == sorted(_do("ListTasks", {})["taskArns"]) and len(seen) == 4


def test_unknown_tasks_are_missing_with_their_arn() -> None:
    answer = _do("DescribeTasks", {"tasks": ["0123456789abcdef0123456789abcdef", EXITED]})
    assert [t["taskArn"].rsplit("/", 1)[-1] for t in answer["tasks"]] == [EXITED]
    assert answer["failures"] == [
        {"arn": ARNS.task("default", "0123456789abcdef0123456789abcdef"), "reason": "MISSING"}
    ]


@pytest.mark.parametrize(
    ("action", "body", "error"),
    [
        ("DescribeTasks", {"tasks": [f"t{i}" for i in range(101)]}, InvalidParameterException),
        ("DescribeTasks", {}, InvalidParameterException),
        ("DescribeTasks", {"tasks": "abc"}, SerializationException),
        ("DescribeTasks", {"tasks": [1]}, SerializationException),
        ("DescribeTasks", {"tasks": ["x"], "include": ["SETTINGS"]}, InvalidParameterException),
        ("DescribeTasks", {"tasks": ["x"], "cluster": "nope"}, ClusterNotFoundException),
        ("ListTasks", {"maxResults": 101}, InvalidParameterException),
        ("ListTasks", {"maxResults": 0}, InvalidParameterException),
        ("ListTasks", {"desiredStatus": "DONE"}, InvalidParameterException),
        ("ListTasks", {"serviceName": "nope"}, ServiceNotFoundException),
        ("ListTasks", {"cluster": "nope"}, ClusterNotFoundException),
        ("ListTasks", {"nextToken": "%%%"}, InvalidParameterException),
        ("ListTasks", {"family": 3}, SerializationException),
        ("RunTask", {}, InvalidParameterException),
        ("RunTask", {"taskDefinition": "web", "count": 0}, InvalidParameterException),
        ("RunTask", {"taskDefinition": "web", "count": 11}, InvalidParameterException),
        ("RunTask", {"taskDefinition": "web", "count": "3"}, SerializationException),
        ("RunTask", {"taskDefinition": "web", "count": True}, SerializationException),
        ("RunTask", {"taskDefinition": "web", "cluster": "nope"}, ClusterNotFoundException),
        ("RunTask", {"taskDefinition": "web", "overrides": []}, SerializationException),
        ("RunTask", {"taskDefinition": "web", "clientToken": "x" * 65}, InvalidParameterException),
        ("RunTask", {"taskDefinition": "web", "enableExecuteCommand": "yes"}, SerializationException),
        ("StopTask", {}, InvalidParameterException),
        ("StopTask", {"task": "0123456789abcdef0123456789abcdef"}, InvalidParameterException),
        ("StopTask", {"task": EXITED, "reason": 5}, SerializationException),
    ],
)
def test_bad_input_is_a_client_error(action: str, body: Obj, error: type[EcsError]) -> None:
    with pytest.raises(error) as caught:
        ACTIONS[action](_call(action, body))
    assert caught.value.status == 400


def _with_default_cluster() -> ApiCaches:
    caches = _caches()
    cluster = {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "ECSCluster",
        "metadata": {"name": "default", "namespace": "play", "uid": "c", "resourceVersion": "1"},
        "spec": {"clusterName": "default"},
    }
    caches.clusters.replace([cluster])
    return caches


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"taskDefinition": "nope"}, "TaskDefinition not found."),
        ({"taskDefinition": "web:7"}, "TaskDefinition not found."),
        ({"taskDefinition": "web:x"}, "Invalid revision number"),
        (
            {"taskDefinition": "web", "launchType": "EC2", "capacityProviderStrategy": [{"capacityProvider": "a"}]},
            "launchType",
        ),
        ({"taskDefinition": "web", "startedBy": "has spaces"}, "startedBy"),
        ({"taskDefinition": "web", "propagateTags": "SERVICE"}, "propagateTags"),
        ({"taskDefinition": "web", "overrides": {"containerOverrides": [{"cpu": 1}]}}, "name"),
    ],
)
def test_run_task_names_the_member_it_refuses(body: Obj, message: str) -> None:
    with pytest.raises(InvalidParameterException) as caught:
        ACTIONS["RunTask"](_call("RunTask", body, _with_default_cluster()))
    assert message in caught.value.message


def test_run_task_answers_failures_for_tasks_not_launched_in_time() -> None:
    """The bound passed: what was launched comes back as tasks, the rest as failures saying why."""
    caches = _caches()
    ecstask = copy.deepcopy(next(t for t in SNAPSHOT["ecstasks"] if t["metadata"]["name"] == "web-9ecc198515"))
    ecstask["status"]["tasks"] = ecstask["status"]["tasks"][1:2]  # 1 of 3 launched
    caches.tasks.replace([ecstask])
    caches.pods.replace([p for p in SNAPSHOT["pods"] if p["metadata"]["name"] != "web-9ecc198515-2"])
    answer = _answer(_call("RunTask", {}, caches), ecstask, 3, wait=0.2)
    assert output_problems("RunTask", answer) == []
    assert len(answer["tasks"]) == 1 and answer["tasks"][0]["lastStatus"] == "RUNNING"
    assert [f["reason"] for f in answer["failures"]] == ["LAUNCH_PENDING", "LAUNCH_PENDING"]
    assert "web-9ecc198515" in answer["failures"][0]["detail"] and "may still start" in answer["failures"][0]["detail"]


def test_present_task_of_a_pod_not_recorded_yet_on_fargate() -> None:
    pod = copy.deepcopy(next(p for p in SNAPSHOT["pods"] if p["metadata"]["name"] == "web-9ecc198515-1"))
    node = copy.deepcopy(SNAPSHOT["nodes"][0])
    node["metadata"]["labels"]["eks.amazonaws.com/compute-type"] = "fargate"
    owner = next(t for t in SNAPSHOT["ecstasks"] if t["metadata"]["name"] == "web-9ecc198515")
    source = TaskSource(
        task_id="abc", cluster="default", pod=pod, node=node, owner=owner, task_definition="web:1", now=NOW
    )
    task = present_task(source, ARNS)
    assert output_problems("StopTask", {"task": task}) == []
    assert task["lastStatus"] == "RUNNING" and task["launchType"] == "FARGATE"
    assert "containerInstanceArn" not in task  # Fargate has no container instances
    assert task["containers"][0]["lastStatus"] == "RUNNING"


def test_epoch_reads_rfc3339() -> None:
    assert epoch("1970-01-01T00:01:00Z") == 60.0
    assert epoch(None) is None and epoch("garbage") is None


# -- the operator's half of StopTask: a per-task request with its reason ----------------------


def _observation(pods: list[Obj], requests: dict[str, str]) -> TaskObservation:
    return TaskObservation(
        name="web-9ecc198515",
        cluster="default",
        task_definition="web:1",
        count=3,
        desired_status="RUNNING",
        pods=pods,
        now=NOW,
        retention_seconds=3600,
        stop_requests=requests,
    )


def _running_task() -> tuple[Obj, Obj]:
    owner = next(t for t in SNAPSHOT["ecstasks"] if t["metadata"]["name"] == "web-9ecc198515")
    pod = copy.deepcopy(next(p for p in SNAPSHOT["pods"] if p["metadata"]["name"] == "web-9ecc198515-1"))
    return owner, pod


def test_a_stop_request_stops_only_its_task_with_the_reason() -> None:
    owner, pod = _running_task()
    other = copy.deepcopy(next(p for p in SNAPSHOT["pods"] if p["metadata"]["name"] == "web-9ecc198515-2"))
    task_id = pod["metadata"]["uid"].replace("-", "")
    result = compute_task_status(_observation([pod, other], {task_id: "scaling in"}), owner["status"])
    records = {r["podName"]: r for r in result.status["tasks"]}
    stopped = records["web-9ecc198515-1"]
    assert (stopped["lastStatus"], stopped["stopCode"], stopped["stoppedReason"]) == (
        "STOPPING",
        "UserInitiated",
        "scaling in",
    )
    assert records["web-9ecc198515-2"]["lastStatus"] == "RUNNING"
    assert result.delete == [("web-9ecc198515-1", pod["metadata"]["uid"])]


def test_a_stop_request_without_reason_reads_as_ecs_default_and_holds_when_the_pod_vanished() -> None:
    owner, pod = _running_task()
    task_id = pod["metadata"]["uid"].replace("-", "")
    result = compute_task_status(_observation([], {task_id: ""}), owner["status"])
    stopped = {r["podName"]: r for r in result.status["tasks"]}["web-9ecc198515-1"]
    assert (stopped["lastStatus"], stopped["stopCode"], stopped["stoppedReason"]) == (
        "STOPPED",
        "UserInitiated",
        "Task stopped by user",
    )
    unrequested = compute_task_status(_observation([], {}), owner["status"])
    gone = {r["podName"]: r for r in unrequested.status["tasks"]}["web-9ecc198515-1"]
    assert gone["stoppedReason"] == "Task stopped: its pod was deleted"


# -- a service's task whose pod is gone: the API server's memory of deleted pods --------------


def _crashed_service_pod() -> Obj:
    pod = copy.deepcopy(next(p for p in SNAPSHOT["pods"] if p["metadata"]["name"] == "websvc-fb4997dcf-vm9dd"))
    status = pod["status"]["containerStatuses"][0]
    status["state"] = {"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": "2026-12-02T05:59:00Z"}}
    pod["status"]["phase"] = "Failed"
    pod["metadata"]["resourceVersion"] = str(int(pod["metadata"]["resourceVersion"]) + 1)
    return pod


def test_a_service_task_whose_pod_is_gone_stays_stopped_with_its_exit_code() -> None:
    caches = _caches()
    pod = _crashed_service_pod()
    task_id = pod["metadata"]["uid"].replace("-", "")
    caches.pods.observe("DELETED", pod)
    assert caches.pods.get("play", pod["metadata"]["name"]) is None
    (task,) = _do("DescribeTasks", {"tasks": [task_id]}, caches)["tasks"]
    assert (task["lastStatus"], task["desiredStatus"], task["stopCode"]) == (
        "STOPPED",
        "STOPPED",
        "EssentialContainerExited",
    )
    assert [(c["lastStatus"], c["exitCode"]) for c in task["containers"]] == [("STOPPED", 2)]
    assert task["group"] == "service:websvc" and task["stoppedAt"] >= task["createdAt"]
    assert ARNS.task("default", task_id) in _do("ListTasks", {"desiredStatus": "STOPPED"}, caches)["taskArns"]
    assert ARNS.task("default", task_id) not in _do("ListTasks", {"serviceName": "websvc"}, caches)["taskArns"]


def test_deleted_pods_are_forgotten_after_the_retention() -> None:
    caches = _caches()
    caches.pods.keep_seconds = 0.0
    caches.pods.observe("DELETED", _crashed_service_pod())
    assert caches.pods.stopped("play") == []


def test_a_service_task_gone_without_exiting_was_the_scheduler_unless_stoptask_said_why() -> None:
    caches = _caches()
    pod = copy.deepcopy(next(p for p in SNAPSHOT["pods"] if p["metadata"]["name"] == "websvc-fb4997dcf-zhw92"))
    pod["metadata"]["deletionTimestamp"] = "2026-12-02T05:59:30Z"
    task_id = pod["metadata"]["uid"].replace("-", "")
    caches.pods.observe("DELETED", pod)
    (task,) = _do("DescribeTasks", {"tasks": [task_id]}, caches)["tasks"]
    deployment = SNAPSHOT["services"][0]["status"]["deployments"][0]["id"]
    assert (task["lastStatus"], task["stopCode"]) == ("STOPPED", "ServiceSchedulerInitiated")
    assert task["stoppedReason"] == f"Scaling activity initiated by (deployment {deployment})"
    caches.pods.note_stop("play", task_id, "bad host")
    (task,) = _do("DescribeTasks", {"tasks": [task_id]}, caches)["tasks"]
    assert (task["stopCode"], task["stoppedReason"]) == ("UserInitiated", "bad host")
