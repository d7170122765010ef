"""Service/task placement: constraints and strategies on top of the task definition's own.

memberOf expression      -> required node affinity (AND-ed with the task definition's), regexes
                            expanded against the real nodes' labels passed in
distinctInstance         -> required pod anti-affinity on kubernetes.io/hostname
spread(attribute:ecs.availability-zone) -> topologySpreadConstraints on topology.kubernetes.io/zone
spread(instanceId|host)  -> topologySpreadConstraints on kubernetes.io/hostname
spread(attribute:X)      -> topologySpreadConstraints on the node label X
binpack(cpu|memory)      -> reported: packing is a scheduler profile (MostAllocated scoring)
random                   -> the default scheduler's behaviour; nothing to render
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from ..models.common import PlacementConstraint, PlacementStrategy
from ..models.task_definition import TaskDefinitionPlacementConstraint
from .query import (
    ATTRIBUTE_LABELS,
    AffinityResult,
    affinity_block,
    combine,
    distinct_instance_anti_affinity,
    to_affinity,
)
from .warnings import RenderWarning

__all__ = ["apply_placement", "spread_topology_key"]

HOSTNAME = "kubernetes.io/hostname"


def spread_topology_key(field: str) -> str:
    if field in ("instanceId", "host"):
        return HOSTNAME
    name = field.removeprefix("attribute:")
    return ATTRIBUTE_LABELS.get(name, name)


def _memberof(
    constraints: Sequence[PlacementConstraint | TaskDefinitionPlacementConstraint] | None,
    prefix: str,
    node_labels: Sequence[Mapping[str, str]],
) -> list[AffinityResult]:
    return [
        to_affinity(c.expression, node_labels, path=f"{prefix}[{i}].expression")
        for i, c in enumerate(constraints or ())
        if c.expression and c.type in (None, "memberOf")
    ]


def apply_placement(
    template: Mapping[str, Any],
    *,
    task_constraints: Sequence[TaskDefinitionPlacementConstraint] | None,
    constraints: Sequence[PlacementConstraint] | None,
    strategies: Sequence[PlacementStrategy] | None,
    selector_labels: Mapping[str, str],
    node_labels: Sequence[Mapping[str, str]] = (),
) -> tuple[dict[str, Any], list[RenderWarning]]:
    """The template with the combined affinity and spread constraints of task definition + service/task."""
    out = copy.deepcopy(dict(template))
    spec = out.setdefault("spec", {})
    warnings: list[RenderWarning] = []
    service_results = _memberof(constraints, "placementConstraints", node_labels)
    # A task definition's constraints are memberOf only: distinctInstance is a service/task constraint.
    distinct = any(c.type == "distinctInstance" for c in constraints or ())
    if service_results or distinct:
        combined = combine(
            *_memberof(task_constraints, "taskDefinition.placementConstraints", node_labels), *service_results
        )
        if distinct:
            combined.pod_anti_affinity.extend(distinct_instance_anti_affinity(selector_labels))
        warnings.extend(r for r in combined.warnings if r not in warnings)
        block = affinity_block(combined)
        if block:
            spec["affinity"] = block
    spreads: list[dict[str, Any]] = []
    for i, strategy in enumerate(strategies or ()):
        if strategy.type == "spread" and strategy.field:
            spreads.append(
                {
                    "maxSkew": 1,
                    "topologyKey": spread_topology_key(strategy.field),
                    # The first spread is ECS's primary goal; later ones only break ties.
                    "whenUnsatisfiable": "DoNotSchedule" if not spreads else "ScheduleAnyway",
                    "labelSelector": {"matchLabels": dict(selector_labels)},
                }
            )
        elif strategy.type == "binpack":
            warnings.append(
                RenderWarning(
                    f"placementStrategy[{i}]",
                    f"binpack({strategy.field}) needs a scheduler profile with MostAllocated scoring; "
                    "set schedulerName in the capacity provider profile",
                    "approximated",
                )
            )
    if spreads:
        spec["topologySpreadConstraints"] = spreads
    return out, warnings
