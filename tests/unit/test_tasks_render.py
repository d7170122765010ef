"""ECSTask rendering (task pods, CronJob) and the ECS story of each task read off its pod."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecs_operator.models import SpecError, parse_task, parse_task_definition
from ecs_operator.plan.lifecycle import OOM_REASON
from ecs_operator.plan.task_status import TaskObservation, compute_task_status, indices_to_launch
from ecs_operator.render.schedule import ScheduleError
from ecs_operator.render.task import render_task

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
OWNER = {
    "apiVersion": "ecs.operator.dev/v1alpha1",
    "kind": "ECSTask",
    "metadata": {"name": "etl", "namespace": "data", "uid": "u-1"},
}
TD = parse_task_definition(
    {
        "family": "etl",
        "tags": [{"key": "owner", "value": "data-team"}],
        "containerDefinitions": [
            {
                "name": "app",
                "image": "etl:1",
                "cpu": 256,
                "memory": 512,
                "essential": True,
                "environment": [{"name": "MODE", "value": "incremental"}, {"name": "LEVEL", "value": "info"}],
            },
            {"name": "log_router", "image": "fluent-bit", "memory": 64, "essential": False},
        ],
    }
)


def task(**spec: Any) -> Any:
    return parse_task({"taskDefinition": "etl", **spec})


def render(**spec: Any) -> Any:
    return render_task(OWNER, task(**spec), TD, family="etl", revision=3, cluster="analytics")


# -- rendering ---------------------------------------------------------------------------------


def test_each_task_is_a_pod_that_never_restarts_owned_by_the_ecstask() -> None:
    pod = render(count=3).task_pod(2)
    assert pod["kind"] == "Pod" and pod["metadata"]["name"] == "etl-2"
    assert pod["spec"]["restartPolicy"] == "Never"
    owner = pod["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == ("ECSTask", "etl", "u-1", True)
    labels = pod["metadata"]["labels"]
    assert labels["ecs.operator.dev/task"] == "etl" and labels["ecs.operator.dev/task-index"] == "2"
    assert labels["ecs.operator.dev/cluster"] == "analytics" and labels["ecs.operator.dev/revision"] == "3"
    assert labels["ecs.operator.dev/group"] == "family.etl"  # ECS's default group for RunTask
    assert pod["metadata"]["annotations"]["ecs.operator.dev/ecstask"] == "etl"


def test_container_overrides_are_applied() -> None:
    rendered = render(
        overrides={
            "containerOverrides": [
                {
                    "name": "app",
                    "command": ["run", "--full"],
                    "memory": 1024,
                    "environment": [{"name": "MODE", "value": "full"}, {"name": "DATE", "value": "2026-03-04"}],
                }
            ]
        }
    )
    app = rendered.task_pod(0)["spec"]["containers"][0]
    assert app["name"] == "app"
    assert app["env"] == [
        {"name": "MODE", "value": "full"},
        {"name": "LEVEL", "value": "info"},
        {"name": "DATE", "value": "2026-03-04"},
    ]
    assert app["args"] == ["run", "--full"]
    assert app["resources"]["limits"]["memory"] == "1024Mi"


def test_task_tags_and_propagated_tags_become_annotations() -> None:
    pod = render(
        tags=[{"key": "run", "value": "42"}, {"key": "aws:bad key", "value": "x"}],
        propagateTags="TASK_DEFINITION",
        startedBy="airflow",
        referenceId="dag-7",
    ).task_pod(0)
    annotations = pod["metadata"]["annotations"]
    assert annotations["run"] == "42" and annotations["owner"] == "data-team"
    assert annotations["ecs.operator.dev/started-by"] == "airflow"
    assert annotations["ecs.operator.dev/reference-id"] == "dag-7"
    assert "aws:bad key" not in annotations
    without = render().task_pod(0)["metadata"]["annotations"]
    assert "owner" not in without  # propagateTags NONE (the default) keeps task definition tags off


def test_group_and_distinct_instance_placement() -> None:
    pod = render(count=2, group="nightly", placementConstraints=[{"type": "distinctInstance"}]).task_pod(0)
    assert pod["metadata"]["labels"]["ecs.operator.dev/group"] == "nightly"
    anti = pod["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti == [
        {"labelSelector": {"matchLabels": {"ecs.operator.dev/task": "etl"}}, "topologyKey": "kubernetes.io/hostname"}
    ]


def test_unsupported_run_task_members_are_reported() -> None:
    rendered = render(
        launchType="EC2",
        platformVersion="1.4.0",
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
    )
    paths = {w.path for w in rendered.warnings}
    assert {"platformVersion", "networkConfiguration"} <= paths


def test_fargate_launch_type_needs_a_fargate_task_size() -> None:
    from ecs_operator.render.capacity import FargateSizeError

    with pytest.raises(FargateSizeError, match="cpu and memory"):
        render(launchType="FARGATE")


def test_scheduled_task_is_a_cronjob_whose_jobs_never_retry() -> None:
    rendered = render(schedule="cron(0 12 * * ? *)")
    assert rendered.cron_schedule == "0 12 * * *"
    cron = rendered.cronjob
    assert cron["kind"] == "CronJob" and cron["metadata"]["name"] == "etl"
    assert cron["metadata"]["ownerReferences"][0]["kind"] == "ECSTask"
    assert cron["spec"]["schedule"] == "0 12 * * *" and cron["spec"]["suspend"] is False
    assert "timeZone" not in cron["spec"]
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0 and job["completions"] == 1 and job["parallelism"] == 1
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    assert job["template"]["metadata"]["labels"]["ecs.operator.dev/task"] == "etl"
    assert cron["spec"]["jobTemplate"]["metadata"]["labels"]["ecs.operator.dev/task"] == "etl"


def test_scheduled_task_count_time_zone_and_stop() -> None:
    cron = render(schedule="rate(15 minutes)", count=4, timezone="Europe/Lisbon", desiredStatus="STOPPED").cronjob
    assert cron["spec"]["schedule"] == "*/15 * * * *"
    assert cron["spec"]["timeZone"] == "Europe/Lisbon" and cron["spec"]["suspend"] is True
    job = cron["spec"]["jobTemplate"]["spec"]
    assert (job["completions"], job["parallelism"], job["completionMode"], job["backoffLimitPerIndex"]) == (
        4,
        4,
        "Indexed",
        0,
    )
    assert "backoffLimit" not in job


def test_bad_schedules_are_rejected_naming_the_field() -> None:
    with pytest.raises(ScheduleError, match=r"^schedule: .*'L' \(last\)"):
        render(schedule="cron(0 12 L * ? *)")
    with pytest.raises(ScheduleError, match=r"^timezone: unknown time zone"):
        render(schedule="cron(0 12 * * ? *)", timezone="Nowhere/Town")
    with pytest.raises(SpecError, match="timezone"):
        task(timezone="Europe/Lisbon")  # without a schedule


def test_long_names_fit_cronjob_limits() -> None:
    long_owner = {**OWNER, "metadata": {**OWNER["metadata"], "name": "a" * 80}}
    rendered = render_task(long_owner, task(schedule="rate(1 hour)"), TD, family="etl", revision=1, cluster="c")
    assert len(rendered.cronjob["metadata"]["name"]) <= 52
    assert len(rendered.cronjob["metadata"]["labels"]["ecs.operator.dev/task"]) <= 63


def test_indices_to_launch_never_replaces_a_task() -> None:
    assert indices_to_launch(3, {}, []) == [0, 1, 2]
    assert indices_to_launch(3, {"launchedTasks": [0, 1, 2]}, []) == []  # stopped and gone: not relaunched
    assert indices_to_launch(3, {}, [pod("etl-1", index=1)]) == [0, 2]


# -- status ------------------------------------------------------------------------------------


def pod(
    name: str,
    *,
    index: int | None = 0,
    phase: str = "Running",
    ready: bool = True,
    statuses: list[dict[str, Any]] | None = None,
    deleting: bool = False,
    node: str | None = "n1",
    created: str = "2026-03-04T10:00:00Z",
    job: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    labels = {"ecs.operator.dev/task": "etl"}
    if index is not None:
        labels["ecs.operator.dev/task-index"] = str(index)
    if job:
        labels["batch.kubernetes.io/job-name"] = job
    meta: dict[str, Any] = {
        "name": name,
        "uid": f"uid-{name}",
        "labels": labels,
        "creationTimestamp": created,
        "annotations": {
            "ecs.operator.dev/essential-containers": "app",
            "ecs.operator.dev/container-name.log-router": "log_router",
        },
    }
    if deleting:
        meta["deletionTimestamp"] = "2026-03-04T10:29:00Z"
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": statuses if statuses is not None else [running("app"), running("log-router")],
    }
    if reason:
        status["reason"] = reason
    spec: dict[str, Any] = {"containers": [{"name": "app"}, {"name": "log-router"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": meta, "spec": spec, "status": status}


def running(name: str) -> dict[str, Any]:
    return {"name": name, "state": {"running": {"startedAt": "2026-03-04T10:00:05Z"}}, "restartCount": 0}


def exited(name: str, code: int, reason: str = "Error", at: str = "2026-03-04T10:20:00Z") -> dict[str, Any]:
    return {
        "name": name,
        "restartCount": 0,
        "state": {
            "terminated": {"exitCode": code, "reason": reason, "startedAt": "2026-03-04T10:00:05Z", "finishedAt": at}
        },
    }


def waiting(name: str, reason: str, message: str = "") -> dict[str, Any]:
    return {"name": name, "restartCount": 0, "state": {"waiting": {"reason": reason, "message": message}}}


def observe(
    pods: list[dict[str, Any]],
    *,
    count: int = 1,
    desired: str = "RUNNING",
    now: datetime = NOW,
    retention: float = 3600,
    **kw: Any,
) -> TaskObservation:
    return TaskObservation(
        name="etl",
        cluster="default",
        task_definition="etl:3",
        count=count,
        desired_status=desired,
        pods=pods,
        now=now,
        retention_seconds=retention,
        group="family:etl",
        **kw,
    )


def by_pod(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["podName"]: t for t in status["tasks"]}


def test_running_tasks() -> None:
    starting = pod(
        "etl-1",
        index=1,
        phase="Pending",
        ready=False,
        statuses=[waiting("app", "ContainerCreating"), waiting("log-router", "ContainerCreating")],
    )
    unready = pod("etl-2", index=2, ready=False)
    plan = compute_task_status(observe([pod("etl-0", index=0), starting, unready], count=3, launched_now=[0, 1, 2]), {})
    status = plan.status
    tasks = by_pod(status)
    assert tasks["etl-0"]["lastStatus"] == "RUNNING" and tasks["etl-1"]["lastStatus"] == "PENDING"
    # Health does not hold a standalone task back from RUNNING; it is healthStatus.
    assert tasks["etl-2"]["lastStatus"] == "RUNNING" and tasks["etl-2"]["healthStatus"] == "UNKNOWN"
    assert tasks["etl-0"]["healthStatus"] == "HEALTHY"
    assert tasks["etl-0"]["desiredStatus"] == "RUNNING"
    assert tasks["etl-0"]["taskArn"] == "arn:aws:ecs:local:000000000000:task/default/uidetl0"
    assert tasks["etl-0"]["taskDefinitionArn"].endswith(":task-definition/etl:3")
    assert tasks["etl-0"]["containers"] == [
        {"name": "app", "lastStatus": "RUNNING"},
        {"name": "log_router", "lastStatus": "RUNNING"},
    ]
    assert status["lastStatus"] == "PENDING"  # the least advanced task
    assert status["launchedTasks"] == [0, 1, 2]
    assert status["summary"]["running"] == 2 and status["summary"]["pending"] == 1
    assert plan.delete == [] and plan.events == []


def test_finished_tasks_record_exit_codes_and_stop_codes() -> None:
    pods = [
        pod("etl-0", index=0, phase="Succeeded", statuses=[exited("app", 0, "Completed"), exited("log-router", 0)]),
        pod("etl-1", index=1, phase="Failed", statuses=[exited("app", 2), exited("log-router", 0)]),
    ]
    plan = compute_task_status(observe(pods, count=2), {"launchedTasks": [0, 1]})
    tasks = by_pod(plan.status)
    assert tasks["etl-0"]["stopCode"] == "EssentialContainerExited"
    assert tasks["etl-0"]["stoppedReason"] == "Essential container in task exited"
    assert tasks["etl-0"]["exitCode"] == 0 and tasks["etl-1"]["exitCode"] == 2
    assert tasks["etl-1"]["containers"][0] == {"name": "app", "lastStatus": "STOPPED", "exitCode": 2}
    assert tasks["etl-1"]["lastStatus"] == "STOPPED" and tasks["etl-1"]["desiredStatus"] == "STOPPED"
    assert tasks["etl-1"]["stoppedAt"] == "2026-03-04T10:20:00Z"
    status = plan.status
    assert status["lastStatus"] == "STOPPED" and status["desiredStatus"] == "STOPPED"
    assert status["stopCode"] == "EssentialContainerExited" and status["summary"]["succeeded"] == 1
    assert status["summary"]["failed"] == 1
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Complete"]["status"] == "True" and conditions["Complete"]["reason"] == "Failed"
    assert conditions["Degraded"]["status"] == "True"
    assert plan.delete == []  # ended by themselves: kept for `kubectl logs` until retention ends
    assert any(e.message == "all 2 tasks stopped: 1 succeeded, 1 failed." for e in plan.events)


def test_essential_exit_stops_the_task_while_a_sidecar_runs() -> None:
    live = pod("etl-0", statuses=[exited("app", 1), running("log-router")])
    plan = compute_task_status(observe([live]), {"launchedTasks": [0]})
    record = by_pod(plan.status)["etl-0"]
    assert record["stopCode"] == "EssentialContainerExited" and record["exitCode"] == 1
    assert record["lastStatus"] == "STOPPING" and record["desiredStatus"] == "STOPPED"
    assert plan.delete == [("etl-0", "uid-etl-0")]  # status first, then the pod goes
    assert [(e.message, e.warning) for e in plan.events] == [
        (
            "task etl-0 stopping: EssentialContainerExited: Essential container in task exited "
            "(container app exit code 1).",
            True,
        )
    ]
    # The pod is gone: the record keeps the exit code and becomes STOPPED.
    gone = compute_task_status(observe([]), plan.status)
    record = by_pod(gone.status)["etl-0"]
    assert record["lastStatus"] == "STOPPED" and record["exitCode"] == 1
    assert record["containers"] == [
        {"name": "app", "lastStatus": "STOPPED", "exitCode": 1},
        {"name": "log_router", "lastStatus": "STOPPED"},
    ]
    assert gone.status["lastStatus"] == "STOPPED" and gone.status["stopCode"] == "EssentialContainerExited"


def test_non_essential_exit_keeps_the_task() -> None:
    live = pod("etl-0", statuses=[running("app"), exited("log-router", 1)])
    plan = compute_task_status(observe([live]), {"launchedTasks": [0]})
    record = by_pod(plan.status)["etl-0"]
    assert "stopCode" not in record and record["lastStatus"] == "RUNNING"
    assert record["containers"][1] == {"name": "log_router", "lastStatus": "STOPPED", "exitCode": 1}
    assert plan.delete == []


def test_out_of_memory() -> None:
    live = pod("etl-0", phase="Failed", statuses=[exited("app", 137, "OOMKilled"), exited("log-router", 0)])
    record = by_pod(compute_task_status(observe([live]), {}).status)["etl-0"]
    assert record["stoppedReason"] == OOM_REASON
    assert record["containers"][0]["reason"] == OOM_REASON


def test_stop_task_is_user_initiated() -> None:
    plan = compute_task_status(observe([pod("etl-0")], desired="STOPPED"), {"launchedTasks": [0]})
    record = by_pod(plan.status)["etl-0"]
    assert (record["stopCode"], record["stoppedReason"]) == ("UserInitiated", "Task stopped by user")
    assert plan.delete == [("etl-0", "uid-etl-0")]
    assert plan.status["desiredStatus"] == "STOPPED"
    done = compute_task_status(observe([], desired="STOPPED"), plan.status)
    assert done.status["lastStatus"] == "STOPPED" and done.status["stopCode"] == "UserInitiated"
    assert done.status["summary"] == {
        "launched": 1,
        "pending": 0,
        "running": 0,
        "stopping": 0,
        "stopped": 1,
        "succeeded": 0,
        "failed": 0,
    }


def test_stop_before_launch() -> None:
    status = compute_task_status(observe([], desired="STOPPED", count=2), {}).status
    assert status["lastStatus"] == "STOPPED" and status["tasks"] == []


def test_a_pod_deleted_by_someone_else_is_a_stopped_task() -> None:
    first = compute_task_status(observe([pod("etl-0")]), {}).status
    plan = compute_task_status(observe([]), first)
    record = by_pod(plan.status)["etl-0"]
    assert record["lastStatus"] == "STOPPED" and record["stopCode"] == "UserInitiated"
    assert "pod was deleted" in record["stoppedReason"]


def test_eviction_is_a_termination_notice() -> None:
    evicted = pod("etl-0", phase="Failed", statuses=[], reason="Evicted")
    evicted["status"]["message"] = "The node was low on resource: memory."
    record = by_pod(compute_task_status(observe([evicted]), {}).status)["etl-0"]
    assert record["stopCode"] == "TerminationNotice" and "low on resource" in record["stoppedReason"]


def test_image_pull_failure_fails_to_start() -> None:
    stuck = pod(
        "etl-0",
        phase="Pending",
        ready=False,
        statuses=[
            waiting("app", "ImagePullBackOff", 'Back-off pulling image "etl:nope"'),
            waiting("log-router", "ContainerCreating"),
        ],
    )
    plan = compute_task_status(observe([stuck]), {})
    record = by_pod(plan.status)["etl-0"]
    assert record["stopCode"] == "TaskFailedToStart"
    assert record["stoppedReason"].startswith("CannotPullContainerError: Back-off pulling image")
    assert record["containers"][0]["reason"].startswith("CannotPullContainerError")
    assert plan.delete == [("etl-0", "uid-etl-0")]


def test_missing_configuration_gets_a_grace_period() -> None:
    young = pod(
        "etl-0",
        phase="Pending",
        ready=False,
        created="2026-03-04T10:29:50Z",
        statuses=[waiting("app", "CreateContainerConfigError", "secret db not found")],
    )
    plan = compute_task_status(observe([young]), {})
    assert "stopCode" not in by_pod(plan.status)["etl-0"]
    assert plan.next_check == datetime(2026, 3, 4, 10, 30, 51, tzinfo=UTC)
    old = compute_task_status(observe([young], now=NOW + timedelta(seconds=61)), {})
    assert by_pod(old.status)["etl-0"]["stoppedReason"] == "ResourceInitializationError: secret db not found"


def test_stopped_tasks_are_kept_for_the_retention_period() -> None:
    done = pod("etl-0", phase="Succeeded", statuses=[exited("app", 0, "Completed"), exited("log-router", 0)])
    kept = compute_task_status(observe([done], retention=900), {"launchedTasks": [0]})
    assert len(kept.status["tasks"]) == 1 and kept.delete == []
    assert kept.next_check == datetime(2026, 3, 4, 10, 35, tzinfo=UTC)  # stopped 10:20 + 900s
    expired = compute_task_status(observe([done], retention=900, now=NOW + timedelta(minutes=5)), kept.status)
    assert expired.status["tasks"] == [] and expired.delete == [("etl-0", "uid-etl-0")]
    assert expired.status["launchedTasks"] == [0]  # and still never relaunched
    assert expired.status["lastStatus"] == "STOPPED"


def test_unscheduled_task_is_provisioning() -> None:
    status = compute_task_status(observe([pod("etl-0", phase="Pending", node=None, statuses=[])]), {}).status
    assert status["lastStatus"] == "PROVISIONING"
    assert {c["type"]: c["status"] for c in status["conditions"]}["Progressing"] == "True"


def test_scheduled_runs_are_summarised_from_jobs_and_pods() -> None:
    job = {
        "metadata": {
            "name": "etl-29547000",
            "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-03-04T10:00:00Z"},
        },
        "status": {
            "startTime": "2026-03-04T10:00:01Z",
            "completionTime": "2026-03-04T10:00:04Z",
            "succeeded": 1,
            "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": "2026-03-04T10:00:04Z"}],
        },
    }
    done = pod(
        "etl-29547000-abcde",
        index=None,
        job="etl-29547000",
        phase="Succeeded",
        statuses=[exited("app", 0, "Completed"), exited("log-router", 0)],
    )
    cron = {"metadata": {"name": "etl"}, "status": {"lastScheduleTime": "2026-03-04T10:00:00Z"}}
    plan = compute_task_status(
        observe([done], scheduled=True, jobs=[job], cronjob=cron, schedule="rate(1 hour)", cron_schedule="0 * * * *"),
        {},
    )
    status = plan.status
    assert status["lastStatus"] == "SCHEDULED" and status["desiredStatus"] == "RUNNING"
    assert status["schedule"]["cronJobSchedule"] == "0 * * * *"
    assert status["schedule"]["lastScheduleTime"] == "2026-03-04T10:00:00Z"
    (run,) = status["runs"]
    assert run["name"] == "etl-29547000" and run["result"] == "Succeeded" and run["lastStatus"] == "STOPPED"
    assert run["scheduledAt"] == "2026-03-04T10:00:00Z" and run["tasks"] == ["etl-29547000-abcde"]
    assert by_pod(status)["etl-29547000-abcde"]["run"] == "etl-29547000"
    assert status["launchedTasks"] is None
    # A later reconcile without the Job (history limit) keeps the run.
    later = compute_task_status(observe([], scheduled=True, schedule="rate(1 hour)"), status).status
    assert [r["name"] for r in later["runs"]] == ["etl-29547000"]


def test_stopping_a_scheduled_task_stops_its_running_tasks() -> None:
    active = pod("etl-29547000-abcde", index=None, job="etl-29547000")
    plan = compute_task_status(observe([active], scheduled=True, desired="STOPPED", schedule="rate(1 hour)"), {})
    assert plan.delete == [("etl-29547000-abcde", "uid-etl-29547000-abcde")]
    assert by_pod(plan.status)["etl-29547000-abcde"]["stopCode"] == "UserInitiated"
    assert plan.status["schedule"]["suspended"] is True


def test_a_task_held_for_a_missing_secret_fails_to_start() -> None:
    held = pod("etl-0", phase="Pending", ready=False, node=None, statuses=[], created="2026-03-04T10:28:00Z")
    held["spec"]["schedulingGates"] = [{"name": "ecs.operator.dev/task-resources"}]
    record = by_pod(compute_task_status(observe([held]), {}).status)["etl-0"]
    assert record["stopCode"] == "TaskFailedToStart"
    assert record["stoppedReason"].startswith("ResourceInitializationError")
