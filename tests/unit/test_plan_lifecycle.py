"""The one ECS task lifecycle read off a Pod: task_stop (must it stop now, and why) and last_status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecs_operator.plan.lifecycle import (
    ESSENTIAL_EXIT_REASON,
    OOM_REASON,
    SECRETS_MISSING_REASON,
    START_GRACE_SECONDS,
    USER_STOP_REASON,
    StopCode,
    last_status,
    task_stop,
)
from ecs_operator.vocabulary import ANNOTATION_ESSENTIAL_CONTAINERS, SCHEDULING_GATE_RESOURCES

# ECS task lifecycle and stop codes:
#   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
#   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html (stopCode)
# Stopped-task error texts:
#   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
SERVICE_TIMEOUT = 300.0  # a service task's start timeout (healthCheckGracePeriodSeconds or the default)

Obj = dict[str, Any]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def running(name: str) -> Obj:
    return {"name": name, "restartCount": 0, "state": {"running": {"startedAt": "2026-03-04T10:00:05Z"}}}


def exited(name: str, code: int, *, reason: str = "Error", at: str = "2026-03-04T10:20:00Z") -> Obj:
    return {
        "name": name,
        "restartCount": 0,
        "state": {"terminated": {"exitCode": code, "reason": reason, "finishedAt": at}},
    }


def restarted(name: str, code: int, *, restarts: int = 1) -> Obj:
    """The kubelet restarted the container: it runs again, its exit is in lastState."""
    return {
        "name": name,
        "restartCount": restarts,
        "state": {"running": {"startedAt": "2026-03-04T10:21:00Z"}},
        "lastState": {"terminated": {"exitCode": code, "reason": "Error", "finishedAt": "2026-03-04T10:20:00Z"}},
    }


def waiting(name: str, reason: str, message: str = "") -> Obj:
    return {"name": name, "restartCount": 0, "state": {"waiting": {"reason": reason, "message": message}}}


def pod(
    *,
    statuses: list[Obj] | None = None,
    essential: str | None = "app",
    containers: tuple[str, ...] = ("app", "sidecar"),
    phase: str = "Running",
    ready: bool = True,
    node: str | None = "n1",
    age: float = 600.0,
    deleting: bool = False,
    gates: list[str] | None = None,
    conditions: list[Obj] | None = None,
    reason: str | None = None,
    message: str | None = None,
    names: dict[str, str] | None = None,
) -> Obj:
    annotations: dict[str, str] = {}
    if essential is not None:
        annotations[ANNOTATION_ESSENTIAL_CONTAINERS] = essential
    for k8s, ecs in (names or {}).items():
        annotations[f"ecs.operator.dev/container-name.{k8s}"] = ecs
    meta: Obj = {
        "name": "web-abc",
        "uid": "uid-web-abc",
        "creationTimestamp": stamp(NOW - timedelta(seconds=age)),
        "annotations": annotations,
    }
    if deleting:
        meta["deletionTimestamp"] = stamp(NOW - timedelta(seconds=1))
    spec: Obj = {"containers": [{"name": c} for c in containers]}
    if node:
        spec["nodeName"] = node
    if gates:
        spec["schedulingGates"] = [{"name": g} for g in gates]
    status: Obj = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}, *(conditions or [])],
        "containerStatuses": statuses if statuses is not None else [running(c) for c in containers],
    }
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    return {"metadata": meta, "spec": spec, "status": status}


def gated(age: float) -> Obj:
    """A task held by the operator's gate until the Secrets/ConfigMaps it reads exist."""
    return pod(
        gates=[SCHEDULING_GATE_RESOURCES],
        node=None,
        phase="Pending",
        ready=False,
        age=age,
        statuses=[],
    )


def creating(reason: str, message: str, age: float) -> Obj:
    return pod(
        phase="Pending",
        ready=False,
        age=age,
        statuses=[waiting("app", reason, message), waiting("sidecar", "ContainerCreating")],
    )


# -- essential containers ------------------------------------------------------------------------

# ECS: "Essential container in task exited" stops the whole task; a non-essential container's exit
# does not (ContainerDefinition.essential).
ESSENTIAL_CASES = [
    pytest.param(
        [exited("app", 0, reason="Completed"), running("sidecar")], "app", 0, False, id="essential-exit-0-is-clean"
    ),
    pytest.param([exited("app", 1), running("sidecar")], "app", 1, True, id="essential-exit-1-failed"),
    pytest.param([exited("app", 137), running("sidecar")], "app", 137, True, id="essential-exit-137-failed"),
    # The kubelet restarted the container: restartCount > 0 and lastState.terminated is its exit.
    pytest.param([restarted("app", 2), running("sidecar")], "app", 2, True, id="kubelet-restart-counts-as-exit"),
    # First essential to exit wins (finishedAt order), whatever the order of containerStatuses.
    pytest.param(
        [exited("app", 0, at="2026-03-04T10:20:00Z"), exited("sidecar", 3, at="2026-03-04T10:10:00Z")],
        "sidecar",
        3,
        True,
        id="first-to-exit-wins-failing",
    ),
    pytest.param(
        [exited("app", 4, at="2026-03-04T10:25:00Z"), exited("sidecar", 0, at="2026-03-04T10:05:00Z")],
        "sidecar",
        0,
        False,
        id="first-to-exit-wins-clean",
    ),
    # Same finishedAt: the failing one is reported.
    pytest.param(
        [exited("app", 0, at="2026-03-04T10:20:00Z"), exited("sidecar", 9, at="2026-03-04T10:20:00Z")],
        "sidecar",
        9,
        True,
        id="tie-reports-the-failing-one",
    ),
]


@pytest.mark.parametrize(("statuses", "container", "exit_code", "failed"), ESSENTIAL_CASES)
def test_essential_container_exit_stops_the_task(
    statuses: list[Obj], container: str, exit_code: int, failed: bool
) -> None:
    stop = task_stop(pod(statuses=statuses, essential="app,sidecar"), now=NOW)
    assert stop is not None
    assert (stop.stop_code, stop.reason) == (StopCode.ESSENTIAL_CONTAINER_EXITED, ESSENTIAL_EXIT_REASON)
    assert (stop.container, stop.exit_code, stop.failed) == (container, exit_code, failed)
    assert stop.detail == f"{ESSENTIAL_EXIT_REASON} (container {container} exit code {exit_code})"


@pytest.mark.parametrize(
    "statuses",
    [
        pytest.param([running("app"), exited("sidecar", 1)], id="non-essential-exit-1"),
        pytest.param([running("app"), exited("sidecar", 0)], id="non-essential-exit-0"),
        pytest.param([running("app"), restarted("sidecar", 1, restarts=3)], id="non-essential-restarted"),
        # No restart: a lastState without restartCount is not an exit of this container.
        pytest.param([restarted("app", 1, restarts=0), running("sidecar")], id="lastState-without-restart"),
    ],
)
def test_what_is_not_an_essential_exit(statuses: list[Obj]) -> None:
    assert task_stop(pod(statuses=statuses, essential="app"), now=NOW) is None
    assert task_stop(pod(statuses=statuses, essential="app"), now=NOW, start_timeout=SERVICE_TIMEOUT) is None


def test_unannotated_pod_treats_every_app_container_as_essential() -> None:
    stop = task_stop(pod(statuses=[running("app"), exited("sidecar", 5)], essential=None), now=NOW)
    assert stop is not None and (stop.container, stop.exit_code) == ("sidecar", 5)


def test_the_stop_names_the_ecs_container_not_the_pod_container() -> None:
    stop = task_stop(
        pod(
            statuses=[running("app"), exited("log-router", 1)],
            containers=("app", "log-router"),
            essential="app,log-router",
            names={"log-router": "log_router"},
        ),
        now=NOW,
    )
    assert stop is not None and stop.container == "log_router"


def test_oom_killed_is_out_of_memory_error() -> None:
    # ECS: "OutOfMemoryError: Container killed due to memory usage".
    stop = task_stop(pod(statuses=[exited("app", 137, reason="OOMKilled"), running("sidecar")]), now=NOW)
    assert stop is not None
    assert (stop.stop_code, stop.reason, stop.exit_code) == (StopCode.ESSENTIAL_CONTAINER_EXITED, OOM_REASON, 137)
    assert stop.failed


# -- the pod ended, or was ended ----------------------------------------------------------------


def test_terminal_pod_without_a_container_exit() -> None:
    stop = task_stop(pod(phase="Failed", statuses=[]), now=NOW)
    assert stop is not None
    assert (stop.stop_code, stop.reason, stop.container, stop.exit_code) == (
        StopCode.ESSENTIAL_CONTAINER_EXITED,
        ESSENTIAL_EXIT_REASON,
        None,
        None,
    )
    assert stop.failed  # no exit code 0 to show for it
    assert stop.detail == ESSENTIAL_EXIT_REASON


DISRUPTION = {
    "type": "DisruptionTarget",
    "status": "True",
    "reason": "EvictionByEvictionAPI",
    "message": "Eviction API: evicting",
}


# ECS: a task stopped by its instance going away (spot interruption, drain) has stopCode TerminationNotice.
@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        pytest.param(
            {"phase": "Failed", "statuses": [], "reason": "Evicted", "message": "The node was low on memory."},
            "Task stopped: evicted: The node was low on memory.",
            id="evicted-terminal",
        ),
        pytest.param(
            {"phase": "Failed", "statuses": [], "conditions": [DISRUPTION]},
            "Task stopped: EvictionByEvictionAPI: Eviction API: evicting",
            id="disruption-target-terminal",
        ),
        pytest.param(
            {"deleting": True, "conditions": [DISRUPTION]},
            "Task stopped: EvictionByEvictionAPI: Eviction API: evicting",
            id="disruption-target-deleting",
        ),
    ],
)
def test_eviction_is_a_termination_notice(shape: Obj, reason: str) -> None:
    stop = task_stop(pod(**shape), now=NOW)
    assert stop is not None
    assert (stop.stop_code, stop.reason) == (StopCode.TERMINATION_NOTICE, reason)
    assert stop.failed


def test_desired_stopped_is_user_initiated() -> None:
    # ECS StopTask: stopCode UserInitiated, stoppedReason "Task stopped by user".
    stop = task_stop(pod(), now=NOW, desired_status="STOPPED")
    assert stop is not None
    assert (stop.stop_code, stop.reason) == (StopCode.USER_INITIATED, USER_STOP_REASON)
    assert not stop.failed


def test_an_exit_outranks_the_users_stop() -> None:
    stop = task_stop(pod(statuses=[exited("app", 1), running("sidecar")]), now=NOW, desired_status="STOPPED")
    assert stop is not None and stop.stop_code == StopCode.ESSENTIAL_CONTAINER_EXITED and stop.exit_code == 1


def test_deleted_pod_is_user_initiated() -> None:
    stop = task_stop(pod(deleting=True), now=NOW)
    assert stop is not None
    assert (stop.stop_code, stop.reason) == (StopCode.USER_INITIATED, "Task stopped: its pod was deleted")
    assert not stop.failed


# -- tasks that cannot start --------------------------------------------------------------------

PULL_CASES = [
    ("ImagePullBackOff", 'Back-off pulling image "nginx:nope"'),
    ("InvalidImageName", 'couldn\'t parse image name "NGINX::1"'),
    ("ErrImageNeverPull", 'Container image "web:dev" is not present with pull policy of Never'),
]


# ECS: "CannotPullContainerError" stops the task as TaskFailedToStart; it happens at once, a service
# task waits for no grace period (the image will not appear by itself).
@pytest.mark.parametrize(("reason", "message"), PULL_CASES)
@pytest.mark.parametrize("start_timeout", [None, SERVICE_TIMEOUT], ids=["standalone", "service"])
def test_image_pull_failure_stops_at_once(reason: str, message: str, start_timeout: float | None) -> None:
    young = creating(reason, message, age=2)
    stop = task_stop(young, now=NOW, start_timeout=start_timeout)
    assert stop is not None
    assert (stop.stop_code, stop.reason) == (StopCode.TASK_FAILED_TO_START, f"CannotPullContainerError: {message}")
    assert stop.failed and stop.container is None


@pytest.mark.parametrize("start_timeout", [None, SERVICE_TIMEOUT], ids=["standalone", "service"])
def test_image_pull_failure_without_a_message_names_the_reason(start_timeout: float | None) -> None:
    stop = task_stop(creating("ImagePullBackOff", "", age=2), now=NOW, start_timeout=start_timeout)
    assert stop is not None and stop.reason == "CannotPullContainerError: ImagePullBackOff"


def test_first_pull_error_is_retried_by_the_kubelet_not_a_stop() -> None:
    # ErrImagePull is the first attempt; only the kubelet's back-off (ImagePullBackOff) is final.
    assert task_stop(creating("ErrImagePull", "rpc error", age=2), now=NOW) is None


# (age in seconds, start_timeout, stops): the gate holds a task until the Secrets it reads exist;
# ECS reports a task that cannot fetch them as ResourceInitializationError (TaskFailedToStart).
GATE_CASES = [
    pytest.param(START_GRACE_SECONDS - 1, None, False, id="standalone-before-60s"),
    pytest.param(START_GRACE_SECONDS, None, True, id="standalone-at-60s"),
    pytest.param(START_GRACE_SECONDS + 120, None, True, id="standalone-after-60s"),
    pytest.param(START_GRACE_SECONDS + 1, SERVICE_TIMEOUT, False, id="service-past-60s-before-timeout"),
    pytest.param(SERVICE_TIMEOUT - 1, SERVICE_TIMEOUT, False, id="service-before-timeout"),
    pytest.param(SERVICE_TIMEOUT, SERVICE_TIMEOUT, True, id="service-at-timeout"),
    pytest.param(SERVICE_TIMEOUT + 30, SERVICE_TIMEOUT, True, id="service-after-timeout"),
]


@pytest.mark.parametrize(("age", "start_timeout", "stops"), GATE_CASES)
def test_secrets_gate_held_past_the_deadline(age: float, start_timeout: float | None, stops: bool) -> None:
    stop = task_stop(gated(age), now=NOW, start_timeout=start_timeout)
    if not stops:
        assert stop is None
        return
    assert stop is not None
    assert (stop.stop_code, stop.reason) == (StopCode.TASK_FAILED_TO_START, SECRETS_MISSING_REASON)


def test_another_controllers_gate_is_not_ours_to_time_out() -> None:
    other = pod(gates=["example.com/quota"], node=None, phase="Pending", ready=False, age=3600, statuses=[])
    assert task_stop(other, now=NOW) is None


CONFIG_CASES = [
    pytest.param(30, None, False, id="standalone-before-60s"),
    pytest.param(61, None, True, id="standalone-after-60s"),
    pytest.param(120, SERVICE_TIMEOUT, False, id="service-before-timeout"),
    pytest.param(SERVICE_TIMEOUT + 1, SERVICE_TIMEOUT, True, id="service-after-timeout"),
]


@pytest.mark.parametrize("reason", ["CreateContainerConfigError", "CreateContainerError"])
@pytest.mark.parametrize(("age", "start_timeout", "stops"), CONFIG_CASES)
def test_container_that_cannot_be_created(reason: str, age: float, start_timeout: float | None, stops: bool) -> None:
    message = 'secret "db" not found'
    stop = task_stop(creating(reason, message, age), now=NOW, start_timeout=start_timeout)
    if not stops:
        assert stop is None
        return
    assert stop is not None
    assert (stop.stop_code, stop.reason) == (StopCode.TASK_FAILED_TO_START, f"ResourceInitializationError: {message}")


# A service task must become healthy within healthCheckGracePeriodSeconds (else the start timeout);
# ECS replaces it as a task that failed to start. A standalone task has no such timeout.
UNHEALTHY_CASES = [
    pytest.param({"ready": False}, SERVICE_TIMEOUT - 1, SERVICE_TIMEOUT, None, id="activating-before-timeout"),
    pytest.param({"ready": False}, SERVICE_TIMEOUT, SERVICE_TIMEOUT, None, id="activating-at-timeout"),
    pytest.param(
        {"ready": False},
        SERVICE_TIMEOUT + 1,
        SERVICE_TIMEOUT,
        "Task failed to become healthy within 300s",
        id="activating-after-timeout",
    ),
    pytest.param(
        {"ready": False},
        121,
        120.0,
        "Task failed to become healthy within 120s",
        id="grace-period-120",
    ),
    pytest.param(
        {"ready": False, "phase": "Pending", "statuses": [waiting("app", "ContainerCreating")]},
        SERVICE_TIMEOUT + 1,
        SERVICE_TIMEOUT,
        "Task failed to become healthy within 300s",
        id="pending-after-timeout",
    ),
    pytest.param(
        {"ready": False, "node": None, "phase": "Pending", "statuses": []},
        SERVICE_TIMEOUT + 1,
        SERVICE_TIMEOUT,
        "Task failed to become healthy within 300s",
        id="provisioning-after-timeout",
    ),
    pytest.param({"ready": False}, 86400, None, None, id="standalone-never-times-out"),
    # RUNNING (Ready) never stops by timeout, however old.
    pytest.param({"ready": True}, 86400, SERVICE_TIMEOUT, None, id="running-service-task"),
    pytest.param({"ready": True}, 86400, 1.0, None, id="running-with-tiny-timeout"),
    pytest.param({"ready": True}, 86400, None, None, id="running-standalone-task"),
]


@pytest.mark.parametrize(("shape", "age", "start_timeout", "reason"), UNHEALTHY_CASES)
def test_service_task_that_never_becomes_healthy(
    shape: Obj, age: float, start_timeout: float | None, reason: str | None
) -> None:
    stop = task_stop(pod(age=age, **shape), now=NOW, start_timeout=start_timeout)
    if reason is None:
        assert stop is None
        return
    assert stop is not None
    assert (stop.stop_code, stop.reason) == (StopCode.TASK_FAILED_TO_START, reason)
    assert stop.failed


# -- last_status ---------------------------------------------------------------------------------

# ECS lastStatus: PROVISIONING -> PENDING -> ACTIVATING -> RUNNING -> DEACTIVATING -> STOPPED.
LAST_STATUS_CASES = [
    pytest.param({"node": None, "phase": "Pending", "ready": False, "statuses": []}, "PROVISIONING", id="unscheduled"),
    pytest.param(
        {"gates": [SCHEDULING_GATE_RESOURCES], "node": None, "phase": "Pending", "ready": False, "statuses": []},
        "PROVISIONING",
        id="gated",
    ),
    pytest.param(
        {"phase": "Pending", "ready": False, "statuses": [waiting("app", "ContainerCreating")]},
        "PENDING",
        id="scheduled-creating",
    ),
    pytest.param({"ready": False}, "ACTIVATING", id="running-not-ready"),
    pytest.param({"ready": True}, "RUNNING", id="running-ready"),
    pytest.param({"deleting": True}, "DEACTIVATING", id="deleting"),
    pytest.param({"phase": "Succeeded", "statuses": [exited("app", 0)]}, "STOPPED", id="succeeded"),
    pytest.param({"phase": "Failed", "statuses": [exited("app", 1)]}, "STOPPED", id="failed"),
    pytest.param({"phase": "Failed", "deleting": True}, "STOPPED", id="failed-and-deleting"),
]


@pytest.mark.parametrize(("shape", "expected"), LAST_STATUS_CASES)
def test_last_status(shape: Obj, expected: str) -> None:
    assert last_status(pod(**shape)) == expected


def test_running_without_a_ready_condition_is_activating() -> None:
    bare = pod()
    bare["status"]["conditions"] = []
    assert last_status(bare) == "ACTIVATING"
