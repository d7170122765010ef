"""ECS ``dependsOn`` as Kubernetes container start order.

ECS starts a container once the containers it depends on reach a condition. Kubernetes has one
ordered mechanism: init containers, run one after the other before the regular containers. So
every container something depends on becomes an init container, placed in topological order:

* ``START`` / ``HEALTHY`` target: a *native sidecar* (init container with ``restartPolicy:
  Always``). It keeps running, and the next container starts once it has started, or, for
  ``HEALTHY``, once its startup probe (built from its healthCheck) has succeeded.
* ``SUCCESS`` / ``COMPLETE`` target: a plain init container, which must exit before the next one
  starts. Kubernetes requires it to exit 0, so ``COMPLETE`` (any exit code) is approximated.

Containers nobody depends on are the regular containers, in definition order. Kubernetes then
starts every regular container after all init containers, slightly stricter than ECS (which
starts independent containers at once); that changes no outcome and is not reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..models import ContainerDefinition
from .errors import RenderError
from .warnings import RenderWarning

__all__ = ["DependencyCycleError", "Role", "StartPlan", "plan_start_order"]

Role = Literal["main", "sidecar", "init"]


class DependencyCycleError(RenderError):
    """``dependsOn`` forms a cycle: no container could ever start."""


@dataclass
class StartPlan:
    """Where each container (by index in ``containerDefinitions``) goes and in which order."""

    roles: list[Role]
    init_order: list[int]
    main_order: list[int]
    healthy_targets: set[int] = field(default_factory=set)
    warnings: list[RenderWarning] = field(default_factory=list)


def plan_start_order(containers: Sequence[ContainerDefinition], *, path: str = "containerDefinitions") -> StartPlan:
    """Roles and order for ``containers`` (ContainerDefinition models)."""
    index_of = {c.name: i for i, c in enumerate(containers)}
    conditions: dict[int, set[str]] = {}
    edges: dict[int, list[int]] = {i: [] for i in range(len(containers))}  # target -> dependents
    warnings: list[RenderWarning] = []
    for i, container in enumerate(containers):
        for j, dependency in enumerate(container.depends_on or ()):
            target = index_of.get(dependency.container_name)
            where = f"{path}[{i}].dependsOn[{j}]"
            if target is None:
                warnings.append(
                    RenderWarning(
                        where, f"no container named {dependency.container_name!r}; dependency ignored", "unsupported"
                    )
                )
                continue
            if target == i:
                raise DependencyCycleError(f"{where}: container {container.name!r} depends on itself")
            conditions.setdefault(target, set()).add(dependency.condition)
            edges[target].append(i)

    roles: list[Role] = ["main"] * len(containers)
    healthy: set[int] = set()
    for target, wanted in sorted(conditions.items()):
        container = containers[target]
        where = f"{path}[{target}]"
        if wanted & {"SUCCESS", "COMPLETE"}:
            roles[target] = "init"
            if "COMPLETE" in wanted:
                warnings.append(
                    RenderWarning(
                        where,
                        f"dependsOn COMPLETE on {container.name!r}: it runs as an init container, which must exit 0 "
                        "(ECS would also accept a non-zero exit)",
                        "approximated",
                    )
                )
            if wanted & {"START", "HEALTHY"}:
                warnings.append(
                    RenderWarning(
                        where,
                        f"{container.name!r} is a dependency with both run-to-completion and START/HEALTHY conditions; "
                        "it runs to completion before its dependents start",
                        "approximated",
                    )
                )
            if container.essential:
                warnings.append(
                    RenderWarning(
                        where,
                        f"essential container {container.name!r} must exit before its dependents start; "
                        "it runs as an init container and its exit does not stop the task",
                        "approximated",
                    )
                )
        else:
            roles[target] = "sidecar"
            if "HEALTHY" in wanted:
                if container.health_check is None:
                    warnings.append(
                        RenderWarning(
                            where,
                            f"dependsOn HEALTHY on {container.name!r}, which has no healthCheck; "
                            "dependents wait only for it to start",
                            "approximated",
                        )
                    )
                else:
                    healthy.add(target)

    init_order = _topological([t for t in range(len(containers)) if roles[t] != "main"], edges, containers)
    main_order = [i for i in range(len(containers)) if roles[i] == "main"]
    return StartPlan(
        roles=roles, init_order=init_order, main_order=main_order, healthy_targets=healthy, warnings=warnings
    )


def _topological(nodes: list[int], edges: dict[int, list[int]], containers: Sequence[ContainerDefinition]) -> list[int]:
    """Kahn's algorithm over the dependency targets; ties keep definition order."""
    members = set(nodes)
    pending = dict.fromkeys(nodes, 0)
    for target in nodes:
        for dependent in edges[target]:
            if dependent in members:
                pending[dependent] += 1
    order: list[int] = []
    ready = sorted(n for n in nodes if pending[n] == 0)
    while ready:
        current = ready.pop(0)
        order.append(current)
        for dependent in edges[current]:
            if dependent in members:
                pending[dependent] -= 1
                if pending[dependent] == 0:
                    ready.append(dependent)
                    ready.sort()
    if len(order) != len(nodes):
        stuck = sorted(containers[n].name for n in nodes if n not in order)
        raise DependencyCycleError(f"dependsOn forms a cycle between containers {', '.join(stuck)}")
    return order
