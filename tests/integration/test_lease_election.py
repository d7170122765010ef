"""LeaderElector against the real API server: one holder, races settled by resourceVersion, the fence.

Electors run in this process with short timings (lease 3 s, renew deadline 2 s, retry 0.5 s).
The rounds over them are tests/integration/test_shard_election.py (ShardElector); the operator's use
(two `ecs-operator run --leader-elect` replicas, SIGKILL, SIGSTOP, SIGTERM; `--shards 4`) is
tests/reliability/test_leader_election.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from ecs_operator.kube import Kube, connect
from ecs_operator.kube.errors import NotLeader
from ecs_operator.kube.leader_election import LeaderElector
from ecs_operator.metrics import Metrics
from ecs_operator.plan.leadership import ElectionTiming

FAST = ElectionTiming(lease_duration=3, renew_deadline=2, retry_period=0.5)


@pytest.fixture
def kube(cluster) -> Kube:
    return connect(str(cluster.kubeconfig))


def _elector(kube: Kube, namespace: str, identity: str, metrics: Metrics | None = None) -> LeaderElector:
    return LeaderElector(kube, namespace, "ecs-operator-test", identity, FAST, metrics=metrics)


def _lease(kube: Kube, namespace: str) -> dict:
    return kube.get("coordination.k8s.io/v1", "Lease", namespace, "ecs-operator-test")["spec"]


def _leading(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("leader_election_master_status", {"name": "ecs-operator-test"})


def test_one_holder_and_a_release_hands_over_at_once(kube: Kube, namespace: str) -> None:
    metrics = Metrics()
    a, b = _elector(kube, namespace, "a", metrics), _elector(kube, namespace, "b")
    assert _leading(metrics) == 0.0
    assert a.try_once() and a.may_act()
    assert _leading(metrics) == 1.0
    assert not b.try_once() and not b.may_act()
    assert _lease(kube, namespace)["holderIdentity"] == "a"
    renewed = _lease(kube, namespace)["renewTime"]
    time.sleep(0.05)
    assert a.try_once()
    assert _lease(kube, namespace)["renewTime"] > renewed
    a.release()
    assert not a.may_act() and _leading(metrics) == 0.0
    assert b.try_once(), "a released lease is free at once, not a lease duration later"
    spec = _lease(kube, namespace)
    assert spec["holderIdentity"] == "b" and spec["leaseTransitions"] == 0


def test_racing_for_a_free_lease_exactly_one_wins(kube: Kube, namespace: str) -> None:
    electors = [_elector(kube, namespace, f"r{i}") for i in range(6)]
    start = threading.Barrier(len(electors))
    won: list[str] = []

    def race(e: LeaderElector) -> None:
        start.wait()
        if e.try_once():
            won.append(e.identity)

    threads = [threading.Thread(target=race, args=(e,)) for e in electors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1, won
    assert _lease(kube, namespace)["holderIdentity"] == won[0]


def test_a_holder_that_stops_renewing_is_fenced_before_another_takes_over(kube: Kube, namespace: str) -> None:
    a, b = _elector(kube, namespace, "a"), _elector(kube, namespace, "b")
    assert a.try_once()
    fenced = kube.fenced(lambda _path: a.may_act(), "ecs-operator/a")
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "while-leading", "namespace": namespace}}
    fenced.create(config)
    assert not b.try_once()  # b has now seen the record: its lease runs from here
    seen_at = time.monotonic()
    time.sleep(FAST.renew_deadline + 0.1)  # a is "paused": no renewals
    assert not a.may_act()
    late = {**config, "metadata": {**config["metadata"], "name": "after-deadline"}}
    with pytest.raises(NotLeader):
        fenced.create(late)
    assert kube.get_or_none("v1", "ConfigMap", namespace, "after-deadline") is None
    assert fenced.get("v1", "ConfigMap", namespace, "while-leading")  # reads go on
    assert not b.try_once(), "the lease is still a's until a lease duration after b saw it change"
    while time.monotonic() < seen_at + FAST.lease_duration:
        time.sleep(0.1)
    assert b.try_once()
    spec = _lease(kube, namespace)
    assert spec["holderIdentity"] == "b" and spec["leaseTransitions"] == 1
    assert not a.try_once(), "the old holder cannot take it back while b renews"
