"""plan_task / tasks_to_launch: an ECSTask's launches, StopTask, immutability, dependencies, requeue, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecs_operator.models import parse_task
from ecs_operator.plan import Deletion, Patch, Severity, TaskSnapshot, plan_task, tasks_to_launch
from ecs_operator.plan.task import IMMUTABLE_WARNING, launch_digest
from ecs_operator.plan.types import Reason
from ecs_operator.vocabulary import ANNOTATION_ESSENTIAL_CONTAINERS, LABEL_TASK, LABEL_TASK_INDEX

# RunTask: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
# StopTask: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
RETENTION = 3600.0

Obj = dict[str, Any]


def body(raw: Obj, *, status: Obj | None = None, deleting: bool = False) -> Obj:
    meta: Obj = {"name": "etl", "namespace": "data", "uid": "uid-etl", "generation": 2}
    if deleting:
        meta["deletionTimestamp"] = "2026-03-04T10:29:00Z"
    out: Obj = {"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "ECSTask", "metadata": meta, "spec": raw}
    if status is not None:
        out["status"] = status
    return out


def running(name: str) -> Obj:
    return {"name": name, "restartCount": 0, "state": {"running": {"startedAt": "2026-03-04T10:00:05Z"}}}


def exited(name: str, code: int, at: str = "2026-03-04T10:20:00Z") -> Obj:
    reason = "Completed" if code == 0 else "Error"
    return {
        "name": name,
        "restartCount": 0,
        "state": {"terminated": {"exitCode": code, "reason": reason, "finishedAt": at}},
    }


def pod(index: int, *, phase: str = "Running", statuses: list[Obj] | None = None, deleting: bool = False) -> Obj:
    name = f"etl-{index}"
    meta: Obj = {
        "name": name,
        "uid": f"uid-{name}",
        "labels": {LABEL_TASK: "etl", LABEL_TASK_INDEX: str(index)},
        "creationTimestamp": "2026-03-04T10:00:00Z",
        "annotations": {ANNOTATION_ESSENTIAL_CONTAINERS: "app"},
    }
    if deleting:
        meta["deletionTimestamp"] = "2026-03-04T10:29:30Z"
    return {
        "metadata": meta,
        "spec": {"nodeName": "n1", "containers": [{"name": "app"}]},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": statuses if statuses is not None else [running("app")],
        },
    }


def succeeded(index: int) -> Obj:
    return pod(index, phase="Succeeded", statuses=[exited("app", 0)])


def snapshot(owner: Obj, pods: list[Obj], *, now: datetime = NOW, **kw: Any) -> TaskSnapshot:
    return TaskSnapshot(
        body=owner,
        spec=parse_task(owner["spec"]),
        family="etl",
        task_definition="etl:3",
        pods=pods,
        now=now,
        retention_seconds=RETENTION,
        **kw,
    )


def records(status: Obj) -> dict[str, Obj]:
    return {r["podName"]: r for r in status["tasks"]}


# -- what to launch ------------------------------------------------------------------------------


# ECS runs each task of a RunTask once and never replaces it; a schedule's CronJob launches its own.
@pytest.mark.parametrize(
    ("raw", "status", "pods", "deleting", "expected"),
    [
        pytest.param({"count": 1}, None, [], False, [0], id="first-launch"),
        pytest.param({"count": 3}, None, [1], False, [0, 2], id="count-3-one-launched"),
        pytest.param({"count": 3}, {"launchedTasks": [0]}, [1], False, [2], id="launched-earlier-and-gone"),
        pytest.param({"count": 3}, {"launchedTasks": [0, 1, 2]}, [], False, [], id="all-launched-never-relaunched"),
        pytest.param({"count": 3, "schedule": "rate(1 hour)"}, None, [], False, [], id="scheduled"),
        pytest.param({"count": 3, "desiredStatus": "STOPPED"}, None, [], False, [], id="stopped"),
        pytest.param({"count": 3}, None, [], True, [], id="ecstask-being-deleted"),
    ],
)
def test_tasks_to_launch(raw: Obj, status: Obj | None, pods: list[int], deleting: bool, expected: list[int]) -> None:
    owner = body({"taskDefinition": "etl:3", **raw}, status=status, deleting=deleting)
    assert tasks_to_launch(owner, parse_task(owner["spec"]), [pod(i) for i in pods]) == expected


def test_launched_tasks_are_remembered_in_status() -> None:
    owner = body({"taskDefinition": "etl:3", "count": 3})
    plan = plan_task(snapshot(owner, [pod(0), pod(2)], launched_now=[0, 2]))
    assert plan.status is not None and plan.status["launchedTasks"] == [0, 2]
    assert tasks_to_launch(body(owner["spec"], status=plan.status), parse_task(owner["spec"]), []) == [1]


# -- StopTask ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["desiredStatus", "ecstask-deleted"])
def test_stop_task_records_user_initiated_and_deletes_pods_after_the_status(how: str) -> None:
    # StopTask: stopCode UserInitiated; deleting the ECSTask stops its tasks the same way.
    raw = {"taskDefinition": "etl:3", "count": 2}
    if how == "desiredStatus":
        raw["desiredStatus"] = "STOPPED"
    owner = body(raw, status={"launchedTasks": [0, 1]}, deleting=how == "ecstask-deleted")
    plan = plan_task(snapshot(owner, [pod(0), pod(1)]))
    assert plan.status is not None
    for record in records(plan.status).values():
        assert (record["stopCode"], record["stoppedReason"]) == ("UserInitiated", "Task stopped by user")
        assert (record["desiredStatus"], record["lastStatus"]) == ("STOPPED", "STOPPING")
    assert plan.delete == []  # not before the status says how they ended
    assert plan.delete_after_status == [
        Deletion("v1", "Pod", "etl-0", "uid-etl-0"),
        Deletion("v1", "Pod", "etl-1", "uid-etl-1"),
    ]
    assert plan.status["desiredStatus"] == "STOPPED"
    assert [(e.message, e.severity) for e in plan.events] == [
        ("task etl-0 stopping: UserInitiated: Task stopped by user.", Severity.NORMAL),
        ("task etl-1 stopping: UserInitiated: Task stopped by user.", Severity.NORMAL),
    ]
    assert plan.stopped == ["UserInitiated", "UserInitiated"]


def test_essential_exit_stops_the_task_with_a_warning_after_the_status() -> None:
    owner = body({"taskDefinition": "etl:3"}, status={"launchedTasks": [0]})
    plan = plan_task(snapshot(owner, [pod(0, statuses=[exited("app", 2)])]))
    assert plan.delete == [] and plan.delete_after_status == [Deletion("v1", "Pod", "etl-0", "uid-etl-0")]
    assert plan.status is not None
    record = records(plan.status)["etl-0"]
    assert (record["stopCode"], record["exitCode"]) == ("EssentialContainerExited", 2)
    assert [e.severity for e in plan.events] == [Severity.WARNING]
    assert plan.requeue_after == 2.0  # look again soon for the pod to go
    assert plan.stopped == ["EssentialContainerExited"]  # ecs_operator_stopped_tasks_total, once:
    again = plan_task(
        snapshot(body({"taskDefinition": "etl:3"}, status=plan.status), [pod(0, statuses=[exited("app", 2)])])
    )
    assert again.stopped == []


CRONJOB_RUNNING = {"metadata": {"name": "etl"}, "spec": {"suspend": False}, "status": {}}
CRONJOB_SUSPENDED = {"metadata": {"name": "etl"}, "spec": {"suspend": True}, "status": {}}


@pytest.mark.parametrize(
    ("desired", "deleting", "cronjob", "suspends"),
    [
        pytest.param("STOPPED", False, CRONJOB_RUNNING, True, id="stopped-suspends"),
        pytest.param("RUNNING", True, CRONJOB_RUNNING, True, id="deleted-suspends"),
        pytest.param("STOPPED", False, CRONJOB_SUSPENDED, False, id="already-suspended"),
        pytest.param("RUNNING", False, CRONJOB_RUNNING, False, id="running-schedule"),
        pytest.param("STOPPED", False, None, False, id="no-cronjob-yet"),
    ],
)
def test_stopped_schedule_suspends_its_cronjob(
    desired: str, deleting: bool, cronjob: Obj | None, suspends: bool
) -> None:
    raw = {"taskDefinition": "etl:3", "schedule": "rate(1 hour)", "desiredStatus": desired}
    plan = plan_task(snapshot(body(raw, deleting=deleting), [], cronjob=cronjob, cron_schedule="0 * * * *"))
    expected = [Patch("batch/v1", "CronJob", "etl", {"spec": {"suspend": True}})] if suspends else []
    assert plan.patch == expected
    assert plan.apply == []  # a patch of one field, not a re-apply of the CronJob


# -- immutability --------------------------------------------------------------------------------

LAUNCHED_FROM = {"taskDefinition": "etl:3", "count": 1, "startedBy": "airflow"}


# An ECS task is immutable once launched: a spec change after launch is reported, not applied.
@pytest.mark.parametrize(
    ("raw", "launched_now", "warned"),
    [
        pytest.param({**LAUNCHED_FROM, "startedBy": "cron"}, (), True, id="changed-after-launch"),
        pytest.param({**LAUNCHED_FROM, "count": 2}, (), True, id="count-changed"),
        pytest.param({**LAUNCHED_FROM, "startedBy": "cron"}, (0,), False, id="changed-and-launched-now"),
        pytest.param(LAUNCHED_FROM, (), False, id="unchanged"),
        pytest.param({**LAUNCHED_FROM, "desiredStatus": "STOPPED"}, (), False, id="stop-task-is-not-a-change"),
    ],
)
def test_immutability_warning(raw: Obj, launched_now: tuple[int, ...], warned: bool) -> None:
    previous = {"launchedTasks": [0], "launchSpec": launch_digest(LAUNCHED_FROM)}
    plan = plan_task(snapshot(body(raw, status=previous), [pod(0)], launched_now=launched_now))
    assert plan.status is not None
    warnings = plan.status["warnings"] or []
    assert any(w.startswith(IMMUTABLE_WARNING) for w in warnings) is warned


def test_a_schedule_is_never_immutable() -> None:
    raw = {"taskDefinition": "etl:3", "schedule": "rate(2 hours)"}
    previous = {"launchSpec": launch_digest({"taskDefinition": "etl:3", "schedule": "rate(1 hour)"})}
    plan = plan_task(snapshot(body(raw, status=previous), [], cron_schedule="0 */2 * * *", cronjob=CRONJOB_RUNNING))
    assert plan.status is not None and not plan.status["warnings"]


def test_launching_records_the_spec_launched_from() -> None:
    plan = plan_task(snapshot(body(LAUNCHED_FROM), [pod(0)], launched_now=[0]))
    assert plan.status is not None and plan.status["launchSpec"] == launch_digest(LAUNCHED_FROM)
    kept = plan_task(snapshot(body({**LAUNCHED_FROM, "count": 5}, status=plan.status), [pod(0)]))
    assert kept.status is not None and kept.status["launchSpec"] == launch_digest(LAUNCHED_FROM)


def test_render_warnings_are_kept_between_renders_without_the_stale_immutability_warning() -> None:
    previous = {
        "launchedTasks": [0],
        "launchSpec": launch_digest(LAUNCHED_FROM),
        "warnings": ["platformVersion: ignored", f"{IMMUTABLE_WARNING} (an ECS task is immutable)"],
    }
    plan = plan_task(snapshot(body(LAUNCHED_FROM, status=previous), [pod(0)]))
    assert plan.status is not None and plan.status["warnings"] == ["platformVersion: ignored"]


# -- dependencies --------------------------------------------------------------------------------

MISSING = "Secret data/db not found (key password)"


@pytest.mark.parametrize(
    ("previously", "announced"),
    [
        pytest.param(None, True, id="new"),
        pytest.param([MISSING], False, id="already-reported"),
        pytest.param(["ConfigMap data/other not found"], True, id="another-one-before"),
    ],
)
def test_dependency_problem_event_only_when_new(previously: list[str] | None, announced: bool) -> None:
    previous = {"launchedTasks": [0], "dependencyProblems": previously}
    owner = body({"taskDefinition": "etl:3"}, status=previous)
    plan = plan_task(snapshot(owner, [pod(0)], dependency_problems=[MISSING]))
    missing = [e for e in plan.events if e.reason is Reason.TASK_DEPENDENCY_MISSING]
    if announced:
        assert [(e.message, e.severity) for e in missing] == [(MISSING, Severity.WARNING)]
    else:
        assert missing == []
    assert plan.status is not None and plan.status["dependencyProblems"] == [MISSING]
    assert plan.requeue_after is not None and plan.requeue_after <= 10


# -- requeue -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pods", "requeue"),
    [
        pytest.param([pod(0)], None, id="running-pod-deleted-now-none-left"),
        pytest.param([pod(0, deleting=True)], None, id="pod-already-going"),
        pytest.param([], None, id="no-pods"),
        # A task that ended by itself keeps its pod (kept for `kubectl logs`): it is still there.
        pytest.param([succeeded(0)], 1.0, id="ended-pod-left"),
    ],
)
def test_requeue_of_a_deleting_ecstask(pods: list[Obj], requeue: float | None) -> None:
    owner = body({"taskDefinition": "etl:3"}, status={"launchedTasks": [0]}, deleting=True)
    assert plan_task(snapshot(owner, pods)).requeue_after == requeue


def test_deleting_an_ecstask_takes_the_pods_of_tasks_that_ended_by_themselves() -> None:
    """Kept for `kubectl logs` while the ECSTask exists; its deletion must not wait out the retention."""
    owner = body({"taskDefinition": "etl:3", "count": 2}, status={"launchedTasks": [0, 1]}, deleting=True)
    plan = plan_task(snapshot(owner, [succeeded(0), pod(1), pod(2, deleting=True)]))
    assert sorted(d.name for d in plan.delete_after_status) == ["etl-0", "etl-1"]
    assert all(d.uid for d in plan.delete_after_status)


def test_running_tasks_resync_every_minute() -> None:
    owner = body({"taskDefinition": "etl:3"}, status={"launchedTasks": [0]})
    assert plan_task(snapshot(owner, [pod(0)])).requeue_after == 60.0


# -- retention -----------------------------------------------------------------------------------


def test_stopped_task_stays_until_retention_then_its_record_and_pod_go() -> None:
    # ECS keeps stopped tasks visible for a while (about an hour), then forgets them.
    owner = body({"taskDefinition": "etl:3", "count": 2}, status={"launchedTasks": [0, 1]})
    first = plan_task(snapshot(owner, [succeeded(0), pod(1)]))
    assert first.status is not None
    assert records(first.status)["etl-0"]["stoppedAt"] == "2026-03-04T10:20:00Z"
    assert first.delete_after_status == []  # ended by itself: kept for `kubectl logs`

    expires = datetime(2026, 3, 4, 11, 20, tzinfo=UTC)  # stoppedAt + 3600 s
    before = plan_task(
        snapshot(body(owner["spec"], status=first.status), [succeeded(0), pod(1)], now=expires - timedelta(seconds=20))
    )
    assert before.delete_after_status == []
    assert before.requeue_after == pytest.approx(20.5)  # just after the record expires
    assert before.status is None  # nothing changed yet: the record stays as written

    after = plan_task(snapshot(body(owner["spec"], status=first.status), [succeeded(0), pod(1)], now=expires))
    assert after.delete_after_status == [Deletion("v1", "Pod", "etl-0", "uid-etl-0")]
    assert after.status is not None and sorted(records(after.status)) == ["etl-1"]
    assert after.status["launchedTasks"] == [0, 1]  # still launched once: never relaunched
