"""Errors raised for invalid ECS documents.

Hierarchy::

    ValueError
     └── SpecError          one or more problems, each an Issue(path, message)

Every problem names the field path in ECS spelling (``containerDefinitions[0].memory``) so
the operator can put it in a status condition and the CLI can print it verbatim. pydantic's
own ValidationError is converted here, so callers only ever see SpecError.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .introspect import field_aliases, field_by_alias, model_in

__all__ = ["Issue", "SpecError", "format_path", "spec_error_from_validation"]

PathPart = str | int


class Issue(NamedTuple):
    """One problem: where (dotted ECS path, ``""`` for the whole document) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SpecError(ValueError):
    """An ECS document that cannot be accepted; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[Issue | tuple[str, str]], subject: str = "") -> None:
        self.issues: list[Issue] = [Issue(*issue) for issue in issues]
        self.subject = subject
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(issue) for issue in self.issues]
        if self.subject:
            lines.insert(0, f"invalid {self.subject}:")
            return "\n  ".join(lines)
        return "\n".join(lines)

    @property
    def messages(self) -> list[str]:
        """``path: message`` strings, one per issue."""
        return [str(issue) for issue in self.issues]

    def prefixed(self, prefix: Sequence[PathPart]) -> SpecError:
        """The same issues, moved under ``prefix`` (used when a nested model reports)."""
        return SpecError((Issue(join_path(prefix, issue.path), issue.message) for issue in self.issues), self.subject)


def format_path(loc: Sequence[PathPart]) -> str:
    """``("containerDefinitions", 0, "memory")`` -> ``containerDefinitions[0].memory``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "":
            text += '[""]'  # a member named "" (JSON allows it) must still show up in the path
        else:
            text += f".{part}" if text else part
    return text


def join_path(prefix: Sequence[PathPart], path: str) -> str:
    """Append a relative dotted path (possibly ``""`` or starting with ``[``) to ``prefix``."""
    head = format_path(prefix)
    if not head or not path:
        return head or path
    return f"{head}{path}" if path.startswith("[") else f"{head}.{path}"


def spec_error_from_validation(
    exc: ValidationError, model: type[BaseModel] | None = None, subject: str = ""
) -> SpecError:
    """Convert pydantic's errors into one SpecError with ECS paths and plain-English messages."""
    issues: list[Issue] = []
    for error in exc.errors(include_url=False):
        issues.extend(_issues_for(error, model))
    return SpecError(_dedupe(issues), subject)


def _issues_for(error: ErrorDetails, model: type[BaseModel] | None) -> list[Issue]:
    loc = list(error["loc"])
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, SpecError):
        return cause.prefixed(loc).issues
    return [Issue(format_path(loc), _message(error, model))]


_TYPE_NAMES = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "a boolean (true or false)",
    "bool_parsing": "a boolean (true or false)",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def _message(error: ErrorDetails, model: type[BaseModel] | None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return _unknown_field_message(error["loc"], model)
    if kind in _TYPE_NAMES:
        return f"must be {_TYPE_NAMES[kind]}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind in _BOUNDS:
        return f"must be {_BOUNDS[kind]} {ctx.get(_kind_bound(kind))}"
    if kind in ("too_long", "too_short"):
        return _length_message(kind, ctx, error.get("input"))
    if kind in ("value_error", "assertion_error"):
        text = str(error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            text = text.removeprefix(prefix)
        return text
    return str(error["msg"])


_BOUNDS = {
    "greater_than_equal": "at least",
    "greater_than": "greater than",
    "less_than_equal": "at most",
    "less_than": "less than",
}


def _kind_bound(kind: str) -> str:
    """The ctx key pydantic uses for a bound error type."""
    return {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}[kind]


def _length_message(kind: str, ctx: dict[str, Any], value: object) -> str:
    unit = "characters" if isinstance(value, str) else "items"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} {unit}"
    return (
        f"must have at least {ctx.get('min_length')} {unit.removesuffix('s') if ctx.get('min_length') == 1 else unit}"
    )


def _unknown_field_message(loc: Sequence[PathPart], model: type[BaseModel] | None) -> str:
    name = str(loc[-1]) if loc else ""
    owner = _model_at(model, loc[:-1]) if model is not None else None
    if owner is None:
        return "unknown field (not part of the ECS API)"
    close = difflib.get_close_matches(name, field_aliases(owner), n=1, cutoff=0.7)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown field (not part of the ECS {owner.__name__} shape){hint}"


def _model_at(model: type[BaseModel], loc: Sequence[PathPart]) -> type[BaseModel] | None:
    """Follow ``loc`` through nested models; list indexes and map keys keep the current model."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        found = field_by_alias(current, part)
        if found is None:
            continue  # a map key: stay on the value's model
        current = model_in(found[1])
    return current


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: set[Issue] = set()
    unique: list[Issue] = []
    for issue in issues:
        if issue not in seen:
            seen.add(issue)
            unique.append(issue)
    return unique
