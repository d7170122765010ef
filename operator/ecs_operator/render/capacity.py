"""Capacity providers as node-type profiles, and ECS's base-then-weight task split.

A capacity provider strategy splits one service's tasks across kinds of nodes; here each
provider gets its own workload (Deployment) with that share of the replicas and a pod
template steered to its nodes by the provider's profile:

    MANAGED_NODEGROUP  nodeSelector eks.amazonaws.com/nodegroup and/or capacityType (+ spot toleration)
    SELF_MANAGED       the profile's nodeSelector, else the registration label ecs.operator.dev/cluster
    FARGATE[_SPOT]     task size checked against the Fargate table, requests = limits, one task per
                       node: on EKS the profile's labels match a Fargate profile; with the local
                       provisioner the pod asks for the `ecs-operator-fargate` scheduler
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..models import CapacityProviderProfile, fargate_size_problem
from ..models.common import CapacityProviderStrategyItem
from ..vocabulary import LABEL_CLUSTER, LABEL_PROVIDER
from .errors import RenderError
from .warnings import RenderWarning

__all__ = [
    "FARGATE_SCHEDULER",
    "FARGATE_TAINT_KEY",
    "LOCAL_FARGATE",
    "ProviderShare",
    "split_tasks",
    "effective_strategy",
    "apply_profile",
    "CapacityProviderError",
    "FargateSizeError",
    "provider_label",
    "implicit_profile",
]

FARGATE_SCHEDULER = "ecs-operator-fargate"
FARGATE_TAINT_KEY = "eks.amazonaws.com/compute-type"
LOCAL_FARGATE = "kwok"  # provisioner mode: the operator creates one fake node per Fargate task
CAPACITY_TYPE_LABEL = "eks.amazonaws.com/capacityType"
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"


class CapacityProviderError(RenderError):
    """A strategy or profile that cannot be honoured (unknown provider, bad Fargate size)."""


class FargateSizeError(CapacityProviderError):
    """A Fargate task whose cpu/memory is not a Fargate size (ECS's own wording)."""


@dataclass(frozen=True)
class _Item:
    capacity_provider: str
    weight: int
    base: int


StrategyItem = CapacityProviderStrategyItem | _Item
"""A strategy entry: from the spec or the cluster, or the FARGATE one a launchType stands for."""


@dataclass(frozen=True)
class ProviderShare:
    provider: str | None  # None: no capacity provider (EC2 launch type / any node)
    count: int


def split_tasks(desired: int, strategy: Sequence[StrategyItem]) -> list[ProviderShare]:
    """ECS arithmetic: the provider with a base gets up to `base` tasks first, the rest go by weight.

    Shares by weight use the largest remainder, ties broken by strategy order, so the
    split is exact and stable while scaling (10 with base 2/weight 1 + weight 3 -> 4 and 6).
    """
    if not strategy:
        return [ProviderShare(None, desired)]
    counts = {item.capacity_provider: 0 for item in strategy}
    remaining = desired
    for item in strategy:
        if item.base:
            given = min(int(item.base), remaining)
            counts[item.capacity_provider] += given
            remaining -= given
    weights = [(item.capacity_provider, int(item.weight or 0)) for item in strategy]
    total = sum(w for _, w in weights)
    if remaining and total:
        exact = [(name, remaining * w / total) for name, w in weights]
        floors = {name: int(share) for name, share in exact}
        for name, share in floors.items():
            counts[name] += share
        left = remaining - sum(floors.values())
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i][1] - int(exact[i][1])), i))
        for i in order[:left]:
            counts[exact[i][0]] += 1
    elif remaining:  # only a base provider and no weights: it takes everything
        first = next(item.capacity_provider for item in strategy)
        counts[first] += remaining
    return [ProviderShare(name, counts[name]) for name, _ in weights]


def effective_strategy(
    spec_strategy: Sequence[CapacityProviderStrategyItem] | None,
    launch_type: str | None,
    cluster_default: Sequence[CapacityProviderStrategyItem] | None,
) -> list[StrategyItem]:
    """Service/task strategy, else launchType (FARGATE -> the FARGATE provider), else the cluster default."""
    if spec_strategy:
        return list(spec_strategy)
    if launch_type:
        if launch_type == "FARGATE":
            return [_Item("FARGATE", 1, 0)]
        return []  # EC2 / EXTERNAL: any node of the cluster
    return list(cluster_default or ())


def _merge_labels(meta: dict[str, Any], key: str, extra: Mapping[str, str] | None) -> None:
    if extra:
        meta[key] = {**meta.get(key, {}), **extra}


def apply_profile(
    template: Mapping[str, Any],
    profile: CapacityProviderProfile,
    *,
    cluster: str,
    task_cpu_units: int | None,
    task_memory_mib: int | None,
    fargate_provisioner: str | None = None,
) -> tuple[dict[str, Any], list[RenderWarning]]:
    """The pod template steered to the provider's nodes. Raises FargateSizeError for bad sizes."""
    out = copy.deepcopy(dict(template))
    meta = out.setdefault("metadata", {})
    spec = out.setdefault("spec", {})
    warnings: list[RenderWarning] = []
    meta["labels"] = {**meta.get("labels", {}), LABEL_PROVIDER: _label_value(profile.name)}
    _merge_labels(meta, "labels", profile.labels)
    _merge_labels(meta, "annotations", profile.annotations)
    selector: dict[str, str] = dict(spec.get("nodeSelector", {}))
    tolerations: list[dict[str, Any]] = list(spec.get("tolerations", []))

    if profile.type == "MANAGED_NODEGROUP":
        if profile.nodegroup_name:
            selector[NODEGROUP_LABEL] = profile.nodegroup_name
        if profile.capacity_type:
            selector[CAPACITY_TYPE_LABEL] = profile.capacity_type
        if profile.capacity_type == "SPOT":
            tolerations.append(
                {"key": CAPACITY_TYPE_LABEL, "operator": "Equal", "value": "SPOT", "effect": "NoSchedule"}
            )
    elif profile.type == "SELF_MANAGED":
        if not profile.node_selector:
            selector[LABEL_CLUSTER] = cluster
    else:  # FARGATE / FARGATE_SPOT
        _fargate(spec, profile, task_cpu_units, task_memory_mib, fargate_provisioner, tolerations, warnings)
    selector.update(profile.node_selector or {})
    if selector:
        spec["nodeSelector"] = dict(sorted(selector.items()))
    tolerations.extend(profile.tolerations or ())
    if tolerations:
        spec["tolerations"] = tolerations
    if profile.scheduler_name:
        spec["schedulerName"] = profile.scheduler_name
    if profile.runtime_class_name:
        spec["runtimeClassName"] = profile.runtime_class_name
    return out, warnings


def _fargate(
    spec: dict[str, Any],
    profile: CapacityProviderProfile,
    cpu: int | None,
    memory: int | None,
    provisioner: str | None,
    tolerations: list[dict[str, Any]],
    warnings: list[RenderWarning],
) -> None:
    if cpu is None or memory is None:
        raise FargateSizeError(
            "Fargate requires task definition to have cpu and memory set at the task level (cpu, memory)"
        )
    problem = fargate_size_problem(cpu, memory)
    if problem is not None:
        field, message = problem
        raise FargateSizeError(f"{field}: {message}")
    # Guaranteed QoS: the task size is both reserved and the ceiling, as on Fargate.
    size = {"cpu": f"{cpu * 1000 // 1024}m", "memory": f"{memory}Mi"}
    spec["resources"] = {"requests": dict(size), "limits": dict(size)}
    spec.setdefault("tolerations", [])
    tolerations.append({"key": FARGATE_TAINT_KEY, "operator": "Equal", "value": "fargate", "effect": "NoSchedule"})
    if provisioner == LOCAL_FARGATE and not profile.scheduler_name:
        spec["schedulerName"] = FARGATE_SCHEDULER
    elif not profile.labels and not profile.scheduler_name:
        warnings.append(
            RenderWarning(
                "capacityProviderProfiles",
                f"{profile.name}: no labels to match an EKS Fargate profile; tasks land on ordinary nodes",
                "approximated",
            )
        )


def implicit_profile(provider: str) -> CapacityProviderProfile | None:
    """FARGATE / FARGATE_SPOT work without an ECSCluster that describes them, as on ECS."""
    if provider in ("FARGATE", "FARGATE_SPOT"):
        return CapacityProviderProfile(name=provider, type=provider)
    return None


def _label_value(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)[:63].strip("-_.")
    return cleaned or "provider"


def provider_label(name: str) -> str:
    return _label_value(name)
