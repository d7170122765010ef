"""Fargate's fixed task sizes.

Fargate only runs tasks whose task-level cpu and memory pair is one of a fixed set. The operator
keeps the rule so a definition that says ``requiresCompatibilities: [FARGATE]`` is checked the way
ECS checks it, with ECS's words ("Invalid 'cpu' setting for task", "No Fargate configuration
exists for given values"); the table is
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#task_size.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["FARGATE_SIZES", "fargate_memory_choices", "fargate_size_problem"]


def _steps(first: int, last: int, step: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1, step))


FARGATE_SIZES: Mapping[int, tuple[int, ...]] = MappingProxyType(
    {
        256: (512, 1024, 2048),
        512: _steps(1024, 4096, 1024),
        1024: _steps(2048, 8192, 1024),
        2048: _steps(4096, 16384, 1024),
        4096: _steps(8192, 30720, 1024),
        8192: _steps(16384, 61440, 4096),
        16384: _steps(32768, 122880, 8192),
    }
)
"""CPU units -> the task memory sizes (MiB) Fargate accepts with it."""


def fargate_memory_choices(cpu_units: int) -> tuple[int, ...]:
    """Memory sizes (MiB) Fargate pairs with ``cpu_units``; empty if the cpu is not a Fargate size."""
    return FARGATE_SIZES.get(cpu_units, ())


def fargate_size_problem(cpu_units: int, memory_mib: int) -> tuple[str, str] | None:
    """``(field, message)`` when the pair is not a Fargate size, else None."""
    if cpu_units not in FARGATE_SIZES:
        sizes = ", ".join(str(cpu) for cpu in FARGATE_SIZES)
        return "cpu", f"Invalid 'cpu' setting for task: Fargate supports {sizes} CPU units, got {cpu_units}"
    choices = FARGATE_SIZES[cpu_units]
    if memory_mib not in choices:
        return "memory", (
            f"No Fargate configuration exists for given values: {cpu_units} CPU, {memory_mib} memory; "
            f"with {cpu_units} CPU units Fargate accepts memory {_describe(choices)} MiB"
        )
    return None


def _describe(choices: tuple[int, ...]) -> str:
    if len(choices) <= 3:
        return ", ".join(str(choice) for choice in choices)
    step = choices[1] - choices[0]
    return f"{choices[0]}-{choices[-1]} in steps of {step}"
