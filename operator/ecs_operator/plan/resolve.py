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

__all__ = ["MISSING_RETRY_SECONDS", "Resolved", "reference", "resolve_revision", "cluster_spec_of"]

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
    """The revision to run: the pinned one, else the latest, unless a rollback chose an older one.

    ``previous`` is a service's status (its circuit breaker's rollback target); tasks pass None.
    """
    by_number = {r.number: r for r in revisions}
    wanted = pinned if pinned is not None else (max(by_number) if by_number else None)
    if wanted is None or wanted not in by_number:
        what = f"TaskDefinition {family}" + (f" revision {pinned}" if pinned else "")
        message = f"taskDefinition: {what} not found in namespace {namespace}"
        raise Problem(Reason.TASK_DEFINITION_NOT_FOUND, message, retry_after=MISSING_RETRY_SECONDS)
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
