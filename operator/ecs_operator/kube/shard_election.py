"""A replica's shards: which shard Leases it holds, renewed every retry period, rebalanced as replicas come and go.

The rules are :mod:`ecs_operator.plan.sharding`'s (which shard a namespace is in, the fair share)
and :mod:`ecs_operator.plan.leadership`'s (when a Lease is free); each shard Lease is held by a
:class:`LeaderElector`. Every replica also renews a membership Lease, annotated with its shard
count, so the others know how many share the work and whether they all agree on the count.

The fence is :meth:`ShardElector.owns`: a namespace is acted on only while this replica holds its
shard and renewed it within the renew deadline. A shard this replica could not renew in time is
lost: it reports that once (the operator exits to restart with an empty queue, as a single leader
does); a shard handed back on a rebalance stops being acted on before its Lease is released.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..metrics import Metrics
from ..plan.leadership import ElectionTiming, record_of
from ..plan.sharding import member_lease_name, namespace_of_path, rebalance, shard_lease_name, shard_of
from .client import Kube
from .errors import KubeError
from .leader_election import LeaderElector

__all__ = ["ShardElector", "SHARDS_ANNOTATION"]

log = logging.getLogger("ecs_operator.leader")

SHARDS_ANNOTATION = "ecs.operator.dev/shards"
MEMBER_EXPIRY_LEASES = 4  # a member Lease unchanged for this many lease durations is deleted


class ShardElector:
    """Holds as many of ``shards`` Leases ``<base>[-shard-i-of-N]`` in ``namespace`` as is fair."""

    def __init__(
        self,
        kube: Kube,
        namespace: str,
        base: str,
        identity: str,
        shards: int = 1,
        timing: ElectionTiming | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.base = base
        self.identity = identity
        self.shards = max(1, shards)
        self.timing = timing or ElectionTiming()
        self._clock = clock
        self._metrics = metrics
        self._electors = [self._elector(i) for i in range(self.shards)]
        self._held: frozenset[int] = frozenset()
        self._member = LeaderElector(
            kube,
            namespace,
            member_lease_name(base, identity),
            identity,
            self.timing,
            clock=clock,
            annotations={SHARDS_ANNOTATION: str(self.shards)},
            announce=False,
        )
        self._members_seen: dict[str, tuple[object, float]] = {}  # lease name -> (its record, when it changed)
        self.on_gained: Callable[[int], None] = lambda index: None
        self.stopping = threading.Event()
        self.lost = threading.Event()  # set once, when a held shard could not be renewed in time
        self.settled = threading.Event()  # the first round is done: this replica knows what it holds
        # each replica tries the free shards from its own starting point, so two do not race for one
        self._start = shard_of(identity, self.shards)

    # -- the fence -------------------------------------------------------------------------------
    def owns(self, namespace: str) -> bool:
        index = shard_of(namespace, self.shards)
        return index in self._held and self._electors[index].may_act()

    def holds_any(self) -> bool:
        return any(self._electors[i].may_act() for i in self._held)

    def may_write(self, path: str) -> bool:
        """The operator's own writes: into a namespace of a held shard, or cluster-scoped while it holds one."""
        namespace = namespace_of_path(path)
        return self.owns(namespace) if namespace is not None else self.holds_any()

    def may_write_namespaced(self, path: str) -> bool:
        """kopf's writes: only namespaced ones are fenced (its cluster-scoped writes, the local webhook
        configuration, are every replica's, since every replica serves the webhook)."""
        namespace = namespace_of_path(path)
        return namespace is None or self.owns(namespace)

    def readiness(self) -> str | None:
        """For /readyz: None once the first round is done (this replica knows what it holds: it may
        hold nothing, as a standby does, and still be ready to watch, serve the webhook and take over)."""
        return None if self.settled.is_set() else "the first round of Lease claims has not finished"

    def held(self) -> frozenset[int]:
        return self._held

    # -- the loop --------------------------------------------------------------------------------
    def run_round(self) -> bool:
        """Renew, look at the members, claim or hand back; False when a held shard was lost."""
        members, agreed = self._members()
        for index in sorted(self._held):
            elector = self._electors[index]
            if not elector.try_once() and not elector.may_act():
                for dropped in self._held:  # this replica stops acting on all of them: it restarts
                    self._electors[dropped].drop()
                self._held = frozenset()
                self._report()
                log.error(
                    "lost leader lease %s/%s: not renewed within %.0fs",
                    self.namespace,
                    elector.name,
                    self.timing.renew_deadline,
                )
                return False
        order = [(self._start + k) % self.shards for k in range(self.shards)]
        move = rebalance(self._held, self.shards, members, order, count_agreed=agreed)
        for index in move.release:
            self._hand_back(index)
        gained = 0
        for index in move.claim:
            if self.stopping.is_set() or gained >= move.want:
                break
            if self._electors[index].try_once():
                gained += 1
                self._held = self._held | {index}
                self._report()
                try:
                    self.on_gained(index)
                except Exception:  # the shard is held all the same; its objects' own events still come
                    log.exception("queueing the objects of shard %s", self._electors[index].name)
        self.settled.set()
        return True

    def keep(self, on_lost: Callable[[], None]) -> threading.Thread:
        """Run rounds in a daemon thread every retry period; ``on_lost`` once if a shard is lost."""

        log.info(
            "waiting for leader lease %s/%s as %s",
            self.namespace,
            self.base if self.shards == 1 else f"{self.base}-shard-*-of-{self.shards}",
            self.identity,
        )

        def loop() -> None:
            while not self.stopping.is_set():
                if not self.run_round():
                    self.lost.set()
                    on_lost()
                    return
                self.stopping.wait(self.timing.retry_period)

        thread = threading.Thread(target=loop, name="shard-leases", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        """A clean shutdown: hand every shard back so the others take them at their next round."""
        self.stopping.set()
        for index in sorted(self._held):
            self._hand_back(index)
        self._forget_member(self._member.name)

    # -- parts -----------------------------------------------------------------------------------
    def _elector(self, index: int) -> LeaderElector:
        return LeaderElector(
            self.kube,
            self.namespace,
            shard_lease_name(self.base, index, self.shards),
            self.identity,
            self.timing,
            clock=self._clock,
            metrics=self._metrics,
        )

    def _hand_back(self, index: int) -> None:
        self._held = self._held - {index}  # stop acting on it first
        self._electors[index].release()
        self._electors[index] = self._elector(index)
        self._report()

    def _report(self) -> None:
        if self._metrics is not None:
            self._metrics.shards_held(len(self._held))

    def _members(self) -> tuple[int, bool]:
        """How many replicas share the work (this one included), and whether all run this shard count.

        One list of the namespace's Leases a round; it also tells every shard's elector how its Lease
        looks, so the Lease of a replica that died is claimed a lease duration after it stopped
        renewing, not a lease duration after this replica first looked at it.
        """
        self._member.try_once()
        try:
            leases = self.kube.list("coordination.k8s.io/v1", "Lease", self.namespace)
        except KubeError as exc:
            log.debug("listing membership leases: %s", exc)
            return max(1, len(self._members_seen)), True
        now, live, agreed = self._clock(), 0, True
        prefix = f"{self.base}-member-"
        shard_leases = {e.name: e for e in self._electors}
        names = set()
        for lease in leases:
            name = lease["metadata"]["name"]
            if name in shard_leases:
                shard_leases[name].observe(lease, now)  # so a dead holder's lease is known to run out
            if not name.startswith(prefix):
                continue
            names.add(name)
            record = record_of(lease)
            seen = self._members_seen.get(name)
            if seen is None or seen[0] != record:
                seen = (record, now)
                self._members_seen[name] = seen
            age = now - seen[1]
            if name == self._member.name or age < self.timing.lease_duration:
                live += 1
                count = (lease["metadata"].get("annotations") or {}).get(SHARDS_ANNOTATION)
                agreed = agreed and count in (None, str(self.shards))
            elif age > MEMBER_EXPIRY_LEASES * self.timing.lease_duration:
                self._forget_member(name)
        for gone in set(self._members_seen) - names:
            del self._members_seen[gone]
        return max(1, live), agreed

    def _forget_member(self, name: str) -> None:
        """Delete a membership Lease: this replica's on shutdown, a dead one's long after it stopped."""
        try:
            self.kube.request("DELETE", self._lease_path(name), timeout=5)
        except KubeError as exc:
            log.debug("removing a dead replica's membership lease %s: %s", name, exc)

    def _lease_path(self, name: str) -> str:
        return f"/apis/coordination.k8s.io/v1/namespaces/{self.namespace}/leases/{name}"
