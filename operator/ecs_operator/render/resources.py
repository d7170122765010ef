"""ECS cpu units and MiB as Kubernetes resource requests and limits.

ECS container ``cpu`` is a relative share (1024 units = one vCPU), not a cap, so it becomes a
request only: ``units * 1000 / 1024`` millicores, rounded up so a non-zero share never becomes
zero. ``memory`` is ECS's hard limit (limits.memory, and the request when there is no soft
``memoryReservation``). GPUs are an extended resource (``nvidia.com/gpu``), set as a limit, which
Kubernetes copies to the request.

Task-level ``cpu``/``memory`` are a hard budget for the whole task (Fargate sizes, and on EC2 what
placement reserves). Kubernetes can say exactly that with pod-level resources (``spec.resources``,
the PodLevelResources feature: beta since 1.34, enabled by default on the pinned 1.36 control
plane), so the task size is emitted there as requests and limits rather than being split across
containers. A cluster without the feature would drop the field; that is reported by the handlers,
not guessed here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..models.common import ResourceRequirement
from .warnings import RenderWarning

__all__ = [
    "GPU_RESOURCE",
    "container_resources",
    "cpu_quantity",
    "ephemeral_storage_resources",
    "memory_quantity",
    "pod_resources",
]

GPU_RESOURCE = "nvidia.com/gpu"


def cpu_quantity(units: int) -> str:
    """ECS cpu units -> millicores, rounded up (``99`` -> ``97m``; ``1024`` -> ``1000m``)."""
    return f"{math.ceil(units * 1000 / 1024)}m"


def memory_quantity(mib: int) -> str:
    """MiB -> a Kubernetes quantity (``512`` -> ``512Mi``)."""
    return f"{mib}Mi"


def container_resources(
    *,
    cpu: int | None,
    memory: int | None,
    memory_reservation: int | None,
    resource_requirements: Sequence[ResourceRequirement | Mapping[str, Any]] | None = (),
    path: str,
) -> tuple[dict[str, dict[str, str]], list[RenderWarning]]:
    """``resources`` for one container and the warnings for what did not map.

    ``resource_requirements`` is the ECS list of ``{type, value}`` (GPU or InferenceAccelerator),
    as models or mappings.
    """
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    warnings: list[RenderWarning] = []
    if cpu:
        requests["cpu"] = cpu_quantity(cpu)
    if memory_reservation:
        requests["memory"] = memory_quantity(memory_reservation)
    if memory:
        limits["memory"] = memory_quantity(memory)
        if not memory_reservation:
            requests["memory"] = memory_quantity(memory)
    for index, requirement in enumerate(resource_requirements or ()):
        kind = _get(requirement, "type")
        value = _get(requirement, "value")
        if kind == "GPU":
            limits[GPU_RESOURCE] = str(int(value))
        else:
            warnings.append(
                RenderWarning(
                    f"{path}.resourceRequirements[{index}]",
                    f"resource type {kind} has no Kubernetes equivalent (only GPU maps, to {GPU_RESOURCE}); ignored",
                    "unsupported",
                )
            )
    resources: dict[str, dict[str, str]] = {}
    if requests:
        resources["requests"] = dict(sorted(requests.items()))
    if limits:
        resources["limits"] = dict(sorted(limits.items()))
    return resources, warnings


def pod_resources(*, cpu: int | None, memory: int | None) -> dict[str, dict[str, str]] | None:
    """Pod-level ``spec.resources`` for a task size, or ``None`` when the task has none.

    Requests equal limits: ECS reserves the whole task size when it places a task.
    """
    amounts: dict[str, str] = {}
    if cpu:
        amounts["cpu"] = cpu_quantity(cpu)
    if memory:
        amounts["memory"] = memory_quantity(memory)
    if not amounts:
        return None
    return {"requests": dict(amounts), "limits": dict(amounts)}


def ephemeral_storage_resources(size_in_gib: int) -> dict[str, str]:
    """Requests/limits for ``ephemeralStorage.sizeInGiB``: ``{"ephemeral-storage": "30Gi"}``."""
    return {"ephemeral-storage": f"{size_in_gib}Gi"}


def _get(item: ResourceRequirement | Mapping[str, Any], key: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(key)
    return getattr(item, key, None)
