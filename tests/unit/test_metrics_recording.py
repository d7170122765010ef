"""What the operator records in its metrics, without an API server: queues, requests, watches, ECS gauges.

Each test builds its own Metrics (its own registry), so nothing counted here leaks into another test.
"""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest
import urllib3
from kubernetes.client import ApiException
from prometheus_client import generate_latest

from ecs_operator.cli import build_parser
from ecs_operator.kube.applier import Applier
from ecs_operator.kube.client import Kube
from ecs_operator.kube.errors import ApiError
from ecs_operator.kube.executor import Executor
from ecs_operator.kube.informer import Index, Informer
from ecs_operator.kube.workqueue import Scheduler, WorkQueue
from ecs_operator.metrics import Metrics
from ecs_operator.plan import Deletion, Plan
from ecs_operator.plan.fleet import fleet
from ecs_operator.plan.task import newly_stopped

Obj = dict[str, Any]


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def value(metrics: Metrics, metric: str, /, **labels: str) -> float:
    found = metrics.registry.get_sample_value(metric, labels)
    return 0.0 if found is None else found


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scheduler(clock: FakeClock) -> Any:
    sched = Scheduler(2, clock=clock)
    yield sched
    sched.stop()


# -- reconciles and the work queue -----------------------------------------------------------------


def test_a_new_controller_publishes_zeros(scheduler: Scheduler) -> None:
    metrics = Metrics()
    WorkQueue("ECSService", lambda ns, n: None, scheduler, metrics)
    for result in ("success", "error", "requeue"):
        assert (
            metrics.registry.get_sample_value(
                "controller_runtime_reconcile_total", {"controller": "ecsservice", "result": result}
            )
            == 0.0
        )
    assert value(metrics, "workqueue_depth", name="ecsservice") == 0.0
    assert metrics.registry.get_sample_value("workqueue_adds_total", {"name": "ecsservice"}) == 0.0


def test_results_durations_adds_and_retries(scheduler: Scheduler, clock: FakeClock) -> None:
    metrics = Metrics()
    outcomes: list[float | Exception | None] = [None, 30.0, RuntimeError("boom")]

    def reconcile(namespace: str, name: str) -> float | None:
        clock.now += 0.25  # each reconcile takes a quarter of a second
        result = outcomes.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    queue = WorkQueue("ECSService", reconcile, scheduler, metrics, clock=clock)
    for _ in range(3):
        queue.run("shop", "web")
    assert value(metrics, "controller_runtime_reconcile_total", controller="ecsservice", result="success") == 1
    assert value(metrics, "controller_runtime_reconcile_total", controller="ecsservice", result="requeue") == 1
    assert value(metrics, "controller_runtime_reconcile_total", controller="ecsservice", result="error") == 1
    assert value(metrics, "controller_runtime_reconcile_errors_total", controller="ecsservice") == 1
    assert value(metrics, "controller_runtime_reconcile_time_seconds_count", controller="ecsservice") == 3
    assert value(metrics, "controller_runtime_reconcile_time_seconds_sum", controller="ecsservice") == 0.75
    assert value(metrics, "workqueue_work_duration_seconds_count", name="ecsservice") == 3
    assert value(metrics, "workqueue_adds_total", name="ecsservice") == 3
    assert value(metrics, "workqueue_retries_total", name="ecsservice") == 1  # the failure's own requeue


def test_an_error_that_kopf_retries_is_not_a_queue_retry(scheduler: Scheduler) -> None:
    metrics = Metrics()

    def failing(namespace: str, name: str) -> float | None:
        raise RuntimeError("boom")

    queue = WorkQueue("ECSTask", failing, scheduler, metrics)
    with pytest.raises(RuntimeError):
        queue.run("shop", "job", raise_errors=True)
    assert value(metrics, "controller_runtime_reconcile_errors_total", controller="ecstask") == 1
    assert value(metrics, "workqueue_retries_total", name="ecstask") == 0


def test_a_folded_trigger_is_one_add_and_waits_in_the_depth(scheduler: Scheduler, clock: FakeClock) -> None:
    metrics = Metrics()
    inside, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def reconcile(namespace: str, name: str) -> float | None:
        calls.append(1)
        if len(calls) == 1:
            inside.set()
            assert release.wait(2)
        return None

    queue = WorkQueue("ECSService", reconcile, scheduler, metrics, clock=clock)
    worker = threading.Thread(target=queue.run, args=("shop", "web"))
    worker.start()
    assert inside.wait(2)
    queue.run("shop", "web")
    queue.run("shop", "web")  # already waiting: not another add
    assert queue.depth() == 1
    assert value(metrics, "workqueue_depth", name="ecsservice") == 1
    clock.now += 2.0  # the folded trigger waits two seconds for the running reconcile
    release.set()
    worker.join(2)
    assert len(calls) == 2
    assert queue.depth() == 0
    assert value(metrics, "workqueue_adds_total", name="ecsservice") == 2
    assert value(metrics, "workqueue_queue_duration_seconds_count", name="ecsservice") == 2
    assert value(metrics, "workqueue_queue_duration_seconds_sum", name="ecsservice") == 2.0


def test_a_look_again_queues_from_when_it_is_due() -> None:
    metrics = Metrics()
    ran = threading.Event()

    def reconcile(namespace: str, name: str) -> float | None:
        ran.set()
        return None

    real = Scheduler(1)
    try:
        queue = WorkQueue("ECSCluster", reconcile, real, metrics)
        queue.later("shop", "prod", 0.05)
        assert value(metrics, "workqueue_adds_total", name="ecscluster") == 0  # not due yet
        assert ran.wait(2)
        deadline = time.monotonic() + 2
        while value(metrics, "workqueue_adds_total", name="ecscluster") < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert value(metrics, "workqueue_adds_total", name="ecscluster") == 1
        waited = value(metrics, "workqueue_queue_duration_seconds_sum", name="ecscluster")
        assert 0 <= waited < 1  # from its due time, not from when it was asked for
        assert real.ready("ECSCluster") == 0
    finally:
        real.stop()


def test_two_operators_never_share_a_counter(scheduler: Scheduler) -> None:
    first, second = Metrics(), Metrics()
    WorkQueue("ECSService", lambda ns, n: None, scheduler, first).run("shop", "web")
    WorkQueue("ECSService", lambda ns, n: None, scheduler, second)
    assert value(first, "controller_runtime_reconcile_total", controller="ecsservice", result="success") == 1
    assert value(second, "controller_runtime_reconcile_total", controller="ecsservice", result="success") == 0


# -- API requests and watches --------------------------------------------------------------------


class FakeResponse:
    def __init__(self, status: int, data: bytes = b"{}") -> None:
        self.status = status
        self._data = data

    def read(self) -> bytes:
        return self._data


class FakeApiClient:
    """What Kube uses of the official client; each call answers with the next scripted outcome."""

    class configuration:  # the official client's attribute name
        host = "https://127.0.0.1:6443"

    def __init__(self, *outcomes: int | BaseException) -> None:
        self.outcomes = list(outcomes)

    def param_serialize(self, **kwargs: Any) -> tuple[Any, ...]:
        return ("", kwargs["resource_path"], {}, None, None)

    def call_api(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome >= 400:
            raise ApiException(status=outcome, reason="nope")
        return FakeResponse(outcome)


def test_requests_count_by_code_method_and_host() -> None:
    metrics = Metrics()
    failure = urllib3.exceptions.MaxRetryError(cast(Any, None), "/api/v1", None)
    kube = Kube(cast(Any, FakeApiClient(200, 404, failure)), metrics=metrics)
    kube.request("GET", "/api/v1/pods")
    with pytest.raises(ApiError):
        kube.request("PATCH", "/api/v1/pods/x")
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        kube.impersonating("system:serviceaccount:a:b").request("DELETE", "/api/v1/pods/x")
    host = "127.0.0.1:6443"
    assert value(metrics, "rest_client_requests_total", code="200", method="GET", host=host) == 1
    assert value(metrics, "rest_client_requests_total", code="404", method="PATCH", host=host) == 1
    assert value(metrics, "rest_client_requests_total", code="<error>", method="DELETE", host=host) == 1
    assert value(metrics, "rest_client_request_duration_seconds_count", verb="GET", host=host) == 1
    assert value(metrics, "rest_client_request_duration_seconds_count", verb="DELETE", host=host) == 1


def test_a_client_without_metrics_records_nothing() -> None:
    kube = Kube(cast(Any, FakeApiClient(200)))
    assert kube.metrics is None
    assert kube.request("GET", "/api/v1/pods") == {}


class BrokenKube:
    """A client whose every LIST fails: the informer relists again and again."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def request(self, method: str, path: str, **kwargs: Any) -> Obj:
        raise ApiError(500, "InternalError", "etcd is away")


def test_each_failed_watch_counts_a_restart() -> None:
    metrics = Metrics()
    informer = Informer(cast(Kube, BrokenKube(metrics)), "v1", "Pod", Index(), retry_seconds=0.01)
    assert metrics.registry.get_sample_value("ecs_operator_watch_restarts_total", {"resource": "pods"}) == 0.0
    informer.start()
    try:
        deadline = time.monotonic() + 2
        while value(metrics, "ecs_operator_watch_restarts_total", resource="pods") < 2:
            assert time.monotonic() < deadline, "the informer should have retried"
            time.sleep(0.01)
    finally:
        informer.stop()
    assert informer.restarts >= 2


# -- ECS gauges and stopped tasks -----------------------------------------------------------------


def service(name: str, state: str | None, desired: int, running: int, pending: int = 0) -> Obj:
    status: Obj = {"desiredCount": desired, "runningCount": running, "pendingCount": pending}
    if state is not None:
        status["deployments"] = [
            {"status": "PRIMARY", "rolloutState": state},
            {"status": "ACTIVE", "rolloutState": "COMPLETED"},
        ]
    return {"metadata": {"namespace": "shop", "name": name}, "status": status}


def test_fleet_counts_primary_rollout_states_and_sums_tasks() -> None:
    seen = fleet(
        [
            service("web", "IN_PROGRESS", 3, 1, 2),
            service("api", "COMPLETED", 2, 2),
            service("old", "COMPLETED", 1, 1),
            {"metadata": {"namespace": "shop", "name": "new"}},  # never reconciled: counted nowhere
        ]
    )
    assert seen.services == {"IN_PROGRESS": 1, "COMPLETED": 2, "FAILED": 0}
    assert seen.tasks == {"desired": 6, "running": 4, "pending": 2}
    assert seen.each == ()


def test_fleet_keeps_each_service_only_when_asked() -> None:
    seen = fleet([service("web", "FAILED", 2, 0, 1), service("api", None, 1, 1)], each=True)
    assert [(c.name, c.rollout_state, c.tasks()) for c in seen.each] == [
        ("api", None, {"desired": 1, "running": 1, "pending": 0}),
        ("web", "FAILED", {"desired": 2, "running": 0, "pending": 1}),
    ]


def test_the_ecs_gauges_are_read_at_each_scrape() -> None:
    bodies = [service("web", "IN_PROGRESS", 2, 0)]
    metrics = Metrics()
    metrics.follow_services(lambda: fleet(bodies))
    assert value(metrics, "ecs_operator_services", rollout_state="IN_PROGRESS") == 1
    assert value(metrics, "ecs_operator_tasks", state="running") == 0
    bodies[0] = service("web", "COMPLETED", 2, 2)
    assert value(metrics, "ecs_operator_services", rollout_state="IN_PROGRESS") == 0
    assert value(metrics, "ecs_operator_services", rollout_state="COMPLETED") == 1
    assert value(metrics, "ecs_operator_tasks", state="running") == 2
    assert b"ecs_operator_service_tasks" not in generate_latest(metrics.registry)


def test_per_service_series_only_behind_the_flag() -> None:
    bodies = [service("web", "COMPLETED", 2, 2)]
    metrics = Metrics(per_service=True)
    metrics.follow_services(lambda: fleet(bodies, each=metrics.per_service))
    assert value(metrics, "ecs_operator_service_tasks", namespace="shop", service="web", state="desired") == 2
    assert value(metrics, "ecs_operator_service_tasks", namespace="shop", service="web", state="running") == 2


def test_a_stop_counts_once_when_its_record_first_gets_a_stop_code() -> None:
    before = [{"podName": "a", "stopCode": "TaskFailedToStart"}, {"podName": "b"}]
    after = [
        {"podName": "a", "stopCode": "TaskFailedToStart"},  # counted in an earlier round
        {"podName": "b", "stopCode": "EssentialContainerExited"},
        {"podName": "c", "stopCode": "UserInitiated"},  # seen only once it had stopped
        {"podName": "d"},
    ]
    assert newly_stopped(before, after) == ["EssentialContainerExited", "UserInitiated"]


class DeletingKube:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete(self, api_version: str, kind: str, namespace: str | None, name: str, **kwargs: Any) -> bool:
        self.deleted.append(name)
        return True


def test_the_executor_counts_stopped_tasks_once_the_plan_is_carried_out() -> None:
    metrics = Metrics()
    kube = cast(Kube, DeletingKube())
    executor = Executor(kube, Applier(kube), metrics)
    owner = {"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "ECSService", "metadata": {"namespace": "shop"}}
    plan = Plan(delete=[Deletion("v1", "Pod", "web-a", "uid-a")], stopped=["TaskFailedToStart"])
    executor.execute(owner, plan)
    executor.execute(owner, Plan())
    assert value(metrics, "ecs_operator_stopped_tasks_total", stop_code="TaskFailedToStart") == 1


# -- the command line ------------------------------------------------------------------------------


def test_health_and_metrics_ports_do_not_collide_by_default() -> None:
    args = build_parser().parse_args(["run"])
    assert (args.health_port, args.metrics_port, args.per_service_metrics) == (8081, 8080, False)
    args = build_parser().parse_args(["run", "--metrics-port", "0", "--per-service-metrics"])
    assert (args.metrics_port, args.per_service_metrics) == (0, True)
