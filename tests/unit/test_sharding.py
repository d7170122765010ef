"""Sharding rules (plan.sharding): a stable split by namespace, fair shares, request paths."""

from __future__ import annotations

from collections import Counter

from ecs_operator.plan.sharding import (
    fair_share,
    member_lease_name,
    namespace_of_path,
    rebalance,
    shard_lease_name,
    shard_of,
)


def test_a_namespace_has_one_shard_everywhere_and_namespaces_spread() -> None:
    assert shard_of("prod", 4) == shard_of("prod", 4)
    assert shard_of("prod", 1) == 0
    spread = Counter(shard_of(f"team-{i}", 4) for i in range(400))
    assert set(spread) == {0, 1, 2, 3} and min(spread.values()) > 60


def test_lease_names() -> None:
    assert shard_lease_name("ecs-operator", 0, 1) == "ecs-operator"  # --leader-elect's Lease, as before
    assert shard_lease_name("ecs-operator", 2, 4) == "ecs-operator-shard-2-of-4"
    name = member_lease_name("ecs-operator", "pod-7f9c_1a2b3c4d")
    assert name.startswith("ecs-operator-member-") and "_" not in name and len(name) < 64
    assert name != member_lease_name("ecs-operator", "pod-7f9c_1a2b3c4e")


def test_fair_share_rounds_up() -> None:
    assert [fair_share(4, n) for n in (0, 1, 2, 3, 4, 5)] == [4, 4, 2, 2, 1, 1]


def test_rebalance_claims_up_to_the_share_and_hands_back_above_it() -> None:
    alone = rebalance(set(), 4, 1, [2, 3, 0, 1])
    assert (alone.claim, alone.want) == ((2, 3, 0, 1), 4)  # everything
    one_more = rebalance({0}, 4, 2, [2, 3, 1])
    assert (one_more.claim, one_more.want) == ((2, 3, 1), 1)  # in this replica's order, the first free one
    assert rebalance({0, 1}, 4, 2, [2, 3]).claim == ()  # at its share
    moved = rebalance({0, 1, 2, 3}, 4, 2, [])  # a second replica joined
    assert moved.release == (2, 3) and moved.claim == ()
    assert rebalance(set(), 4, 2, [1, 2], count_agreed=False).claim == ()  # another count still runs


def test_the_namespace_a_request_writes_into() -> None:
    assert namespace_of_path("/api/v1/namespaces/prod/pods/web-1") == "prod"
    assert namespace_of_path("/apis/apps/v1/namespaces/prod/deployments?fieldManager=x") == "prod"
    assert namespace_of_path("/apis/ecs.operator.dev/v1alpha1/namespaces/a/ecsservices/web/status") == "a"
    assert namespace_of_path("/api/v1/namespaces/prod") is None  # the Namespace itself
    assert namespace_of_path("/api/v1/nodes/n1") is None
    assert namespace_of_path("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/x") is None
