"""ShardElector against the real API server: shards split fairly, move on a release or a death, one count at a time.

Electors run in this process with short timings (lease 3 s, renew deadline 2 s, retry 0.5 s) and
are driven round by round; the operator's use of them (two `ecs-operator run --shards 4`
replicas, SIGKILL) is tests/reliability/test_leader_election.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from ecs_operator.kube import Kube, connect
from ecs_operator.kube.errors import NotLeader
from ecs_operator.kube.leader_election import LeaderElector
from ecs_operator.kube.shard_election import ShardElector
from ecs_operator.metrics import Metrics
from ecs_operator.plan.leadership import ElectionTiming
from ecs_operator.plan.sharding import shard_of

FAST = ElectionTiming(lease_duration=3, renew_deadline=2, retry_period=0.5)
ALL = frozenset(range(4))


@pytest.fixture
def kube(cluster) -> Kube:
    return connect(str(cluster.kubeconfig))


def _elector(kube: Kube, namespace: str, identity: str, shards: int = 4, **kw) -> ShardElector:
    return ShardElector(kube, namespace, "ecs-operator-test", identity, shards, FAST, **kw)


def _rounds(*electors: ShardElector, times: int = 2) -> None:
    for _ in range(times):
        for e in electors:
            assert e.run_round()


def _lease_holders(kube: Kube, namespace: str) -> dict[str, str | None]:
    leases = kube.list("coordination.k8s.io/v1", "Lease", namespace)
    return {
        lease["metadata"]["name"]: lease["spec"].get("holderIdentity")
        for lease in leases
        if "-shard-" in lease["metadata"]["name"]
    }


def test_two_replicas_split_four_shards_and_a_release_moves_them_at_once(kube: Kube, namespace: str) -> None:
    gained: list[int] = []
    metrics = Metrics()
    a = _elector(kube, namespace, "a", metrics=metrics)
    a.on_gained = gained.append
    a.run_round()
    assert a.held() == ALL and sorted(gained) == [0, 1, 2, 3]  # alone: everything
    assert metrics.registry.get_sample_value("ecs_operator_shards_held") == 4
    leading = "leader_election_master_status"
    assert metrics.registry.get_sample_value(leading, {"name": "ecs-operator-test-shard-3-of-4"}) == 1
    b = _elector(kube, namespace, "b")
    _rounds(b, a, b)  # b announces itself, a hands two back, b claims them
    assert len(a.held()) == 2 and len(b.held()) == 2 and a.held() | b.held() == ALL
    assert metrics.registry.get_sample_value("ecs_operator_shards_held") == 2
    for i in range(4):  # the shards handed back read 0
        held = metrics.registry.get_sample_value(leading, {"name": f"ecs-operator-test-shard-{i}-of-4"})
        assert held == (1 if i in a.held() else 0)
    holders = _lease_holders(kube, namespace)
    assert sorted(holders.values()) == ["a", "a", "b", "b"]
    assert all(holders[f"ecs-operator-test-shard-{i}-of-4"] == "a" for i in a.held())
    for ns in (f"team-{i}" for i in range(20)):  # each namespace has exactly one replica acting on it
        assert a.owns(ns) != b.owns(ns)
        assert (a if shard_of(ns, 4) in a.held() else b).owns(ns)
    b.release()
    assert b.held() == frozenset()
    _rounds(a, times=1)
    assert a.held() == ALL, "released shards (and the member's gone Lease) are taken at the next round"


def test_a_dead_replicas_shards_move_only_after_their_lease_runs_out(kube: Kube, namespace: str) -> None:
    a, b = _elector(kube, namespace, "a"), _elector(kube, namespace, "b")
    _rounds(a, b, a, b)
    assert len(a.held()) == 2 and len(b.held()) == 2
    died = time.monotonic()  # b stops renewing, without a goodbye (SIGKILL)
    _rounds(a, times=1)
    assert len(a.held()) == 2, "b's leases and membership are still in their lease duration"
    while a.held() != ALL:
        # a lease duration after b's last renewal (a read every round knows when that was), not after
        # a first looked at b's Leases once b's membership had run out (that would be two)
        assert time.monotonic() - died < FAST.lease_duration + 4 * FAST.retry_period, "b's shards moved late"
        time.sleep(FAST.retry_period)
        assert a.run_round()
    assert time.monotonic() - died >= FAST.lease_duration
    assert not b.run_round(), "b, resuming, finds its shards taken and reports them lost"
    assert b.held() == frozenset() and not any(b.owns(f"team-{i}") for i in range(20))


def test_replicas_of_another_shard_count_claim_nothing_while_the_first_count_runs(kube: Kube, namespace: str) -> None:
    four = _elector(kube, namespace, "four")
    _rounds(four)
    two = _elector(kube, namespace, "two", shards=2)
    _rounds(two)
    assert two.held() == frozenset(), "its Leases cover the same namespaces under other names"
    four.release()
    _rounds(two, times=1)
    assert two.held() == frozenset({0, 1})


def test_the_fence_lets_a_replica_write_only_into_its_shards_namespaces(kube: Kube, namespace: str) -> None:
    a, b = _elector(kube, namespace, "a"), _elector(kube, namespace, "b")
    _rounds(a, b, a, b)
    owner, other = (a, b) if a.owns(namespace) else (b, a)
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe", "namespace": namespace}}
    with pytest.raises(NotLeader):
        kube.fenced(other.may_write).create(config_map)
    kube.fenced(owner.may_write).create(config_map)
    assert kube.get("v1", "ConfigMap", namespace, "probe")["metadata"]["name"] == "probe"
    assert other.may_write("/api/v1/nodes/n1") and owner.may_write("/api/v1/nodes/n1")  # both hold a shard
    assert other.may_write_namespaced("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/x")


def test_keep_renews_and_reports_a_lost_lease(kube: Kube, namespace: str) -> None:
    """``--leader-elect`` is one shard: its Lease keeps the plain name; losing it is reported once."""
    a = _elector(kube, namespace, "a", shards=1)
    b = LeaderElector(kube, namespace, "ecs-operator-test", "b", FAST)
    assert a.run_round() and a.held() == frozenset({0})
    lost = threading.Event()
    a.keep(on_lost=lost.set)
    deadline = time.monotonic() + 2 * FAST.lease_duration
    while time.monotonic() < deadline:
        assert not b.try_once(), "a renews: b never gets the lease"
        time.sleep(FAST.retry_period)
    assert a.held() == frozenset({0}) and a.owns(namespace) and not lost.is_set()
    # another writer takes the lease away (as after a long pause): a notices and reports it
    lease = kube.get("coordination.k8s.io/v1", "Lease", namespace, "ecs-operator-test")
    lease["spec"]["holderIdentity"] = "someone-else"
    kube.replace(lease)
    assert lost.wait(FAST.renew_deadline + 2 * FAST.retry_period + 1)
    assert not a.owns(namespace) and a.lost.is_set() and a.held() == frozenset()
    a.stopping.set()
