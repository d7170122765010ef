"""ECSTask (RunTask, StopTask, scheduled tasks) on a real API server, operator running."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from kube_helpers import admission_webhook_expected, get_json, wait_for
from manifests import API, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

EXIT_CODE = "ecs.operator.dev/kwok-exit-code"


def ecs_task(name: str, task_def: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "ECSTask",
        "metadata": {"name": name},
        "spec": {"taskDefinition": task_def, **spec},
    }


def batch_definition(name: str) -> dict[str, Any]:
    return task_definition(
        name,
        containers=[
            {
                "name": "etl",
                "image": "etl:1",
                "cpu": 128,
                "memory": 256,
                "essential": True,
                "environment": [{"name": "MODE", "value": "incremental"}, {"name": "LEVEL", "value": "info"}],
            }
        ],
    )


def _status(cluster: ClusterHandle, namespace: str, name: str) -> dict[str, Any]:
    return get_json(cluster, "ecstask", name, "-n", namespace).get("status") or {}


def _pods(cluster: ClusterHandle, namespace: str, task: str) -> list[dict[str, Any]]:
    return get_json(cluster, "pods", "-n", namespace, "-l", f"ecs.operator.dev/task={task}")["items"]


def _tasks(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["podName"]: t for t in status.get("tasks") or []}


def _running(pod: dict[str, Any]) -> bool:
    return pod["status"].get("phase") == "Running" and any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])
    )


def test_run_task_with_overrides_records_each_tasks_exit(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([batch_definition("etl")], "-n", namespace)
    cluster.apply(
        [
            ecs_task(
                "nightly-etl",
                "etl",
                count=3,
                startedBy="airflow",
                group="etl-jobs",
                overrides={"containerOverrides": [{"name": "etl", "environment": [{"name": "MODE", "value": "full"}]}]},
            )
        ],
        "-n",
        namespace,
    )

    pods = wait_for(
        lambda: (
            ps if len(ps := _pods(cluster, namespace, "nightly-etl")) == 3 and all(_running(p) for p in ps) else None
        ),
        timeout=60,
        message="3 running tasks",
    )
    assert sorted(p["metadata"]["name"] for p in pods) == ["nightly-etl-0", "nightly-etl-1", "nightly-etl-2"]
    for pod in pods:
        assert pod["spec"]["restartPolicy"] == "Never"
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "ECSTask"
        env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
        assert env == {"MODE": "full", "LEVEL": "info"}
    running = wait_for(
        lambda: s if (s := _status(cluster, namespace, "nightly-etl")).get("lastStatus") == "RUNNING" else None,
        timeout=30,
        message="lastStatus RUNNING",
    )
    assert running["summary"]["running"] == 3 and running["startedBy"] == "airflow" and running["group"] == "etl-jobs"

    # kwok's exit stage: one task succeeds, one fails with 2; the third is stopped (StopTask).
    cluster.kubectl("annotate", "pod", "nightly-etl-0", f"{EXIT_CODE}=0", "-n", namespace)
    cluster.kubectl("annotate", "pod", "nightly-etl-1", f"{EXIT_CODE}=2", "-n", namespace)

    def two_stopped():
        tasks = _tasks(_status(cluster, namespace, "nightly-etl"))
        done = [t for t in tasks.values() if t.get("lastStatus") == "STOPPED"]
        return tasks if len(done) == 2 else None

    tasks = wait_for(two_stopped, timeout=60, message="two tasks STOPPED")
    for pod_name, code in (("nightly-etl-0", 0), ("nightly-etl-1", 2)):
        record = tasks[pod_name]
        assert record["stopCode"] == "EssentialContainerExited", record
        assert record["stoppedReason"] == "Essential container in task exited"
        assert record["exitCode"] == code
        assert record["containers"] == [{"name": "etl", "lastStatus": "STOPPED", "exitCode": code}]
        assert record["taskArn"].startswith("arn:aws:ecs:local:000000000000:task/default/")
        assert record["taskDefinitionArn"].endswith("task-definition/etl:1")
        assert record["createdAt"] and record["startedAt"] and record["stoppedAt"]
    assert tasks["nightly-etl-2"]["lastStatus"] == "RUNNING"

    cluster.kubectl(
        "patch",
        "ecstask",
        "nightly-etl",
        "-n",
        namespace,
        "--type",
        "merge",
        "-p",
        json.dumps({"spec": {"desiredStatus": "STOPPED"}}),
    )

    def all_stopped():
        status = _status(cluster, namespace, "nightly-etl")
        return status if status.get("lastStatus") == "STOPPED" else None

    status = wait_for(all_stopped, timeout=60, message="the ECSTask to be STOPPED")
    stopped = _tasks(status)["nightly-etl-2"]
    assert stopped["stopCode"] == "UserInitiated" and stopped["desiredStatus"] == "STOPPED"
    assert status["desiredStatus"] == "STOPPED"
    assert status["summary"] == {
        "launched": 3,
        "pending": 0,
        "running": 0,
        "stopping": 0,
        "stopped": 3,
        "succeeded": 1,
        "failed": 1,
    }
    assert status["stopCode"] == "EssentialContainerExited"  # the failed task heads the summary
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Complete"]["status"] == "True" and conditions["Degraded"]["status"] == "True"
    wait_for(
        lambda: "nightly-etl-2" not in {p["metadata"]["name"] for p in _pods(cluster, namespace, "nightly-etl")},
        timeout=30,
        message="the stopped task's pod to go",
    )
    time.sleep(3)  # a stopped task is never replaced
    assert "nightly-etl-2" not in {p["metadata"]["name"] for p in _pods(cluster, namespace, "nightly-etl")}
    table = cluster.kubectl("get", "ecstask", "nightly-etl", "-n", namespace).stdout
    assert "STOPPED" in table and "EssentialContainerExited" in table
    events = cluster.kubectl("get", "events", "-n", namespace, "--field-selector", "involvedObject.kind=ECSTask").stdout
    assert "nightly-etl-1" in events and "exit code 2" in events


def test_essential_container_exit_stops_the_task(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply(
        [
            task_definition(
                "two",
                containers=[
                    {"name": "app", "image": "app:1", "cpu": 64, "memory": 128, "essential": True},
                    {"name": "sidecar", "image": "sidecar:1", "cpu": 32, "memory": 64, "essential": False},
                ],
            )
        ],
        "-n",
        namespace,
    )
    # The task's own tags become pod annotations: here, kwok's exit stage for one container.
    cluster.apply(
        [
            ecs_task(
                "ess",
                "two",
                tags=[
                    {"key": EXIT_CODE, "value": "3"},
                    {"key": "ecs.operator.dev/kwok-exit-after", "value": "2s"},
                    {"key": "ecs.operator.dev/kwok-exit-container", "value": "app"},
                ],
            )
        ],
        "-n",
        namespace,
    )

    def stopped():
        status = _status(cluster, namespace, "ess")
        return status if status.get("lastStatus") == "STOPPED" else None

    status = wait_for(stopped, timeout=60, message="the task to stop")
    record = _tasks(status)["ess-0"]
    assert record["stopCode"] == "EssentialContainerExited" and record["exitCode"] == 3
    containers = {c["name"]: c for c in record["containers"]}
    assert containers["app"]["exitCode"] == 3
    assert containers["sidecar"]["lastStatus"] == "STOPPED" and "exitCode" not in containers["sidecar"]
    assert status["stopCode"] == "EssentialContainerExited" and status["summary"]["failed"] == 1
    # The sidecar was still running: the operator ended the task by deleting its pod.
    wait_for(lambda: not _pods(cluster, namespace, "ess"), timeout=30, message="the task's pod to be deleted")


def test_non_essential_exit_keeps_the_task_running(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply(
        [
            task_definition(
                "two",
                containers=[
                    {"name": "app", "image": "app:1", "cpu": 64, "memory": 128, "essential": True},
                    {"name": "sidecar", "image": "sidecar:1", "cpu": 32, "memory": 64, "essential": False},
                ],
            )
        ],
        "-n",
        namespace,
    )
    cluster.apply(
        [
            ecs_task(
                "noness",
                "two",
                tags=[
                    {"key": EXIT_CODE, "value": "1"},
                    {"key": "ecs.operator.dev/kwok-exit-container", "value": "sidecar"},
                ],
            )
        ],
        "-n",
        namespace,
    )

    def sidecar_exited():
        record = _tasks(_status(cluster, namespace, "noness")).get("noness-0") or {}
        sidecar = {c["name"]: c for c in record.get("containers", [])}.get("sidecar", {})
        return record if sidecar.get("exitCode") == 1 else None

    wait_for(sidecar_exited, timeout=60, message="the sidecar's exit to be recorded")
    time.sleep(3)
    record = _tasks(_status(cluster, namespace, "noness"))["noness-0"]
    assert record["lastStatus"] == "RUNNING" and "stopCode" not in record
    assert [p["metadata"]["name"] for p in _pods(cluster, namespace, "noness")] == ["noness-0"]


def test_deleting_an_ecstask_stops_its_tasks(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([batch_definition("etl")], "-n", namespace)
    cluster.apply([ecs_task("doomed", "etl", count=2)], "-n", namespace)
    wait_for(
        lambda: s if (s := _status(cluster, namespace, "doomed")).get("summary", {}).get("running") == 2 else None,
        timeout=60,
        message="2 running tasks",
    )
    cluster.kubectl("delete", "ecstask", "doomed", "-n", namespace, "--wait=true", timeout=60)
    wait_for(lambda: not _pods(cluster, namespace, "doomed"), timeout=30, message="the tasks' pods to go")


def test_missing_task_definition_is_reported_then_the_task_runs(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([ecs_task("early", "later-family")], "-n", namespace)

    def reported():
        status = _status(cluster, namespace, "early")
        conditions = {c["type"]: c for c in status.get("conditions", [])}
        return status if conditions.get("Degraded", {}).get("reason") == "TaskDefinitionNotFound" else None

    status = wait_for(reported, timeout=30, message="TaskDefinitionNotFound")
    assert "later-family" in status["problem"]
    cluster.apply([batch_definition("later-family")], "-n", namespace)
    wait_for(
        lambda: (
            s
            if (s := _status(cluster, namespace, "early")).get("lastStatus") == "RUNNING" and not s.get("problem")
            else None
        ),
        timeout=60,
        message="the task to run once the family exists",
    )


def test_scheduled_task_renders_a_cronjob_and_records_its_runs(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([batch_definition("report")], "-n", namespace)
    cluster.apply(
        [ecs_task("weekday-report", "report", schedule="cron(0/30 8-17 ? * MON-FRI *)", timezone="Europe/Lisbon")],
        "-n",
        namespace,
    )

    cron = wait_for(
        lambda: (
            cluster.kubectl("get", "cronjob", "weekday-report", "-n", namespace, check=False).returncode == 0
            and get_json(cluster, "cronjob", "weekday-report", "-n", namespace)
        ),
        timeout=30,
        message="the CronJob",
    )
    assert cron["spec"]["schedule"] == "0-59/30 8-17 * * 1-5"
    assert cron["spec"]["timeZone"] == "Europe/Lisbon" and cron["spec"]["suspend"] is False
    assert cron["metadata"]["ownerReferences"][0]["kind"] == "ECSTask"
    job_spec = cron["spec"]["jobTemplate"]["spec"]
    assert job_spec["backoffLimit"] == 0 and job_spec["template"]["spec"]["restartPolicy"] == "Never"

    # A run now, as the CronJob controller would start it (kwok completes Job pods with exit 0).
    cluster.kubectl("create", "job", "weekday-report-manual", "--from=cronjob/weekday-report", "-n", namespace)

    def run_recorded():
        status = _status(cluster, namespace, "weekday-report")
        runs = {r["name"]: r for r in status.get("runs") or []}
        run = runs.get("weekday-report-manual", {})
        return status if run.get("result") == "Succeeded" and run.get("tasks") else None

    status = wait_for(run_recorded, timeout=60, message="the run to be recorded as Succeeded")
    assert status["lastStatus"] == "SCHEDULED"
    assert status["schedule"]["cronJobSchedule"] == "0-59/30 8-17 * * 1-5"
    run = next(r for r in status["runs"] if r["name"] == "weekday-report-manual")
    (task_name,) = run["tasks"]
    record = _tasks(status)[task_name]
    assert record["run"] == "weekday-report-manual" and record["lastStatus"] == "STOPPED"
    assert record["stopCode"] == "EssentialContainerExited" and record["exitCode"] == 0

    cluster.kubectl(
        "patch",
        "ecstask",
        "weekday-report",
        "-n",
        namespace,
        "--type",
        "merge",
        "-p",
        json.dumps({"spec": {"desiredStatus": "STOPPED"}}),
    )
    wait_for(
        lambda: get_json(cluster, "cronjob", "weekday-report", "-n", namespace)["spec"].get("suspend") is True,
        timeout=30,
        message="the CronJob to be suspended",
    )


def test_scheduled_task_runs_on_its_schedule(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([batch_definition("tick")], "-n", namespace)
    cluster.apply([ecs_task("every-minute", "tick", schedule="rate(1 minute)", count=2)], "-n", namespace)

    def ran():
        status = _status(cluster, namespace, "every-minute")
        done = [r for r in status.get("runs") or [] if r.get("result") == "Succeeded"]
        return status if done else None

    status = wait_for(ran, timeout=100, interval=2, message="a scheduled run by the CronJob controller")
    run = next(r for r in status["runs"] if r.get("result") == "Succeeded")
    assert run["succeeded"] == 2 and len(run.get("tasks", [])) == 2
    assert status["schedule"]["lastScheduleTime"]


def test_invalid_schedule_is_rejected_naming_schedule(cluster: ClusterHandle, namespace: str) -> None:
    task = ecs_task("month-end", "monthly", schedule="cron(0 23 L * ? *)")
    if admission_webhook_expected():
        # refused at apply by the operator's webhook, with the message status would show
        cluster.apply([batch_definition("monthly")], "-n", namespace)
        refused = cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(task), check=False)
        assert refused.returncode != 0 and "denied the request: schedule: " in refused.stderr, refused.stderr
        assert "'L'" in refused.stderr
        # on status: a task admitted before its TaskDefinition existed (nothing to render then)
        task = {**task, "spec": {**task["spec"], "taskDefinition": "later"}}
        cluster.apply([task], "-n", namespace)  # its TaskDefinition "later" does not exist yet
        cluster.apply([batch_definition("later")], "-n", namespace)
    else:
        cluster.apply([batch_definition("monthly")], "-n", namespace)
        cluster.apply([task], "-n", namespace)

    def reported():
        status = _status(cluster, namespace, "month-end")
        return status if (status.get("problem") or "").startswith("schedule: ") else None

    status = wait_for(reported, timeout=30, message="the schedule problem to be reported")
    assert status["problem"].startswith("schedule: ") and "'L'" in status["problem"]
    assert cluster.kubectl("get", "cronjob", "month-end", "-n", namespace, check=False).returncode != 0
    events = cluster.kubectl("get", "events", "-n", namespace, "--field-selector", "reason=InvalidSpec").stdout
    assert "schedule" in events
