"""List-then-watch caches for processes that are not the kopf operator (the ECS API server).

An :class:`Informer` lists a kind once, then follows its watch from that resourceVersion,
relisting when the server says the version is too old (410 Gone), as client-go's reflector
does. Each event lands in an :class:`Index`. A writer that has the object the API server
returned puts it in the index at once (:meth:`Index.remember`), so a read right after a
write sees the write; an older watch event never replaces a newer copy. Each relist after a
failed watch counts in ``ecs_operator_watch_restarts_total`` when the client carries metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from .client import Kube
from .errors import ApiError, KubeError
from .resources import resource_for

__all__ = ["Index", "Informer"]

Obj = dict[str, Any]
log = logging.getLogger(__name__)


def _version(obj: Mapping[str, Any]) -> int:
    raw = str((obj.get("metadata") or {}).get("resourceVersion") or "0")
    return int(raw) if raw.isdigit() else 0


KeyFn = Callable[[Mapping[str, Any]], "str | None"]


class Index:
    """The objects of one kind by (namespace, name), and by any secondary keys; thread-safe.

    ``keys`` names functions of an object (``{"cluster": cluster_reference}``): :meth:`by` then
    answers "the objects of namespace N whose key is K" from a dict, not a scan, which is what
    keeps a DescribeServices of 10 names cheap among thousands of services.
    """

    def __init__(self, keys: Mapping[str, KeyFn] | None = None) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], Obj] = {}
        self._gone: dict[tuple[str, str], int] = {}  # deleted at this version: older events are stale
        self._key_fns = dict(keys or {})
        self._by: dict[str, dict[tuple[str, str], dict[str, Obj]]] = {k: {} for k in self._key_fns}

    def _unlink(self, key: tuple[str, str]) -> None:
        old = self._items.pop(key, None)
        if old is None:
            return
        for name, fn in self._key_fns.items():
            value = fn(old)
            if value is None:
                continue
            bucket = self._by[name].get((key[0], value))
            if bucket is not None:
                bucket.pop(key[1], None)
                if not bucket:
                    del self._by[name][(key[0], value)]

    def _link(self, key: tuple[str, str], obj: Obj) -> None:
        self._items[key] = obj
        for name, fn in self._key_fns.items():
            value = fn(obj)
            if value is not None:
                self._by[name].setdefault((key[0], value), {})[key[1]] = obj

    def observe(self, event_type: str, obj: Mapping[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name")))
        version = _version(obj)
        with self._lock:
            current = self._items.get(key)
            if current is not None and _version(current) > version:
                return
            if event_type == "DELETED":
                self._unlink(key)
                self._gone[key] = version
                return
            if self._gone.get(key, -1) >= version:
                return
            self._gone.pop(key, None)
            self._unlink(key)
            self._link(key, dict(obj))

    def remember(self, obj: Mapping[str, Any]) -> None:
        """A copy the API server just returned for a write."""
        self.observe("MODIFIED", obj)

    def forget(self, obj: Mapping[str, Any]) -> None:
        """An object this process just deleted."""
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name")))
        with self._lock:
            self._unlink(key)
            self._gone[key] = max(_version(obj), self._gone.get(key, 0))

    def replace(self, objects: list[Obj]) -> None:
        """A fresh LIST: exactly these objects exist now."""
        with self._lock:
            self._items = {}
            self._by = {k: {} for k in self._key_fns}
            for o in objects:
                self._link((str(o["metadata"].get("namespace") or ""), str(o["metadata"]["name"])), o)
            self._gone.clear()

    def get(self, namespace: str, name: str) -> Obj | None:
        with self._lock:
            return self._items.get((namespace, name))

    def by(self, key: str, namespace: str, value: str) -> list[Obj]:
        """The objects of ``namespace`` whose secondary key ``key`` is ``value``."""
        with self._lock:
            return list(self._by[key].get((namespace, value), {}).values())

    def in_namespace(self, namespace: str) -> list[Obj]:
        with self._lock:
            return [obj for (ns, _), obj in self._items.items() if ns == namespace]

    def select(self, namespace: str, predicate: Callable[[Obj], bool]) -> list[Obj]:
        with self._lock:
            return [obj for (ns, _), obj in self._items.items() if ns == namespace and predicate(obj)]

    def all(self) -> list[Obj]:
        with self._lock:
            return list(self._items.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class Informer:
    """Keeps one :class:`Index` in step with the API server from a daemon thread."""

    def __init__(
        self,
        kube: Kube,
        api_version: str,
        kind: str,
        index: Index,
        *,
        label_selector: str | None = None,
        namespace: str | None = None,
        retry_seconds: float = 1.0,
    ) -> None:
        self._kube = kube
        self._resource = resource_for(api_version, kind)
        self.kind = kind
        self.index = index
        self._selector = label_selector
        self._namespace = namespace
        self._retry = retry_seconds
        self.synced = threading.Event()
        self.restarts = 0
        self._metrics = kube.metrics
        if self._metrics is not None:
            self._metrics.add_watch(self._resource.plural)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"informer-{kind}", daemon=True)

    def start(self) -> Informer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                version = self._list()
                self._watch(version)
            except (KubeError, OSError, ValueError) as exc:
                log.warning("watch of %s failed (%s); relisting in %.0fs", self.kind, exc, self._retry)
                self._restarted()
            except Exception:  # an unexpected error must not end the cache for good
                log.exception("watch of %s crashed; relisting", self.kind)
                self._restarted()

    def _restarted(self) -> None:
        self.restarts += 1
        if self._metrics is not None:
            self._metrics.watch_restarted(self._resource.plural)
        self._stopping.wait(self._retry)

    def _list(self) -> str:
        body = self._kube.request("GET", self._resource.path(self._namespace), query={"labelSelector": self._selector})
        items = list(body.get("items") or [])
        api_version = self._resource.api_version
        for item in items:  # a LIST omits apiVersion/kind on its items
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", self.kind)
        self.index.replace(items)
        self.synced.set()
        return str((body.get("metadata") or {}).get("resourceVersion") or "")

    def _watch(self, version: str) -> None:
        """Follow the watch from ``version``, resuming after each server timeout; return to relist."""
        while not self._stopping.is_set():
            started = time.monotonic()
            query = {
                "resourceVersion": version,
                "allowWatchBookmarks": "true",
                "labelSelector": self._selector,
                "timeoutSeconds": "300",
            }
            for event in self._kube.watch_events(self._resource.path(self._namespace), query=query):
                if self._stopping.is_set():
                    return
                kind = event.get("type")
                obj = event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:  # too old: relist
                        return
                    raise ApiError(int(obj.get("code") or 0), str(obj.get("reason", "")), str(obj.get("message", "")))
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    self.index.observe(kind, obj)
            if time.monotonic() - started < 1:  # the server ended the watch at once: do not spin
                self._stopping.wait(self._retry)
