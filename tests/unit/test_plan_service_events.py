"""ECS service event messages: every mapped message from the pod / situation that causes it.

(The integration counterpart is tests/integration/test_service_events.py; test module names must
be unique across suites.) Texts: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecs_operator.models import ECSServiceSpec, parse_service, parse_task_definition
from ecs_operator.plan import ServiceSnapshot, Severity, plan_service, plan_service_deletion
from ecs_operator.plan.service_events import (
    CATALOGUE,
    UNMAPPED,
    creation_message,
    fresh,
    needs_nodes,
    needs_workload_status,
    placement_message,
)
from ecs_operator.plan.throttle import throttle_message
from ecs_operator.render.service import ServiceRender, render_service
from ecs_operator.vocabulary import LABEL_PROVIDER, LABEL_REVISION

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
DOC = Path(__file__).resolve().parents[2] / "docs" / "service-events.md"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067"
Obj = dict[str, Any]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- nodes and pods --------------------------------------------------------------------------------------------


def node(
    name: str,
    cpu: str,
    memory: str,
    *,
    gpus: int = 0,
    labels: Obj | None = None,
    taints: list[Obj] | None = None,
    cordoned: bool = False,
    ready: bool = True,
    instance: str | None = None,
) -> Obj:
    allocatable = {"cpu": cpu, "memory": memory, "pods": "58"}
    if gpus:
        allocatable["nvidia.com/gpu"] = str(gpus)
    spec: Obj = {"providerID": f"aws:///us-east-1a/{instance or 'i-' + name}"}
    if taints:
        spec["taints"] = taints
    if cordoned:
        spec["unschedulable"] = True
    return {
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/arch": "amd64", **(labels or {})},
        },
        "spec": spec,
        "status": {
            "allocatable": allocatable,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
NODES = [
    node("ng-ondemand-b", "3920m", "15136Mi", labels={"eks.amazonaws.com/nodegroup": "ng-ondemand"}),
    node("ng-ondemand-a", "3920m", "15136Mi", labels={"eks.amazonaws.com/nodegroup": "ng-ondemand"}),
    node("ng-spot-b", "1930m", "3157Mi", labels={"node.kubernetes.io/instance-type": "c5.large"}),
    node("self-managed-a", "1930m", "7111Mi"),
    node("ng-gpu-a", "3920m", "14640Mi", gpus=1, taints=[GPU_TAINT], labels={"eks.amazonaws.com/nodegroup": "ng-gpu"}),
]
ON_SPOT_B = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["c5.large"]}
                    ]
                }
            ]
        }
    }
}
NOWHERE = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "ecs.operator.dev/no-node", "operator": "In", "values": ["m6g.large"]}]}
            ]
        }
    }
}
PREEMPTION = " preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling."


def pending(
    message: str,
    *,
    name: str = "web-1",
    node_selector: Obj | None = None,
    affinity: Obj | None = None,
    tolerations: list[Obj] | None = None,
    host_port: int | None = None,
    labels: Obj | None = None,
    now: datetime = NOW,
) -> Obj:
    container: Obj = {"name": "web", "image": "nginx"}
    if host_port:
        container["ports"] = [{"containerPort": 80, "hostPort": host_port, "protocol": "TCP"}]
    spec: Obj = {"containers": [container]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    if affinity:
        spec["affinity"] = affinity
    if tolerations:
        spec["tolerations"] = tolerations
    return {
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "labels": labels or {},
            "creationTimestamp": stamp(now - timedelta(seconds=30)),
        },
        "spec": spec,
        "status": {
            "phase": "Pending",
            "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message + PREEMPTION}
            ],
        },
    }


def placed(name: str, on: str, *, host_port: int | None = None) -> Obj:
    pod = pending("", name=name, host_port=host_port)
    pod["spec"]["nodeName"] = on
    pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    return pod


def closest(key: str, instance: str, service: str = "web") -> str:
    return CATALOGUE[key].text(service=service, instance=instance)


def text(key: str, service: str = "web") -> str:
    return CATALOGUE[key].text(service=service)


# -- placement: one row per message ----------------------------------------------------------------------------

TAINTED_1 = "1 node(s) had untolerated taint(s)"
PLACEMENT_ROWS = [
    pytest.param(
        pending(f"0/5 nodes are available: {TAINTED_1}, 4 Insufficient cpu."),
        NODES,
        (),
        closest("placement-cpu", "ng-ondemand-a"),
        id="cpu: the node with the most CPU among those the task may use",
    ),
    pytest.param(
        pending(
            "0/8 nodes are available: 1 node(s) had untolerated taint(s), 7 Insufficient cpu. "
            "no new claims to deallocate,"
        ),
        NODES,
        (),
        closest("placement-cpu", "ng-ondemand-a"),
        id="cpu, as kube-scheduler 1.36 words it (a post-filter sentence after the reasons)",
    ),
    pytest.param(
        pending(f"0/5 nodes are available: {TAINTED_1}, 4 Insufficient memory."),
        NODES,
        (),
        closest("placement-memory", "ng-ondemand-a"),
        id="memory",
    ),
    pytest.param(
        pending(f"0/5 nodes are available: {TAINTED_1}, 2 Insufficient cpu, 4 Insufficient memory."),
        NODES,
        (),
        closest("placement-cpu", "ng-ondemand-a"),
        id="cpu is reported before memory",
    ),
    pytest.param(
        pending(
            "0/5 nodes are available: 5 Insufficient nvidia.com/gpu.",
            tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        ),
        NODES,
        (),
        closest("placement-gpu", "ng-gpu-a"),
        id="gpu: the GPU node",
    ),
    pytest.param(
        pending(
            f"0/5 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, {TAINTED_1}, "
            "3 node(s) didn't match Pod's node affinity/selector.",
            name="web-2",
            affinity=ON_SPOT_B,
            host_port=8080,
        ),
        NODES,
        (placed("web-1", "ng-spot-b", host_port=8080),),
        closest("placement-ports", "ng-spot-b"),
        id="ports: the node where a sibling holds the host port",
    ),
    pytest.param(
        pending(
            f"0/5 nodes are available: {TAINTED_1}, 4 node(s) didn't match Pod's node affinity/selector.",
            affinity=NOWHERE,
        ),
        NODES,
        (),
        closest("placement-member-of", "ng-ondemand-a"),
        id="memberOf expression no node meets",
    ),
    pytest.param(
        pending(
            f"0/5 nodes are available: {TAINTED_1}, 4 node(s) didn't match Pod's node affinity/selector.",
            node_selector={"kubernetes.io/arch": "arm64"},
        ),
        NODES,
        (),
        closest("placement-attribute", "ng-ondemand-a"),
        id="attribute (runtimePlatform ARM64) no node has",
    ),
    pytest.param(
        pending(
            f"0/5 nodes are available: {TAINTED_1}, 4 node(s) didn't match Pod's node affinity/selector.",
            node_selector={"eks.amazonaws.com/nodegroup": "ng-none"},
            labels={LABEL_PROVIDER: "none"},
        ),
        NODES,
        (),
        text("placement-no-provider-instances"),
        id="capacity provider without nodes",
    ),
    pytest.param(
        pending(
            f"0/5 nodes are available: {TAINTED_1}, 4 node(s) didn't match Pod's node affinity/selector.",
            node_selector={"eks.amazonaws.com/nodegroup": "ng-ondemand", "kubernetes.io/arch": "arm64"},
            labels={LABEL_PROVIDER: "on-demand"},
        ),
        NODES,
        (),
        closest("placement-attribute", "ng-ondemand-a"),
        id="capacity provider with nodes, none of the task's architecture",
    ),
    pytest.param(
        pending(
            f"0/5 nodes are available: 1 node(s) didn't match pod anti-affinity rules, {TAINTED_1}, "
            "3 node(s) didn't match Pod's node affinity/selector.",
            name="web-2",
            affinity=ON_SPOT_B,
        ),
        NODES,
        (placed("web-1", "ng-spot-b"),),
        closest("placement-distinct-instance", "ng-spot-b"),
        id="distinctInstance: the node a sibling runs on",
    ),
    pytest.param(
        pending("0/2 nodes are available: 1 node(s) had untolerated taint(s), 1 node(s) were unschedulable."),
        [
            node(
                "lost", "3920m", "15136Mi", taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}]
            ),
            node("cordoned", "3920m", "15136Mi", cordoned=True),
        ],
        (),
        closest("placement-agent", "lost"),
        id="AGENT: the node whose kubelet stopped reporting",
    ),
    pytest.param(
        pending(
            "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node "
            "affinity/selector.",
            affinity=ON_SPOT_B,
        ),
        [
            node("ng-ondemand-a", "3920m", "15136Mi"),
            node("ng-spot-a", "1930m", "7100Mi", labels={"node.kubernetes.io/instance-type": "m5.large"}),
            node(
                "ng-spot-b",
                "1930m",
                "3150Mi",
                labels={"node.kubernetes.io/instance-type": "c5.large"},
                taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}],
            ),
        ],
        (),
        closest("placement-agent", "ng-spot-b"),
        id="AGENT: the only node meeting the constraint is not ready, others fail the constraint",
    ),
    pytest.param(
        pending(
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node "
            "affinity/selector.",
            affinity=ON_SPOT_B,
        ),
        [
            node("ng-ondemand-a", "3920m", "15136Mi"),
            node("ng-spot-a", "1930m", "7100Mi", labels={"node.kubernetes.io/instance-type": "m5.large"}),
            node(
                "ng-spot-b", "1930m", "3150Mi", labels={"node.kubernetes.io/instance-type": "c5.large"}, cordoned=True
            ),
        ],
        (),
        text("placement"),
        id="the only node meeting the constraint is draining, others fail the constraint",
    ),
    pytest.param(pending("0/0 nodes are available: ."), [], (), text("placement-no-instances"), id="no nodes at all"),
    pytest.param(
        pending("no nodes available to schedule pods"), None, (), text("placement-no-instances"), id="older wording"
    ),
    pytest.param(
        pending("0/2 nodes are available: 2 node(s) were unschedulable."),
        [node("a", "1", "1Gi", cordoned=True), node("b", "1", "1Gi", cordoned=True)],
        (),
        text("placement"),
        id="every node draining",
    ),
    pytest.param(
        pending("0/5 nodes are available: 4 node(s) didn't match pod topology spread constraints, " + TAINTED_1 + "."),
        NODES,
        (),
        text("placement"),
        id="hard spread (no ECS counterpart): the generic message",
    ),
    pytest.param(
        pending(f"0/5 nodes are available: {TAINTED_1}, 4 Too many pods."),
        NODES,
        (),
        text("placement"),
        id="pods per node (ENI attachment points): generic",
    ),
    pytest.param(
        pending(f"0/5 nodes are available: {TAINTED_1}, 4 Insufficient cpu."),
        None,
        (),
        text("placement"),
        id="no nodes seen",
    ),
    pytest.param(
        pending(
            "0/1 nodes are available: 1 Insufficient cpu.",
            tolerations=[{"key": "eks.amazonaws.com/compute-type", "value": "fargate", "effect": "NoSchedule"}],
        ),
        NODES,
        (),
        text("capacity-unavailable"),
        id="Fargate task without capacity",
    ),
]


@pytest.mark.parametrize(("pod", "nodes", "siblings", "expected"), PLACEMENT_ROWS)
def test_placement_message(pod: Obj, nodes: list[Obj] | None, siblings: tuple[Obj, ...], expected: str) -> None:
    assert placement_message("web", pod, nodes, [pod, *siblings]) == expected


def test_only_unschedulable_pods_have_a_placement_message() -> None:
    assert placement_message("web", placed("web-1", "n1"), NODES) is None
    waiting = pending("0/5 nodes are available: 5 Insufficient cpu.")
    waiting["status"]["conditions"][0]["reason"] = "SchedulingGated"
    assert placement_message("web", waiting, NODES) is None


def test_the_cpu_message_reads_as_ecs_writes_it() -> None:
    pod = pending(f"0/5 nodes are available: {TAINTED_1}, 4 Insufficient cpu.")
    assert placement_message("svc-x", pod, NODES) == (
        "(service svc-x) was unable to place a task because no container instance met all of its requirements. "
        "The closest matching (container-instance ng-ondemand-a) has insufficient CPU units available."
    )


def test_nodes_are_looked_at_only_for_a_task_that_cannot_be_placed() -> None:
    spec = parse_service({"taskDefinition": "web", "desiredCount": 1})
    assert needs_nodes([pending("0/5 nodes are available: 5 Insufficient cpu.")], spec)
    assert not needs_nodes([placed("web-1", "n1")], spec)
    classic = parse_service(
        {
            "taskDefinition": "web",
            "desiredCount": 1,
            "loadBalancers": [{"loadBalancerName": "web", "containerName": "web", "containerPort": 80}],
        }
    )
    starting = placed("web-1", "n1")
    starting["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    assert needs_nodes([starting], classic) and not needs_nodes([starting], spec)
    assert needs_workload_status([placed("web-1", "n1")], 2) and not needs_workload_status([placed("web-1", "n1")], 1)


# -- task creation refused ---------------------------------------------------------------------------------------

CREATION_ROWS = [
    pytest.param(
        'pods "web-7d9c-x" is forbidden: exceeded quota: tasks, requested: pods=1, used: pods=2, limited: pods=2',
        "quota-tasks",
        id="ResourceQuota on pods",
    ),
    pytest.param(
        'pods "web-x" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=2, '
        "limited: requests.cpu=2",
        "quota-vcpus",
        id="ResourceQuota on cpu",
    ),
    pytest.param(
        'pods "web-x" is forbidden: exceeded quota: compute, requested: limits.memory=1Gi,requests.memory=1Gi, '
        "used: limits.memory=2Gi,requests.memory=2Gi, limited: limits.memory=2Gi,requests.memory=2Gi",
        "limit-memory",
        id="ResourceQuota on memory",
    ),
    pytest.param(
        'pods "web-x" is forbidden: maximum cpu usage per Container is 500m, but limit is 1',
        "limit-cpu",
        id="LimitRange cpu",
    ),
    pytest.param(
        'pods "web-x" is forbidden: maximum memory usage per Pod is 256Mi, but limit is 512Mi',
        "limit-memory",
        id="LimitRange memory",
    ),
    pytest.param(
        'Pod "web-x" is invalid: spec.containers[0].resources.requests: Invalid value: "125m": must be less than '
        "or equal to cpu limit of 100m",
        "limit-cpu",
        id="LimitRange default cpu limit below the task's cpu",
    ),
    pytest.param(
        'Pod "web-x" is invalid: spec.containers[0].resources.requests: Invalid value: "256Mi": must be less than '
        "or equal to memory limit of 128Mi",
        "limit-memory",
        id="LimitRange default memory limit below the reservation",
    ),
    pytest.param('admission webhook "policy" denied the request', None, id="anything else: no ECS message"),
]


@pytest.mark.parametrize(("failure", "key"), CREATION_ROWS)
def test_creation_message(failure: str, key: str | None) -> None:
    assert creation_message("web", failure) == (text(key) if key else None)


# -- through plan_service ----------------------------------------------------------------------------------------

TD = {
    "family": "web",
    "containerDefinitions": [
        {"name": "web", "image": "nginx:1.27", "memory": 256, "portMappings": [{"containerPort": 80}]}
    ],
}


@dataclass
class Service:
    body: Obj
    spec: ECSServiceSpec
    rendered: ServiceRender


def service(*, status: Obj | None = None, managed_fields: list[Obj] | None = None, **raw: Any) -> Service:
    spec_raw = {"serviceName": "web", "taskDefinition": "web:3", "desiredCount": 2, **raw}
    meta: Obj = {"name": "web", "namespace": "shop", "uid": "uid-web", "generation": 4}
    if managed_fields:
        meta["managedFields"] = managed_fields
    body: Obj = {"apiVersion": "ecs.operator.dev/v1alpha1", "kind": "ECSService", "metadata": meta, "spec": spec_raw}
    if status is not None:
        body["status"] = status
    spec = parse_service(spec_raw)
    rendered = render_service(
        body, spec, parse_task_definition(TD), family="web", revision=3, cluster="default", cluster_spec=None, now=NOW
    )
    return Service(body, spec, rendered)


def again(svc: Service, status: Obj | None) -> Service:
    body = copy.deepcopy(svc.body)
    body["status"] = status
    return Service(body, svc.spec, svc.rendered)


def pod(svc: Service, name: str, *, revision: int = 3, ready: bool = True, age: float = 600, **extra: Any) -> Obj:
    meta = copy.deepcopy(svc.rendered.pod.template["metadata"])
    meta.update(name=name, uid=f"uid-{name}", creationTimestamp=stamp(NOW - timedelta(seconds=age)))
    meta["labels"][LABEL_REVISION] = str(revision)
    meta.update(extra)
    return {
        "metadata": meta,
        "spec": {"nodeName": "ng-ondemand-a", "containers": svc.rendered.pod.template["spec"]["containers"]},
        "status": {
            "phase": "Running",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": stamp(NOW - timedelta(seconds=age)),
                }
            ],
            "containerStatuses": [{"name": "web", "restartCount": 0, "state": {"running": {"startedAt": stamp(NOW)}}}],
        },
    }


def snapshot(svc: Service, pods: list[Obj], *, now: datetime = NOW, **kw: Any) -> ServiceSnapshot:
    return ServiceSnapshot(
        body=svc.body,
        spec=svc.spec,
        family="web",
        revision=3,
        cluster="default",
        rendered=svc.rendered,
        pods=pods,
        now=now,
        **kw,
    )


def messages(status: Obj | None) -> list[str]:
    assert status is not None
    return [e["message"] for e in status["events"]]


def test_an_unplaceable_task_is_one_warning_and_not_repeated_while_listed() -> None:
    svc = service(desiredCount=3)
    labels = svc.rendered.pod.template["metadata"]["labels"]
    message = f"0/5 nodes are available: {TAINTED_1}, 4 Insufficient cpu."

    def pods(now: datetime) -> list[Obj]:  # the stuck tasks are replaced as time goes by: always young
        stuck = [pending(message, name=n, labels=copy.deepcopy(labels), now=now) for n in ("w-1", "w-2")]
        return [pod(svc, "w-0"), *stuck]

    expected = closest("placement-cpu", "ng-ondemand-a")

    first = plan_service(snapshot(svc, pods(NOW), nodes=NODES))
    assert messages(first.status)[0] == expected
    assert messages(first.status).count(expected) == 1  # two tasks, one situation
    (warning,) = [e for e in first.events if e.message == expected]
    assert warning.severity is Severity.WARNING

    soon = NOW + timedelta(hours=5)
    later = plan_service(snapshot(again(svc, first.status), pods(soon), now=soon, nodes=NODES))
    assert expected not in [e.message for e in later.events]
    assert later.status is None or messages(later.status).count(expected) == 1

    late = NOW + timedelta(hours=6)
    much_later = plan_service(snapshot(again(svc, first.status), pods(late), now=late, nodes=NODES))
    assert expected in [e.message for e in much_later.events]  # ECS: again after six hours
    assert messages(much_later.status).count(expected) == 2


def test_a_refused_task_creation_is_ecs_quota_message() -> None:
    svc = service()
    failure = 'pods "web-x" is forbidden: exceeded quota: tasks, requested: pods=1, used: pods=1, limited: pods=1'
    plan = plan_service(snapshot(svc, [pod(svc, "w-0")], creation_failures=[failure]))
    assert messages(plan.status)[0] == text("quota-tasks")
    assert [e.severity for e in plan.events if e.message == text("quota-tasks")] == [Severity.WARNING]


def load_balanced(**raw: Any) -> Service:
    balancer = {"targetGroupArn": TG, "containerName": "web", "containerPort": 80}
    return service(loadBalancers=[balancer], healthCheckGracePeriodSeconds=30, **raw)


def test_a_task_never_healthy_behind_a_load_balancer_is_unhealthy_in_its_target_group_then_stopped() -> None:
    svc = load_balanced(desiredCount=1)
    plan = plan_service(snapshot(svc, [pod(svc, "w-0", ready=False, age=60)]))
    unhealthy = CATALOGUE["target-unhealthy"].text(service="web", port=80, target_group=TG)
    found = messages(plan.status)
    assert found[1] == unhealthy and found[0].startswith("(service web) has stopped 1 running tasks: (task w-0)")
    assert [e.severity for e in plan.events if e.message == unhealthy] == [Severity.WARNING]
    # A task that is merely pending (not running yet) is not a failing target.
    waiting = pod(svc, "w-1", ready=False, age=60)
    waiting["status"]["phase"] = "Pending"
    plan = plan_service(snapshot(svc, [waiting]))
    assert unhealthy not in messages(plan.status)


def test_classic_load_balancer_names_the_instance() -> None:
    balancer = {"loadBalancerName": "web-elb", "containerName": "web", "containerPort": 80}
    svc = service(loadBalancers=[balancer], healthCheckGracePeriodSeconds=30, desiredCount=1)
    nodes = [node("ng-ondemand-a", "3920m", "15136Mi", instance="i-0d00000000000000")]
    plan = plan_service(snapshot(svc, [pod(svc, "w-0", ready=False, age=60)], nodes=nodes))
    assert CATALOGUE["elb-unhealthy"].text(service="web", instance="i-0d00000000000000", elb="web-elb") in messages(
        plan.status
    )


def test_targets_registered_and_deregistered_follow_healthy_targets() -> None:
    svc = load_balanced()
    entry = {"containerName": "web", "containerPort": 80, "targetGroupArn": TG, "service": "web"}
    pods = [pod(svc, "w-0"), pod(svc, "w-1")]
    first = plan_service(snapshot(svc, pods, load_balancers=[{**entry, "healthyTargets": 2}]))
    registered = CATALOGUE["targets-registered"].text(service="web", count=2, target_group=TG)
    assert registered in messages(first.status)
    assert [e.severity for e in first.events if e.message == registered] == [Severity.NORMAL]
    second = plan_service(snapshot(again(svc, first.status), pods, load_balancers=[{**entry, "healthyTargets": 2}]))
    assert second.status is None  # nothing changed, nothing said
    third = plan_service(snapshot(again(svc, first.status), pods, load_balancers=[{**entry, "healthyTargets": 1}]))
    assert messages(third.status)[0] == CATALOGUE["targets-deregistered"].text(service="web", count=1, target_group=TG)


def test_a_load_balanced_task_that_starts_stopping_drains_once() -> None:
    svc = load_balanced()
    stopping = pod(svc, "w-1", deletionTimestamp=stamp(NOW))
    pods = [pod(svc, "w-0"), stopping]
    first = plan_service(snapshot(svc, pods))
    draining = CATALOGUE["draining"].text(service="web", count=1)
    assert draining in messages(first.status)
    assert first.status is not None and first.status["drainingTasks"] == ["w-1"]
    second = plan_service(snapshot(again(svc, first.status), pods))
    assert draining not in [e.message for e in second.events]


def test_deleting_a_load_balanced_service_drains_its_tasks_once() -> None:
    svc = load_balanced(status={"status": "ACTIVE", "events": []})
    pods = [pod(svc, "w-0"), pod(svc, "w-1")]
    plan, stopping = plan_service_deletion(svc.body, [("Deployment", "web")], pods, NOW)
    draining = CATALOGUE["draining"].text(service="web", count=2)
    assert stopping == 2 and [e.message for e in plan.events] == [draining]
    assert messages(plan.status) == [draining] and plan.status["status"] == "DRAINING"
    body = copy.deepcopy(svc.body)
    body["status"] = plan.status
    plan, _ = plan_service_deletion(body, [("Deployment", "web")], pods, NOW)
    assert plan.events == [] and "events" not in (plan.status or {})


def test_a_deployment_configuration_without_room_is_reported_during_a_deployment() -> None:
    config = {"maximumPercent": 100, "minimumHealthyPercent": 100}
    svc = service(deploymentConfiguration=config)
    pods = [pod(svc, "old-0", revision=2), pod(svc, "old-1", revision=2)]
    plan = plan_service(snapshot(svc, pods))
    assert text("deployment-configuration") in messages(plan.status)
    # Steady (no deployment under way): nothing to say.
    steady = plan_service(snapshot(svc, [pod(svc, "w-0"), pod(svc, "w-1")]))
    assert text("deployment-configuration") not in messages(steady.status)


def hpa_fields() -> list[Obj]:
    return [
        {"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {"f:taskDefinition": {}}}},
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "subresource": "scale",
            "fieldsV1": {"f:spec": {"f:desiredCount": {}}},
        },
    ]


def test_the_hpa_moving_desired_count_is_application_auto_scaling_message() -> None:
    scaling = {"minCapacity": 1, "maxCapacity": 3}
    svc = service(desiredCount=3, autoScaling=scaling, managed_fields=hpa_fields(), status={"desiredCount": 5})
    plan = plan_service(snapshot(svc, [pod(svc, "w-0"), pod(svc, "w-1"), pod(svc, "w-2")]))
    expected = "Message: Successfully set desired count to 3. Change successfully fulfilled by ecs."
    assert expected in messages(plan.status)
    assert [e.severity for e in plan.events if e.message == expected] == [Severity.NORMAL]
    # A user's own change of desiredCount is not auto scaling.
    user = [
        {
            "manager": "kubectl",
            "operation": "Update",
            "subresource": "scale",
            "fieldsV1": {"f:spec": {"f:desiredCount": {}}},
        }
    ]
    svc = service(desiredCount=3, autoScaling=scaling, managed_fields=user, status={"desiredCount": 5})
    assert expected not in messages(plan_service(snapshot(svc, [pod(svc, "w-0")])).status)


# -- the catalogue and the doc -------------------------------------------------------------------------------------


def test_messages_emitted_elsewhere_match_the_catalogue() -> None:
    assert throttle_message("web") == CATALOGUE["task-start-impaired"].text(service="web")
    svc = service(desiredCount=1)
    plan = plan_service(snapshot(svc, [pod(svc, "w-0")]))
    assert text("steady-state") in messages(plan.status)
    failed = pod(svc, "w-1")
    failed["status"] = {
        "phase": "Failed",
        "containerStatuses": [
            {"name": "web", "restartCount": 0, "state": {"terminated": {"exitCode": 1, "finishedAt": stamp(NOW)}}}
        ],
    }
    plan = plan_service(snapshot(svc, [failed]))
    stopped = next(m for m in messages(plan.status) if "has stopped" in m)
    pattern = re.escape(CATALOGUE["tasks-stopped"].template).replace(r"\{service\}", "web")
    assert re.fullmatch(re.sub(r"\\\{[a-z_]+\\\}", ".+", pattern), stopped)


def test_repeated_situations_are_held_back_transitions_are_not() -> None:
    listed = [{"message": text("placement"), "createdAt": stamp(NOW - timedelta(minutes=1))}]
    assert not fresh(text("placement"), listed, NOW)
    assert fresh(text("placement"), listed, NOW + timedelta(hours=6))
    assert fresh(text("placement", service="other"), listed, NOW)
    steady = [{"message": text("steady-state"), "createdAt": stamp(NOW)}]
    assert fresh(text("steady-state"), steady, NOW)


def test_the_doc_lists_every_message() -> None:
    doc = DOC.read_text()
    missing = [key for key in CATALOGUE if f"`{key}`" not in doc]
    assert missing == [], "docs/service-events.md must have a row for each catalogue key"
    assert [m for m, _ in UNMAPPED if m not in doc] == []
