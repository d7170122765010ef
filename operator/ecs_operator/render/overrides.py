"""RunTask ``overrides`` applied to a task definition before it is rendered.

ECS lets one task change a few members of its definition (``TaskOverride``): per container
``command``, ``environment`` (merged by name), ``environmentFiles`` (added), ``cpu``, ``memory``,
``memoryReservation``, ``resourceRequirements``; and task-wide ``cpu``, ``memory``,
``taskRoleArn``, ``executionRoleArn``, ``ephemeralStorage``. Applying them to the ECS document
and validating the result again means the renderer needs no second code path, and an override
that breaks a rule (memoryReservation above memory) is reported like any other spec error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import TaskDefinitionSpec, TaskOverride
from ..models.base import ECSModel
from .warnings import RenderWarning

__all__ = ["apply_overrides"]

_TASK_MEMBERS = ("cpu", "memory", "taskRoleArn", "executionRoleArn", "ephemeralStorage")
_CONTAINER_REPLACED = ("command", "cpu", "memory", "memoryReservation", "resourceRequirements")


def _plain(value: ECSModel | Mapping[str, Any]) -> dict[str, Any]:
    """An ECS-spelled mapping from a model (``dump``) or a mapping."""
    if isinstance(value, ECSModel):
        return value.dump()
    return dict(value)


def apply_overrides(
    td: TaskDefinitionSpec, overrides: TaskOverride | Mapping[str, Any] | None, *, path: str = "overrides"
) -> tuple[TaskDefinitionSpec, list[RenderWarning]]:
    """The task definition with ``overrides`` (TaskOverride model or mapping) applied."""
    data: dict[str, Any] = td.dump()
    wanted: Mapping[str, Any] = {} if overrides is None else _plain(overrides)
    warnings: list[RenderWarning] = []
    for member in _TASK_MEMBERS:
        if wanted.get(member) is not None:
            data[member] = wanted[member]
    if wanted.get("inferenceAcceleratorOverrides"):
        warnings.append(
            RenderWarning(
                f"{path}.inferenceAcceleratorOverrides",
                "Elastic Inference accelerators do not exist on Kubernetes",
                "unsupported",
            )
        )
    containers = data["containerDefinitions"]
    by_name = {c["name"]: c for c in containers}
    for index, entry in enumerate(wanted.get("containerOverrides") or ()):
        override = _plain(entry)
        name = override.get("name")
        container = by_name.get(name)
        if container is None:
            warnings.append(
                RenderWarning(
                    f"{path}.containerOverrides[{index}].name",
                    f"no container named {name!r}; override ignored",
                    "unsupported",
                )
            )
            continue
        for member in _CONTAINER_REPLACED:
            if override.get(member) is not None:
                container[member] = override[member]
        if override.get("environment"):
            merged = {e["name"]: e for e in container.get("environment") or ()}
            for variable in override["environment"]:
                merged[variable["name"]] = variable
            container["environment"] = list(merged.values())
        if override.get("environmentFiles"):
            container["environmentFiles"] = list(container.get("environmentFiles") or ()) + list(
                override["environmentFiles"]
            )
    return type(td).model_validate(data), warnings
