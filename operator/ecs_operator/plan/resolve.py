"""What a service or task refers to, resolved from what was observed, or the Problem that stops it.

References follow ECS: ``family`` (latest ACTIVE revision), ``family:revision`` or a
task-definition ARN (RegisterTaskDefinition / CreateService ``taskDefinition``,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html); a cluster by
name or ARN, ECS's implicit ``default`` when none is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..models import ECSClusterSpec, SpecError, TaskDefinitionSpec, parse_cluster, parse_task_definition
from ..render.revision import parse_reference
from .service_status import target_revision
from .types import Problem, Reason, Revision

__all__ = [
    "MISSING_RETRY_SECONDS",
    "Resolved",
    "reference",
    "resolve_revision",
    "running_revisions",
    "cluster_spec_of",
]

MISSING_RETRY_SECONDS = 10.0


@dataclass(frozen=True)
class Resolved:
    family: str
    revision: int
    spec: TaskDefinitionSpec


def reference(task_definition: str) -> tuple[str, int | None]:
    """(family, pinned revision or None) of a taskDefinition reference."""
    try:
        return parse_reference(task_definition)
    except ValueError as exc:
        raise Problem(Reason.INVALID_SPEC, str(exc)) from exc


def resolve_revision(
    family: str,
    pinned: int | None,
    revisions: Sequence[Revision],
    namespace: str,
    previous: Mapping[str, Any] | None = None,
) -> Resolved:
    """The revision to run: the pinned one, else the latest ACTIVE, unless a rollback chose an older one.

    ``previous`` is the service's or task's status: what it runs now (``taskDefinition``, its
    deployments) and a circuit breaker's rollback target. As in ECS, a deregistered (INACTIVE) or
    deleted (DELETE_IN_PROGRESS) revision keeps running where it runs, but nothing new may start
    on it, and a bare family never names one
    (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterTaskDefinition.html,
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteTaskDefinitions.html).
    A service following the bare family while it runs a revision deregistered after it started
    stays on it until a newer ACTIVE revision is registered.
    """
    by_number = {r.number: r for r in revisions}
    running = running_revisions(family, previous)
    wanted = pinned if pinned is not None else _latest_usable(by_number, running)
    if wanted is None or wanted not in by_number:
        if pinned is None and by_number:
            message = f"taskDefinition: TaskDefinition {family} has no ACTIVE revision in namespace {namespace}"
            raise Problem(Reason.TASK_DEFINITION_INACTIVE, message, retry_after=MISSING_RETRY_SECONDS)
        what = f"TaskDefinition {family}" + (f" revision {pinned}" if pinned else "")
        message = f"taskDefinition: {what} not found in namespace {namespace}"
        raise Problem(Reason.TASK_DEFINITION_NOT_FOUND, message, retry_after=MISSING_RETRY_SECONDS)
    chosen = by_number[wanted]
    if not chosen.active and wanted not in running:
        message = (
            f"taskDefinition: {family}:{wanted} is {chosen.status}; new services and tasks cannot use it "
            f"(register a new revision, or name an ACTIVE one)"
        )
        raise Problem(Reason.TASK_DEFINITION_INACTIVE, message)
    revision = wanted
    if previous is not None:
        revision = target_revision(wanted, previous)
        if revision not in by_number:
            revision = wanted
    try:
        spec = parse_task_definition(by_number[revision].spec)
    except SpecError as exc:
        message = f"taskDefinition {family}:{revision} is invalid: {exc}"
        raise Problem(Reason.TASK_DEFINITION_INVALID, message, retry_after=MISSING_RETRY_SECONDS) from exc
    return Resolved(family, revision, spec)


def _latest_usable(by_number: Mapping[int, Revision], running: frozenset[int]) -> int | None:
    """A bare family: the highest ACTIVE revision, or a newer one already running (deregistered since)."""
    active = [n for n, r in by_number.items() if r.active]
    kept = [n for n in running if n in by_number and not by_number[n].active]
    candidates = active + [n for n in kept if not active or n > max(active)]
    return max(candidates) if candidates else None


def running_revisions(family: str, previous: Mapping[str, Any] | None) -> frozenset[int]:
    """The family's revisions a service or task runs now, read off its status."""
    if not previous:
        return frozenset()
    refs: list[Any] = [previous.get("taskDefinition")]
    for deployment in previous.get("deployments") or []:
        if isinstance(deployment, Mapping):
            refs.append(deployment.get("taskDefinition"))
            number = deployment.get("taskDefinitionRevision")
            if isinstance(number, int) and not isinstance(number, bool):
                refs.append(f"{family}:{number}")
    found: set[int] = set()
    for ref in refs:
        if not isinstance(ref, str) or not ref:
            continue
        try:
            ref_family, number = parse_reference(ref)
        except ValueError:
            continue
        if ref_family == family and number is not None:
            found.add(number)
    return frozenset(found)


def cluster_spec_of(found: Mapping[str, Any] | None, cluster: str, namespace: str) -> ECSClusterSpec:
    """The named ECSCluster's spec, or the Problem that holds its services and tasks."""
    if found is None:
        message = f"cluster: ECSCluster {cluster} not found in namespace {namespace}"
        raise Problem(Reason.CLUSTER_NOT_FOUND, message, retry_after=MISSING_RETRY_SECONDS)
    try:
        return parse_cluster(found.get("spec") or {})
    except SpecError as exc:
        message = f"cluster: ECSCluster {cluster} is invalid: {exc}"
        raise Problem(Reason.CLUSTER_NOT_FOUND, message, retry_after=MISSING_RETRY_SECONDS) from exc
