"""plan_service / plan_service_deletion: an ECSService's task stops, status, circuit breaker, pruning, requeue."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecs_operator.models import ECSServiceSpec, parse_cluster, parse_service, parse_task_definition
from ecs_operator.plan import Deletion, Patch, ServiceSnapshot, Severity, plan_service, plan_service_deletion
from ecs_operator.plan.service_status import failure_threshold, target_revision
from ecs_operator.plan.types import Reason
from ecs_operator.render.service import ServiceRender, render_service
from ecs_operator.vocabulary import LABEL_REVISION

# Service event texts: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html
# Circuit breaker: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
API_VERSION = "ecs.operator.dev/v1alpha1"

Obj = dict[str, Any]

WEB_TD = {
    "family": "web",
    "containerDefinitions": [
        {
            "name": "web",
            "image": "nginx:1.27",
            "memory": 256,
            "essential": True,
            "portMappings": [{"containerPort": 80}],
        },
        {"name": "log_router", "image": "fluent-bit", "memory": 64, "essential": False},
    ],
}
AGENT_TD = {
    "family": "log-agent",
    "networkMode": "host",
    "containerDefinitions": [{"name": "agent", "image": "amazon/cloudwatch-agent:latest", "memory": 256}],
}
SPLIT_CLUSTER = {
    "capacityProviders": ["on-demand", "spot"],
    "capacityProviderProfiles": [
        {"name": "on-demand", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng-od", "capacityType": "ON_DEMAND"},
        {"name": "spot", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng-spot", "capacityType": "SPOT"},
    ],
}
SPLIT = {
    "capacityProviderStrategy": [
        {"capacityProvider": "on-demand", "base": 1, "weight": 1},
        {"capacityProvider": "spot", "weight": 1},
    ]
}


@dataclass
class Service:
    body: Obj
    spec: ECSServiceSpec
    rendered: ServiceRender
    revision: int

    @property
    def template(self) -> Obj:
        return dict(self.rendered.objects[0]["spec"]["template"])


def service(
    td: Obj = WEB_TD,
    *,
    status: Obj | None = None,
    revision: int = 3,
    cluster_spec: Obj | None = None,
    name: str = "web",
    **raw: Any,
) -> Service:
    spec_raw = {"serviceName": name, "taskDefinition": f"{td['family']}:{revision}", **raw}
    if "schedulingStrategy" not in raw:
        spec_raw.setdefault("desiredCount", 2)
    body: Obj = {
        "apiVersion": API_VERSION,
        "kind": "ECSService",
        "metadata": {"name": name, "namespace": "shop", "uid": f"uid-{name}", "generation": 4},
        "spec": spec_raw,
    }
    if status is not None:
        body["status"] = status
    spec = parse_service(spec_raw)
    parsed = parse_task_definition(td)
    rendered = render_service(
        body,
        spec,
        parsed,
        family=parsed.family,
        revision=revision,
        cluster=spec.cluster_name,
        cluster_spec=parse_cluster(cluster_spec) if cluster_spec is not None else None,
        now=NOW,
    )
    return Service(body, spec, rendered, revision)


def with_status(svc: Service, status: Obj | None) -> Service:
    body = copy.deepcopy(svc.body)
    body["status"] = status
    return Service(body, svc.spec, svc.rendered, svc.revision)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def running(name: str) -> Obj:
    return {"name": name, "restartCount": 0, "state": {"running": {"startedAt": "2026-03-04T10:00:05Z"}}}


def exited(name: str, code: int) -> Obj:
    reason = "Completed" if code == 0 else "Error"
    return {
        "name": name,
        "restartCount": 0,
        "state": {"terminated": {"exitCode": code, "reason": reason, "finishedAt": "2026-03-04T10:29:00Z"}},
    }


def task(
    svc: Service,
    name: str,
    *,
    revision: int | None = None,
    ready: bool = True,
    statuses: list[Obj] | None = None,
    age: float = 1800,
    phase: str = "Running",
    deleting: bool = False,
) -> Obj:
    """A pod of the service as its workload's template makes it (labels, annotations, containers)."""
    template = svc.template
    meta = copy.deepcopy(template["metadata"])
    created = NOW - timedelta(seconds=age)
    meta.update(name=name, uid=f"uid-{name}", creationTimestamp=stamp(created))
    if revision is not None:
        meta["labels"][LABEL_REVISION] = str(revision)
    if deleting:
        meta["deletionTimestamp"] = "2026-03-04T10:29:59Z"
    containers = [c["name"] for c in template["spec"]["containers"]]
    return {
        "metadata": meta,
        "spec": {"nodeName": "n1", "containers": template["spec"]["containers"]},
        "status": {
            "phase": phase,
            # Ready since shortly after the pod was created (the kubelet stamps every transition).
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": stamp(created + timedelta(seconds=min(5.0, age))),
                }
            ],
            "containerStatuses": statuses if statuses is not None else [running(c) for c in containers],
        },
    }


def failing(svc: Service, name: str, *, code: int = 1, revision: int | None = None) -> Obj:
    return task(svc, name, revision=revision, ready=False, statuses=[exited("web", code), running("log-router")])


def snapshot(svc: Service, pods: list[Obj], *, now: datetime = NOW, **kw: Any) -> ServiceSnapshot:
    return ServiceSnapshot(
        body=svc.body,
        spec=svc.spec,
        family=svc.rendered.pod.template["metadata"]["labels"]["ecs.operator.dev/family"],
        revision=svc.revision,
        cluster=svc.spec.cluster_name,
        rendered=svc.rendered,
        pods=pods,
        now=now,
        **kw,
    )


def primary(status: Obj) -> Obj:
    return next(d for d in status["deployments"] if d["status"] == "PRIMARY")


def stop_events(plan: Any) -> list[Any]:
    return [e for e in plan.events if " has stopped 1 running tasks: " in e.message]


# -- steady state ----------------------------------------------------------------------------------


def test_steady_service_applies_its_objects_and_deletes_nothing() -> None:
    svc = service()
    plan = plan_service(snapshot(svc, [task(svc, "web-a"), task(svc, "web-b")]))
    assert plan.apply == svc.rendered.objects
    assert plan.delete == [] and plan.delete_after_status == [] and plan.patch == [] and plan.stopped == []
    assert plan.status is not None
    assert (plan.status["runningCount"], plan.status["desiredCount"], plan.status["status"]) == (2, 2, "ACTIVE")
    assert primary(plan.status)["rolloutState"] == "COMPLETED"
    assert plan.status["lastCompletedRevision"] == 3
    assert plan.status["workloads"] == ["web"]
    messages = [e.message for e in plan.events]
    assert "(service web) has reached a steady state." in messages
    assert all(e.severity is Severity.NORMAL for e in plan.events)
    assert not [m for m in messages if "stopped" in m or "unable" in m]


def test_steady_service_writes_its_status_once() -> None:
    svc = service()
    pods = [task(svc, "web-a"), task(svc, "web-b")]
    first = plan_service(snapshot(svc, pods))
    assert first.status is not None
    again = plan_service(snapshot(with_status(svc, first.status), pods, now=NOW + timedelta(minutes=10)))
    assert again.status is None  # nothing a reader would see changed: no write
    assert again.events == [] and again.delete == []


def test_a_status_that_carried_a_problem_is_rewritten() -> None:
    svc = service()
    pods = [task(svc, "web-a"), task(svc, "web-b")]
    first = plan_service(snapshot(svc, pods))
    assert first.status is not None
    broken = with_status(svc, {**first.status, "problem": "taskDefinition: TaskDefinition web not found"})
    again = plan_service(snapshot(broken, pods))
    assert again.status is not None and again.status["problem"] is None


# -- tasks that stop -----------------------------------------------------------------------------


def test_failed_task_is_deleted_reported_and_counted() -> None:
    svc = service()
    plan = plan_service(snapshot(svc, [task(svc, "web-a"), failing(svc, "web-b")]))
    assert plan.delete == [Deletion("v1", "Pod", "web-b", "uid-web-b")]
    assert plan.stopped == ["EssentialContainerExited"]  # ecs_operator_stopped_tasks_total
    events = stop_events(plan)
    assert len(events) == 1
    assert events[0].message == (
        "(service web) has stopped 1 running tasks: (task web-b) EssentialContainerExited: "
        "Essential container in task exited (container web exit code 1)."
    )
    assert events[0].severity is Severity.WARNING and events[0].reason is Reason.SERVICE_EVENT
    assert plan.status is not None
    assert primary(plan.status)["failedTasks"] == 1
    assert plan.status["runningCount"] == 1  # the stopped task is not counted
    assert plan.status["events"][-1]["message"] == events[0].message


def test_clean_exit_is_replaced_but_not_a_failure() -> None:
    svc = service()
    plan = plan_service(snapshot(svc, [task(svc, "web-a"), failing(svc, "web-b", code=0)]))
    assert plan.delete == [Deletion("v1", "Pod", "web-b", "uid-web-b")]
    [event] = stop_events(plan)
    assert event.severity is Severity.NORMAL
    assert "(container web exit code 0)" in event.message
    assert plan.status is not None and primary(plan.status)["failedTasks"] == 0


def test_only_failures_of_the_current_revision_count_against_its_deployment() -> None:
    # The circuit breaker counts the tasks of the deployment being rolled out.
    svc = service(revision=3)
    plan = plan_service(
        snapshot(svc, [failing(svc, "web-old", revision=2), failing(svc, "web-new", revision=3), task(svc, "web-a")])
    )
    assert {d.name for d in plan.delete} == {"web-old", "web-new"}
    assert len(stop_events(plan)) == 2
    assert plan.status is not None and primary(plan.status)["failedTasks"] == 1


def test_failed_tasks_accumulate_over_reconciles() -> None:
    svc = service()
    first = plan_service(snapshot(svc, [task(svc, "web-a"), failing(svc, "web-b")]))
    assert first.status is not None
    second = plan_service(snapshot(with_status(svc, first.status), [task(svc, "web-a"), failing(svc, "web-c")]))
    assert second.status is not None and primary(second.status)["failedTasks"] == 2


def test_a_pod_already_being_deleted_is_not_deleted_again() -> None:
    svc = service()
    gone = task(svc, "web-b", deleting=True, statuses=[exited("web", 1), running("log-router")])
    plan = plan_service(snapshot(svc, [task(svc, "web-a"), gone]))
    assert plan.delete == [] and stop_events(plan) == []


def test_image_pull_failure_on_a_service_task_fails_it_at_once() -> None:
    svc = service()
    message = 'Back-off pulling image "nginx:1.27"'
    pulling = task(
        svc,
        "web-b",
        ready=False,
        phase="Pending",
        age=5,  # far inside the 300 s start timeout: a pull failure does not wait for it
        statuses=[
            {"name": "web", "state": {"waiting": {"reason": "ImagePullBackOff", "message": message}}},
            running("log-router"),
        ],
    )
    plan = plan_service(snapshot(svc, [task(svc, "web-a"), pulling]))
    assert plan.delete == [Deletion("v1", "Pod", "web-b", "uid-web-b")]
    [event] = stop_events(plan)
    assert event.message == (
        "(service web) has stopped 1 running tasks: (task web-b) "
        f"TaskFailedToStart: CannotPullContainerError: {message}."
    )
    assert event.severity is Severity.WARNING
    assert plan.status is not None and primary(plan.status)["failedTasks"] == 1


def test_unhealthy_past_the_grace_period_is_replaced() -> None:
    svc = service(healthCheckGracePeriodSeconds=60)
    slow = task(svc, "web-b", ready=False, age=61)
    plan = plan_service(snapshot(svc, [task(svc, "web-a"), slow]))
    [event] = stop_events(plan)
    assert event.message.endswith("(task web-b) TaskFailedToStart: Task failed to become healthy within 60s.")
    assert plan.delete == [Deletion("v1", "Pod", "web-b", "uid-web-b")]


# -- dependencies ----------------------------------------------------------------------------------

MISSING = "Secret shop/db not found (key password)"


def test_dependency_problem_is_reported_once_and_rechecked_soon() -> None:
    svc = service()
    pods = [task(svc, "web-a"), task(svc, "web-b")]
    first = plan_service(snapshot(svc, pods, dependency_problems=[MISSING]))
    text = f"(service web) was unable to start tasks: {MISSING}"
    warnings = [e for e in first.events if e.message == text]
    assert len(warnings) == 1 and warnings[0].severity is Severity.WARNING
    assert first.status is not None
    assert first.status["dependencyProblems"] == [MISSING]
    assert first.status["events"][0]["message"] == text  # newest first
    assert first.requeue_after is not None and first.requeue_after <= 10
    again = plan_service(snapshot(with_status(svc, first.status), pods, dependency_problems=[MISSING]))
    assert [e for e in again.events if e.message == text] == []
    assert again.requeue_after is not None and again.requeue_after <= 10
    fixed = plan_service(snapshot(with_status(svc, first.status), pods))
    assert fixed.status is not None and fixed.status["dependencyProblems"] is None


def test_a_second_dependency_problem_is_reported_on_its_own() -> None:
    svc = service()
    pods = [task(svc, "web-a")]
    first = plan_service(snapshot(svc, pods, dependency_problems=[MISSING]))
    other = "ConfigMap shop/nginx not found"
    second = plan_service(snapshot(with_status(svc, first.status), pods, dependency_problems=[MISSING, other]))
    assert [e.message for e in second.events if "unable to start tasks" in e.message] == [
        f"(service web) was unable to start tasks: {other}"
    ]


# -- circuit breaker -----------------------------------------------------------------------------


# ECS: the threshold is 0.5 * desiredCount, at least 3 and at most 200
# (API reference, ServiceDeploymentCircuitBreaker.threshold).
@pytest.mark.parametrize(("desired", "threshold"), [(1, 3), (4, 3), (7, 4), (20, 10), (21, 11), (500, 200)])
def test_failure_threshold(desired: int, threshold: int) -> None:
    assert failure_threshold(desired) == threshold


def rolling_out(
    *, failed_before: int, last_completed: int | None, desired: int = 1, enable: bool = True, rollback: bool = True
) -> Service:
    """Revision 3 is rolling out over revision 2; `failed_before` of its tasks already failed."""
    status = {
        "deployments": [
            {
                "id": "ecs-svc/3",
                "taskDefinitionRevision": 3,
                "status": "PRIMARY",
                "createdAt": "2026-03-04T10:00:00Z",
                "failedTasks": failed_before,
                "rolloutState": "IN_PROGRESS",
                "rolloutStateReason": "ECS deployment in progress.",
            },
            {"id": "ecs-svc/2", "taskDefinitionRevision": 2, "status": "ACTIVE", "createdAt": "2026-03-01T00:00:00Z"},
        ],
        "lastCompletedRevision": last_completed,
    }
    return service(
        status=status,
        desiredCount=desired,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": enable, "rollback": rollback}},
    )


ROLLBACK = {"fromRevision": 3, "toRevision": 2}

# (failures short of the threshold before this round, failing now, desired, breaker on, rollback on,
# last completed revision) -> (rolloutState, rollback chosen). The rows hold whatever the threshold is;
# test_failure_threshold pins its value.
BREAKER_CASES = [
    pytest.param(2, 1, 1, True, True, 2, "IN_PROGRESS", None, id="one-short"),
    pytest.param(1, 1, 1, True, True, 2, "FAILED", ROLLBACK, id="at-threshold"),
    pytest.param(1, 2, 1, True, True, 2, "FAILED", ROLLBACK, id="past-threshold"),
    pytest.param(1, 1, 1, True, False, 2, "FAILED", None, id="no-rollback-configured"),
    pytest.param(1, 1, 1, True, True, None, "FAILED", None, id="nothing-completed-to-roll-back-to"),
    pytest.param(1, 1, 1, True, True, 3, "FAILED", None, id="last-completed-is-this-revision"),
    pytest.param(1, 1, 1, False, False, 2, "IN_PROGRESS", None, id="breaker-off"),
    pytest.param(2, 1, 20, True, True, 2, "IN_PROGRESS", None, id="desired-20-one-short"),
    pytest.param(1, 1, 20, True, True, 2, "FAILED", ROLLBACK, id="desired-20-at-threshold"),
    pytest.param(2, 1, 500, True, True, 2, "IN_PROGRESS", None, id="desired-500-one-short"),
    pytest.param(1, 1, 500, True, True, 2, "FAILED", ROLLBACK, id="desired-500-at-threshold"),
]


@pytest.mark.parametrize(
    ("short", "now_failing", "desired", "enable", "rollback", "last", "state", "chosen"), BREAKER_CASES
)
def test_circuit_breaker(
    short: int,
    now_failing: int,
    desired: int,
    enable: bool,
    rollback: bool,
    last: int | None,
    state: str,
    chosen: Obj | None,
) -> None:
    before = failure_threshold(desired) - short
    svc = rolling_out(failed_before=before, last_completed=last, desired=desired, enable=enable, rollback=rollback)
    pods = [failing(svc, f"web-f{i}") for i in range(now_failing)] + [task(svc, "web-old", revision=2)]
    plan = plan_service(snapshot(svc, pods))
    assert plan.status is not None
    deployment = primary(plan.status)
    assert (deployment["failedTasks"], deployment["rolloutState"]) == (before + now_failing, state)
    assert plan.status["rollback"] == chosen
    tripped = [e for e in plan.events if e.message.endswith("deployment failed: tasks failed to start.")]
    assert len(tripped) == (1 if state == "FAILED" else 0)
    degraded = next(c for c in plan.status["conditions"] if c["type"] == "Degraded")
    assert degraded["status"] == ("True" if state == "FAILED" else "False")
    if chosen is not None:
        # The rollback target is applied right away, and the next reconcile resolves to it.
        assert plan.requeue_after == 0.1
        assert target_revision(3, plan.status) == chosen["toRevision"]
    else:
        assert plan.requeue_after != 0.1
        assert target_revision(3, plan.status) == 3


def test_rolled_back_revision_requeues_normally_and_announces_the_rollback() -> None:
    svc = rolling_out(failed_before=failure_threshold(1) - 1, last_completed=2)
    tripped = plan_service(snapshot(svc, [failing(svc, "web-f")]))
    assert tripped.status is not None and tripped.status["rollback"] == {"fromRevision": 3, "toRevision": 2}
    back = with_status(service(revision=2, desiredCount=1), tripped.status)
    plan = plan_service(snapshot(back, [task(back, "web-old")]))
    assert plan.requeue_after == 30.0
    assert plan.status is not None and primary(plan.status)["taskDefinitionRevision"] == 2
    assert any("rolling back to deployment" in e.message for e in plan.events)


def test_a_failed_deployment_stays_failed_and_is_announced_once() -> None:
    svc = rolling_out(failed_before=failure_threshold(1) - 1, last_completed=None)
    first = plan_service(snapshot(svc, [failing(svc, "web-f1")]))
    assert first.status is not None and primary(first.status)["rolloutState"] == "FAILED"
    second = plan_service(snapshot(with_status(svc, first.status), [failing(svc, "web-f2")]))
    assert second.status is not None and primary(second.status)["rolloutState"] == "FAILED"
    assert not [e for e in second.events if "deployment failed" in e.message]


# -- DAEMON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("daemon_desired", "desired"), [(3, 3), (0, 0), (None, 0)])
def test_daemon_desired_count_is_the_daemonsets(daemon_desired: int | None, desired: int) -> None:
    svc = service(AGENT_TD, name="log-agent", revision=4, schedulingStrategy="DAEMON", launchType="EC2")
    assert svc.rendered.objects[0]["kind"] == "DaemonSet"
    pods = [task(svc, f"log-agent-{i}") for i in range(3)]
    plan = plan_service(snapshot(svc, pods, daemon_desired=daemon_desired))
    assert plan.status is not None
    assert plan.status["desiredCount"] == desired and primary(plan.status)["desiredCount"] == desired
    assert plan.status["runningCount"] == 3
    assert primary(plan.status)["rolloutState"] == ("COMPLETED" if desired == 3 else "IN_PROGRESS")


# -- pruning ---------------------------------------------------------------------------------------


def test_workloads_no_longer_rendered_are_deleted() -> None:
    # A capacity-provider split became a single Deployment: the per-provider ones go.
    svc = service()
    existing = [("Deployment", "web"), ("Deployment", "web-on-demand"), ("Deployment", "web-spot")]
    plan = plan_service(snapshot(svc, [task(svc, "web-a")], existing_workloads=existing))
    assert plan.delete == [
        Deletion("apps/v1", "Deployment", "web-on-demand"),
        Deletion("apps/v1", "Deployment", "web-spot"),
    ]


def test_split_to_single_workload_is_pruned_the_other_way_too() -> None:
    svc = service(cluster_spec=SPLIT_CLUSTER, **SPLIT)
    assert svc.rendered.workload_names == ["web-on-demand", "web-spot"]
    plan = plan_service(snapshot(svc, [], existing_workloads=[("Deployment", "web"), ("Deployment", "web-spot")]))
    assert plan.delete == [Deletion("apps/v1", "Deployment", "web")]
    assert plan.status is not None and plan.status["workloads"] == ["web-on-demand", "web-spot"]


def test_nothing_is_pruned_when_the_workload_set_is_unknown() -> None:
    svc = service()
    assert plan_service(snapshot(svc, [task(svc, "web-a")], existing_workloads=None)).delete == []


AUTOSCALING = {
    "minCapacity": 1,
    "maxCapacity": 4,
    "targetTrackingScalingPolicies": [
        {
            "policyName": "cpu60",
            "targetValue": 60,
            "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
        }
    ],
}


@pytest.mark.parametrize(
    ("configured", "previously", "deleted"),
    [
        pytest.param(False, True, True, id="removed"),
        pytest.param(False, False, False, id="never-configured"),
        pytest.param(True, True, False, id="still-configured"),
    ],
)
def test_autoscaling_removed_deletes_the_hpa(configured: bool, previously: bool, deleted: bool) -> None:
    raw = {"autoScaling": AUTOSCALING} if configured else {}
    previous = {"autoScaling": {"minCapacity": 1, "maxCapacity": 4}} if previously else {}
    svc = service(status=previous, **raw)
    plan = plan_service(snapshot(svc, [task(svc, "web-a")]))
    hpa = Deletion("autoscaling/v2", "HorizontalPodAutoscaler", "web")
    assert (hpa in plan.delete) is deleted
    assert plan.status is not None and (plan.status["autoScaling"] is not None) is configured


# -- when to look again ------------------------------------------------------------------------


# A task that is not healthy yet is looked at again just after it would cross its start timeout
# (+0.5 s); otherwise the service resyncs every 30 s.
@pytest.mark.parametrize(
    ("grace", "ages", "ready", "requeue"),
    [
        pytest.param(120, [100], False, 20.5, id="activating-20s-left"),
        pytest.param(120, [119], False, 1.5, id="activating-1s-left"),
        pytest.param(120, [50, 100], False, 20.5, id="soonest-of-two"),
        pytest.param(None, [10], False, 30.0, id="default-300s-timeout-beyond-resync"),
        pytest.param(None, [290], False, 10.5, id="default-300s-timeout-10s-left"),
        pytest.param(120, [100], True, 30.0, id="running-resyncs"),
    ],
)
def test_requeue_at_the_start_timeout(grace: int | None, ages: list[int], ready: bool, requeue: float) -> None:
    raw = {"healthCheckGracePeriodSeconds": grace} if grace is not None else {}
    svc = service(**raw)
    pods = [task(svc, f"web-{i}", ready=ready, age=age) for i, age in enumerate(ages)]
    plan = plan_service(snapshot(svc, pods))
    assert plan.delete == []
    assert plan.requeue_after == pytest.approx(requeue)


def test_an_add_on_api_recheck_shortens_the_requeue() -> None:
    svc = service()
    assert plan_service(snapshot(svc, [task(svc, "web-a")], api_recheck=7.0)).requeue_after == 7.0


# -- deletion --------------------------------------------------------------------------------------


def deletion_case(kind: str) -> tuple[Obj, list[tuple[str, str]]]:
    if kind == "deployment":
        svc = service()
    elif kind == "split":
        svc = service(cluster_spec=SPLIT_CLUSTER, **SPLIT)
    else:
        svc = service(AGENT_TD, name="log-agent", revision=4, schedulingStrategy="DAEMON", launchType="EC2")
    workloads = [(o["kind"], o["metadata"]["name"]) for o in svc.rendered.objects if o["kind"] != "Service"]
    return svc.body, [w for w in workloads if w[0] in ("Deployment", "DaemonSet")]


# ECS DeleteService: the service is DRAINING while its tasks stop (desiredCount 0).
@pytest.mark.parametrize(
    ("kind", "patched", "deleted"),
    [
        pytest.param("deployment", ["web"], [], id="one-deployment"),
        pytest.param("split", ["web-on-demand", "web-spot"], [], id="capacity-provider-split"),
        pytest.param("daemon", [], ["log-agent"], id="daemonset"),
    ],
)
@pytest.mark.parametrize("stopping", [0, 2])
def test_service_deletion_drains(kind: str, patched: list[str], deleted: list[str], stopping: int) -> None:
    body, workloads = deletion_case(kind)
    assert sorted(w for _, w in workloads) == sorted(patched + deleted)
    pods = [{"metadata": {"name": f"p{i}", "uid": f"u{i}"}} for i in range(stopping)]
    plan, left = plan_service_deletion(body, workloads, pods)
    assert left == stopping
    assert plan.patch == [Patch("apps/v1", "Deployment", name, {"spec": {"replicas": 0}}) for name in patched]
    assert plan.delete == [Deletion("apps/v1", "DaemonSet", name) for name in deleted]
    assert plan.apply == []  # a patch of replicas, never a re-apply of the whole workload
    assert plan.status == {"status": "DRAINING", "desiredCount": 0}


def test_started_tasks_are_announced_once() -> None:
    """ECS: "(service S) has started N tasks: (task a) (task b)." once per task, never again."""
    svc = service()
    pods = [task(svc, "web-a"), task(svc, "web-b")]
    first = plan_service(snapshot(svc, pods))
    started = [e.message for e in first.events if "has started" in e.message]
    assert started == ["(service web) has started 2 tasks: (task web-a) (task web-b)."]
    assert first.status is not None
    again = plan_service(snapshot(service(status=first.status), pods))
    assert [e for e in again.events if "has started" in e.message] == []
    more = plan_service(snapshot(service(status=first.status), [*pods, task(svc, "web-c")]))
    assert [e.message for e in more.events if "has started" in e.message] == [
        "(service web) has started 1 tasks: (task web-c)."
    ]
