"""In-memory views of watched objects, so a reconcile reads instead of requesting.

kopf already watches these kinds; each event updates a :class:`Store`. Reconciles ask the
store first and fall back to the API only when it has nothing (not yet synced, or a
genuinely empty answer), so a stale or cold cache costs a request, never correctness:
every change that could make an answer stale also triggers the reconcile again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..plan.cluster import cluster_name, cluster_reference
from ..plan.task_definition import family_of
from ..vocabulary import FINALIZER, LABEL_SERVICE, LABEL_TASK, LABEL_TASK_DEFINITION

__all__ = ["Store", "Caches", "Generations"]

Obj = dict[str, Any]


class Store:
    """Objects by (namespace, key) then name; key_fn derives the key from an object."""

    def __init__(self, key_fn: Callable[[Mapping[str, Any]], str | None]) -> None:
        self._key_fn = key_fn
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], dict[str, Obj]] = {}
        self._where: dict[tuple[str, str], tuple[str, str]] = {}  # (namespace, name) -> its bucket

    def observe(self, event_type: str | None, obj: Mapping[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        key = self._key_fn(obj)
        if key is None:
            return
        namespace = meta.get("namespace") or ""
        identity = (namespace, meta["name"])
        with self._lock:
            before = self._where.pop(identity, None)
            if before is not None:  # drop the previous copy, wherever its key put it
                self._items.get(before, {}).pop(meta["name"], None)
                if not self._items.get(before, True):
                    del self._items[before]
            if event_type != "DELETED":
                self._items.setdefault((namespace, key), {})[meta["name"]] = dict(obj)
                self._where[identity] = (namespace, key)

    def get(self, namespace: str, key: str) -> list[Obj]:
        with self._lock:
            return list(self._items.get((namespace, key), {}).values())

    def all(self) -> list[Obj]:
        with self._lock:
            return [obj for bucket in self._items.values() for obj in bucket.values()]


class Generations:
    """Which events of an ECS object call for a reconcile: it is new (or listed at start-up), its
    spec changed (``metadata.generation`` moved), its deletion began, or our finalizer is missing.

    Status writes, kopf-free metadata churn and our own finalizer patch do not: they change neither.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str, str], tuple[Any, bool, bool]] = {}

    def changed(self, kind: str, event_type: str | None, obj: Mapping[str, Any], *, finalized: bool = True) -> bool:
        """``finalized``: the kind carries our finalizer (a TaskDefinition does not)."""
        meta = obj.get("metadata") or {}
        key = (kind, meta.get("namespace") or "", meta["name"])
        state = (
            meta.get("generation"),
            bool(meta.get("deletionTimestamp")),
            FINALIZER in (meta.get("finalizers") or ()),
        )
        with self._lock:
            before = self._seen.pop(key, None)
            if event_type == "DELETED":
                return False
            self._seen[key] = state
        if before is None or event_type != "MODIFIED":
            return True
        generation, deleting, held = state
        return generation != before[0] or (deleting and not before[1]) or (finalized and not held and not deleting)


def _label(name: str) -> Callable[[Mapping[str, Any]], str | None]:
    return lambda obj: ((obj.get("metadata") or {}).get("labels") or {}).get(name)


@dataclass
class Caches:
    """The operator's watch caches, one per question a reconcile asks; owned by the operator context."""

    task_definitions: Store = field(default_factory=lambda: Store(family_of))  # by family
    revisions: Store = field(default_factory=lambda: Store(_label(LABEL_TASK_DEFINITION)))  # by TaskDefinition
    clusters: Store = field(default_factory=lambda: Store(cluster_name))  # by ECS cluster name
    service_pods: Store = field(default_factory=lambda: Store(_label(LABEL_SERVICE)))  # by ECSService name
    task_pods: Store = field(default_factory=lambda: Store(_label(LABEL_TASK)))  # by ECSTask name
    services_by_cluster: Store = field(default_factory=lambda: Store(cluster_reference))  # ECSServices by cluster
    deployments: Store = field(default_factory=lambda: Store(_label(LABEL_SERVICE)))  # by ECSService name
