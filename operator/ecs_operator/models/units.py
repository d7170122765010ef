"""Task-level ``cpu`` and ``memory`` as ECS writes them.

ECS takes task cpu as CPU units (``"1024"``) or vCPUs (``"1 vCPU"``, ``".25 vcpu"``) and task memory
as MiB (``"2048"``) or GB (``"2 GB"``, ``"2GB"``; ECS's GB is 1024 MiB). The models keep what the user
wrote and use these functions to expose one unit: CPU units (1024 per vCPU) and MiB.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from .scalars import INT_OR_STRING, STRING_FORM

__all__ = ["CPU_UNITS_PER_VCPU", "MIB_PER_GB", "TaskCpu", "TaskMemory", "parse_cpu_units", "parse_memory_mib"]

CPU_UNITS_PER_VCPU = 1024
MIB_PER_GB = 1024

_CPU = re.compile(r"(?P<number>[0-9]*\.?[0-9]+) *(?P<unit>vcpu)?", re.IGNORECASE)
_MEMORY = re.compile(r"(?P<number>[0-9]*\.?[0-9]+) *(?P<unit>gb)?", re.IGNORECASE)


def parse_cpu_units(value: int | str) -> int:
    """``"1 vCPU"`` -> 1024, ``"256"`` -> 256; ValueError with ECS's wording otherwise."""
    return _parse(value, _CPU, CPU_UNITS_PER_VCPU, "cpu", "CPU units (1024) or vCPUs ('1 vCPU')", "CPU units")


def parse_memory_mib(value: int | str) -> int:
    """``"2 GB"`` -> 2048, ``"512"`` -> 512; ValueError with ECS's wording otherwise."""
    return _parse(value, _MEMORY, MIB_PER_GB, "memory", "MiB (2048) or GB ('2 GB')", "MiB")


def _parse(value: int | str, pattern: re.Pattern[str], scale: int, what: str, forms: str, unit: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"Invalid '{what}' setting for task: expected {forms}, got {value!r}")
    if isinstance(value, int):
        amount = Decimal(value)
    else:
        match = pattern.fullmatch(value)
        if match is None:
            raise ValueError(f"Invalid '{what}' setting for task: expected {forms}, got {value!r}")
        try:
            amount = Decimal(match["number"])
        except InvalidOperation as exc:  # pragma: no cover - the regex only admits decimals
            raise ValueError(f"Invalid '{what}' setting for task: {value!r}") from exc
        if match["unit"]:
            amount *= scale
        elif amount != amount.to_integral_value():
            raise ValueError(
                f"Invalid '{what}' setting for task: a plain number is in {unit} and must be whole, got {value!r}"
            )
    if amount != amount.to_integral_value():
        raise ValueError(f"Invalid '{what}' setting for task: {value!r} is not a whole number of {unit}")
    if amount <= 0:
        raise ValueError(f"Invalid '{what}' setting for task: must be greater than zero, got {value!r}")
    return int(amount)


class _TaskSize:
    """Annotation: keep the user's form (``"1 vCPU"``, ``512``) but insist it parses."""

    def __init__(self, parse: Callable[[int | str], int], pattern: str, forms: str) -> None:
        self._parse = parse
        self._pattern = pattern
        self._forms = forms

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self._validate,
            json_schema_input_schema=core_schema.union_schema([core_schema.int_schema(), core_schema.str_schema()]),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            INT_OR_STRING: True,
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "maxLength": 32,
            "pattern": self._pattern,
            STRING_FORM: self._forms,
        }

    def _validate(self, value: object) -> int | str:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"must be a number or a string such as '1 vCPU' or '2 GB', got {value!r}")
        self._parse(value)
        return value


TaskCpu = Annotated[
    int | str,
    _TaskSize(
        parse_cpu_units, "^[0-9]*[.]?[0-9]+[ ]*([vV][cC][pP][uU])?$", "must be CPU units (1024) or vCPUs ('1 vCPU')"
    ),
]
"""Task cpu as written: ``256``, ``"256"``, ``"0.25 vCPU"``."""
TaskMemory = Annotated[
    int | str,
    _TaskSize(parse_memory_mib, "^[0-9]*[.]?[0-9]+[ ]*([gG][bB])?$", "must be MiB (2048) or GB ('2 GB')"),
]
"""Task memory as written: ``512``, ``"512"``, ``"0.5 GB"``."""
