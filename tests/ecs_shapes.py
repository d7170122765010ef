"""Check an ECS response against botocore's output shape of its operation.

botocore's model is the contract every SDK parses with: a required member missing, a member
the model does not know, a string where a number belongs or a value outside an enum breaks some
client somewhere. :func:`problems` walks a response recursively and names each such problem
with its path (``services[0].deployments[1].rolloutState``); an empty list means it conforms.
Timestamps are epoch seconds as JSON numbers, as AWS JSON 1.1 sends them.
"""

from __future__ import annotations

from typing import Any

from botocore_model import load_ecs_model

__all__ = ["output_problems", "input_shape", "problems"]

_NUMBER = (int, float)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool)


def problems(shape_name: str, value: Any, path: str = "", model: dict[str, Any] | None = None) -> list[str]:
    """Every way ``value`` departs from the model's shape ``shape_name``, each with its path."""
    m = model or load_ecs_model()
    shape = m["shapes"][shape_name]
    kind = shape["type"]
    where = path or "<root>"
    out: list[str] = []
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected an object ({shape_name}), got {type(value).__name__}"]
        members = shape.get("members", {})
        for name in shape.get("required", []):
            if name not in value:
                out.append(f"{_join(path, name)}: required member of {shape_name} missing")
        for name, item in value.items():
            if name not in members:
                out.append(f"{_join(path, name)}: not a member of {shape_name}")
                continue
            if item is None:
                out.append(f"{_join(path, name)}: null (members are left out, never null)")
                continue
            out.extend(problems(members[name]["shape"], item, _join(path, name), m))
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list ({shape_name}), got {type(value).__name__}"]
        for i, item in enumerate(value):
            out.extend(problems(shape["member"]["shape"], item, f"{path}[{i}]", m))
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map ({shape_name}), got {type(value).__name__}"]
        for key, item in value.items():
            out.extend(problems(shape["key"]["shape"], key, f"{path}<key {key!r}>", m))
            out.extend(problems(shape["value"]["shape"], item, f"{path}[{key!r}]", m))
    elif kind in ("string", "blob"):
        if not isinstance(value, str):
            return [f"{where}: expected a string ({shape_name}), got {type(value).__name__} {value!r}"]
        enum = shape.get("enum")
        if enum and value not in enum:
            out.append(f"{where}: {value!r} is not one of {shape_name} {enum}")
    elif kind in ("integer", "long"):
        if not _is_int(value):
            out.append(f"{where}: expected an integer ({shape_name}), got {type(value).__name__} {value!r}")
    elif kind in ("double", "float"):
        if not _is_number(value):
            out.append(f"{where}: expected a number ({shape_name}), got {type(value).__name__} {value!r}")
    elif kind == "timestamp":
        if not _is_number(value):
            out.append(f"{where}: expected a timestamp as epoch seconds, got {type(value).__name__} {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{where}: expected a boolean ({shape_name}), got {type(value).__name__} {value!r}")
    else:
        out.append(f"{where}: shape type {kind!r} of {shape_name} not understood")
    return out


def output_problems(operation: str, response: Any) -> list[str]:
    """Problems of ``response`` against the output shape of ``operation`` (e.g. ``DescribeServices``)."""
    m = load_ecs_model()
    output = m["operations"][operation].get("output")
    if output is None:
        return [] if response in ({}, None) else [f"<root>: {operation} has no output, got {response!r}"]
    return problems(output["shape"], response, "", m)


def input_shape(operation: str) -> str | None:
    """The name of the input shape of ``operation``, or None when it takes none."""
    op = load_ecs_model()["operations"][operation]
    shape = op.get("input")
    return None if shape is None else str(shape["shape"])


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
