"""Request bodies for fuzzing the ECS API, generated from botocore's input shapes.

Each body is one of: valid-ish (members of the input shape with random values of the right
type, enums from the model), a wrong type somewhere, a required member missing, a huge
string, deep nesting, unknown members, or not a JSON object at all (or not JSON). A
:class:`random.Random` with a printed seed makes a failing run repeatable.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore_model import load_ecs_model

__all__ = ["Case", "cases"]

KINDS = ("valid", "valid", "valid", "wrong-type", "missing-required", "huge-string", "deep", "unknown", "not-object")
NAMES = ("default", "web", "app", "app:1", "web:2", "nope", "arn:aws:ecs:us-east-1:123456789012:cluster/default")


@dataclass(frozen=True)
class Case:
    action: str
    kind: str
    payload: bytes


def _string(rng: random.Random, shape: dict[str, Any]) -> str:
    if shape.get("enum"):
        return str(rng.choice(shape["enum"]))
    roll = rng.random()
    if roll < 0.4:
        return rng.choice(NAMES)
    if roll < 0.5:
        return ""
    if roll < 0.6:
        return "".join(rng.choice("ßé日本\u0000\u202e\ud7ff\"'\\/<>{}%$") for _ in range(rng.randint(1, 12)))
    return "".join(rng.choice(string.ascii_letters + string.digits + "-_:/.") for _ in range(rng.randint(1, 40)))


def _value(model: dict[str, Any], name: str, rng: random.Random, depth: int) -> Any:
    shape = model["shapes"][name]
    kind = shape["type"]
    if kind == "structure":
        members = shape.get("members", {})
        required = set(shape.get("required", []))
        out: dict[str, Any] = {}
        if depth > 5:
            return out
        for member, ref in members.items():
            if member in required or rng.random() < 0.3:
                out[member] = _value(model, ref["shape"], rng, depth + 1)
        return out
    if kind == "list":
        if depth > 5:
            return []
        return [_value(model, shape["member"]["shape"], rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "map":
        return {
            _string(rng, {}): _value(model, shape["value"]["shape"], rng, depth + 1) for _ in range(rng.randint(0, 2))
        }
    if kind in ("string", "blob"):
        return _string(rng, shape)
    if kind in ("integer", "long"):
        return rng.choice([0, 1, 2, -1, 10, 100, 101, 1000, 2**31, -(2**63), rng.randint(-10, 5000)])
    if kind in ("double", "float"):
        return rng.choice([0.0, 1.5, -3.25, 1e308])
    if kind == "timestamp":
        return rng.choice([0, 1767225600, 1767225600.5, -1])
    if kind == "boolean":
        return rng.random() < 0.5
    return None


def _wrong(value: Any, rng: random.Random) -> Any:
    """A value of another JSON type than ``value``."""
    choices: list[Any] = [None, True, 7, -2.5, "x", [], {}, [1, "a"], {"k": "v"}]
    return rng.choice([c for c in choices if type(c) is not type(value)])


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield (*path, i)
            yield from _paths(item, (*path, i))


def _replace(body: Any, path: tuple[Any, ...], new: Any) -> None:
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new


def _body(model: dict[str, Any], action: str, kind: str, rng: random.Random) -> bytes:
    op = model["operations"][action]
    input_name = op.get("input", {}).get("shape")
    body: Any = _value(model, input_name, rng, 0) if input_name else {}
    if kind == "wrong-type":
        paths = list(_paths(body))
        if paths:
            path = rng.choice(paths)
            target = body
            for step in path:
                target = target[step]
            _replace(body, path, _wrong(target, rng))
        else:
            body = {"cluster": _wrong("", rng)}
    elif kind == "missing-required" and input_name:
        required = model["shapes"][input_name].get("required", [])
        for member in required:
            body.pop(member, None)
        if not required and body:
            body.pop(rng.choice(list(body)))
    elif kind == "huge-string":
        big = rng.choice(["a", "日", "%00", "\\"]) * rng.choice([5_000, 60_000, 200_000])
        paths = [p for p in _paths(body) if isinstance(_get(body, p), str)]
        if paths:
            _replace(body, rng.choice(paths), big)
        else:
            body["cluster"] = big
    elif kind == "deep":
        if rng.random() < 0.3:  # deeper than any JSON parser's recursion limit
            levels = rng.choice([2_000, 20_000])
            return b'{"cluster":' + b'{"a":' * levels + b"1" + b"}" * levels + b"}"
        nested: Any = rng.choice([[], {}, "leaf"])
        for _ in range(rng.choice([50, 300, 800])):
            nested = {"a": nested} if rng.random() < 0.5 else [nested]
        key = rng.choice([*list(body), "deep"]) if isinstance(body, dict) else "deep"
        body[key] = nested
    elif kind == "unknown":
        body[rng.choice(["Cluster", "__type", "extra", "", "serviceName\u0000", "constructor"])] = _wrong(None, rng)
    elif kind == "not-object":
        return rng.choice(
            [b"[]", b'"x"', b"42", b"null", b"true", b"{", b"{]", b"\xff\xfe", b"", b"{}{}", b'{"a":1,}', b"[{}]"]
        )
    return json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", errors="surrogatepass")


def _get(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


def cases(actions: list[str], count: int, seed: int) -> Iterator[Case]:
    """``count`` fuzz cases over ``actions``, the same ones for the same seed."""
    model = load_ecs_model()
    rng = random.Random(seed)
    for _ in range(count):
        action = rng.choice(actions)
        kind = rng.choice(KINDS)
        yield Case(action, kind, _body(model, action, kind, rng))
