"""The one "the object changed: reconcile it" watch every kind shares, and its finalizer's two ends.

kopf only tells the operator what happened (an ``on.event`` watch, no per-object bookkeeping of its
own: no finalizer, no annotations, no retries); the operator's work queue runs the reconcile and
retries it. A new object, every object listed at start-up, a spec change (a new
``metadata.generation``) and the start of a deletion are what reach the queue here; pods, owned
objects and timers reach it through their own watches. So kopf writes nothing to an ECS object,
and under sharding a replica that does not own an object's shard never writes to it at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kopf

from ..kube.finalizers import add_finalizer, has_finalizer, remove_finalizer
from ..vocabulary import GROUP, PLURALS, VERSION
from .context import OperatorContext, context_of, namespaced

__all__ = ["register_changes", "adopt", "release"]


def register_changes(registry: kopf.OperatorRegistry, kind: str, *, finalized: bool = True) -> None:
    """Reconcile objects of ``kind`` when they appear, at start-up, on a spec change and on deletion.

    ``finalized``: the kind's reconcile holds its deletion with our finalizer (see :func:`adopt`).
    """

    async def changed(
        event: kopf.RawEvent, body: kopf.Body, namespace: str | None, name: str, memo: kopf.Memo, **_: Any
    ) -> None:
        ctx = context_of(memo)
        namespace = namespaced(namespace)
        if ctx.generations.changed(kind, event.get("type"), body, finalized=finalized):
            ctx.queue(kind).later(namespace, name, 0.0)
        elif event.get("type") == "DELETED":
            ctx.queue(kind).forget(namespace, name)

    kopf.on.event(GROUP, VERSION, PLURALS[kind], id=f"{kind.lower()}-changed", registry=registry)(changed)


def adopt(ctx: OperatorContext, body: Mapping[str, Any]) -> None:
    """Before the first object of its own exists: hold the object's deletion for ECS's part of it."""
    if not has_finalizer(body) and not body["metadata"].get("deletionTimestamp"):
        add_finalizer(ctx.kube, body)


def release(ctx: OperatorContext, kind: str, body: Mapping[str, Any]) -> None:
    """ECS's part of a deletion is done: let the API server finish it and forget the object."""
    meta = body["metadata"]
    remove_finalizer(ctx.kube, body)
    ctx.queue(kind).forget(meta["namespace"], meta["name"])
    ctx.applier.forget_owner(meta["namespace"], meta["name"])
