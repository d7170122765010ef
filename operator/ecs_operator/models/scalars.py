"""Scalar types with ECS's input rules and the matching CRD schema.

ECS's JSON decoder takes ``"memory": "100"`` for an integer member (the seed's example does), so
every ECS integer here accepts a number or a string of digits and is stored as ``int``; its
schema is ``x-kubernetes-int-or-string`` so the CRD accepts both forms too. Ranges and name
patterns carry their own messages, phrased the way ECS documents the limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import Ge
from pydantic import BeforeValidator, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

__all__ = [
    "ClientToken36",
    "ClientToken64",
    "ContainerName",
    "EcsInt",
    "EcsName",
    "EcsString",
    "FREE_TEXT",
    "HealthCheckInterval",
    "HealthCheckRetries",
    "HealthCheckStartPeriod",
    "HealthCheckTimeout",
    "INT_OR_STRING",
    "STRING_FORM",
    "IntOrString",
    "NonNegativeInt",
    "Percent",
    "PortNumber",
    "PositiveInt",
    "ReplicaCount",
    "TaskCount",
    "TextPattern",
    "coerce_int",
]

INT_OR_STRING = "x-kubernetes-int-or-string"
FREE_TEXT = "x-ecs-free-text"
"""On an int-or-string schema: any string is fine (a number is only a convenience)."""
STRING_FORM = "x-ecs-string-form"
"""On an int-or-string schema with a ``pattern``: the allowed string forms, in words."""
_DIGITS = re.compile(r"-?[0-9]+")


def coerce_int(value: object) -> int:
    """An ECS integer: a JSON number without fraction or a string of digits (``"100"``)."""
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    raise ValueError(f"must be an integer (a number or a string of digits), got {value!r}")


@dataclass(frozen=True)
class IntOrString:
    """Annotation: ECS integer given as number or digit string, optionally bounded."""

    ge: int | None = None
    le: int | None = None
    unit: str = ""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.validate, json_schema_input_schema=core_schema.int_schema()
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        result: dict[str, Any] = {INT_OR_STRING: True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
        if self.ge is not None:
            result["minimum"] = self.ge
        if self.le is not None:
            result["maximum"] = self.le
        return result

    def validate(self, value: object) -> int:
        number = coerce_int(value)
        unit = f" {self.unit}" if self.unit else ""
        if self.ge is not None and self.le is not None and not self.ge <= number <= self.le:
            raise ValueError(f"must be between {self.ge} and {self.le}{unit}, got {number}")
        if self.ge is not None and number < self.ge:
            raise ValueError(f"must be at least {self.ge}{unit}, got {number}")
        if self.le is not None and number > self.le:
            raise ValueError(f"must be at most {self.le}{unit}, got {number}")
        return number


@dataclass(frozen=True)
class TextPattern:
    """Annotation: a string that must match ``pattern``; ``rule`` says it in words."""

    pattern: str
    rule: str
    max_length: int | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.validate, core_schema.str_schema())

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        result: dict[str, Any] = {"type": "string", "pattern": self.pattern}
        if self.max_length is not None:
            result["maxLength"] = self.max_length
        return result

    def validate(self, value: str) -> str:
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueError(f"must be at most {self.max_length} characters ({self.rule}), got {len(value)}")
        if re.search(self.pattern, value) is None:
            raise ValueError(f"{self.rule}, got {value!r}")
        return value


def _stringify(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("must be a string")
    return str(value)


EcsInt = Annotated[int, IntOrString()]
NonNegativeInt = Annotated[int, IntOrString(ge=0)]
PositiveInt = Annotated[int, IntOrString(ge=1)]
PortNumber = Annotated[int, IntOrString(ge=0, le=65535)]
Percent = Annotated[int, IntOrString(ge=0, le=100)]
TaskCount = Annotated[int, IntOrString(ge=1, le=10)]
HealthCheckInterval = Annotated[int, IntOrString(ge=5, le=300, unit="seconds")]
HealthCheckTimeout = Annotated[int, IntOrString(ge=2, le=60, unit="seconds")]
HealthCheckRetries = Annotated[int, IntOrString(ge=1, le=10)]
HealthCheckStartPeriod = Annotated[int, IntOrString(ge=0, le=300, unit="seconds")]

ReplicaCount = Annotated[int, Ge(0), BeforeValidator(coerce_int)]
"""A count Kubernetes reads as an integer (the scale subresource): the CRD says integer, the
models still take a digit string."""

_NAME_RULE = "must be 1-255 letters, digits, hyphens or underscores"
EcsName = Annotated[str, TextPattern(r"^[a-zA-Z0-9_-]{1,255}$", _NAME_RULE, 255)]
"""family, container, volume, service, cluster and capacity provider names."""
ContainerName = EcsName


class _EcsStringAnnotation:
    """A string member that YAML users often write as a number (``value: 1`` for one GPU)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _stringify, json_schema_input_schema=core_schema.str_schema()
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {INT_OR_STRING: True, "anyOf": [{"type": "integer"}, {"type": "string"}], FREE_TEXT: True}


EcsString = Annotated[str, _EcsStringAnnotation]


_TOKEN_RULE = "must be ASCII characters 33-126 (no spaces)"
ClientToken36 = Annotated[str, TextPattern(r"^[\x21-\x7e]+$", _TOKEN_RULE, 36)]
"""CreateService's clientToken: up to 36 printable ASCII characters."""
ClientToken64 = Annotated[str, TextPattern(r"^[\x21-\x7e]+$", _TOKEN_RULE, 64)]
"""RunTask's clientToken: up to 64 printable ASCII characters."""
