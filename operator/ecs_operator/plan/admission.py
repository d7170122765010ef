"""The validating webhook's verdict: the reconcile's own checks, run before the object is stored.

Every rule here is one a reconcile applies already (the models' ``parse_*``, the revision
resolution of :mod:`.resolve`, the service and task renders), so ``kubectl apply`` refuses with
the message the object's status would otherwise show. What a reconcile treats as *waiting* (a
TaskDefinition or ECSCluster not created yet: ``kubectl apply -f dir/`` creates objects in any
order) is admitted with a warning; what a reconcile can never get past is refused:

* a spec the models refuse (Fargate's cpu/memory table, dependsOn cycles and unknown containers,
  mountPoints naming no volume, ...);
* a render error (a memberOf expression, a schedule, a capacity provider the cluster lacks);
* ``family:N`` where the family exists but revision N is neither registered nor the revision its
  TaskDefinition's current spec registers next (ECS: ``ClientException: TaskDefinition not
  found``, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html),
  and an INACTIVE revision for a service or task that does not already run it.

Members accepted but rendered loosely or not at all come back as warnings, in the words the
status ``warnings`` use. Pure: the handler passes in what it looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import (
    ECSClusterSpec,
    ECSServiceSpec,
    ECSTaskSpec,
    SpecError,
    TaskDefinitionSpec,
    parse_cluster,
    parse_service,
    parse_task,
    parse_task_definition,
)
from ..render.errors import RenderError
from ..render.pod import render_pod_template
from ..render.revision import canonical_json
from ..render.schedule import ScheduleError
from ..render.service import render_service
from ..render.task import render_task
from ..render.warnings import RenderWarning
from ..vocabulary import API_VERSION
from .resolve import Resolved, cluster_spec_of, reference, resolve_revision
from .task_definition import family_of
from .types import Problem, Reason, Revision

__all__ = [
    "PLACEHOLDER_UID",
    "Refused",
    "WorkloadFacts",
    "admit_cluster",
    "admit_task_definition",
    "admit_workload",
    "pending_revision",
    "spec_unchanged",
]

PLACEHOLDER_UID = "00000000-0000-0000-0000-000000000000"
"""Owner uid for rendering an object the API server has not stored yet (a create, a dry run)."""

NodeLabels = Callable[[], Sequence[Mapping[str, str]]]


class Refused(Exception):
    """The object breaks a rule no reconcile can get past; ``message`` is what status would say."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class WorkloadFacts:
    """What an ECSService or ECSTask refers to, as the handler found it."""

    task_definition: Mapping[str, Any] | None  # the family's TaskDefinition object
    revisions: Sequence[Revision]  # its registered revisions
    recorded: int  # the family's highest revision in the namespace ledger (0: none)
    cluster: Mapping[str, Any] | None  # the ECSCluster object the spec names
    node_labels: NodeLabels  # called only when a memberOf expression needs them
    fargate_provisioner: str | None
    now: datetime


def spec_unchanged(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> bool:
    """An update that leaves ``spec`` alone (finalizers, annotations, labels): nothing to check.

    Checking those would let a later change elsewhere (a revision deleted) refuse the operator's
    own metadata patches and a finalizer's removal.
    """
    if old is None or new is None:
        return False
    return canonical_json(old.get("spec") or {}) == canonical_json(new.get("spec") or {})


def admit_task_definition(body: Mapping[str, Any], revision: int = 1) -> list[str]:
    """Refused for what the models refuse; warnings from the pod one task of it runs (`ecs-operator render`)."""
    td = _parsed(parse_task_definition, body)
    family = family_of(body)
    try:
        pod = render_pod_template(
            td,
            family=family,
            revision=revision,
            for_service=False,
            task_group=f"family:{family}",
            restart_policy="Never",
        )
    except (RenderError, SpecError) as exc:
        raise Refused(str(exc)) from exc
    return _warning_lines(pod.warnings)


def admit_cluster(body: Mapping[str, Any]) -> list[str]:
    """Refused for what the models refuse (capacity provider profiles, settings)."""
    _parsed(parse_cluster, body)
    return []


def admit_workload(
    kind: str, body: Mapping[str, Any], previous: Mapping[str, Any] | None, facts: WorkloadFacts
) -> list[str]:
    """An ECSService or ECSTask: parse, resolve its revision and cluster, render, as its reconcile does.

    ``previous`` is the stored object's status on an update (what it runs keeps resolving).
    """
    spec: ECSServiceSpec | ECSTaskSpec = _parsed(parse_service if kind == "ECSService" else parse_task, body)
    namespace = str(body["metadata"].get("namespace") or "default")
    try:
        family, pinned = reference(spec.task_definition)
    except Problem as problem:
        raise Refused(problem.message) from problem
    if facts.task_definition is None:
        # Created later (or in the same `kubectl apply`): the reconcile waits for it, and so do we.
        return [f"taskDefinition: TaskDefinition {family} not found in namespace {namespace} (yet)"]
    available = list(facts.revisions)
    pending = pending_revision(facts.task_definition, available, facts.recorded)
    if pending is not None:
        available.append(pending)
    try:
        resolved = resolve_revision(family, pinned, available, namespace, previous)
    except Problem as problem:
        if problem.retry_after is None or (problem.reason is Reason.TASK_DEFINITION_NOT_FOUND and pinned is not None):
            raise Refused(problem.message) from problem
        return [problem.message]
    try:
        cluster_spec = _cluster_spec(facts.cluster, spec.cluster_name, namespace)
    except Problem as problem:
        return [problem.message]
    owner = _owner(body, kind)
    try:
        if isinstance(spec, ECSServiceSpec):
            warnings = render_service(
                owner,
                spec,
                resolved.spec,
                family=family,
                revision=resolved.revision,
                cluster=spec.cluster_name,
                cluster_spec=cluster_spec,
                node_labels=_labels_if_needed(spec, resolved, facts.node_labels),
                fargate_provisioner=facts.fargate_provisioner,
                now=facts.now,
            ).warnings
        else:
            warnings = render_task(
                owner,
                spec,
                resolved.spec,
                family=family,
                revision=resolved.revision,
                cluster=spec.cluster_name,
                node_labels=_labels_if_needed(spec, resolved, facts.node_labels),
                cluster_spec=cluster_spec,
                fargate_provisioner=facts.fargate_provisioner,
            ).warnings
    except (RenderError, SpecError) as exc:
        # the prefix the service and task handlers put on the same errors in status
        prefix = "" if isinstance(exc, ScheduleError) else f"taskDefinition {family}:{resolved.revision}: "
        raise Refused(f"{prefix}{exc}") from exc
    return _warning_lines(warnings)


def pending_revision(td: Mapping[str, Any], revisions: Sequence[Revision], recorded: int) -> Revision | None:
    """The revision the TaskDefinition's current spec registers next, when it is not the latest yet.

    The operator registers revisions after the TaskDefinition is stored, so a service applied with
    it (``family:1`` in the same file) names a revision about to exist. The number follows
    :func:`.task_definition.plan_task_definition`: the latest plus one, or the ledger's plus one.
    """
    spec = dict(td.get("spec") or {})
    try:
        parse_task_definition(spec)
    except SpecError:
        return None  # an invalid spec registers nothing
    latest = max(revisions, key=lambda r: r.number) if revisions else None
    if latest is not None and canonical_json(latest.spec) == canonical_json(spec):
        return None
    number = latest.number + 1 if latest is not None else recorded + 1
    return Revision(number, spec)


def _parsed(parse: Callable[[Mapping[str, Any]], Any], body: Mapping[str, Any]) -> Any:
    try:
        return parse(body.get("spec") or {})
    except SpecError as exc:
        raise Refused(str(exc)) from exc


def _cluster_spec(found: Mapping[str, Any] | None, cluster: str, namespace: str) -> ECSClusterSpec:
    """The cluster's spec; ECS's implicit ``default`` is what the operator creates on first use."""
    if found is None and cluster == "default":
        return parse_cluster({})
    return cluster_spec_of(found, cluster, namespace)


def _labels_if_needed(
    spec: ECSServiceSpec | ECSTaskSpec, resolved: Resolved, node_labels: NodeLabels
) -> Sequence[Mapping[str, str]]:
    td: TaskDefinitionSpec = resolved.spec
    constraints = [*(spec.placement_constraints or ()), *(td.placement_constraints or ())]
    return node_labels() if any(c.expression for c in constraints) else []


def _owner(body: Mapping[str, Any], kind: str) -> dict[str, Any]:
    metadata = dict(body.get("metadata") or {})
    metadata.setdefault("namespace", "default")
    if not metadata.get("uid"):
        metadata["uid"] = PLACEHOLDER_UID
    return {"apiVersion": API_VERSION, "kind": kind, **body, "metadata": metadata}


def _warning_lines(warnings: Sequence[RenderWarning]) -> list[str]:
    """The status ``warnings`` wording (``<ECS path>: <what happens instead>``), repeats dropped."""
    return list(dict.fromkeys(f"{w.path}: {w.reason}" for w in warnings))
