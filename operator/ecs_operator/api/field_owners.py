"""Partial updates by server-side apply: the API sends what it owns, so it never drops a field.

A server-side apply by field manager ``ecs-api`` states every field that manager wants; a spec
member it applied before and leaves out of the next apply is *removed* (unless another manager
also owns it). So an update of a few members (UpdateCluster's ``settings``, TagResource's
``tags``) applies those members plus the current values of every other spec member ``ecs-api``
already owns (read from ``metadata.managedFields``), and nothing that only kubectl owns: a field
kubectl applied stays kubectl's and survives. When the call changes a member kubectl owns, the
forced apply moves that member to ``ecs-api`` (the last writer wins); ownership is tracked per
top-level spec member here, because ECS's update calls replace whole members.

The apply carries the resourceVersion read, so two read-modify-write calls racing on one list
(two TagResource calls) cannot lose a write: the loser gets a Conflict and is retried on a
fresh copy (up to :data:`ATTEMPTS` tries).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..kube.errors import Conflict
from ..kube.informer import Index
from ..vocabulary import API_FIELD_MANAGER
from .context import Call
from .objects import Obj, apply

__all__ = ["ATTEMPTS", "owned_spec_members", "apply_spec"]

ATTEMPTS = 5


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
    spec = obj.get("spec") or {}
    kept = {m: spec[m] for m in owned_spec_members(obj) if m in spec and m not in changes}
    kept.update({k: v for k, v in changes.items() if v is not None})
    meta = obj["metadata"]
    metadata = {"name": meta["name"], "namespace": meta["namespace"]}
    if meta.get("resourceVersion"):
        metadata["resourceVersion"] = meta["resourceVersion"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": metadata, "spec": kept}


def apply_spec(
    call: Call,
    obj: Obj,
    index: Index,
    change: Callable[[Obj], Mapping[str, Any]],
) -> Obj:
    """Apply ``change(current)`` (spec members; None leaves one out) over what ``ecs-api`` owns.

    The operator's status writes also move the resourceVersion, so a Conflict is retried on a
    fresh copy a few times before it reaches the caller.
    """
    current = obj
    for _ in range(ATTEMPTS - 1):
        try:
            return apply(call, _body(current, change(current)), index)
        except Conflict:
            meta = obj["metadata"]
            current = call.kube.get(obj["apiVersion"], obj["kind"], meta["namespace"], meta["name"])
            index.remember(current)
    return apply(call, _body(current, change(current)), index)
