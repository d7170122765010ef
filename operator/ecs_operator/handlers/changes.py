"""The one "the object changed: reconcile it now" handler every kind shares.

kopf calls it on resume, create and spec updates; it runs the kind's work queue in kopf's
thread, so kopf's retry semantics apply to what escapes (handlers/errors.py).
"""

from __future__ import annotations

from typing import Any

import kopf

from ..vocabulary import GROUP, PLURALS, VERSION
from .context import context_of, namespaced
from .errors import kopf_errors

__all__ = ["register_changes"]

BACKOFF_SECONDS = 5


def register_changes(registry: kopf.OperatorRegistry, kind: str, handler_id: str) -> None:
    """Reconcile objects of ``kind`` when they appear, resume, or their spec changes."""

    @kopf_errors
    def changed(namespace: str | None, name: str, memo: kopf.Memo, **_: Any) -> None:
        context_of(memo).queue(kind).run(namespaced(namespace), name, raise_errors=True)

    plural = PLURALS[kind]
    for on in (kopf.on.resume, kopf.on.create):
        on(GROUP, VERSION, plural, id=handler_id, backoff=BACKOFF_SECONDS, registry=registry)(changed)
    kopf.on.update(GROUP, VERSION, plural, id=handler_id, field="spec", backoff=BACKOFF_SECONDS, registry=registry)(
        changed
    )
