"""Process-wide operator state: the API connection and the per-object reconcile runner.

Many triggers reach the same object (its own changes, its pods, its TaskDefinition,
timers). :class:`Reconciler` makes sure one object is reconciled by one thread at a
time and that triggers arriving meanwhile fold into a single re-run, so a burst of pod
events costs one extra reconcile, not one per event.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from ..kube import Forbidden, Kube, connect

__all__ = ["kube", "set_kube", "Reconciler", "Key"]

log = logging.getLogger("ecs_operator")
Key = tuple[str, str]  # (namespace, name)

_kube: Kube | None = None
_kube_lock = threading.Lock()


def set_kube(client: Kube) -> None:
    global _kube
    _kube = client


def kube() -> Kube:
    """The shared API connection, created on first use from KUBECONFIG or the pod's account."""
    global _kube
    with _kube_lock:
        if _kube is None:
            _kube = connect(os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or None,
                            impersonate=os.environ.get("ECS_OPERATOR_IMPERSONATE") or None)
        return _kube


def _namespace_terminating() -> bool:
    import sys

    exc = sys.exc_info()[1]
    return isinstance(exc, Forbidden) and "because it is being terminated" in exc.message


class Reconciler:
    """Serialise and coalesce reconciles of one kind of object, and requeue them later on request."""

    def __init__(self, name: str, reconcile: Callable[[str, str], float | None]) -> None:
        self.name = name
        self._reconcile = reconcile
        self._lock = threading.Lock()
        self._state: dict[Key, str] = {}  # "running" or "dirty"
        self._timers: dict[Key, tuple[float, threading.Timer]] = {}

    def run(self, namespace: str, name: str, *, raise_errors: bool = False) -> Any:
        """Reconcile now in this thread, or fold into the run already in progress."""
        key = (namespace, name)
        with self._lock:
            if key in self._state:
                self._state[key] = "dirty"
                return None
            self._state[key] = "running"
        requeue: float | None = None
        try:
            while True:
                try:
                    requeue = self._reconcile(namespace, name)
                except Exception:
                    with self._lock:
                        rerun = self._state.get(key) == "dirty"
                        self._state[key] = "running"
                    if raise_errors and not rerun:
                        raise
                    if not rerun:
                        if _namespace_terminating():
                            requeue = None  # the namespace is going away with everything in it
                        else:
                            log.exception("%s %s/%s: reconcile failed", self.name, namespace, name)
                            requeue = 5.0
                        break
                    continue
                with self._lock:
                    if self._state.get(key) == "dirty":
                        self._state[key] = "running"
                        continue
                break
        finally:
            with self._lock:
                self._state.pop(key, None)
        if requeue is not None:
            self.later(namespace, name, requeue)
        return requeue

    def later(self, namespace: str, name: str, delay: float) -> None:
        """Reconcile again after `delay` seconds (an earlier pending request wins)."""
        key = (namespace, name)
        due = time.monotonic() + max(0.05, delay)
        with self._lock:
            existing = self._timers.get(key)
            if existing is not None and existing[0] <= due:
                return
            if existing is not None:
                existing[1].cancel()
            timer = threading.Timer(due - time.monotonic(), self._fire, args=(namespace, name))
            timer.daemon = True
            self._timers[key] = (due, timer)
        timer.start()

    def _fire(self, namespace: str, name: str) -> None:
        with self._lock:
            self._timers.pop((namespace, name), None)
        self.run(namespace, name)

    def forget(self, namespace: str, name: str) -> None:
        with self._lock:
            pending = self._timers.pop((namespace, name), None)
        if pending is not None:
            pending[1].cancel()
