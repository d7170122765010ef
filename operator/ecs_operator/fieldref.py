"""docs/field-reference.md, generated from the models (``make docs``).

The models are the one description of what each kind accepts, so the reference is derived from
them the same way the CRDs are: every shape (pydantic model) reachable from the four specs gets a
table of its members in ECS spelling, with type, bounds, default, and whether it is rejected
(with the reason), an extension ECS does not have, or ignored read-only output. Cross-member
rules the API server checks (the CRDs' CEL) are listed under their shape. A unit test fails when
the file on disk differs from what this module renders, as for crds/.

Pure and deterministic; :func:`main` is the only function that writes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from .models.base import UNSUPPORTED_MARK
from .models.cel import CEL_RULES
from .models.crd import GROUP, KINDS, VERSION, Kind
from .models.extensions import EXTENSION_MEMBERS
from .models.scalars import FREE_TEXT, INT_OR_STRING
from .models.task_definition import READ_ONLY_MEMBERS

__all__ = ["DEFAULT_PATH", "main", "render_field_reference"]

DEFAULT_PATH: Final = Path("docs/field-reference.md")
HEADER: Final = "<!-- Generated from ecs_operator.models by `make docs`; do not edit. -->\n"

Schema = dict[str, Any]


def render_field_reference() -> str:
    """The whole Markdown document."""
    shapes: dict[str, Schema] = {}
    order: list[str] = []
    roots: list[tuple[Kind, str]] = []
    for kind in KINDS:
        schema = kind.spec.model_json_schema(by_alias=True, mode="validation")
        for name, definition in schema.pop("$defs", {}).items():
            shapes.setdefault(name, definition)
        shapes[kind.spec.__name__] = schema
        roots.append((kind, kind.spec.__name__))
    for _, root in roots:
        _walk(root, shapes, order)
    ecs_shapes = {kind.spec.__name__: kind.spec.ecs_shape for kind in KINDS}

    out = [
        HEADER,
        "# Field reference\n\n",
        f"Every kind is `apiVersion: {GROUP}/{VERSION}`, namespaced, and takes its ECS input under `spec:` with ECS's "
        'own member names. Integers marked *int-or-string* accept `100` or `"100"`, as ECS\'s JSON does. '
        "`kubectl apply` checks the types, bounds and rules below; the operator checks what needs other objects "
        "(task definition references, dependsOn cycles) and reports it on the object's status. "
        "What each field becomes on Kubernetes is in [ecs-mapping.md](ecs-mapping.md).\n\n",
        "| Kind | Short name | Spec | ECS input it mirrors |\n|---|---|---|---|\n",
    ]
    for kind, root in roots:
        out.append(
            f"| {kind.kind} | `{kind.short_name}` | [{root}](#{_anchor(root)}) | `{ecs_shapes[root] or '-'}` |\n"
        )
    out.append("\n")
    for kind, root in roots:
        out.append(f"## {kind.kind}\n\n{kind.description} Its `spec`: [{root}](#{_anchor(root)}).\n\n")
        if kind.kind == "TaskDefinition":
            out.append(
                "Read-only members of `describe-task-definition` output are accepted in `spec` and ignored: "
                + ", ".join(f"`{m}`" for m in READ_ONLY_MEMBERS)
                + ".\n\n"
            )
        status = ", ".join(f"`{m}`" for m in kind.status)
        out.append(f"Status members shown by `kubectl get`: {status}, plus `observedGeneration` and `conditions`.\n\n")
    out.append("## Shapes\n\n")
    for name in order:
        out.append(_shape_section(name, shapes[name], ecs_shapes.get(name)))
    return "".join(out).rstrip("\n") + "\n"


def _walk(name: str, shapes: Mapping[str, Schema], order: list[str]) -> None:
    """Depth-first order of first appearance: a shape is documented right after its first user."""
    if name in order:
        return
    order.append(name)
    for member in (shapes[name].get("properties") or {}).values():
        for ref in _refs(member):
            _walk(ref, shapes, order)


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if "$ref" in node:
            found.append(node["$ref"].rsplit("/", 1)[-1])
        for value in node.values():
            found.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_refs(value))
    return found


def _anchor(name: str) -> str:
    return name.lower()


def _shape_section(name: str, schema: Schema, ecs_shape: str | None) -> str:
    out = [f"### {name}\n\n"]
    description = _text(schema.get("description", ""))
    if description:
        out.append(f"{description}\n\n")
    if ecs_shape:
        out.append(f"Mirrors ECS's `{ecs_shape}`.\n\n")
    properties: dict[str, Schema] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    if properties:
        out.append("| Member | Type | Required | Notes |\n|---|---|---|---|\n")
        for member, node in properties.items():
            notes = _notes(name, member, node)
            out.append(f"| `{member}` | {_type(node)} | {'yes' if member in required else ''} | {notes} |\n")
        out.append("\n")
    rules = CEL_RULES.get(name, [])
    if rules:
        out.append("Checked by the API server:\n\n")
        out.extend(f"- {_cell(rule['message'])}\n" for rule in rules)
        out.append("\n")
    return "".join(out)


def _notes(shape: str, member: str, node: Schema) -> str:
    parts: list[str] = []
    if UNSUPPORTED_MARK in node:
        parts.append(f"**Rejected:** {node[UNSUPPORTED_MARK]}")
    extension = EXTENSION_MEMBERS.get(f"{shape}.{member}")
    if extension:
        parts.append(f"**Not in ECS** (operator extension): {extension}")
    description = node.get("description")
    if description:
        parts.append(_text(description))
    default = node.get("default")
    if default is not None:
        parts.append(f"default `{_scalar(default)}`")
    return _cell("; ".join(parts))


def _type(node: Schema) -> str:
    """A short Markdown type: links for shapes, enums spelled out, bounds in words."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    if node.get(INT_OR_STRING):
        if node.get(FREE_TEXT):
            return "string (or number)"
        return _cell("int-or-string" + _bounds(node.get("minimum"), node.get("maximum")))
    if "anyOf" in node:
        branches = [b for b in node["anyOf"] if b.get("type") != "null"]
        inner = (
            {**{k: v for k, v in node.items() if k not in ("anyOf", "default", "title", "description")}, **branches[0]}
            if len(branches) == 1
            else None
        )
        return _type(inner) if inner is not None else " or ".join(_type(b) for b in branches)
    if "allOf" in node and len(node["allOf"]) == 1:
        return _type(node["allOf"][0])
    if "const" in node:
        return f"`{_scalar(node['const'])}`"
    kind = node.get("type")
    if "enum" in node:
        return _cell(" \\| ".join(f"`{_scalar(v)}`" for v in node["enum"]))
    if kind == "array":
        limits = _count(node.get("minItems"), node.get("maxItems"))
        return f"list of {_type(node.get('items', {}))}{limits}"
    if kind == "object":
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return f"map of string to {_type(extra)}"
        return "object (free-form)"
    if kind == "string":
        text = "string" + _length(node.get("minLength"), node.get("maxLength"))
        if "pattern" in node:
            text += f", pattern `{node['pattern']}`"
        return _cell(text)
    if kind in ("integer", "number"):
        return _cell(
            kind
            + _bounds(
                node.get("minimum"), node.get("maximum"), node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
            )
        )
    if kind == "boolean":
        return "boolean"
    return "any JSON value"


def _bounds(low: Any, high: Any, exclusive_low: Any = None, exclusive_high: Any = None) -> str:
    words = []
    if low is not None:
        words.append(f">= {low}")
    if exclusive_low is not None:
        words.append(f"> {exclusive_low}")
    if high is not None:
        words.append(f"<= {high}")
    if exclusive_high is not None:
        words.append(f"< {exclusive_high}")
    return f" ({', '.join(words)})" if words else ""


def _count(low: Any, high: Any) -> str:
    if low and high:
        return f" ({low}..{high} items)"
    if high:
        return f" (at most {high})"
    if low:
        return f" (at least {low})"
    return ""


def _length(low: Any, high: Any) -> str:
    if low and high:
        return f" ({low}..{high} chars)"
    if high:
        return f" (<= {high} chars)"
    if low:
        return f" (>= {low} chars)"
    return ""


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text(text: str) -> str:
    """Docstring text for Markdown: RST double backticks become single ones."""
    return " ".join(text.replace("``", "`").split())


def _cell(text: str) -> str:
    """Safe inside a table cell: pipes escaped (once), no line breaks."""
    return text.replace("\\|", "\0").replace("|", "\\|").replace("\0", "\\|").replace("\n", " ")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ecs_operator.fieldref [PATH]``: write the reference (default docs/field-reference.md)."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_field_reference(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
