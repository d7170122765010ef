"""Reconcile plumbing without an API server: WorkQueue/Scheduler folding and timing, Applier digests, Executor order."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, cast

import pytest

from ecs_operator.kube.applier import Applier
from ecs_operator.kube.client import Kube
from ecs_operator.kube.errors import Conflict, Forbidden, KubeError, NotFound
from ecs_operator.kube.executor import Executor
from ecs_operator.kube.workqueue import FAILURE_RETRY_SECONDS, Scheduler, WorkQueue
from ecs_operator.plan import Creation, Deletion, Event, Patch, Plan, Reason, Severity

Obj = dict[str, Any]
WAIT = 2.0  # upper bound for anything a thread must do; tests finish far sooner


class FakeClock:
    """A monotonic clock that only moves when told: scheduled work never comes due by itself."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def scheduler() -> Any:
    sched = Scheduler(2, clock=FakeClock())
    yield sched
    sched.stop()


@pytest.fixture
def real_scheduler() -> Any:
    sched = Scheduler(2)
    yield sched
    sched.stop()


class Recorder:
    """A reconcile function: records its calls, returns scripted requeues or raises scripted errors."""

    def __init__(self, *results: float | BaseException | None) -> None:
        self.results = list(results)
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.called = threading.Event()
        self.hook: Callable[[int], None] | None = None

    def __call__(self, namespace: str, name: str) -> float | None:
        with self.lock:
            self.calls.append((namespace, name))
            number = len(self.calls)
        if self.hook is not None:
            self.hook(number)
        self.called.set()
        result = self.results.pop(0) if self.results else None
        if isinstance(result, BaseException):
            raise result
        return result


KEY = ("svc", "shop", "web")


# -- WorkQueue: one run per object, bursts folded ------------------------------------------------


def test_concurrent_triggers_fold_into_exactly_one_rerun(scheduler: Scheduler) -> None:
    started, release = threading.Event(), threading.Event()
    reconcile = Recorder()

    def block_first(number: int) -> None:
        if number == 1:
            started.set()
            assert release.wait(WAIT)

    reconcile.hook = block_first
    queue = WorkQueue("svc", reconcile, scheduler)
    first = threading.Thread(target=queue.run, args=("shop", "web"))
    first.start()
    assert started.wait(WAIT)
    # Three triggers while the first run is in progress: none runs here, all fold into one re-run.
    assert [queue.run("shop", "web") for _ in range(3)] == [None, None, None]
    assert reconcile.calls == [("shop", "web")]
    release.set()
    first.join(WAIT)
    assert not first.is_alive()
    assert reconcile.calls == [("shop", "web"), ("shop", "web")]
    assert scheduler.pending() == 0


def test_other_objects_are_not_held_by_a_run_in_progress(scheduler: Scheduler) -> None:
    started, release = threading.Event(), threading.Event()
    reconcile = Recorder()

    def block_web(number: int) -> None:
        if reconcile.calls[number - 1] == ("shop", "web"):
            started.set()
            assert release.wait(WAIT)

    reconcile.hook = block_web
    queue = WorkQueue("svc", reconcile, scheduler)
    web = threading.Thread(target=queue.run, args=("shop", "web"))
    web.start()
    try:
        assert started.wait(WAIT)
        queue.run("shop", "api")  # runs now, in this thread
        assert ("shop", "api") in reconcile.calls
    finally:
        release.set()
        web.join(WAIT)
    assert reconcile.calls.count(("shop", "web")) == 1  # nothing was folded into it


def test_returned_requeue_schedules_the_next_run(scheduler: Scheduler) -> None:
    queue = WorkQueue("svc", Recorder(3.0), scheduler)
    assert queue.run("shop", "web") == 3.0
    assert scheduler.due_in(KEY) == pytest.approx(3.0)


def test_no_requeue_schedules_nothing(scheduler: Scheduler) -> None:
    queue = WorkQueue("svc", Recorder(None), scheduler)
    assert queue.run("shop", "web") is None
    assert scheduler.due_in(KEY) is None and scheduler.pending() == 0


def test_requeued_run_happens(real_scheduler: Scheduler) -> None:
    reconcile = Recorder(0.02, None)
    second = threading.Event()
    reconcile.hook = lambda number: second.set() if number == 2 else None
    queue = WorkQueue("svc", reconcile, real_scheduler)
    assert queue.run("shop", "web") == 0.02
    assert second.wait(WAIT)
    assert reconcile.calls == [("shop", "web"), ("shop", "web")]


def test_a_failed_reconcile_is_retried_later(scheduler: Scheduler, caplog: pytest.LogCaptureFixture) -> None:
    queue = WorkQueue("svc", Recorder(RuntimeError("boom")), scheduler)
    with caplog.at_level(logging.ERROR, logger="ecs_operator"):
        assert queue.run("shop", "web") == FAILURE_RETRY_SECONDS
    assert scheduler.due_in(KEY) == pytest.approx(FAILURE_RETRY_SECONDS)
    assert "svc shop/web: reconcile failed" in caplog.text


def test_raise_errors_raises_and_leaves_the_object_runnable(scheduler: Scheduler) -> None:
    reconcile = Recorder(RuntimeError("boom"), None)
    queue = WorkQueue("svc", reconcile, scheduler)
    with pytest.raises(RuntimeError, match="boom"):
        queue.run("shop", "web", raise_errors=True)
    assert scheduler.due_in(KEY) is None  # the caller (kopf) retries, not the queue
    assert queue.run("shop", "web") is None
    assert len(reconcile.calls) == 2  # not stuck "running"


def test_a_failure_with_a_trigger_pending_reruns_at_once(scheduler: Scheduler) -> None:
    started, release = threading.Event(), threading.Event()
    reconcile = Recorder(RuntimeError("stale read"), 7.0)

    def block_first(number: int) -> None:
        if number == 1:
            started.set()
            assert release.wait(WAIT)

    reconcile.hook = block_first
    queue = WorkQueue("svc", reconcile, scheduler)
    result: list[float | None] = []
    first = threading.Thread(target=lambda: result.append(queue.run("shop", "web")))
    first.start()
    assert started.wait(WAIT)
    queue.run("shop", "web")
    release.set()
    first.join(WAIT)
    assert result == [7.0]  # the re-run's answer, not the failure's retry
    assert scheduler.due_in(KEY) == pytest.approx(7.0)


def test_terminating_namespace_is_not_retried(scheduler: Scheduler) -> None:
    forbidden = Forbidden(
        403,
        "Forbidden",
        'pods "web-1" is forbidden: unable to create new content in namespace shop because it is being terminated',
    )
    queue = WorkQueue("svc", Recorder(forbidden), scheduler)
    assert queue.run("shop", "web") is None
    assert scheduler.pending() == 0


# -- Scheduler: earliest request wins, forget, stop ---------------------------------------------


def test_later_keeps_the_earliest_pending_request(scheduler: Scheduler) -> None:
    queue = WorkQueue("svc", Recorder(), scheduler)
    queue.later("shop", "web", 5.0)
    assert scheduler.due_in(KEY) == pytest.approx(5.0)
    queue.later("shop", "web", 2.0)
    assert scheduler.due_in(KEY) == pytest.approx(2.0)
    queue.later("shop", "web", 8.0)
    assert scheduler.due_in(KEY) == pytest.approx(2.0)
    queue.later("shop", "api", 9.0)  # another object has its own request
    assert scheduler.due_in(("svc", "shop", "api")) == pytest.approx(9.0)
    assert scheduler.pending() == 2


def test_a_negative_delay_is_due_now(scheduler: Scheduler) -> None:
    ran = threading.Event()
    scheduler.schedule(KEY, -3.0, ran.set)  # the fake clock never moves: only work due now runs
    assert ran.wait(WAIT)
    assert scheduler.pending() == 0


def test_forget_cancels(scheduler: Scheduler) -> None:
    queue = WorkQueue("svc", Recorder(), scheduler)
    queue.later("shop", "web", 2.0)
    queue.later("shop", "api", 2.0)
    queue.forget("shop", "web")
    assert scheduler.due_in(KEY) is None
    assert scheduler.due_in(("svc", "shop", "api")) == pytest.approx(2.0)
    queue.later("shop", "web", 4.0)  # a request after forget counts again
    assert scheduler.due_in(KEY) == pytest.approx(4.0)


def test_forgotten_work_never_runs(real_scheduler: Scheduler) -> None:
    reconcile = Recorder()
    queue = WorkQueue("svc", reconcile, real_scheduler)
    queue.later("shop", "web", 0.1)
    queue.forget("shop", "web")
    assert not reconcile.called.wait(0.3)
    assert reconcile.calls == []


def test_queues_of_different_kinds_do_not_share_requests(scheduler: Scheduler) -> None:
    services = WorkQueue("svc", Recorder(), scheduler)
    tasks = WorkQueue("task", Recorder(), scheduler)
    services.later("shop", "web", 1.0)
    tasks.later("shop", "web", 3.0)
    assert scheduler.due_in(("svc", "shop", "web")) == pytest.approx(1.0)
    assert scheduler.due_in(("task", "shop", "web")) == pytest.approx(3.0)


def test_stop_drops_pending_work(real_scheduler: Scheduler) -> None:
    reconcile = Recorder()
    queue = WorkQueue("svc", reconcile, real_scheduler)
    queue.later("shop", "web", 0.1)
    queue.later("shop", "api", 0.15)
    real_scheduler.stop()
    assert real_scheduler.pending() == 0 and real_scheduler.due_in(KEY) is None
    queue.later("shop", "web", 0.0)  # after stop nothing is accepted
    assert real_scheduler.pending() == 0
    assert not reconcile.called.wait(0.3)


def test_due_work_runs_on_the_pool(real_scheduler: Scheduler) -> None:
    ran: list[str] = []
    done = threading.Event()

    def work() -> None:
        ran.append(threading.current_thread().name)
        done.set()

    real_scheduler.schedule(KEY, 0.01, work)
    assert done.wait(WAIT)
    assert ran[0].startswith("reconcile") and ran[0] != threading.main_thread().name
    assert real_scheduler.pending() == 0


# -- Applier: skip what would change nothing, notice drift --------------------------------------


class RecordingKube:
    """Stand-in for kube.client.Kube: records every call in order (this is no API server)."""

    def __init__(self, *, create_error: Exception | None = None, status_error: Exception | None = None) -> None:
        self.ops: list[tuple[Any, ...]] = []
        self.generation = 1
        self.create_error = create_error
        self.status_error = status_error

    def apply(self, obj: Obj) -> Obj:
        self.ops.append(("apply", obj["kind"], obj["metadata"]["name"]))
        return {"metadata": {"name": obj["metadata"]["name"], "generation": self.generation}}

    def create(self, obj: Obj) -> Obj:
        if obj["kind"] == "Event":
            self.ops.append(("event", obj["reason"], obj["message"], obj["type"]))
            return obj
        self.ops.append(("create", obj["kind"], obj["metadata"]["name"]))
        if self.create_error is not None:
            raise self.create_error
        return obj

    def patch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        patch: Obj,
        *,
        subresource: str | None = None,
    ) -> Obj:
        if subresource == "status":
            self.ops.append(("status", kind, namespace, name, patch))
            if self.status_error is not None:
                raise self.status_error
        else:
            self.ops.append(("patch", kind, namespace, name, patch))
        return {}

    def delete(self, api_version: str, kind: str, namespace: str | None, name: str, *, uid: str | None = None) -> bool:
        self.ops.append(("delete", kind, namespace, name, uid))
        return True


def applier_for(kube: RecordingKube) -> Applier:
    return Applier(cast(Kube, kube))


def executor_for(kube: RecordingKube) -> Executor:
    return Executor(cast(Kube, kube), applier_for(kube))


OWNER = {
    "apiVersion": "ecs.operator.dev/v1alpha1",
    "kind": "ECSService",
    "metadata": {"name": "web", "namespace": "shop", "uid": "uid-web"},
}


def deployment(replicas: int = 2, name: str = "web") -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": replicas},
    }


def applies(kube: RecordingKube) -> list[tuple[Any, ...]]:
    return [op for op in kube.ops if op[0] == "apply"]


def test_the_same_manifest_twice_is_applied_once() -> None:
    kube = RecordingKube()
    applier = applier_for(kube)
    applier.apply(OWNER, deployment())
    applier.apply(OWNER, deployment())
    assert applies(kube) == [("apply", "Deployment", "web")]


def test_a_changed_manifest_is_applied_again() -> None:
    kube = RecordingKube()
    applier = applier_for(kube)
    applier.apply(OWNER, deployment(2))
    applier.apply(OWNER, deployment(3))
    applier.apply(OWNER, deployment(3))
    assert len(applies(kube)) == 2


def test_objects_are_told_apart_by_kind_and_name() -> None:
    kube = RecordingKube()
    applier = applier_for(kube)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}}
    for obj in (deployment(), deployment(name="web-spot"), service, deployment()):
        applier.apply(OWNER, obj)
    assert applies(kube) == [
        ("apply", "Deployment", "web"),
        ("apply", "Deployment", "web-spot"),
        ("apply", "Service", "web"),
    ]


@pytest.mark.parametrize(
    ("generation", "deleted", "owner"),
    [
        pytest.param(1, False, None, id="our-own-apply-echoed"),
        pytest.param(2, False, "web", id="someone-edited-it"),
        pytest.param(1, True, "web", id="someone-deleted-it"),
    ],
)
def test_observed_names_the_owner_of_drifted_objects(generation: int, deleted: bool, owner: str | None) -> None:
    kube = RecordingKube()
    applier = applier_for(kube)
    applier.apply(OWNER, deployment())
    seen = {"metadata": {"name": "web", "generation": generation}}
    assert applier.observed("Deployment", "shop", "web", seen, deleted) == owner
    applier.apply(OWNER, deployment())
    assert len(applies(kube)) == (2 if owner else 1)  # drift forgets the digest: the next apply repairs it


def test_observed_forgets_exactly_once() -> None:
    kube = RecordingKube()
    applier = applier_for(kube)
    applier.apply(OWNER, deployment())
    edited = {"metadata": {"generation": 2}}
    assert applier.observed("Deployment", "shop", "web", edited, False) == "web"
    assert applier.observed("Deployment", "shop", "web", edited, False) is None


def test_observed_ignores_objects_it_never_applied() -> None:
    applier = applier_for(RecordingKube())
    assert applier.observed("Deployment", "shop", "web", {"metadata": {"generation": 5}}, False) is None
    assert applier.observed("Deployment", "shop", "web", {}, True) is None


def test_objects_without_generation_compare_resource_versions() -> None:
    class NoGeneration(RecordingKube):
        def apply(self, obj: Obj) -> Obj:
            super().apply(obj)
            return {"metadata": {"resourceVersion": "41"}}

    applier = applier_for(NoGeneration())
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}}
    applier.apply(OWNER, service)
    assert applier.observed("Service", "shop", "web", {"metadata": {"resourceVersion": "41"}}, False) is None
    assert applier.observed("Service", "shop", "web", {"metadata": {"resourceVersion": "42"}}, False) == "web"


def test_forget_owner_drops_only_that_owners_objects() -> None:
    kube = RecordingKube()
    applier = applier_for(kube)
    api = {**OWNER, "metadata": {**OWNER["metadata"], "name": "api"}}
    applier.apply(OWNER, deployment(name="web"))
    applier.apply(api, deployment(name="api"))
    applier.forget_owner("shop", "web")
    applier.forget_owner("other-namespace", "api")  # same owner name elsewhere: not this one
    applier.apply(OWNER, deployment(name="web"))
    applier.apply(api, deployment(name="api"))
    assert applies(kube) == [
        ("apply", "Deployment", "web"),
        ("apply", "Deployment", "api"),
        ("apply", "Deployment", "web"),
    ]


# -- Executor: the order a plan is carried out in ------------------------------------------------


def full_plan() -> Plan:
    revision = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {"name": "web-2", "namespace": "shop"},
    }
    return Plan(
        create=[Creation(revision, exists_ok=False)],
        apply=[deployment()],
        patch=[Patch("apps/v1", "Deployment", "web-spot", {"spec": {"replicas": 0}})],
        delete=[Deletion("v1", "Pod", "web-a", "uid-a")],
        status={"runningCount": 1},
        delete_after_status=[Deletion("v1", "Pod", "web-b", "uid-b")],
        events=[
            Event(Reason.SERVICE_EVENT, "(service web) has reached a steady state."),
            Event(Reason.TASK_STOPPED, "task web-b stopped.", Severity.WARNING),
        ],
        requeue_after=12.0,
    )


def test_executor_runs_a_plan_in_order() -> None:
    kube = RecordingKube()
    outcome = executor_for(kube).execute(OWNER, full_plan())
    assert kube.ops == [
        ("create", "ControllerRevision", "web-2"),
        ("apply", "Deployment", "web"),
        ("patch", "Deployment", "shop", "web-spot", {"spec": {"replicas": 0}}),
        ("delete", "Pod", "shop", "web-a", "uid-a"),
        ("status", "ECSService", "shop", "web", {"status": {"runningCount": 1}}),
        ("delete", "Pod", "shop", "web-b", "uid-b"),
        ("event", "ServiceEvent", "(service web) has reached a steady state.", "Normal"),
        ("event", "TaskStopped", "task web-b stopped.", "Warning"),
    ]
    assert (outcome.requeue_after, outcome.gone) == (12.0, False)


def test_a_lost_create_race_drops_the_rest_of_the_plan() -> None:
    kube = RecordingKube(create_error=Conflict(409, "AlreadyExists", 'controllerrevisions "web-2" already exists'))
    plan = full_plan()
    outcome = executor_for(kube).execute(OWNER, plan)
    assert kube.ops == [("create", "ControllerRevision", "web-2")]
    assert outcome.requeue_after == plan.requeue_on_conflict == 0.2


def test_an_existing_object_we_made_earlier_is_fine() -> None:
    kube = RecordingKube(create_error=Conflict(409, "AlreadyExists", 'pods "etl-0" already exists'))
    plan = full_plan()
    plan.create = [Creation({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "etl-0"}}, exists_ok=True)]
    outcome = executor_for(kube).execute(OWNER, plan)
    assert [op[0] for op in kube.ops] == ["create", "apply", "patch", "delete", "status", "delete", "event", "event"]
    assert outcome.requeue_after == 12.0


def test_owner_gone_before_the_status_write_stops_there() -> None:
    kube = RecordingKube(status_error=NotFound(404, "NotFound", 'ecsservices "web" not found'))
    outcome = executor_for(kube).execute(OWNER, full_plan())
    assert [op[0] for op in kube.ops] == ["create", "apply", "patch", "delete", "status"]
    assert (outcome.requeue_after, outcome.gone) == (None, True)


def test_an_unchanged_status_is_not_written() -> None:
    kube = RecordingKube()
    plan = Plan(delete_after_status=[Deletion("v1", "Pod", "etl-0", None)], requeue_after=None)
    outcome = executor_for(kube).execute(OWNER, plan)
    assert kube.ops == [("delete", "Pod", "shop", "etl-0", None)]
    assert outcome.requeue_after is None


def test_a_patch_of_a_missing_object_is_skipped_and_an_event_failure_is_ignored() -> None:
    class Flaky(RecordingKube):
        def patch(self, *args: Any, **kw: Any) -> Obj:
            if kw.get("subresource") is None:
                self.ops.append(("patch-missing",))
                raise NotFound(404, "NotFound", "gone")
            return super().patch(*args, **kw)

        def create(self, obj: Obj) -> Obj:
            super().create(obj)
            raise KubeError("events are best effort")

    kube = Flaky()
    plan = Plan(
        patch=[Patch("batch/v1", "CronJob", "etl", {"spec": {"suspend": True}})],
        status={"lastStatus": "STOPPED"},
        events=[Event(Reason.TASK_EVENT, "stopped")],
        requeue_after=3.0,
    )
    outcome = executor_for(kube).execute(OWNER, plan)
    assert [op[0] for op in kube.ops] == ["patch-missing", "status", "event"]
    assert outcome.requeue_after == 3.0


def test_stop_waits_for_running_reconciles_within_its_grace_period(real_scheduler: Scheduler) -> None:
    started, release = threading.Event(), threading.Event()

    def reconcile(namespace: str, name: str) -> None:
        started.set()
        release.wait(WAIT)

    queue = WorkQueue("ECSService", reconcile, real_scheduler)
    queue.later("prod", "web", 0)
    assert started.wait(WAIT)
    assert real_scheduler.stop(grace=0.05) is False, "a reconcile is still running after the grace period"
    threading.Timer(0.1, release.set).start()
    assert real_scheduler.stop(grace=WAIT) is True, "it finished within the grace period"


def test_a_queue_runs_nothing_outside_the_namespaces_it_owns(scheduler: Scheduler) -> None:
    ran: list[str] = []
    owned = {"mine"}
    queue = WorkQueue("ECSService", lambda ns, name: ran.append(ns), scheduler, owns=lambda ns: ns in owned)
    queue.run("mine", "web")
    queue.run("theirs", "web")
    queue.later("theirs", "api", 0)
    assert ran == ["mine"] and scheduler.pending() == 0
