"""Process-wide operator state: the API connection and the per-object reconcile runner.

Many triggers reach the same object (its own changes, its pods, its TaskDefinition,
timers). :class:`Reconciler` makes sure one object is reconciled by one thread at a
time and that triggers arriving meanwhile fold into a single re-run, so a burst of pod
events costs one extra reconcile, not one per event.

Deferred reconciles (`later`) wait in one scheduler thread and run on a small, bounded
worker pool: at hundreds of services, a thread per pending reconcile would thrash two
cores and overflow the connection pool.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..kube import Forbidden, Kube, connect

__all__ = ["kube", "Reconciler", "Key", "WORKERS"]

log = logging.getLogger("ecs_operator")
Key = tuple[str, str]  # (namespace, name)
WORKERS = int(os.environ.get("ECS_OPERATOR_RECONCILE_WORKERS", "8"))

_kube: Kube | None = None
_kube_lock = threading.Lock()


def kube() -> Kube:
    """The shared API connection, created on first use from KUBECONFIG or the pod's account."""
    global _kube
    with _kube_lock:
        if _kube is None:
            _kube = connect(os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or None)
        return _kube


def _namespace_terminating() -> bool:
    exc = sys.exc_info()[1]
    return isinstance(exc, Forbidden) and "because it is being terminated" in exc.message


class _Scheduler:
    """One thread that hands due work to a bounded pool; the earliest request for a key wins."""

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reconcile")
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, tuple[str, ...], Callable[[], Any]]] = []
        self._due: dict[tuple[str, ...], float] = {}  # key -> the due time of its live heap entry
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, key: tuple[str, ...], delay: float, fn: Callable[[], Any]) -> None:
        due = time.monotonic() + max(0.0, delay)
        with self._cond:
            if key in self._due and self._due[key] <= due:
                return
            self._due[key] = due
            heapq.heappush(self._heap, (due, next(self._seq), key, fn))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="reconcile-scheduler", daemon=True)
                self._thread.start()
            self._cond.notify()

    def cancel(self, key: tuple[str, ...]) -> None:
        with self._cond:
            self._due.pop(key, None)  # its heap entry is skipped when it comes up

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cond.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                due, _, key, fn = heapq.heappop(self._heap)
                if self._due.get(key) != due:
                    continue  # cancelled, or superseded by an earlier request
                del self._due[key]
            self._pool.submit(fn)


_scheduler = _Scheduler(WORKERS)


class Reconciler:
    """Serialise and coalesce reconciles of one kind of object, and requeue them later on request."""

    def __init__(self, name: str, reconcile: Callable[[str, str], float | None]) -> None:
        self.name = name
        self._reconcile = reconcile
        self._lock = threading.Lock()
        self._state: dict[Key, str] = {}  # "running" or "dirty"

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
        _scheduler.schedule((self.name, namespace, name), delay, lambda: self.run(namespace, name))

    def forget(self, namespace: str, name: str) -> None:
        _scheduler.cancel((self.name, namespace, name))
