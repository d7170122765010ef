"""Typed reads of a request's members, with ECS's errors for the wrong type or a missing value.

The AWS JSON protocol answers a member of the wrong JSON type with a SerializationException
and a missing or out-of-range member with an InvalidParameterException; botocore's ECS model
gives each action's member types. Deeper shapes (container definitions, deployment
configuration) are validated by the same pydantic models kubectl-applied objects go through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import InvalidParameterException, SerializationException

__all__ = ["Params"]

_JSON_TYPE = {str: "String", int: "Integer", bool: "Boolean", list: "List", dict: "Structure"}


class Params:
    """One request body (a JSON object) and typed accessors over its top-level members."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = dict(body)

    def __contains__(self, name: str) -> bool:
        return self.body.get(name) is not None

    def _typed(self, name: str, kind: type, required: bool) -> Any:
        value = self.body.get(name)
        if value is None:
            if required:
                raise InvalidParameterException(f"{name} must be specified.")
            return None
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            raise SerializationException(f"Value {_show(value)} at '{name}' cannot be converted to {_JSON_TYPE[kind]}.")
        return value

    def string(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self._typed(name, str, required)
        if value is not None and required and not value.strip():
            raise InvalidParameterException(f"{name} can not be blank.")
        return default if value is None else str(value)

    def require(self, name: str) -> str:
        value = self.string(name, required=True)
        assert value is not None
        return value

    def integer(self, name: str, *, low: int | None = None, high: int | None = None) -> int | None:
        value = self._typed(name, int, False)
        if value is not None and ((low is not None and value < low) or (high is not None and value > high)):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise InvalidParameterException(f"{name} must be {bounds}.")
        return None if value is None else int(value)

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self._typed(name, bool, False)
        return default if value is None else bool(value)

    def strings(self, name: str, *, required: bool = False, most: int | None = None) -> list[str]:
        value = self._typed(name, list, required)
        if value is None:
            return []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise SerializationException(f"Value {_show(item)} at '{name}.{i + 1}' cannot be converted to String.")
        if required and not value:
            raise InvalidParameterException(f"{name} can not be empty.")
        if most is not None and len(value) > most:
            raise InvalidParameterException(f"{name} can have at most {most} items.")
        return list(value)

    def objects(self, name: str) -> list[dict[str, Any]]:
        value = self._typed(name, list, False)
        if value is None:
            return []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise SerializationException(
                    f"Value {_show(item)} at '{name}.{i + 1}' cannot be converted to Structure."
                )
        return list(value)

    def object(self, name: str) -> dict[str, Any] | None:
        value = self._typed(name, dict, False)
        return None if value is None else dict(value)

    def enum(self, name: str, allowed: tuple[str, ...], *, default: str | None = None) -> str | None:
        value = self.string(name, default=default)
        if value is not None and value not in allowed:
            raise InvalidParameterException(f"{name} must be one of: {', '.join(allowed)}.")
        return value


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
