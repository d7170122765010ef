"""Walking models by ECS member names (for error hints and the coverage test)."""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel

__all__ = ["field_aliases", "field_by_alias", "model_in"]


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``list[PortMapping] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return model_in(args[1])
    if origin in (Union, types.UnionType, list, tuple, typing.Annotated):
        for arg in args:
            found = model_in(arg)
            if found is not None:
                return found
    return None


def field_aliases(model: type[BaseModel]) -> list[str]:
    """Every member name the model accepts, in ECS spelling."""
    return [info.alias or name for name, info in model.model_fields.items()]


def field_by_alias(model: type[BaseModel], name: str) -> tuple[str, Any] | None:
    """``(python_name, annotation)`` of the member spelled ``name`` (alias or python name)."""
    for field_name, info in model.model_fields.items():
        if name in (info.alias, field_name):
            return field_name, info.annotation
    return None
