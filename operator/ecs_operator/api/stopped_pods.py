"""The pods index, remembering the last copy of each deleted pod for a while: stopped service tasks.

ECS keeps a stopped task describable for at least an hour
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html: "stopped tasks
appear in the returned results for at least one hour"), and ``aws ecs wait tasks-stopped`` polls
DescribeTasks until the task reads STOPPED. A standalone task's record outlives its pod in the
ECSTask's status; a service's task is only its pod, which the Deployment or the operator deletes
once the task stops. So the API server keeps the last copy its watch saw of each deleted pod, in
memory, for ``keep_seconds`` and at most ``most`` pods; a restart (or another replica) forgets
them, and such a task is then MISSING. StopTask's reason for a service's task is remembered the
same way (:meth:`StoppedPodsIndex.note_stop`): the pod is deleted, so nothing else could carry it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from ..kube.informer import Index
from ..vocabulary import ANNOTATION_ECSTASK, LABEL_SERVICE, LABEL_TASK

__all__ = ["StoppedPodsIndex"]

Obj = dict[str, Any]


def _service_of(pod: Mapping[str, Any]) -> str | None:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return str(labels[LABEL_SERVICE]) if LABEL_SERVICE in labels else None


def _ecstask_of(pod: Mapping[str, Any]) -> str | None:
    """The ECSTask a standalone task's pod belongs to (a service's pods have none)."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    if LABEL_SERVICE in labels or LABEL_TASK not in labels:
        return None
    return str((meta.get("annotations") or {}).get(ANNOTATION_ECSTASK) or labels[LABEL_TASK])


class StoppedPodsIndex(Index):
    """An :class:`Index` of pods that also answers :meth:`stopped` (pods deleted lately)."""

    def __init__(self, keep_seconds: float = 3600.0, most: int = 5000) -> None:
        super().__init__({"service": _service_of, "ecstask": _ecstask_of})
        self.keep_seconds = keep_seconds
        self.most = most
        self._stopped_lock = threading.Lock()
        self._stopped: dict[tuple[str, str], tuple[float, float, Obj]] = {}  # uid key -> (monotonic, epoch, pod)
        self._reasons: dict[tuple[str, str], tuple[float, str]] = {}  # (namespace, task id) -> StopTask's reason

    def observe(self, event_type: str, obj: Mapping[str, Any]) -> None:
        if event_type == "DELETED":
            meta = obj.get("metadata") or {}
            key = (str(meta.get("namespace") or ""), str(meta.get("uid") or meta.get("name")))
            with self._stopped_lock:
                self._stopped.pop(key, None)
                self._stopped[key] = (time.monotonic(), time.time(), dict(obj))
                while len(self._stopped) > self.most:
                    self._stopped.pop(next(iter(self._stopped)))
        super().observe(event_type, obj)

    def note_stop(self, namespace: str, task_id: str, reason: str) -> None:
        """StopTask was called for this (service) task with ``reason``."""
        with self._stopped_lock:
            self._reasons[(namespace, task_id)] = (time.monotonic(), reason)
            while len(self._reasons) > self.most:
                self._reasons.pop(next(iter(self._reasons)))

    def stop_reason(self, namespace: str, task_id: str) -> str | None:
        with self._stopped_lock:
            found = self._reasons.get((namespace, task_id))
        if found is None or found[0] < time.monotonic() - self.keep_seconds:
            return None
        return found[1]

    def stopped(self, namespace: str) -> list[tuple[float, Obj]]:
        """(when it was deleted, epoch seconds; its last copy) of the namespace's pods deleted lately."""
        horizon = time.monotonic() - self.keep_seconds
        with self._stopped_lock:
            for key in [k for k, (seen, _, _) in self._stopped.items() if seen < horizon]:
                del self._stopped[key]
            return [(at, pod) for (ns, _), (_, at, pod) in self._stopped.items() if ns == namespace]
