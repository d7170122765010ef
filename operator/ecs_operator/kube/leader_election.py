"""One replica's hold on one Lease: claim or renew it in one round trip, release it on shutdown.

:class:`.shard_election.ShardElector` runs the rounds (every retry period) for each shard Lease.

The decisions are :mod:`ecs_operator.plan.leadership`'s; this module only reads and writes the
Lease. Writes are PUTs carrying the resourceVersion read, so two replicas racing for a free lease
cannot both win: the loser's PUT is a Conflict.

The fence is :meth:`LeaderElector.may_act`: the operator's own client refuses every write while it
is false (:meth:`Kube.fenced`), so a replica that lost the lease, or was paused past its renew
deadline, cannot act even before it notices.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..metrics import Metrics
from ..plan.leadership import ElectionTiming, LeaseRecord, claim, may_act, record_of, released
from .client import Kube
from .errors import KubeError

__all__ = ["LeaderElector", "LEASE_API_VERSION"]

log = logging.getLogger("ecs_operator.leader")

LEASE_API_VERSION = "coordination.k8s.io/v1"


class LeaderElector:
    """Holds (or waits for) the Lease ``namespace/name`` as ``identity``."""

    def __init__(
        self,
        kube: Kube,
        namespace: str,
        name: str,
        identity: str,
        timing: ElectionTiming | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: Metrics | None = None,
        annotations: dict[str, str] | None = None,
        announce: bool = True,
    ) -> None:
        self.kube = kube
        self.annotations = annotations or {}  # written with every renewal (a member's shard count)
        self.announce = announce  # log taking the lease (a membership Lease is not news)
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.timing = timing or ElectionTiming()
        self._clock = clock
        self._wall_clock = wall_clock
        self._renewed_at: float | None = None  # when the last successful renewal started
        self._seen: tuple[tuple[str | None, str | None] | None, float] = (None, clock())
        self.stopping = threading.Event()
        self._metrics = metrics
        self._report(False)

    def _report(self, holds: bool) -> None:
        if self._metrics is not None:
            self._metrics.leading(self.name, holds)

    def may_act(self) -> bool:
        return may_act(self._renewed_at, self._clock(), self.timing)

    def observe(self, lease: Mapping[str, Any] | None, at: float | None = None) -> LeaseRecord | None:
        """Note the Lease as read at ``at`` (now): a change starts the holder's lease duration again.

        A replica that reads a Lease every round (a list of them, see ShardElector) knows how long it
        has gone unrenewed when it comes to claim it, instead of starting to count then.
        """
        current = record_of(lease)
        observed = (current.holder, current.renew_time) if current else None
        if observed != self._seen[0]:
            self._seen = (observed, self._clock() if at is None else at)
        return current

    def try_once(self) -> bool:
        """One acquire-or-renew round trip; True when this replica holds the lease afterwards."""
        started = self._clock()
        timeout = max(1.0, self.timing.renew_deadline / 2)
        try:
            lease = self.kube.request("GET", self._path(), timeout=timeout)
        except KubeError as exc:
            if getattr(exc, "status", None) != 404:
                log.debug("reading lease %s/%s: %s", self.namespace, self.name, exc)
                return False
            lease = None
        current = self.observe(lease, started)
        wanted = claim(current, self._seen[1], self.identity, started, self._wall_clock(), self.timing)
        if wanted is None:
            return False
        try:
            self._write(wanted, (lease or {}).get("metadata", {}).get("resourceVersion"), timeout)
        except KubeError as exc:  # a Conflict: another replica wrote first; anything else: try again later
            log.debug("claiming lease %s/%s: %s", self.namespace, self.name, exc)
            return False
        if self._renewed_at is None:
            self._report(True)
            if self.announce:
                log.info("became leader: lease %s/%s held by %s", self.namespace, self.name, self.identity)
        self._renewed_at = started
        self._seen = ((wanted.holder, wanted.renew_time), started)
        return True

    def drop(self) -> None:
        """Stop holding without a write (the lease could not be renewed in time)."""
        self.stopping.set()
        self._renewed_at = None
        self._report(False)

    def release(self) -> None:
        """Give the lease up (a clean shutdown), so a standby takes it at its next try, not a lease later."""
        self.stopping.set()
        if not self.may_act():
            return
        self._renewed_at = None
        self._report(False)
        try:
            lease = self.kube.request("GET", self._path(), timeout=5)
            current = record_of(lease)
            if current is None or current.holder != self.identity:
                return
            self._write(released(current), lease["metadata"].get("resourceVersion"), 5)
            log.info("released leader lease %s/%s", self.namespace, self.name)
        except KubeError as exc:
            log.warning("could not release leader lease %s/%s: %s", self.namespace, self.name, exc)

    def _path(self) -> str:
        return f"/apis/{LEASE_API_VERSION}/namespaces/{self.namespace}/leases/{self.name}"

    def _write(self, record: LeaseRecord, resource_version: str | None, timeout: float) -> None:
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.annotations:
            metadata["annotations"] = self.annotations
        body = {"apiVersion": LEASE_API_VERSION, "kind": "Lease", "metadata": metadata, "spec": record.spec()}
        if resource_version is None:
            self.kube.request(
                "POST", f"/apis/{LEASE_API_VERSION}/namespaces/{self.namespace}/leases", body=body, timeout=timeout
            )
            return
        metadata["resourceVersion"] = resource_version
        self.kube.request("PUT", self._path(), body=body, timeout=timeout)
