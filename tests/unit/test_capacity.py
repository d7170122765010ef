"""Capacity provider arithmetic and node-type profiles (pure)."""

from __future__ import annotations

import pytest

from ecs_operator.models import CapacityProviderProfile, parse_cluster
from ecs_operator.models.common import CapacityProviderStrategyItem
from ecs_operator.plan.cluster_status import compute_cluster_status, parse_quantity
from ecs_operator.render.capacity import (
    FARGATE_SCHEDULER,
    FargateSizeError,
    apply_profile,
    effective_strategy,
    split_tasks,
)


def strategy(*items: tuple[str, int, int]) -> list[CapacityProviderStrategyItem]:
    return [CapacityProviderStrategyItem(capacity_provider=n, weight=w, base=b) for n, w, b in items]


@pytest.mark.parametrize(
    ("desired", "expected"),
    [
        (10, {"od": 4, "spot": 6}),
        (14, {"od": 5, "spot": 9}),
        (2, {"od": 2, "spot": 0}),
        (1, {"od": 1, "spot": 0}),
        (0, {"od": 0, "spot": 0}),
        (3, {"od": 2, "spot": 1}),  # 1 left after the base: 0.25 vs 0.75 -> spot
    ],
)
def test_base_then_weight(desired: int, expected: dict[str, int]) -> None:
    shares = split_tasks(desired, strategy(("od", 1, 2), ("spot", 3, 0)))
    assert {s.provider: s.count for s in shares} == expected
    assert sum(s.count for s in shares) == desired


def test_equal_weights_tie_break_by_order() -> None:
    shares = split_tasks(5, strategy(("a", 1, 0), ("b", 1, 0), ("c", 1, 0)))
    assert [s.count for s in shares] == [2, 2, 1]


def test_no_strategy_is_one_unlabelled_share() -> None:
    assert [(s.provider, s.count) for s in split_tasks(4, [])] == [(None, 4)]


def test_effective_strategy_precedence() -> None:
    default = strategy(("spot", 1, 0))
    assert effective_strategy(strategy(("od", 1, 0)), None, default)[0].capacity_provider == "od"
    assert effective_strategy(None, "FARGATE", default)[0].capacity_provider == "FARGATE"
    assert effective_strategy(None, "EC2", default) == []
    assert effective_strategy(None, None, default)[0].capacity_provider == "spot"


def test_spot_profile_selects_and_tolerates() -> None:
    profile = CapacityProviderProfile(
        name="spot", type="MANAGED_NODEGROUP", nodegroup_name="ng-spot", capacity_type="SPOT"
    )
    out, warnings = apply_profile({"spec": {}}, profile, cluster="c", task_cpu_units=None, task_memory_mib=None)
    assert out["spec"]["nodeSelector"] == {
        "eks.amazonaws.com/capacityType": "SPOT",
        "eks.amazonaws.com/nodegroup": "ng-spot",
    }
    assert out["spec"]["tolerations"][0]["value"] == "SPOT"
    assert out["metadata"]["labels"]["ecs.operator.dev/capacity-provider"] == "spot"
    assert not warnings


def test_self_managed_defaults_to_the_registration_label() -> None:
    profile = CapacityProviderProfile(name="own", type="SELF_MANAGED")
    out, _ = apply_profile({"spec": {}}, profile, cluster="prod", task_cpu_units=None, task_memory_mib=None)
    assert out["spec"]["nodeSelector"] == {"ecs.operator.dev/cluster": "prod"}


def test_fargate_is_guaranteed_and_sized() -> None:
    profile = CapacityProviderProfile(name="FARGATE", type="FARGATE")
    out, _ = apply_profile(
        {"spec": {}}, profile, cluster="c", task_cpu_units=512, task_memory_mib=2048, fargate_provisioner="kwok"
    )
    assert out["spec"]["resources"] == {
        "requests": {"cpu": "500m", "memory": "2048Mi"},
        "limits": {"cpu": "500m", "memory": "2048Mi"},
    }
    assert out["spec"]["schedulerName"] == FARGATE_SCHEDULER
    with pytest.raises(
        FargateSizeError, match="No Fargate configuration exists for given values: 256 CPU, 4096 memory"
    ):
        apply_profile({"spec": {}}, profile, cluster="c", task_cpu_units=256, task_memory_mib=4096)
    with pytest.raises(FargateSizeError, match="cpu and memory"):
        apply_profile({"spec": {}}, profile, cluster="c", task_cpu_units=None, task_memory_mib=None)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1930m", "1.93"), ("7111Mi", str(7111 * 2**20)), ("4", "4"), ("1k", "1000"), ("2Gi", str(2 * 2**30))],
)
def test_quantities(text: str, value: str) -> None:
    assert parse_quantity(text) == parse_quantity(value)


def _node(name: str, labels: dict[str, str], cordoned: bool = False) -> dict:
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": f"aws:///us-east-1a/i-{name}", "unschedulable": cordoned},
        "status": {
            "allocatable": {"cpu": "2", "memory": "4096Mi"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def test_cluster_status_counts_instances_and_tasks() -> None:
    spec = parse_cluster(
        {
            "capacityProviders": ["od"],
            "capacityProviderProfiles": [{"name": "od", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng"}],
        }
    )
    nodes = [
        _node("a", {"eks.amazonaws.com/nodegroup": "ng"}),
        _node("b", {"eks.amazonaws.com/nodegroup": "ng"}, True),
        _node("c", {}),
        _node("d", {"ecs.operator.dev/cluster": "prod"}),
        _node("f", {"eks.amazonaws.com/compute-type": "fargate", "ecs.operator.dev/cluster": "prod"}),
    ]
    task = {
        "metadata": {"labels": {"ecs.operator.dev/cluster": "prod"}},
        "spec": {"nodeName": "a", "containers": [{"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }
    status = compute_cluster_status("prod", spec, nodes, [task], active_services=1)
    instances = {i["containerInstanceArn"]: i for i in status["containerInstances"]}
    assert set(instances) == {"a", "b", "d"}
    assert instances["b"]["status"] == "DRAINING" and instances["a"]["status"] == "ACTIVE"
    assert instances["a"]["registeredResources"] == {"CPU": 2048, "MEMORY": 4096}
    assert instances["a"]["remainingResources"] == {"CPU": 1536, "MEMORY": 3072}
    assert instances["d"]["capacityProviderName"] is None
    assert (status["runningTasksCount"], status["registeredContainerInstancesCount"]) == (1, 3)
    assert status["capacityProviderCounts"] == [
        {"capacityProvider": "od", "registeredContainerInstancesCount": 2, "runningTasksCount": 1}
    ]
