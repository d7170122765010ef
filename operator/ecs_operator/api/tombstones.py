"""Services deleted through the API, remembered so DescribeServices answers INACTIVE for a while.

ECS keeps a deleted service discoverable as INACTIVE for a period after DeleteService
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html), and
``aws ecs wait services-inactive`` succeeds on INACTIVE but fails on a MISSING failure. The
custom resource is gone once its tasks drained, so the API server keeps the last view of each
service it deleted: in memory, per API server process, for ``keep_seconds`` (an hour) and at most
``most`` services. A restart, another replica of the API server, or a kubectl delete forgets it:
then the service is MISSING, as ECS answers once the INACTIVE period is over.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Tombstones"]

Key = tuple[str, str, str]  # (namespace, cluster, serviceName)


@dataclass
class Tombstones:
    keep_seconds: float = 3600.0
    most: int = 2000
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _items: dict[Key, tuple[datetime, dict[str, Any]]] = field(default_factory=dict, repr=False)

    def bury(self, namespace: str, cluster: str, name: str, view: dict[str, Any], now: datetime) -> None:
        """Remember ``view`` (the Service shape, status INACTIVE) of a service just deleted."""
        with self._lock:
            self._items.pop((namespace, cluster, name), None)
            self._items[(namespace, cluster, name)] = (now, dict(view))
            while len(self._items) > self.most:
                self._items.pop(next(iter(self._items)))

    def find(self, namespace: str, cluster: str, name: str, now: datetime) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get((namespace, cluster, name))
            if found is None:
                return None
            if (now - found[0]).total_seconds() > self.keep_seconds:
                del self._items[(namespace, cluster, name)]
                return None
            return dict(found[1])

    def forget(self, namespace: str, cluster: str, name: str) -> None:
        """A service of that name was created again."""
        with self._lock:
            self._items.pop((namespace, cluster, name), None)
