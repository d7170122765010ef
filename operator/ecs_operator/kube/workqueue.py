"""Per-object reconcile queues: one thread per object at a time, bursts folded, deferred work bounded.

Many triggers reach the same object (its own changes, its pods, its TaskDefinition,
timers). :class:`WorkQueue` makes sure one object is reconciled by one thread at a
time and that triggers arriving meanwhile fold into a single re-run, so a burst of pod
events costs one extra reconcile, not one per event.

Deferred reconciles (`later`) wait in one :class:`Scheduler` thread and run on a small,
bounded worker pool: at hundreds of services, a thread per pending reconcile would thrash
two cores and overflow the connection pool. This is client-go's work queue in spirit, and it
reports client-go's ``workqueue_*`` and controller-runtime's ``controller_runtime_reconcile_*``
metrics (``metrics.py``): a reconcile becomes an "add" when it is due (a trigger, or a
look-again whose time came), its queue time runs from then until it starts, and the depth is
what is due but not started.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..metrics import RESULT_ERROR, RESULT_REQUEUE, RESULT_SUCCESS, Metrics
from .errors import Forbidden, NotLeader

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
        self._ready: Counter[str] = Counter()  # handed to the pool, not started yet, by the key's first part
        self._running = 0  # started, not finished

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

    def ready(self, first: str) -> int:
        """Work whose key starts with ``first`` that is due and waits for a free worker."""
        with self._cond:
            return self._ready[first]

    def due_in(self, key: tuple[str, ...]) -> float | None:
        """Seconds until `key` runs, or None when nothing is pending for it."""
        with self._cond:
            due = self._due.get(key)
        return None if due is None else due - self._clock()

    def stop(self, grace: float = 0.0) -> bool:
        """Drop pending work and let running work finish, waiting up to ``grace`` seconds for it.

        True when nothing is running any more. What is still running after the grace period is cut
        off at the write fence when the caller then hands its Leases on.
        """
        deadline = self._clock() + grace
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._due.clear()
            self._cond.notify_all()
            while self._running and self._clock() < deadline:
                self._cond.wait(max(0.0, deadline - self._clock()))
            idle = self._running == 0
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        return idle

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
                self._ready[key[0]] += 1
            assert self._pool is not None
            self._pool.submit(self._started, key[0], fn)

    def _started(self, first: str, fn: Callable[[], object]) -> None:
        with self._cond:
            self._ready[first] -= 1
            self._running += 1
        try:
            fn()
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


class WorkQueue:
    """Serialise and coalesce reconciles of one kind of object, and requeue them later on request."""

    def __init__(
        self,
        name: str,
        reconcile: Reconcile,
        scheduler: Scheduler,
        metrics: Metrics | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        owns: Callable[[str], bool] | None = None,
    ) -> None:
        self.name = name
        self._owns = owns or (lambda namespace: True)  # sharding: another replica acts on the rest
        self.controller = name.lower()  # controller-runtime names a controller (and its queue) by its kind
        self._reconcile = reconcile
        self._scheduler = scheduler
        self._metrics = metrics
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[Key, str] = {}  # "running" or "dirty"
        self._dirty_since: dict[Key, float] = {}  # when a folded trigger arrived: its queue time starts
        if metrics is not None:
            metrics.add_controller(self.controller, self.depth)

    def depth(self) -> int:
        """Reconciles due and not started: waiting for a worker, or folded into a running one."""
        with self._lock:
            folded = len(self._dirty_since)
        return folded + self._scheduler.ready(self.name)

    def run(
        self, namespace: str, name: str, *, raise_errors: bool = False, due_at: float | None = None
    ) -> float | None:
        """Reconcile now in this thread, or fold into the run already in progress.

        ``due_at``: when a deferred run became due (its queue time counts from then).
        """
        if not self._owns(namespace):
            return None  # not this replica's shard (any more): its owner has its own trigger
        key = (namespace, name)
        arrived = self._clock() if due_at is None else due_at
        with self._lock:
            if key in self._state:
                if self._state[key] != "dirty":
                    self._state[key] = "dirty"
                    self._dirty_since[key] = arrived
                    self._added()
                return None
            self._state[key] = "running"
        self._added()
        requeue: float | None = None
        waiting_since = arrived
        try:
            while True:
                started = self._clock()
                self._waited(started - waiting_since)
                try:
                    requeue = self._reconcile(namespace, name)
                except Exception as exc:
                    self._done(started, RESULT_ERROR)
                    with self._lock:
                        rerun = self._state.get(key) == "dirty"
                        self._state[key] = "running"
                        waiting_since = self._dirty_since.pop(key, started)
                    if raise_errors and not rerun:
                        raise
                    if rerun:
                        continue
                    if _namespace_terminating(exc) or isinstance(exc, NotLeader):
                        # the namespace is going away with everything in it; or this replica lost
                        # the namespace's shard mid-reconcile and its new owner reconciles it
                        requeue = None
                    else:
                        log.exception("%s %s/%s: reconcile failed", self.name, namespace, name)
                        requeue = FAILURE_RETRY_SECONDS
                        if self._metrics is not None:
                            self._metrics.queue_retried(self.controller)
                    break
                self._done(started, RESULT_SUCCESS if requeue is None else RESULT_REQUEUE)
                with self._lock:
                    if self._state.get(key) == "dirty":
                        self._state[key] = "running"
                        waiting_since = self._dirty_since.pop(key, started)
                        continue
                break
        finally:
            with self._lock:
                self._state.pop(key, None)
                self._dirty_since.pop(key, None)
        if requeue is not None:
            self.later(namespace, name, requeue)
        return requeue

    def later(self, namespace: str, name: str, delay: float) -> None:
        """Reconcile again after `delay` seconds (an earlier pending request wins)."""
        if not self._owns(namespace):
            return
        due = self._clock() + max(0.0, delay)
        self._scheduler.schedule((self.name, namespace, name), delay, lambda: self.run(namespace, name, due_at=due))

    def forget(self, namespace: str, name: str) -> None:
        self._scheduler.cancel((self.name, namespace, name))

    # -- metrics -------------------------------------------------------------------------------
    def _added(self) -> None:
        if self._metrics is not None:
            self._metrics.queue_added(self.controller)

    def _waited(self, seconds: float) -> None:
        if self._metrics is not None:
            self._metrics.queue_waited(self.controller, seconds)

    def _done(self, started: float, result: str) -> None:
        if self._metrics is not None:
            self._metrics.reconciled(self.controller, result, self._clock() - started)
