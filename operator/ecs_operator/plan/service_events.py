"""ECS service event messages, and the Kubernetes situations that produce them.

An ECS user debugs a service by reading its events (``aws ecs describe-services ... events``).
The texts are ECS's own, from the developer guide's "Amazon ECS service event messages"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html)
and the forms ``DescribeServices`` returns for them (the console renders the same strings with
links): ``(service NAME) ...``, container instances as ``(container-instance ID)`` where the ID
is the node name, exactly as the ECSCluster's ``status.containerInstances[].containerInstanceArn``
shows it (:mod:`.cluster_status`). ``docs/service-events.md`` is the table: every message on that
page, when the operator emits it, the test that shows it, and why the rest have no counterpart.

This module holds the catalogue (:data:`CATALOGUE`) and the situation -> message decisions:

* placement: a task whose pod the scheduler reports ``PodScheduled=False`` / ``Unschedulable``
  ("0/8 nodes are available: 3 Insufficient cpu, 5 node(s) didn't match Pod's node
  affinity/selector ...") is ECS's "unable to place a task". ECS names the *closest matching*
  container instance: the one that got furthest through its checks. The scheduler's filters run
  in a fixed order (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts,
  NodeResourcesFit, volumes, PodTopologySpread, InterPodAffinity), so the reason of the latest
  filter any node failed is the closest match's reason, and the node is picked among those that
  pass every earlier filter (for resources: the one with the most of what is lacking);
* task creation refused by a ResourceQuota or LimitRange (the ReplicaSet's ``FailedCreate``,
  copied to the Deployment's ``ReplicaFailure`` condition) is ECS's quota messages;
* load-balancer health, target registration, draining, task launches, auto scaling and the
  deployment configuration that leaves no room for a rolling update.

De-duplication (ECS: "duplicate event messages are omitted until either the cause is resolved or
six hours passes"): a message that describes a lasting situation (``repeats``) is not added again
while an identical message is among ``status.events`` (the newest :data:`MAX_EVENTS`) and less
than six hours old. The operator keeps no other memory of causes, so a cause that clears and
comes back while its message is still listed is not announced twice. Messages about one-off
transitions (a task stopped, targets registered, draining) are never suppressed.

Pure: pods, nodes and ``now`` come in, event texts go out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..models import ECSServiceSpec
from ..render.capacity import FARGATE_TAINT_KEY
from ..render.resources import GPU_RESOURCE
from ..render.workload import rolling_update
from ..vocabulary import LABEL_PROVIDER
from .cluster_status import parse_quantity
from .conditions import iso
from .lifecycle import parse_time
from .service_status import MAX_EVENTS, event
from .types import Event, Reason, Severity

__all__ = [
    "CATALOGUE",
    "DUPLICATE_WINDOW",
    "MAX_EVENTS",
    "UNMAPPED",
    "Message",
    "Observed",
    "Situations",
    "fresh",
    "needs_nodes",
    "needs_workload_status",
    "observe",
    "placement_message",
    "record",
    "unhealthy_target_messages",
    "unschedulable_reason",
]

DUPLICATE_WINDOW = timedelta(hours=6)
PLATFORM_LABELS = ("kubernetes.io/os", "kubernetes.io/arch")  # runtimePlatform: attributes, not capacity
AGENT_TAINTS = ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")
HPA_MANAGER = "kube-controller-manager"  # the HPA controller writes desiredCount through /scale

_NO_FIT = "(service {service}) was unable to place a task because no container instance met all of its requirements."
_CLOSEST = _NO_FIT + " The closest matching (container-instance {instance})"
_NOT_PLACED = "(service {service}) was unable to place a task. Reason: "


@dataclass(frozen=True)
class Message:
    """One ECS service event message: its text with ``{placeholders}`` and its Kubernetes Event type."""

    key: str
    template: str
    severity: Severity
    repeats: bool = True  # a lasting situation (de-duplicated) rather than a one-off transition

    def text(self, **fields: object) -> str:
        return self.template.format(**fields)

    def event(self, **fields: object) -> Event:
        return Event(Reason.SERVICE_EVENT, self.text(**fields), self.severity)


_W, _N = Severity.WARNING, Severity.NORMAL
CATALOGUE: Mapping[str, Message] = {
    m.key: m
    for m in (
        # Emitted by plan/service_status.py, plan/throttle.py and plan/service.py (texts kept in step by tests).
        Message("steady-state", "(service {service}) has reached a steady state.", _N, repeats=False),
        Message("tasks-started", "(service {service}) has started {count} tasks: {tasks}.", _N, repeats=False),
        Message(
            "tasks-stopped",
            "(service {service}) has stopped 1 running tasks: (task {task}) {detail}.",
            _N,
            repeats=False,
        ),
        Message("task-start-impaired", "(service {service}) is unable to consistently start tasks successfully.", _W),
        Message(
            "deployment-completed", "(service {service}) (deployment {deployment}) deployment completed.", _N, False
        ),
        Message(
            "deployment-failed",
            "(service {service}) (deployment {deployment}) deployment failed: tasks failed to start.",
            _W,
            repeats=False,
        ),
        Message(
            "deployment-rolling-back",
            "(service {service}) (deployment {deployment}) rolling back to deployment {target}.",
            _W,
            repeats=False,
        ),
        Message("dependency", "(service {service}) was unable to start tasks: {problem}", _W, repeats=False),
        # Emitted here.
        Message("placement", _NO_FIT, _W),
        Message("placement-no-instances", _NO_FIT + " Reason: No Container Instances were found in your cluster.", _W),
        Message(
            "placement-no-provider-instances",
            _NO_FIT + " Reason: No Container Instances were found in your capacity provider.",
            _W,
        ),
        Message("placement-cpu", _CLOSEST + " has insufficient CPU units available.", _W),
        Message("placement-memory", _CLOSEST + " has insufficient memory available.", _W),
        Message("placement-gpu", _CLOSEST + " has insufficient GPU available.", _W),
        Message("placement-ports", _CLOSEST + " is already using a port required by your task.", _W),
        Message("placement-attribute", _CLOSEST + " is missing an attribute required by your task.", _W),
        Message(
            "placement-member-of", _CLOSEST + ' encountered error "MemberOf placement constraint unsatisfied."', _W
        ),
        Message(
            "placement-distinct-instance",
            _CLOSEST + ' encountered error "DistinctInstance placement constraint unsatisfied."',
            _W,
        ),
        Message("placement-agent", _CLOSEST + ' encountered error "AGENT".', _W),
        Message(
            "capacity-unavailable",
            _NOT_PLACED
            + "Capacity is unavailable at this time. Please try again later or in a different availability zone.",
            _W,
        ),
        Message(
            "quota-tasks", _NOT_PLACED + "You've reached the limit on the number of tasks you can run concurrently", _W
        ),
        Message(
            "quota-vcpus", _NOT_PLACED + "You've reached the limit on the number of vCPUs you can run concurrently", _W
        ),
        Message("limit-cpu", _NOT_PLACED + "The requested CPU configuration is above your limit.", _W),
        Message("limit-memory", _NOT_PLACED + "The requested MEMORY configuration is above your limit.", _W),
        Message(
            "deployment-configuration",
            "(service {service}) was unable to stop or start tasks during a deployment because of the service "
            "deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.",
            _W,
        ),
        Message(
            "target-unhealthy",
            "(service {service}) (port {port}) is unhealthy in (target-group {target_group}) due to "
            "(reason Health checks failed).",
            _W,
        ),
        Message(
            "elb-unhealthy",
            "(service {service}) (instance {instance}) is unhealthy in (elb {elb}) due to (reason Instance has "
            "failed at least the UnhealthyThreshold number of health checks consecutively.)",
            _W,
        ),
        Message(
            "targets-registered",
            "(service {service}) registered {count} targets in (target-group {target_group})",
            _N,
            False,
        ),
        Message(
            "targets-deregistered",
            "(service {service}) deregistered {count} targets in (target-group {target_group})",
            _N,
            repeats=False,
        ),
        Message("instances-registered", "(service {service}) registered {count} instances in (elb {elb})", _N, False),
        Message(
            "instances-deregistered", "(service {service}) deregistered {count} instances in (elb {elb})", _N, False
        ),
        Message("draining", "(service {service}) has begun draining connections on {count} tasks.", _N, repeats=False),
        Message(
            "auto-scaling",
            "Message: Successfully set desired count to {count}. Change successfully fulfilled by ecs.",
            _N,
            repeats=False,
        ),
    )
}

UNMAPPED: Sequence[tuple[str, str]] = (
    (
        "service (service-name) operations are being throttled. Will try again later.",
        "ECS API throttling of the service scheduler. The operator's client retries throttled API requests "
        "itself; nothing is held back per service, so there is no situation to report",
    ),
    (
        "service (service-name) was unable to place a task. Reason: Internal error.",
        "ECS: a subnet in an Availability Zone Fargate does not support. Tasks have no subnets here",
    ),
    (
        "service (service-name) was unable to reach steady state because task set (taskSet-ID) was unable to scale "
        "in. Reason: The number of protected tasks are more than the desired count of tasks.",
        "task scale-in protection (UpdateTaskProtection) and task sets (EXTERNAL / CODE_DEPLOY deployment "
        "controllers) do not exist here",
    ),
)

# ---------------------------------------------------------------------------------------------------------------
# Placement: PodScheduled=False/Unschedulable -> ECS's "unable to place a task"

Pod = Mapping[str, Any]
Node = Mapping[str, Any]

_AVAILABLE = re.compile(r"^0/(\d+) nodes are available(?::\s*(.*))?$", re.S)
_COUNTED = re.compile(r"(\d+) (.+?)(?=, \d+ |$)")
_RESOURCE_ORDER = ("cpu", "memory", GPU_RESOURCE)
_RESOURCE_KEY = {"cpu": "placement-cpu", "memory": "placement-memory", GPU_RESOURCE: "placement-gpu"}

# The scheduler's filters, latest first: the closest match failed the latest one.
_DISTINCT, _LATE, _RESOURCES, _PORTS, _AFFINITY, _TAINTS, _CORDONED = range(7)


def unschedulable_reason(pod: Pod) -> str | None:
    """The scheduler's message when it found no node for the pod, else None."""
    if pod.get("metadata", {}).get("deletionTimestamp") or pod.get("spec", {}).get("nodeName"):
        return None
    for cond in pod.get("status", {}).get("conditions", []):
        if (cond.get("type"), cond.get("status"), cond.get("reason")) == ("PodScheduled", "False", "Unschedulable"):
            return str(cond.get("message") or "")
    return None


def needs_nodes(pods: Sequence[Pod], spec: ECSServiceSpec) -> bool:
    """Whether the reconcile must look at the nodes: a task the scheduler cannot place, or a task
    behind a classic load balancer that is not healthy (its message names the instance)."""
    if any(unschedulable_reason(p) is not None for p in pods):
        return True
    classic = any(lb.load_balancer_name for lb in spec.load_balancers or ())
    return classic and any(_running_not_ready(p) for p in pods)


def needs_workload_status(pods: Sequence[Pod], desired: int) -> bool:
    """Fewer tasks than desired: the workload's status may say why pods cannot be created."""
    live = [p for p in pods if not p.get("metadata", {}).get("deletionTimestamp")]
    return len(live) < desired


def _reasons(message: str) -> tuple[int | None, list[str]]:
    """(node count, reasons) of "0/8 nodes are available: 3 Insufficient cpu, 5 node(s) ... preemption: ..."."""
    match = _AVAILABLE.match(message.strip())
    if match is None:
        return (0 if "no nodes available" in message else None), []
    # "<PreFilterMsg>. <FilterMsg>. <PostFilterMsg>": the counted reasons end at the first sentence's end.
    body = (match.group(2) or "").split(". ", 1)[0].rstrip(".").strip()
    return int(match.group(1)), [m.group(2).rstrip(".") for m in _COUNTED.finditer(body)]


def _category(reason: str) -> tuple[int, str]:
    text = reason.lower()
    if "anti-affinity" in text:
        return _DISTINCT, ""
    if text.startswith("insufficient "):
        return _RESOURCES, reason[len("Insufficient ") :]
    if text.startswith("too many pods"):
        return _RESOURCES, "pods"
    if "free ports" in text:
        return _PORTS, ""
    if "node affinity/selector" in text:
        return _AFFINITY, ""
    if "taint" in text:
        return _TAINTS, ""
    if "unschedulable" in text or "unknown conditions" in text:
        return _CORDONED, ""
    return _LATE, ""  # topology spread, volumes, pod affinity: no ECS counterpart


def _labels(node: Node) -> Mapping[str, str]:
    return node.get("metadata", {}).get("labels") or {}


def _name(node: Node) -> str:
    return str(node.get("metadata", {}).get("name", ""))


def _cordoned(node: Node) -> bool:
    return bool(node.get("spec", {}).get("unschedulable"))


def _tolerated(taint: Mapping[str, Any], tolerations: Sequence[Mapping[str, Any]]) -> bool:
    for tol in tolerations:
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        key, operator = tol.get("key"), tol.get("operator", "Equal")
        if not key and operator == "Exists":
            return True
        if key != taint.get("key"):
            continue
        if operator == "Exists" or tol.get("value", "") == taint.get("value", ""):
            return True
    return False


def _untolerated(pod: Pod, node: Node) -> list[str]:
    """Keys of the node's scheduling taints the pod does not tolerate."""
    tolerations = pod.get("spec", {}).get("tolerations") or []
    return [
        str(t.get("key"))
        for t in node.get("spec", {}).get("taints") or []
        if t.get("effect") in ("NoSchedule", "NoExecute") and not _tolerated(t, tolerations)
    ]


def _selector_matches(pod: Pod, node: Node, skip: Sequence[str] = ()) -> bool:
    """The pod's nodeSelector (capacity provider, runtimePlatform) fits the node; ``skip``: keys left out."""
    labels = _labels(node)
    selector = pod.get("spec", {}).get("nodeSelector") or {}
    return all(labels.get(k) == v for k, v in selector.items() if k not in skip)


def _requirement(req: Mapping[str, Any], value: str | None) -> bool:
    operator, values = req.get("operator"), [str(v) for v in req.get("values") or []]
    if operator == "In":
        return value in values
    if operator == "NotIn":
        return value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and values:
        try:
            number, bound = int(value), int(values[0])
        except ValueError:
            return False
        return number > bound if operator == "Gt" else number < bound
    return False


def _affinity_matches(pod: Pod, node: Node) -> bool:
    required = ((pod.get("spec", {}).get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    labels = _labels(node)
    for term in terms:
        expressions = term.get("matchExpressions") or []
        fields = term.get("matchFields") or []
        if not expressions and not fields:
            continue
        if all(_requirement(r, labels.get(str(r.get("key")))) for r in expressions) and all(
            _requirement(r, _name(node) if r.get("key") == "metadata.name" else None) for r in fields
        ):
            return True
    return False


def _allocatable(node: Node, resource: str) -> Decimal:
    try:
        return parse_quantity((node.get("status", {}).get("allocatable") or {}).get(resource))
    except ValueError:
        return Decimal(0)


def _host_ports(pod: Pod) -> set[tuple[int, str]]:
    return {
        (int(p["hostPort"]), str(p.get("protocol", "TCP")))
        for c in pod.get("spec", {}).get("containers", [])
        for p in c.get("ports") or []
        if p.get("hostPort")
    }


def _agent_down(node: Node, pod: Pod) -> bool:
    if any(key in AGENT_TAINTS for key in _untolerated(pod, node)):
        return True
    ready = [c for c in node.get("status", {}).get("conditions", []) if c.get("type") == "Ready"]
    return bool(ready) and ready[0].get("status") != "True"


def _fargate(pod: Pod) -> bool:
    return any(t.get("key") == FARGATE_TAINT_KEY for t in pod.get("spec", {}).get("tolerations") or [])


def placement_message(service: str, pod: Pod, nodes: Sequence[Node] | None, siblings: Sequence[Pod] = ()) -> str | None:
    """ECS's placement failure for a pod the scheduler could not place (None if it is not such a pod).

    ``siblings`` are the service's other tasks: a port or distinctInstance conflict is usually with one
    of them, and the node it runs on is the closest match."""
    reason = unschedulable_reason(pod)
    if reason is None:
        return None
    if _fargate(pod):
        return CATALOGUE["capacity-unavailable"].text(service=service)
    total, reasons = _reasons(reason)
    if total == 0 or (nodes is not None and not nodes):
        return CATALOGUE["placement-no-instances"].text(service=service)
    if not reasons or nodes is None:
        return CATALOGUE["placement"].text(service=service)
    found = sorted({_category(r) for r in reasons})
    stage, _ = found[0]
    ordered = sorted(nodes, key=_name)
    active = [n for n in ordered if not _cordoned(n)]
    tolerating = [n for n in active if not _untolerated(pod, n)]
    selected = [n for n in tolerating if _selector_matches(pod, n)]
    eligible = [n for n in selected if _affinity_matches(pod, n)]

    def closest(key: str, candidates: Sequence[Node]) -> str:
        if not candidates:
            return CATALOGUE["placement"].text(service=service)
        return CATALOGUE[key].text(service=service, instance=_name(candidates[0]))

    if stage == _DISTINCT:
        mine = {s.get("spec", {}).get("nodeName") for s in siblings if s is not pod}
        return closest("placement-distinct-instance", [n for n in eligible if _name(n) in mine] or eligible)
    if stage == _RESOURCES:
        lacking = [resource for category, resource in found if category == _RESOURCES]
        resource = next((r for r in _RESOURCE_ORDER if r in lacking), None)
        if resource is None:
            return CATALOGUE["placement"].text(service=service)  # ephemeral storage, pod count: no ECS text
        richest = sorted(eligible, key=lambda n: (-_allocatable(n, resource), _name(n)))
        return closest(_RESOURCE_KEY[resource], richest)
    if stage == _PORTS:
        wanted = _host_ports(pod)
        busy = {s.get("spec", {}).get("nodeName") for s in siblings if s is not pod and _host_ports(s) & wanted}
        return closest("placement-ports", [n for n in eligible if _name(n) in busy] or eligible)
    # A node that meets every requirement but has lost its agent (kubelet) is the closest match,
    # closer than nodes that passed the taint filter only to fail the task's constraints.
    lost = [n for n in active if _agent_down(n, pod) and _selector_matches(pod, n) and _affinity_matches(pod, n)]
    if stage in (_AFFINITY, _TAINTS) and lost:
        return closest("placement-agent", lost)
    # Likewise a node that meets them but is cordoned: ECS skips DRAINING instances and has no closer words.
    drained = [n for n in ordered if _cordoned(n) and _selector_matches(pod, n) and _affinity_matches(pod, n)]
    if stage in (_AFFINITY, _TAINTS) and drained:
        return CATALOGUE["placement"].text(service=service)
    if stage == _AFFINITY:
        if selected:  # the task's own node selector fits: the memberOf expression does not
            return closest("placement-member-of", selected)
        provider = pod.get("metadata", {}).get("labels", {}).get(LABEL_PROVIDER)
        if provider and not any(_selector_matches(pod, n, skip=PLATFORM_LABELS) for n in active):
            return CATALOGUE["placement-no-provider-instances"].text(service=service)
        return closest("placement-attribute", tolerating)
    if stage == _TAINTS:
        return closest("placement-agent", [n for n in active if _agent_down(n, pod)])
    return CATALOGUE["placement"].text(service=service)


# ---------------------------------------------------------------------------------------------------------------
# Task creation refused: ResourceQuota and LimitRange -> ECS's quota messages

_QUOTA = re.compile(r"exceeded quota: [^,]+, requested: ([^,]+(?:,[^,]+)*?), used:")


def creation_message(service: str, failure: str) -> str | None:
    """ECS's message for a pod the API server refused (the ReplicaSet's FailedCreate), or None."""
    quota = _QUOTA.search(failure)
    if quota is not None:
        resources = {part.split("=", 1)[0].strip() for part in quota.group(1).split(",")}
        if resources & {"pods", "count/pods"}:
            return CATALOGUE["quota-tasks"].text(service=service)
        if resources & {"cpu", "requests.cpu", "limits.cpu"}:
            return CATALOGUE["quota-vcpus"].text(service=service)
        if resources & {"memory", "requests.memory", "limits.memory"}:
            return CATALOGUE["limit-memory"].text(service=service)
        return None
    # A LimitRange refuses the pod itself ("maximum cpu usage per Container is ..."), or its default
    # limit (the max, when the task sets no limit) falls below the task's request ("must be less than
    # or equal to cpu limit of ...").
    if re.search(r"(maximum|minimum) cpu usage per (Pod|Container)|must be less than or equal to cpu limit", failure):
        return CATALOGUE["limit-cpu"].text(service=service)
    if re.search(
        r"(maximum|minimum) memory usage per (Pod|Container)|must be less than or equal to memory limit", failure
    ):
        return CATALOGUE["limit-memory"].text(service=service)
    return None


# ---------------------------------------------------------------------------------------------------------------
# Load balancers


def _running_not_ready(pod: Pod) -> bool:
    status = pod.get("status", {})
    if status.get("phase") != "Running" or pod.get("metadata", {}).get("deletionTimestamp"):
        return False
    return not any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", []))


def _instance_id(node_name: str, nodes: Sequence[Node] | None) -> str:
    """The EC2 instance id behind a node (its providerID), as the ECSCluster status shows it."""
    for node in nodes or ():
        if _name(node) == node_name:
            provider = str(node.get("spec", {}).get("providerID") or "")
            return provider.rsplit("/", 1)[-1] or node_name
    return node_name


def unhealthy_target_messages(
    service: str, pod: Pod, spec: ECSServiceSpec, nodes: Sequence[Node] | None = None
) -> list[str]:
    """A load-balanced task whose containers run but which never passed its health checks (not Ready)
    within the grace period: ECS's "is unhealthy in (target-group ...)" before it stops the task."""
    if not _running_not_ready(pod):
        return []
    out = []
    for lb in spec.load_balancers or ():
        if lb.target_group_arn:
            out.append(
                CATALOGUE["target-unhealthy"].text(
                    service=service, port=lb.container_port, target_group=lb.target_group_arn
                )
            )
        elif lb.load_balancer_name:
            instance = _instance_id(str(pod.get("spec", {}).get("nodeName") or ""), nodes)
            out.append(CATALOGUE["elb-unhealthy"].text(service=service, instance=instance, elb=lb.load_balancer_name))
    return out


def _target_key(entry: Mapping[str, Any]) -> tuple[str, str, int]:
    return (
        str(entry.get("targetGroupArn") or ""),
        str(entry.get("loadBalancerName") or ""),
        int(entry["containerPort"]),
    )


def _registrations(
    service: str, before: Sequence[Mapping[str, Any]] | None, now: Sequence[Mapping[str, Any]] | None
) -> list[Event]:
    """Targets registered / deregistered: the change in healthy targets of each target group (its
    stand-in, the port Service's ready EndpointSlice endpoints)."""
    previous = {_target_key(e): int(e.get("healthyTargets") or 0) for e in before or () if "containerPort" in e}
    out = []
    for entry in now or ():
        group, elb, _port = key = _target_key(entry)
        change = int(entry.get("healthyTargets") or 0) - previous.get(key, 0)
        if not change or not (group or elb):
            continue
        if group:
            which = "targets-registered" if change > 0 else "targets-deregistered"
            out.append(CATALOGUE[which].event(service=service, count=abs(change), target_group=group))
        else:
            which = "instances-registered" if change > 0 else "instances-deregistered"
            out.append(CATALOGUE[which].event(service=service, count=abs(change), elb=elb))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Everything a service reconcile reports


@dataclass(frozen=True)
class Observed:
    """What :func:`observe` reads: the service as reconciled this round."""

    service: str
    spec: ECSServiceSpec
    body: Mapping[str, Any]
    pods: Sequence[Pod]
    now: datetime
    desired: int
    deployments: Sequence[Mapping[str, Any]] = ()  # this round's status.deployments, PRIMARY first
    nodes: Sequence[Node] | None = None
    creation_failures: Sequence[str] = ()
    load_balancers: Sequence[Mapping[str, Any]] | None = None  # this round's status.loadBalancers


@dataclass
class Situations:
    """The events this round adds and the bookkeeping they need in the status."""

    events: list[Event] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)


def _draining(obs: Observed, previous: Mapping[str, Any], out: Situations) -> None:
    """``has begun draining connections``: load-balanced tasks that started stopping this round."""
    if not obs.spec.load_balancers:
        return
    stopping = sorted(
        str(p["metadata"]["name"])
        for p in obs.pods
        if p.get("metadata", {}).get("deletionTimestamp") and p.get("status", {}).get("phase") == "Running"
    )
    new = [name for name in stopping if name not in set(previous.get("drainingTasks") or ())]
    out.status["drainingTasks"] = stopping or None
    if new:
        out.events.append(CATALOGUE["draining"].event(service=obs.service, count=len(new)))


def _desired_count_writer(body: Mapping[str, Any]) -> str | None:
    """Who last set spec.desiredCount, as ``manager/subresource``."""
    for entry in body.get("metadata", {}).get("managedFields") or ():
        spec = (entry.get("fieldsV1") or {}).get("f:spec") or {}
        if "f:desiredCount" in spec and entry.get("operation") == "Update":
            return f"{entry.get('manager')}/{entry.get('subresource') or ''}"
    return None


def _auto_scaling(obs: Observed, previous: Mapping[str, Any], out: Situations) -> None:
    """Application Auto Scaling's activity message when the HPA moved desiredCount."""
    before = previous.get("desiredCount")
    if obs.spec.auto_scaling is None or before is None or before == obs.desired or obs.spec.is_daemon:
        return
    if _desired_count_writer(obs.body) == f"{HPA_MANAGER}/scale":
        out.events.append(CATALOGUE["auto-scaling"].event(count=obs.desired))


def _deployment_configuration(obs: Observed, out: Situations) -> None:
    """A deployment is replacing tasks, but maximumPercent / minimumHealthyPercent leave no room to stop
    or start one (Kubernetes would refuse maxSurge 0 with maxUnavailable 0; the Deployment gets 1)."""
    if obs.spec.is_daemon or len(obs.deployments) < 2:
        return
    if obs.deployments[0].get("rolloutState") != "IN_PROGRESS":
        return
    config = obs.spec.deployment_configuration
    numbers = rolling_update(
        obs.desired,
        config.maximum_percent if config else None,
        config.minimum_healthy_percent if config else None,
    )
    if numbers.warnings:
        out.events.append(CATALOGUE["deployment-configuration"].event(service=obs.service))


def _unique(messages: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(m for m in messages if m))


def observe(obs: Observed, previous: Mapping[str, Any]) -> Situations:
    """The service events this reconcile's observations call for, before de-duplication."""
    out = Situations()
    live = [p for p in obs.pods if not p.get("metadata", {}).get("deletionTimestamp")]
    placements = _unique(placement_message(obs.service, p, obs.nodes, live) or "" for p in live)
    for text in placements:
        out.events.append(Event(Reason.SERVICE_EVENT, text, Severity.WARNING))
    for text in _unique(creation_message(obs.service, f) or "" for f in obs.creation_failures):
        out.events.append(Event(Reason.SERVICE_EVENT, text, Severity.WARNING))
    _deployment_configuration(obs, out)
    _auto_scaling(obs, previous, out)
    _draining(obs, previous, out)
    out.events += _registrations(obs.service, previous.get("loadBalancers"), obs.load_balancers)
    return out


# ---------------------------------------------------------------------------------------------------------------
# De-duplication and the events list

_REPEATING = [
    re.compile(re.sub(r"\\\{[a-z_]+\\\}", ".+?", re.escape(m.template))) for m in CATALOGUE.values() if m.repeats
]


def _repeats(message: str) -> bool:
    return any(p.fullmatch(message) for p in _REPEATING)


def fresh(message: str, events: Sequence[Mapping[str, Any]], now: datetime) -> bool:
    """May ``message`` be added? Not while an identical message is listed and younger than six hours
    (only for messages about lasting situations; transitions always are)."""
    if not _repeats(message):
        return True
    for old in events:
        if old.get("message") != message:
            continue
        at = parse_time(old.get("createdAt"))
        if at is None or now - at < DUPLICATE_WINDOW:
            return False
    return True


def record(
    status_events: Sequence[Mapping[str, Any]], candidates: Sequence[Event], now: datetime
) -> tuple[list[dict[str, Any]], list[Event]]:
    """``status.events`` with the fresh candidates on top (newest first, at most MAX_EVENTS), and the
    events that were added (for Kubernetes Events)."""
    stamp = iso(now)
    added: list[Event] = []
    listed = list(status_events)
    for candidate in candidates:
        if any(e.message == candidate.message for e in added) or not fresh(candidate.message, listed, now):
            continue
        added.append(candidate)
    entries = [event(e.message, stamp, f"situation-{i}") for i, e in enumerate(added)]
    entries.reverse()  # later messages of this round go on top
    return (entries + [dict(e) for e in listed])[:MAX_EVENTS], added
