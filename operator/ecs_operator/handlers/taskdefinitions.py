"""TaskDefinition: every spec change registers a new immutable revision (observe -> plan -> act).

A new revision re-reconciles the ECSServices that follow the family's latest revision, both
when this operator registers it and when its ControllerRevision is seen (another replica, a
restart).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kopf

from ..kube import NotFound
from ..models import SpecError, parse_task_definition
from ..plan import RevisionSeen, plan_invalid_task_definition, plan_task_definition
from ..plan.task_definition import family_of, recorded_revision
from ..vocabulary import (
    GROUP,
    KIND_TASK_DEFINITION,
    LABEL_FAMILY,
    LABEL_REVISION,
    LABEL_TASK_DEFINITION,
    PLURALS,
    REVISION_LEDGER,
    VERSION,
)
from .changes import register_changes
from .clock import utcnow
from .context import OperatorContext, context_of, namespaced

__all__ = ["reconcile_task_definition", "register"]


def reconcile_task_definition(ctx: OperatorContext, namespace: str, name: str) -> float | None:
    try:
        body = ctx.lookups.get(KIND_TASK_DEFINITION, namespace, name)
    except NotFound:
        return None
    if body["metadata"].get("deletionTimestamp"):
        return None
    now = utcnow()
    try:
        parse_task_definition(body.get("spec") or {})
    except SpecError as exc:
        return ctx.executor.execute(body, plan_invalid_task_definition(body, str(exc), now)).requeue_after
    revisions = [RevisionSeen(r.number, r.spec) for r in ctx.lookups.list_revisions(namespace, name)]
    ledger = ctx.kube.get_or_none("v1", "ConfigMap", namespace, REVISION_LEDGER)
    plan, registered = plan_task_definition(body, revisions, now, recorded_revision(ledger, family_of(body)))
    outcome = ctx.executor.execute(body, plan)
    if registered is not None and outcome.requeue_after is None:
        _notify_services(ctx, namespace, family_of(body))
    return outcome.requeue_after


def _notify_services(ctx: OperatorContext, namespace: str, family: str) -> None:
    for service in ctx.lookups.services_following(namespace, family):
        ctx.services.later(namespace, service, 0)


async def task_definition_seen(event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    context_of(memo).caches.task_definitions.observe(event.get("type"), body)


def revision_seen(
    event: kopf.RawEvent, body: kopf.Body, namespace: str | None, labels: Mapping[str, str], memo: kopf.Memo, **_: Any
) -> None:
    """A new revision: services following its family roll to it (DESIGN.md reconciliation rules), and
    its TaskDefinition's status names it (the ECS API registers revisions itself, sometimes without
    changing the spec: the same spec registered again is a new revision, as in ECS)."""
    namespace = namespaced(namespace)
    ctx = context_of(memo)
    ctx.caches.revisions.observe(event.get("type"), body)
    if event.get("type") == "ADDED" and labels.get(LABEL_FAMILY):
        _notify_services(ctx, namespace, labels[LABEL_FAMILY])
    owner = labels.get(LABEL_TASK_DEFINITION)
    if event.get("type") == "ADDED" and owner and _newer_than_status(ctx, namespace, owner, labels):
        ctx.queue(KIND_TASK_DEFINITION).later(namespace, owner, 0)


def _newer_than_status(ctx: OperatorContext, namespace: str, owner: str, labels: Mapping[str, str]) -> bool:
    number = labels.get(LABEL_REVISION, "")
    for td in ctx.caches.task_definitions.get(namespace, labels.get(LABEL_FAMILY, "")):
        if td["metadata"]["name"] == owner:
            known = (td.get("status") or {}).get("revision")
            return not (isinstance(known, int) and number.isdigit() and int(number) <= known)
    return True


def register(registry: kopf.OperatorRegistry) -> None:
    plural = PLURALS[KIND_TASK_DEFINITION]
    register_changes(registry, KIND_TASK_DEFINITION, finalized=False)
    kopf.on.event(GROUP, VERSION, plural, registry=registry)(task_definition_seen)
    kopf.on.event("apps", "v1", "controllerrevisions", labels={LABEL_TASK_DEFINITION: kopf.PRESENT}, registry=registry)(
        revision_seen
    )
