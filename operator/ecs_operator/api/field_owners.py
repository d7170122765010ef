"""Partial updates by server-side apply: the API sends what it owns, so it never drops a field.

A server-side apply by field manager ``ecs-api`` states every field that manager wants; a spec
member it applied before and leaves out of the next apply is *removed* (unless another manager
also owns it). So an update of a few members (UpdateCluster's ``settings``, TagResource's
``tags``) applies those members plus the current values of every other field ``ecs-api`` already
owns, in spec and metadata (read from ``metadata.managedFields`` by :mod:`.applied_intent`: a
client token annotation CreateService set must not vanish when the service is tagged), and
nothing that only kubectl owns: a field kubectl applied stays kubectl's and survives. When the
call changes a member kubectl owns, the forced apply moves that member to ``ecs-api`` (the last
writer wins); ECS's update calls replace whole members, so a change replaces its member whole.

The apply carries the resourceVersion read, so two read-modify-write calls racing on one list
(two TagResource calls) cannot lose a write: the loser gets a Conflict and is retried on a
fresh copy (up to :data:`ATTEMPTS` tries).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..kube.errors import Conflict
from ..kube.informer import Index
from ..vocabulary import API_FIELD_MANAGER
from .applied_intent import owned_intent
from .context import Call
from .objects import Obj, apply

__all__ = ["ATTEMPTS", "BACKOFF_SECONDS", "backoff", "owned_spec_members", "apply_spec"]

ATTEMPTS = 10
BACKOFF_SECONDS = 0.02
MAX_BACKOFF_SECONDS = 0.5


def backoff(attempt: int) -> float:
    """A random pause that doubles with each try, capped: a dozen racing writers spread out within a few tries."""
    return random.uniform(0, min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2**attempt))


def owned_spec_members(obj: Mapping[str, Any], manager: str = API_FIELD_MANAGER) -> set[str]:
    """The top-level spec members ``manager`` holds by server-side apply."""
    owned: set[str] = set()
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") != manager or entry.get("operation") != "Apply":
            continue
        spec = (entry.get("fieldsV1") or {}).get("f:spec") or {}
        owned.update(key[2:] for key in spec if key.startswith("f:"))
    return owned


def _body(obj: Mapping[str, Any], changes: Mapping[str, Any]) -> Obj:
    """What ``ecs-api`` owns now (metadata and spec, :func:`.applied_intent.owned_intent`), with
    ``changes`` replacing whole spec members (None: left out)."""
    intent = owned_intent(obj, API_FIELD_MANAGER)
    spec = dict(intent.get("spec") or {})
    for member, value in changes.items():
        if value is None:
            spec.pop(member, None)
        else:
            spec[member] = value
    meta = obj["metadata"]
    metadata = {**(intent.get("metadata") or {}), "name": meta["name"], "namespace": meta["namespace"]}
    if meta.get("resourceVersion"):
        metadata["resourceVersion"] = meta["resourceVersion"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": metadata, "spec": spec}


def apply_spec(
    call: Call,
    obj: Obj,
    index: Index,
    change: Callable[[Obj], Mapping[str, Any]],
) -> Obj:
    """Apply ``change(current)`` (spec members; None leaves one out) over what ``ecs-api`` owns.

    The operator's status writes and concurrent calls also move the resourceVersion, so a
    Conflict is retried on a fresh copy, after a short random pause that grows with each try,
    before it reaches the caller.
    """
    current = obj
    for attempt in range(1, ATTEMPTS):
        try:
            return apply(call, _body(current, change(current)), index)
        except Conflict:
            time.sleep(backoff(attempt))  # racing writers spread out
            meta = obj["metadata"]
            current = call.kube.get(obj["apiVersion"], obj["kind"], meta["namespace"], meta["name"])
            index.remember(current)
    return apply(call, _body(current, change(current)), index)
