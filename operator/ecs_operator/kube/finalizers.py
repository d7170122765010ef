"""The operator's finalizer on ECS objects, kept by the operator itself rather than by kopf.

A reconcile adds it to an object it acts on; the object's deletion (DeleteService draining, StopTask
for an ECSTask's tasks, a cluster held while services use it) removes it when ECS's semantics are
done. kopf never touches it, so a replica that does not own the object's shard writes nothing to it.
JSON patches with a ``test`` of the list make a concurrent change of the finalizers a Conflict to
retry, never a lost finalizer of someone else's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..vocabulary import FINALIZER
from .client import Kube
from .resources import resource_for

__all__ = ["has_finalizer", "add_finalizer", "remove_finalizer"]

JSON_PATCH = "application/json-patch+json"


def has_finalizer(body: Mapping[str, Any]) -> bool:
    return FINALIZER in ((body.get("metadata") or {}).get("finalizers") or [])


def add_finalizer(kube: Kube, body: Mapping[str, Any]) -> None:
    """Hold the object's deletion until the operator has done ECS's part of it."""
    current = list((body.get("metadata") or {}).get("finalizers") or [])
    if FINALIZER in current:
        return
    ops: list[dict[str, Any]] = (
        [{"op": "test", "path": "/metadata/finalizers", "value": current}] if current else []
    ) + [{"op": "add", "path": "/metadata/finalizers", "value": [*current, FINALIZER]}]
    kube.request("PATCH", _path(body), body=ops, content_type=JSON_PATCH)


def remove_finalizer(kube: Kube, body: Mapping[str, Any]) -> None:
    """Let the API server finish the deletion (garbage collection removes what the object owned)."""
    current = list((body.get("metadata") or {}).get("finalizers") or [])
    if FINALIZER not in current:
        return
    ops = [
        {"op": "test", "path": "/metadata/finalizers", "value": current},
        {"op": "replace", "path": "/metadata/finalizers", "value": [f for f in current if f != FINALIZER]},
    ]
    kube.request("PATCH", _path(body), body=ops, content_type=JSON_PATCH)


def _path(body: Mapping[str, Any]) -> str:
    meta = body["metadata"]
    return resource_for(body["apiVersion"], body["kind"]).path(meta.get("namespace"), meta["name"])
