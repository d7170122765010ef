"""Golden files for the status each pure plan function writes.

test_workload_golden.py pins what a reconcile applies; this module pins what it reports: the
``status`` of the Plan that plan_service, plan_task, plan_cluster and plan_task_definition return
for representative rounds: a steady service, a rollout, a circuit-breaker rollback and the round
after it, a RunTask, a scheduled task, a cluster of two nodes, two TaskDefinition registrations.

Inputs are built below with fixed owners, uids and clocks. Rounds that only produce the previous
status a case starts from run at fixed earlier times; the round each file pins runs at ``NOW``, so
a timestamp in a file is either ``NOW`` or carried over from an input or an earlier round (each
case asserts which). Each status is dumped with sorted keys and compared byte for byte with
``golden/statuses/<case>.yaml``. Refresh with ``pytest tests/unit/test_status_golden.py
--update-golden`` and review the diff.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecs_operator.models import ECSServiceSpec, parse_cluster, parse_service, parse_task, parse_task_definition
from ecs_operator.plan import (
    Plan,
    RevisionSeen,
    ServiceSnapshot,
    TaskSnapshot,
    plan_cluster,
    plan_service,
    plan_task,
    plan_task_definition,
)
from ecs_operator.plan.service import STEADY_STATE_SECONDS
from ecs_operator.plan.service_status import target_revision
from ecs_operator.plan.task_status import ARN_PREFIX
from ecs_operator.render.serialize import to_yaml
from ecs_operator.render.service import ServiceRender, render_service
from ecs_operator.render.task import TaskRender, render_task
from ecs_operator.vocabulary import LABEL_CLUSTER, LABEL_REVISION

GOLDEN = Path(__file__).parent / "golden" / "statuses"
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
API_VERSION = "ecs.operator.dev/v1alpha1"
RETENTION = 3600.0  # seconds a stopped task stays in status (about the hour ECS keeps one)

Obj = dict[str, Any]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sorted_keys(value: Any) -> Any:
    """A copy with every mapping's keys in order (lists keep theirs: their order means something)."""
    if isinstance(value, dict):
        return {key: sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_keys(item) for item in value]
    return value


def dump(status: Obj) -> str:
    return to_yaml(sorted_keys(status))


def written(plan: Callable[[], Plan]) -> Obj:
    """The status a plan writes, planned twice from the same inputs: both times the same."""
    first, second = plan(), plan()
    assert first.status is not None, "the plan writes no status"
    assert second.status is not None, "planning again wrote no status"
    assert dump(first.status) == dump(second.status), "planning twice from the same inputs differed"
    return first.status


def running(name: str, started: datetime) -> Obj:
    return {"name": name, "restartCount": 0, "ready": True, "state": {"running": {"startedAt": stamp(started)}}}


def exited(name: str, code: int, started: datetime, finished: datetime) -> Obj:
    return {
        "name": name,
        "restartCount": 0,
        "ready": False,
        "state": {
            "terminated": {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": stamp(started),
                "finishedAt": stamp(finished),
            }
        },
    }


def pod_status(phase: str, statuses: list[Obj], *, ready_at: datetime | None, since: datetime) -> Obj:
    """A pod's status as the kubelet writes it: Ready True from ``ready_at``, else False since ``since``."""
    ready = {
        "type": "Ready",
        "status": "True" if ready_at is not None else "False",
        "lastTransitionTime": stamp(ready_at or since),
    }
    return {"phase": phase, "conditions": [ready], "containerStatuses": statuses}


def conditions(status: Obj) -> dict[str, tuple[str, str]]:
    """type -> (status, lastTransitionTime)."""
    return {c["type"]: (c["status"], c["lastTransitionTime"]) for c in status["conditions"]}


NODE_A = "ip-10-0-1-23.ec2.internal"
NODE_B = "ip-10-0-2-41.ec2.internal"

# -- ECSService ------------------------------------------------------------------------------------

SERVICE_UID = "5f0c8a1e-0000-4000-8000-000000000011"
SERVICE_CREATED = "2026-03-01T09:00:00Z"


def web_td(image: str) -> Obj:
    return {
        "family": "web",
        "networkMode": "awsvpc",
        "containerDefinitions": [
            {
                "name": "web",
                "image": image,
                "cpu": 256,
                "memory": 512,
                "essential": True,
                "portMappings": [{"containerPort": 80, "name": "http"}],
            },
            {
                "name": "log_router",
                "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
                "memory": 64,
                "essential": False,
            },
        ],
    }


WEB_TDS = {3: web_td("public.ecr.aws/nginx/nginx:1.27"), 4: web_td("public.ecr.aws/nginx/nginx:1.28")}
GENERATION = {3: 1, 4: 2}  # the ECSService's spec asked for web:3, then was edited to web:4


@dataclass(frozen=True)
class Service:
    body: Obj
    spec: ECSServiceSpec
    rendered: ServiceRender
    revision: int


def web_service(revision: int, *, requested: int | None = None, status: Obj | None = None) -> Service:
    """The ECSService ``web`` asking for ``web:<requested>``, rendered at ``revision`` (what it resolved to)."""
    asked = requested or revision
    raw = {
        "serviceName": "web",
        "cluster": "prod",
        "taskDefinition": f"web:{asked}",
        "desiredCount": 2,
        "launchType": "EC2",
        "deploymentConfiguration": {
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
    }
    body: Obj = {
        "apiVersion": API_VERSION,
        "kind": "ECSService",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": SERVICE_UID,
            "generation": GENERATION[asked],
            "creationTimestamp": SERVICE_CREATED,
        },
        "spec": raw,
    }
    if status is not None:
        body["status"] = copy.deepcopy(status)
    spec = parse_service(raw)
    td = parse_task_definition(WEB_TDS[revision])
    rendered = render_service(
        body, spec, td, family="web", revision=revision, cluster=spec.cluster_name, cluster_spec=None, now=NOW
    )
    return Service(body, spec, rendered, revision)


def web_task(
    svc: Service,
    name: str,
    *,
    created: datetime,
    ready_at: datetime | None = None,
    statuses: list[Obj] | None = None,
    node: str = NODE_A,
) -> Obj:
    """A pod of the service's Deployment as its template makes it (labels, annotations, containers)."""
    template = svc.rendered.objects[0]["spec"]["template"]
    meta = copy.deepcopy(template["metadata"])
    meta.update(name=name, namespace="shop", uid=f"uid-{name}", creationTimestamp=stamp(created))
    containers = copy.deepcopy(template["spec"]["containers"])
    started = created + timedelta(seconds=3)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {**copy.deepcopy(template["spec"]), "nodeName": node, "containers": containers},
        "status": pod_status(
            "Running",
            statuses if statuses is not None else [running(c["name"], started) for c in containers],
            ready_at=ready_at,
            since=created,
        ),
    }


def failed_web_task(svc: Service, name: str, *, created: datetime, node: str = NODE_A) -> Obj:
    """Its essential container started, then exited with code 1 (the log router still runs)."""
    started = created + timedelta(seconds=3)
    statuses = [exited("web", 1, started, created + timedelta(seconds=30)), running("log-router", started)]
    return web_task(svc, name, created=created, statuses=statuses, node=node)


TASKS_STARTED = NOW - timedelta(hours=1)
REV3_TASKS = ("web-5b8f6c7d9-x2kqp", "web-5b8f6c7d9-q7wzm")


def rev3_tasks() -> list[Obj]:
    """The service's two revision-3 tasks: RUNNING and healthy for an hour, one on each node."""
    svc = web_service(3)
    ready = TASKS_STARTED + timedelta(seconds=8)
    return [
        web_task(svc, REV3_TASKS[0], created=TASKS_STARTED, ready_at=ready, node=NODE_A),
        web_task(svc, REV3_TASKS[1], created=TASKS_STARTED, ready_at=ready, node=NODE_B),
    ]


def service_round(svc: Service, pods: list[Obj], now: datetime) -> Obj:
    snapshot = ServiceSnapshot(
        body=svc.body,
        spec=svc.spec,
        family="web",
        revision=svc.revision,
        cluster=svc.spec.cluster_name,
        rendered=svc.rendered,
        pods=pods,
        now=now,
    )
    return written(lambda: plan_service(snapshot))


def deployments(status: Obj) -> list[tuple[Any, ...]]:
    keys = ("status", "taskDefinitionRevision", "rolloutState", "desiredCount", "runningCount", "pendingCount")
    return [tuple(d.get(k) for k in keys) for d in status["deployments"]]


def messages(status: Obj) -> list[str]:
    return [e["message"] for e in status["events"]]


STEADY_AT = NOW - timedelta(minutes=20)  # the rounds below start from revision 3 steady at this time


def service_steady() -> Obj:
    assert (NOW - TASKS_STARTED).total_seconds() > STEADY_STATE_SECONDS  # healthy past the steady-state window
    status = service_round(web_service(3), rev3_tasks(), NOW)
    assert (status["status"], status["taskDefinition"], status["observedGeneration"]) == ("ACTIVE", "web:3", 1)
    assert (status["desiredCount"], status["runningCount"], status["pendingCount"]) == (2, 2, 0)
    assert deployments(status) == [("PRIMARY", 3, "COMPLETED", 2, 2, 0)]
    [primary] = status["deployments"]
    assert (primary["createdAt"], primary["updatedAt"], primary["failedTasks"]) == (stamp(NOW), stamp(NOW), 0)
    assert (status["lastCompletedRevision"], status["rollback"]) == (3, None)
    assert conditions(status) == {
        "Ready": ("True", stamp(NOW)),
        "Progressing": ("False", stamp(NOW)),
        "Degraded": ("False", stamp(NOW)),
    }
    assert messages(status) == [  # newest first
        "(service web) has reached a steady state.",
        f"(service web) (deployment {primary['id']}) deployment completed.",
        "(service web) has started 2 tasks: (task web-5b8f6c7d9-q7wzm) (task web-5b8f6c7d9-x2kqp).",
    ]
    assert {e["createdAt"] for e in status["events"]} == {stamp(NOW)}
    assert len({e["id"] for e in status["events"]}) == len(status["events"])
    return status


def service_rollout() -> Obj:
    steady = service_round(web_service(3), rev3_tasks(), STEADY_AT)
    v4 = web_service(4, status=steady)
    starting = web_task(v4, "web-6c9d8f4b7-m4ntr", created=NOW - timedelta(seconds=20), node=NODE_A)
    status = service_round(v4, [*rev3_tasks(), starting], NOW)
    assert (status["taskDefinition"], status["observedGeneration"]) == ("web:4", 2)
    assert (status["desiredCount"], status["runningCount"], status["pendingCount"]) == (2, 2, 1)
    assert deployments(status) == [("PRIMARY", 4, "IN_PROGRESS", 2, 0, 1), ("ACTIVE", 3, "COMPLETED", 0, 2, 0)]
    primary, active = status["deployments"]
    assert primary["createdAt"] == stamp(NOW)
    # The revision-3 deployment is the one the steady round wrote: same id, same creation time.
    assert (active["id"], active["createdAt"]) == (steady["deployments"][0]["id"], stamp(STEADY_AT))
    assert primary["id"] != active["id"]
    assert primary["circuitBreaker"] == {"status": "MONITORING", "failureCount": 0, "threshold": 3}
    assert status["lastCompletedRevision"] == 3
    assert conditions(status) == {
        "Ready": ("False", stamp(NOW)),
        "Progressing": ("True", stamp(NOW)),
        "Degraded": ("False", stamp(STEADY_AT)),  # False since the steady round: no transition
    }
    return status


def breaker_rounds() -> tuple[Obj, Obj]:
    """Revision 4 rolls out over a steady revision 3 and its tasks keep failing: two in earlier rounds,
    the third (the threshold for 2 desired tasks: at least 3) trips the breaker at NOW; the round after
    it runs revision 3 again."""
    steady = service_round(web_service(3), rev3_tasks(), STEADY_AT)
    statuses = [steady]
    failing = ("web-6c9d8f4b7-m4ntr", "web-6c9d8f4b7-b9tlk", "web-6c9d8f4b7-zp5vd")
    rounds = (NOW - timedelta(minutes=10), NOW - timedelta(minutes=5), NOW)
    for name, now in zip(failing, rounds, strict=True):
        v4 = web_service(4, status=statuses[-1])
        task = failed_web_task(v4, name, created=now - timedelta(seconds=40))
        statuses.append(service_round(v4, [*rev3_tasks(), task], now))
    before, failed = statuses[-2:]  # the status the tripping round starts from, and the one it writes
    primary = before["deployments"][0]
    assert (primary["status"], primary["taskDefinitionRevision"], primary["rolloutState"]) == (
        "PRIMARY",
        4,
        "IN_PROGRESS",
    )
    assert (primary["failedTasks"], before["lastCompletedRevision"]) == (2, 3)

    back_to = target_revision(4, failed)
    assert back_to == 3  # the handler resolves the rollback target, though the spec still asks for web:4
    rolled_back = service_round(web_service(back_to, requested=4, status=failed), rev3_tasks(), NOW)
    return failed, rolled_back


def service_circuit_breaker_failed() -> Obj:
    status, _ = breaker_rounds()
    assert status["taskDefinition"] == "web:4"
    assert deployments(status) == [("PRIMARY", 4, "FAILED", 2, 0, 0), ("ACTIVE", 3, "COMPLETED", 0, 2, 0)]
    primary = status["deployments"][0]
    assert primary["failedTasks"] == 3
    assert primary["circuitBreaker"] == {"status": "TRIGGERED", "failureCount": 3, "threshold": 3}
    assert primary["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert status["rollback"] == {"fromRevision": 4, "toRevision": 3}
    assert status["lastCompletedRevision"] == 3
    assert conditions(status)["Degraded"] == ("True", stamp(NOW))
    assert messages(status)[:2] == [
        f"(service web) (deployment {primary['id']}) deployment failed: tasks failed to start.",
        "(service web) has stopped 1 running tasks: (task web-6c9d8f4b7-zp5vd) EssentialContainerExited: "
        "Essential container in task exited (container web exit code 1).",
    ]
    return status


def service_circuit_breaker_rolled_back() -> Obj:
    failed, status = breaker_rounds()
    assert (status["taskDefinition"], status["observedGeneration"]) == ("web:3", 2)
    assert (status["desiredCount"], status["runningCount"], status["pendingCount"]) == (2, 2, 0)
    assert deployments(status) == [("PRIMARY", 3, "COMPLETED", 2, 2, 0)]  # services-stable: one deployment
    (primary,) = status["deployments"]
    inactive = next(d for d in status["deploymentHistory"] if d["taskDefinitionRevision"] == 4)
    assert (inactive["status"], inactive["rolloutState"]) == ("INACTIVE", "FAILED")
    # The failed deployment stays visible in the history as it was (its id, creation, failure count);
    # the rollback is a new deployment of revision 3.
    was = failed["deployments"][0]
    assert (inactive["id"], inactive["createdAt"], inactive["failedTasks"]) == (was["id"], was["createdAt"], 3)
    assert primary["id"] not in (was["id"], failed["deployments"][1]["id"])
    assert primary["createdAt"] == stamp(NOW)
    assert status["lastCompletedRevision"] == 3
    assert status["rollback"] == {"fromRevision": 4, "toRevision": 3, "announced": True}
    assert conditions(status) == {
        "Ready": ("True", stamp(NOW)),
        "Progressing": ("False", stamp(NOW)),
        "Degraded": ("False", stamp(NOW)),
    }
    assert messages(status)[:3] == [
        "(service web) has reached a steady state.",
        f"(service web) (deployment {primary['id']}) deployment completed.",
        f"(service web) (deployment {was['id']}) rolling back to deployment {primary['id']}.",
    ]
    return status


# -- ECSTask ---------------------------------------------------------------------------------------

RUN_TASK_UID = "5f0c8a1e-0000-4000-8000-000000000021"
SCHEDULED_UID = "5f0c8a1e-0000-4000-8000-000000000022"

ETL_TD = parse_task_definition(
    {
        "family": "etl",
        "containerDefinitions": [
            {
                "name": "app",
                "image": "registry.example.com/etl:1.4.0",
                "cpu": 256,
                "memory": 512,
                "essential": True,
                "command": ["run", "--incremental"],
            },
            {"name": "log_router", "image": "fluent-bit", "memory": 64, "essential": False},
        ],
    }
)


def etl_owner(name: str, uid: str, raw: Obj, *, status: Obj | None = None) -> Obj:
    body: Obj = {
        "apiVersion": API_VERSION,
        "kind": "ECSTask",
        "metadata": {
            "name": name,
            "namespace": "data",
            "uid": uid,
            "generation": 1,
            "creationTimestamp": "2026-03-04T09:00:00Z",
        },
        "spec": raw,
    }
    if status is not None:
        body["status"] = copy.deepcopy(status)
    return body


def etl_render(owner: Obj) -> TaskRender:
    spec = parse_task(owner["spec"])
    return render_task(owner, spec, ETL_TD, family="etl", revision=3, cluster=spec.cluster_name)


def task_snapshot(owner: Obj, rendered: TaskRender | None, pods: list[Obj], now: datetime, **kw: Any) -> TaskSnapshot:
    """As the ECSTask handler builds it: render warnings and the cron schedule only when it rendered."""
    return TaskSnapshot(
        body=owner,
        spec=parse_task(owner["spec"]),
        family="etl",
        task_definition="etl:3",
        pods=pods,
        now=now,
        retention_seconds=RETENTION,
        render_warnings=[f"{w.path}: {w.reason}" for w in rendered.warnings] if rendered else None,
        cron_schedule=rendered.cron_schedule if rendered else None,
        **kw,
    )


RUN_TASK = {
    "cluster": "analytics",
    "taskDefinition": "etl:3",
    "count": 2,
    "launchType": "EC2",
    "group": "nightly",
    "startedBy": "airflow",
}
LAUNCHED_AT = NOW - timedelta(minutes=10)


def run_task_pod(rendered: TaskRender, index: int) -> Obj:
    """Task ``index`` as the handler creates it, just after creation (not scheduled onto a node yet)."""
    pod = rendered.task_pod(index)
    pod["metadata"].update(uid=f"7d3f2a90-0000-4000-8000-00000000010{index}", creationTimestamp=stamp(LAUNCHED_AT))
    pod["status"] = {"phase": "Pending"}
    return pod


def task_run_task() -> Obj:
    owner = etl_owner("etl", RUN_TASK_UID, RUN_TASK)
    rendered = etl_render(owner)
    launched = [run_task_pod(rendered, i) for i in (0, 1)]
    first = written(lambda: plan_task(task_snapshot(owner, rendered, launched, LAUNCHED_AT, launched_now=[0, 1])))
    assert first["lastStatus"] == "PROVISIONING" and first["launchedTasks"] == [0, 1]

    started = LAUNCHED_AT + timedelta(seconds=6)
    ready = LAUNCHED_AT + timedelta(seconds=9)
    finished = NOW - timedelta(seconds=30)
    live, done = (copy.deepcopy(p) for p in launched)
    live["spec"]["nodeName"] = NODE_A
    live["status"] = pod_status(
        "Running", [running("app", started), running("log-router", started)], ready_at=ready, since=LAUNCHED_AT
    )
    done["spec"]["nodeName"] = NODE_B
    done["status"] = pod_status(
        "Succeeded",
        [exited("app", 0, started, finished), exited("log-router", 0, started, finished + timedelta(seconds=1))],
        ready_at=None,
        since=finished,
    )
    later = etl_owner("etl", RUN_TASK_UID, RUN_TASK, status=first)
    status = written(lambda: plan_task(task_snapshot(later, None, [live, done], NOW)))

    assert (status["lastStatus"], status["desiredStatus"], status["taskDefinition"]) == ("RUNNING", "RUNNING", "etl:3")
    assert status["summary"] == {
        "launched": 2,
        "pending": 0,
        "running": 1,
        "stopping": 0,
        "stopped": 1,
        "succeeded": 1,
        "failed": 0,
    }
    assert status["launchedTasks"] == [0, 1]
    assert status["launchSpec"] == first["launchSpec"]
    zero, one = status["tasks"]
    # healthStatus (from the pod's Ready condition, though no container has a health check) is pinned by the file.
    assert (zero["index"], zero["lastStatus"], zero["desiredStatus"]) == (0, "RUNNING", "RUNNING")
    assert (one["index"], one["lastStatus"], one["stopCode"], one["exitCode"]) == (
        1,
        "STOPPED",
        "EssentialContainerExited",
        0,
    )
    assert one["stoppedAt"] == stamp(finished + timedelta(seconds=1))  # when its last container finished
    for record in (zero, one):
        assert record["createdAt"] == stamp(LAUNCHED_AT)
        assert record["startedAt"] == stamp(started)
        uid = next(p["metadata"]["uid"] for p in launched if p["metadata"]["name"] == record["podName"])
        assert record["taskArn"] == f"{ARN_PREFIX}:task/analytics/{uid.replace('-', '')}"
        assert (record["group"], record["startedBy"], record["launchType"]) == ("nightly", "airflow", "EC2")
    assert [c["name"] for c in one["containers"]] == ["app", "log_router"]  # ECS names, not the pod's
    assert (status["stopCode"], status["stoppedReason"]) == (None, None)  # the ECSTask as a whole still runs
    return status


SCHEDULED = {
    "cluster": "analytics",
    "taskDefinition": "etl:3",
    "schedule": "cron(0 10 * * ? *)",
    "startedBy": "events-rule/etl-daily",
}
RUN_AT = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
JOB = f"etl-daily-{int(RUN_AT.timestamp()) // 60}"  # the CronJob controller names a run after its minute
JOB_UID = "9a41c7e2-0000-4000-8000-000000000301"
RUN_DONE = RUN_AT + timedelta(minutes=4, seconds=12)


def scheduled_objects(rendered: TaskRender, *, ran: bool) -> tuple[Obj, list[Obj], list[Obj]]:
    """The CronJob the handler applied, and (once the run at RUN_AT happened) its Job and pod."""
    assert rendered.cronjob is not None
    cronjob = copy.deepcopy(rendered.cronjob)
    cronjob["metadata"].update(uid="9a41c7e2-0000-4000-8000-000000000300", creationTimestamp="2026-03-04T09:00:01Z")
    cronjob["status"] = {}
    if not ran:
        return cronjob, [], []
    cronjob["status"] = {"lastScheduleTime": stamp(RUN_AT), "lastSuccessfulTime": stamp(RUN_DONE)}
    job_template = cronjob["spec"]["jobTemplate"]
    job_labels = {**job_template["metadata"]["labels"], "batch.kubernetes.io/controller-uid": JOB_UID}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": JOB,
            "namespace": "data",
            "uid": JOB_UID,
            "creationTimestamp": stamp(RUN_AT),
            "labels": job_labels,
            "annotations": {
                **job_template["metadata"]["annotations"],
                "batch.kubernetes.io/cronjob-scheduled-timestamp": stamp(RUN_AT),
            },
        },
        "spec": copy.deepcopy(job_template["spec"]),
        "status": {
            "startTime": stamp(RUN_AT),
            "completionTime": stamp(RUN_DONE),
            "succeeded": 1,
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": stamp(RUN_DONE)},
                {"type": "Complete", "status": "True", "lastTransitionTime": stamp(RUN_DONE)},
            ],
        },
    }
    template = job_template["spec"]["template"]
    started = RUN_AT + timedelta(seconds=5)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{JOB}-7xk2p",
            "namespace": "data",
            "uid": "9a41c7e2-0000-4000-8000-000000000302",
            "creationTimestamp": stamp(RUN_AT),
            "labels": {
                **template["metadata"]["labels"],
                "batch.kubernetes.io/job-name": JOB,
                "job-name": JOB,
                "batch.kubernetes.io/controller-uid": JOB_UID,
                "controller-uid": JOB_UID,
            },
            "annotations": dict(template["metadata"]["annotations"]),
        },
        "spec": {**copy.deepcopy(template["spec"]), "nodeName": NODE_B},
        "status": pod_status(
            "Succeeded",
            [
                exited("app", 0, started, RUN_DONE - timedelta(seconds=1)),
                exited("log-router", 0, started, RUN_DONE),
            ],
            ready_at=None,
            since=RUN_DONE,
        ),
    }
    return cronjob, [job], [pod]


def task_scheduled() -> Obj:
    created = datetime(2026, 3, 4, 9, 0, 1, tzinfo=UTC)
    owner = etl_owner("etl-daily", SCHEDULED_UID, SCHEDULED)
    rendered = etl_render(owner)
    cronjob, jobs, pods = scheduled_objects(rendered, ran=False)
    first = written(lambda: plan_task(task_snapshot(owner, rendered, pods, created, jobs=jobs, cronjob=cronjob)))
    assert first["lastStatus"] == "SCHEDULED" and first["runs"] == []

    later = etl_owner("etl-daily", SCHEDULED_UID, SCHEDULED, status=first)
    cronjob, jobs, pods = scheduled_objects(rendered, ran=True)
    status = written(lambda: plan_task(task_snapshot(later, rendered, pods, NOW, jobs=jobs, cronjob=cronjob)))

    assert (status["lastStatus"], status["desiredStatus"]) == ("SCHEDULED", "RUNNING")
    assert status["launchedTasks"] is None  # a schedule's runs launch tasks, not RunTask numbers
    assert status["schedule"] == {
        "expression": "cron(0 10 * * ? *)",
        "cronJob": "etl-daily",
        "cronJobSchedule": "0 10 * * *",
        "timeZone": None,
        "suspended": False,
        "lastScheduleTime": stamp(RUN_AT),
        "lastSuccessfulTime": stamp(RUN_DONE),
    }
    [run] = status["runs"]
    assert (run["name"], run["result"], run["lastStatus"], run["tasks"]) == (
        JOB,
        "Succeeded",
        "STOPPED",
        [pods[0]["metadata"]["name"]],
    )
    assert (run["scheduledAt"], run["startedAt"], run["stoppedAt"]) == (stamp(RUN_AT), stamp(RUN_AT), stamp(RUN_DONE))
    [record] = status["tasks"]
    assert (record["run"], record["lastStatus"], record["stopCode"], record["exitCode"]) == (
        JOB,
        "STOPPED",
        "EssentialContainerExited",
        0,
    )
    assert record["stoppedAt"] == stamp(RUN_DONE)
    assert status["summary"]["succeeded"] == 1 and status["summary"]["failed"] == 0
    assert conditions(status)["Ready"] == ("True", stamp(created))  # active since the first round
    return status


# -- ECSCluster ------------------------------------------------------------------------------------

CLUSTER_UID = "5f0c8a1e-0000-4000-8000-000000000031"
CLUSTER_SPEC = {
    "capacityProviders": ["on-demand", "spot"],
    "capacityProviderProfiles": [
        {
            "name": "on-demand",
            "type": "MANAGED_NODEGROUP",
            "nodegroupName": "ng-on-demand",
            "capacityType": "ON_DEMAND",
        },
        {"name": "spot", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng-spot", "capacityType": "SPOT"},
    ],
}


def eks_node(
    name: str,
    instance_id: str,
    *,
    instance_type: str,
    zone: str,
    nodegroup: str,
    capacity: str,
    cpu: tuple[str, str],
    memory: tuple[str, str],
) -> Obj:
    """An EKS managed-nodegroup node as the API server shows it: (capacity, allocatable) cpu and memory."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"node-{instance_id}",
            "creationTimestamp": "2026-03-01T08:00:00Z",
            "labels": {
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "kubernetes.io/hostname": name,
                "node.kubernetes.io/instance-type": instance_type,
                "topology.kubernetes.io/region": "us-east-1",
                "topology.kubernetes.io/zone": zone,
                "eks.amazonaws.com/nodegroup": nodegroup,
                "eks.amazonaws.com/capacityType": capacity,
                "eks.amazonaws.com/nodegroup-image": "ami-0c2ab3b8efb09f272",
            },
        },
        "spec": {"providerID": f"aws:///{zone}/{instance_id}"},
        "status": {
            "capacity": {"cpu": cpu[0], "memory": memory[0], "pods": "29"},
            "allocatable": {"cpu": cpu[1], "memory": memory[1], "pods": "29"},
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "lastTransitionTime": "2026-03-01T08:01:00Z"},
                {"type": "DiskPressure", "status": "False", "lastTransitionTime": "2026-03-01T08:01:00Z"},
                {"type": "Ready", "status": "True", "lastTransitionTime": "2026-03-01T08:01:30Z"},
            ],
        },
    }


NODES = [
    eks_node(
        NODE_A,
        "i-0a1b2c3d4e5f60718",
        instance_type="m5.large",
        zone="us-east-1a",
        nodegroup="ng-on-demand",
        capacity="ON_DEMAND",
        cpu=("2", "1930m"),
        memory=("7936952Ki", "7134492Ki"),
    ),
    eks_node(
        NODE_B,
        "i-0f9e8d7c6b5a40392",
        instance_type="m5.xlarge",
        zone="us-east-1b",
        nodegroup="ng-spot",
        capacity="SPOT",
        cpu=("4", "3920m"),
        memory=("16024236Ki", "15136932Ki"),
    ),
]


def cluster() -> Obj:
    body = {
        "apiVersion": API_VERSION,
        "kind": "ECSCluster",
        "metadata": {
            "name": "prod",
            "namespace": "shop",
            "uid": CLUSTER_UID,
            "generation": 1,
            "creationTimestamp": "2026-03-01T08:30:00Z",
        },
        "spec": CLUSTER_SPEC,
    }
    pods = rev3_tasks()  # the web service's tasks, one on each node
    assert {p["metadata"]["labels"][LABEL_CLUSTER] for p in pods} == {"prod"}
    assert {p["metadata"]["labels"][LABEL_REVISION] for p in pods} == {"3"}
    spec = parse_cluster(CLUSTER_SPEC)
    status = written(lambda: plan_cluster(body, spec, NODES, pods, 1, NOW))
    assert (status["clusterName"], status["status"], status["problem"]) == ("prod", "ACTIVE", None)
    counts = ("registeredContainerInstancesCount", "runningTasksCount", "pendingTasksCount", "activeServicesCount")
    assert [status[k] for k in counts] == [2, 2, 0, 1]
    assert status["capacityProviderCounts"] == [
        {"capacityProvider": "on-demand", "registeredContainerInstancesCount": 1, "runningTasksCount": 1},
        {"capacityProvider": "spot", "registeredContainerInstancesCount": 1, "runningTasksCount": 1},
    ]
    on_demand, spot = status["containerInstances"]
    assert (on_demand["ec2InstanceId"], on_demand["capacityProviderName"]) == ("i-0a1b2c3d4e5f60718", "on-demand")
    assert (spot["ec2InstanceId"], spot["capacityProviderName"]) == ("i-0f9e8d7c6b5a40392", "spot")
    # ECS units: 1024 CPU units a vCPU, MiB of memory; each task reserves 256 units and 512 + 64 MiB.
    assert on_demand["registeredResources"] == {"CPU": 1976, "MEMORY": 6967}
    assert on_demand["remainingResources"] == {"CPU": 1976 - 256, "MEMORY": 6967 - 576}
    assert spot["registeredResources"] == {"CPU": 4014, "MEMORY": 14782}
    assert conditions(status) == {"Ready": ("True", stamp(NOW))}
    return status


# -- TaskDefinition --------------------------------------------------------------------------------

TD_UID = "5f0c8a1e-0000-4000-8000-000000000041"
REGISTERED_FIRST = NOW - timedelta(days=1)


def td_body(spec: Obj, generation: int, status: Obj | None = None) -> Obj:
    body: Obj = {
        "apiVersion": API_VERSION,
        "kind": "TaskDefinition",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": TD_UID,
            "generation": generation,
            "creationTimestamp": stamp(REGISTERED_FIRST),
        },
        "spec": spec,
    }
    if status is not None:
        body["status"] = copy.deepcopy(status)
    return body


def registration(body: Obj, seen: list[RevisionSeen], now: datetime, number: int) -> Obj:
    def plan() -> Plan:
        planned, registered = plan_task_definition(body, seen, now)
        assert registered == number
        return planned

    return written(plan)


def task_definition_first() -> Obj:
    status = registration(td_body(WEB_TDS[3], 1), [], NOW, 1)
    assert (status["family"], status["revision"], status["revisions"], status["status"]) == ("web", 1, [1], "ACTIVE")
    assert status["taskDefinitionArn"] == "arn:aws:ecs:local:000000000000:task-definition/web:1"
    assert (status["registeredAt"], status["observedGeneration"]) == (stamp(NOW), 1)
    assert conditions(status) == {"Ready": ("True", stamp(NOW))}
    return status


def task_definition_second() -> Obj:
    first = registration(td_body(WEB_TDS[3], 1), [], REGISTERED_FIRST, 1)
    body = td_body(WEB_TDS[4], 2, status=first)  # the image moved on: a new revision
    status = registration(body, [RevisionSeen(1, WEB_TDS[3])], NOW, 2)
    assert (status["revision"], status["revisions"]) == (2, [1, 2])
    assert status["taskDefinitionArn"] == "arn:aws:ecs:local:000000000000:task-definition/web:2"
    assert (status["registeredAt"], status["observedGeneration"]) == (stamp(NOW), 2)
    ready = status["conditions"][0]
    # Ready stayed True, so its transition time is the first registration's; the message names the latest.
    assert (ready["lastTransitionTime"], ready["message"]) == (stamp(REGISTERED_FIRST), "revision 2 registered")
    return status


CASES: dict[str, Callable[[], Obj]] = {
    "service-steady": service_steady,
    "service-rollout": service_rollout,
    "service-circuit-breaker-failed": service_circuit_breaker_failed,
    "service-circuit-breaker-rolled-back": service_circuit_breaker_rolled_back,
    "task-run-task": task_run_task,
    "task-scheduled": task_scheduled,
    "cluster": cluster,
    "task-definition-first": task_definition_first,
    "task-definition-second": task_definition_second,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_status_golden(case: str, update_golden: bool) -> None:
    text = dump(CASES[case]())
    assert dump(CASES[case]()) == text, "building the case again from fresh inputs gave another status"
    golden = GOLDEN / f"{case}.yaml"
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
        return
    assert golden.exists(), f"{golden.name} is missing; run pytest with --update-golden and review it"
    assert text == golden.read_text(), f"{golden.name} differs from its golden file"


def test_golden_files_belong_to_a_case() -> None:
    orphans = sorted(p.name for p in GOLDEN.glob("*") if p.suffix != ".yaml" or p.stem not in CASES)
    assert not orphans, f"golden statuses without a case: {orphans}"


def test_keys_are_sorted_at_every_level() -> None:
    text = dump({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": None}})
    assert text == "a:\n  c: null\n  d:\n  - y: 2\n    z: 1\nb: 1\n"
