"""Per-object reconcile queues: one thread per object at a time, bursts folded, deferred work bounded.

Many triggers reach the same object (its own changes, its pods, its TaskDefinition,
timers). :class:`WorkQueue` makes sure one object is reconciled by one thread at a
time and that triggers arriving meanwhile fold into a single re-run, so a burst of pod
events costs one extra reconcile, not one per event.

Deferred reconciles (`later`) wait in one :class:`Scheduler` thread and run on a small,
bounded worker pool: at hundreds of services, a thread per pending reconcile would thrash
two cores and overflow the connection pool. This is client-go's work queue in spirit.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .errors import Forbidden

__all__ = ["Key", "Reconcile", "Scheduler", "WorkQueue", "FAILURE_RETRY_SECONDS"]

log = logging.getLogger("ecs_operator")

Key = tuple[str, str]  # (namespace, name)
Reconcile = Callable[[str, str], "float | None"]  # (namespace, name) -> look again after N seconds, or never
FAILURE_RETRY_SECONDS = 5.0


def _namespace_terminating(exc: BaseException) -> bool:
    return isinstance(exc, Forbidden) and "because it is being terminated" in exc.message


class Scheduler:
    """One thread that hands due work to a bounded pool; the earliest request for a key wins."""

    def __init__(self, workers: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._workers = workers
        self._clock = clock
        self._pool: ThreadPoolExecutor | None = None
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, tuple[str, ...], Callable[[], object]]] = []
        self._due: dict[tuple[str, ...], float] = {}  # key -> the due time of its live heap entry
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def schedule(self, key: tuple[str, ...], delay: float, fn: Callable[[], object]) -> None:
        due = self._clock() + max(0.0, delay)
        with self._cond:
            if self._stopped or (key in self._due and self._due[key] <= due):
                return
            self._due[key] = due
            heapq.heappush(self._heap, (due, next(self._seq), key, fn))
            if self._thread is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="reconcile")
                self._thread = threading.Thread(target=self._loop, name="reconcile-scheduler", daemon=True)
                self._thread.start()
            self._cond.notify()

    def cancel(self, key: tuple[str, ...]) -> None:
        with self._cond:
            self._due.pop(key, None)  # its heap entry is skipped when it comes up

    def pending(self) -> int:
        with self._cond:
            return len(self._due)

    def due_in(self, key: tuple[str, ...]) -> float | None:
        """Seconds until `key` runs, or None when nothing is pending for it."""
        with self._cond:
            due = self._due.get(key)
        return None if due is None else due - self._clock()

    def stop(self) -> None:
        """Drop pending work and let running work finish."""
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._due.clear()
            self._cond.notify()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > self._clock()):
                    self._cond.wait(None if not self._heap else self._heap[0][0] - self._clock())
                if self._stopped:
                    return
                due, _, key, fn = heapq.heappop(self._heap)
                if self._due.get(key) != due:
                    continue  # cancelled, or superseded by an earlier request
                del self._due[key]
            assert self._pool is not None
            self._pool.submit(fn)


class WorkQueue:
    """Serialise and coalesce reconciles of one kind of object, and requeue them later on request."""

    def __init__(self, name: str, reconcile: Reconcile, scheduler: Scheduler) -> None:
        self.name = name
        self._reconcile = reconcile
        self._scheduler = scheduler
        self._lock = threading.Lock()
        self._state: dict[Key, str] = {}  # "running" or "dirty"

    def run(self, namespace: str, name: str, *, raise_errors: bool = False) -> float | None:
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
                except Exception as exc:
                    with self._lock:
                        rerun = self._state.get(key) == "dirty"
                        self._state[key] = "running"
                    if raise_errors and not rerun:
                        raise
                    if rerun:
                        continue
                    if _namespace_terminating(exc):
                        requeue = None  # the namespace is going away with everything in it
                    else:
                        log.exception("%s %s/%s: reconcile failed", self.name, namespace, name)
                        requeue = FAILURE_RETRY_SECONDS
                    break
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
        self._scheduler.schedule((self.name, namespace, name), delay, lambda: self.run(namespace, name))

    def forget(self, namespace: str, name: str) -> None:
        self._scheduler.cancel((self.name, namespace, name))
