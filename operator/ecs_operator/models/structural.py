"""pydantic JSON schema -> Kubernetes structural OpenAPI schema.

The API server only takes structural schemas: every node typed, no ``$ref``, no unions except
int-or-string, no ``additionalProperties: false`` next to ``properties``. So references are
inlined, ``X | None`` becomes a plain (optional) property, free-form values keep unknown fields,
defaults stay in the models (the stored object keeps what the user wrote), and the CEL rules of
:mod:`.cel` are attached where their model's schema lands. Integer members ECS lets you write as
strings get ``x-kubernetes-int-or-string`` plus CEL for digits and range, because OpenAPI's
``minimum`` ignores strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from .base import UNSUPPORTED_MARK
from .cel import Rule, rule
from .scalars import FREE_TEXT, INT_OR_STRING, STRING_FORM

__all__ = ["SchemaError", "structural_schema"]

Schema = dict[str, Any]

_KEPT = ("description", "type", "format", "enum", "pattern", "minLength", "maxLength", "minItems", "maxItems",
         "minimum", "maximum")  # fmt: skip
_DIGITS = "^-?[0-9]+$"
_PRESERVE = "x-kubernetes-preserve-unknown-fields"
_MAX_CARDINALITY = 1000
"""Per-member CEL is only emitted where at most this many copies of the member can exist (the
product of the enclosing lists' maxItems); deeper in unbounded lists the models check alone."""
_VALIDATIONS = "x-kubernetes-validations"


class SchemaError(ValueError):
    """The model produced a JSON schema shape we cannot express structurally."""


def structural_schema(model: type[BaseModel], rules: Mapping[str, list[Rule]]) -> Schema:
    """The structural schema of ``model`` (validation mode, ECS spelling) with ``rules`` attached."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    definitions: dict[str, Schema] = raw.pop("$defs", {})
    return _Converter(definitions, rules).convert(raw, model.__name__)


class _Converter:
    def __init__(self, definitions: dict[str, Schema], rules: Mapping[str, list[Rule]]) -> None:
        self._definitions = definitions
        self._rules = rules

    def convert(self, node: Schema, name: str | None = None, copies: int | None = 1) -> Schema:
        """``copies``: how many instances of this node an object can hold (None: unbounded)."""
        if "$ref" in node:
            return self._reference(node, copies)
        if "allOf" in node and len(node["allOf"]) == 1:
            return self._with_description(self.convert(node["allOf"][0], copies=copies), node)
        if node.get(INT_OR_STRING):
            return self._int_or_string(node, copies)
        if "anyOf" in node:
            return self._optional(node, copies)
        if "const" in node:
            node = {**node, "enum": [node["const"]]}
        kind = node.get("type")
        if kind == "object":
            result = self._object(node, copies)
        elif kind == "array":
            result = self._array(node, copies)
        elif kind is None:
            result = {_PRESERVE: True}  # any JSON value (a "document" member)
        else:
            result = self._scalar(node)
        if name is not None and name in self._rules:
            result[_VALIDATIONS] = result.get(_VALIDATIONS, []) + list(self._rules[name])
        return _ordered(result)

    def _reference(self, node: Schema, copies: int | None) -> Schema:
        name = node["$ref"].rsplit("/", 1)[-1]
        return self._with_description(self.convert(self._definitions[name], name, copies), node)

    def _optional(self, node: Schema, copies: int | None) -> Schema:
        branches = [branch for branch in node["anyOf"] if branch.get("type") != "null"]
        if len(branches) != 1:
            raise SchemaError(f"cannot express a union of {len(branches)} types structurally: {node}")
        return self._with_description(self.convert(branches[0], copies=copies), node)

    def _object(self, node: Schema, copies: int | None) -> Schema:
        result = _copy(node)
        properties: dict[str, Schema] = {}
        rules: list[Rule] = []
        for member, schema in node.get("properties", {}).items():
            properties[member] = self.convert(schema, copies=copies)
            if UNSUPPORTED_MARK in schema:
                rules.append(
                    rule(f"!has(self.{member})", f"{member} is not supported: {schema[UNSUPPORTED_MARK]}", f".{member}")
                )
        if properties:
            result["properties"] = properties
        if node.get("required"):
            result["required"] = list(node["required"])
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            result["additionalProperties"] = self.convert(extra, copies=None)
        elif extra is True or extra == {} or ("properties" not in node and extra is None):
            result[_PRESERVE] = True  # a free-form object
        if rules:
            result[_VALIDATIONS] = rules
        return result

    def _array(self, node: Schema, copies: int | None) -> Schema:
        result = _copy(node)
        limit = node.get("maxItems")
        item_copies = copies * limit if copies is not None and limit is not None else None
        result["items"] = self.convert(node.get("items", {}), copies=item_copies)
        return result

    def _scalar(self, node: Schema) -> Schema:
        result = _copy(node)
        if "exclusiveMinimum" in node:
            result["minimum"], result["exclusiveMinimum"] = node["exclusiveMinimum"], True
        if "exclusiveMaximum" in node:
            result["maximum"], result["exclusiveMaximum"] = node["exclusiveMaximum"], True
        return result

    def _int_or_string(self, node: Schema, copies: int | None) -> Schema:
        result: Schema = {INT_OR_STRING: True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
        if "description" in node:
            result["description"] = node["description"]
        if node.get(FREE_TEXT):
            return result
        result["maxLength"] = node.get("maxLength", 12)
        if copies is None or copies > _MAX_CARDINALITY:
            return result
        pattern = node.get("pattern", _DIGITS)
        message = node.get(STRING_FORM, "must be an integer (a number or a string of digits)")
        string_ok = f"self.matches('{pattern}')"
        rules = [rule(f"type(self) == int || {string_ok}", message)]
        bounds = _bounds(node.get("minimum"), node.get("maximum"))
        if bounds is not None:
            check, bound_message = bounds
            rules.append(rule(f"(type(self) == string && !{string_ok}) || ({check})", bound_message))
        result[_VALIDATIONS] = rules
        return result

    @staticmethod
    def _with_description(result: Schema, node: Schema) -> Schema:
        if "description" in node and "description" not in result:
            return _ordered({**result, "description": node["description"]})
        return result


def _bounds(low: int | None, high: int | None) -> tuple[str, str] | None:
    if low is not None and high is not None:
        return f"int(self) >= {low} && int(self) <= {high}", f"must be between {low} and {high}"
    if low is not None:
        return f"int(self) >= {low}", f"must be at least {low}"
    if high is not None:
        return f"int(self) <= {high}", f"must be at most {high}"
    return None


_HANDLED = frozenset({"title", "default", "properties", "required", "additionalProperties", "items", "const",
                      "exclusiveMinimum", "exclusiveMaximum", UNSUPPORTED_MARK})  # fmt: skip


def _copy(node: Schema) -> Schema:
    unknown = set(node) - set(_KEPT) - _HANDLED
    if unknown:  # e.g. a constraint pydantic could not turn into JSON schema: never drop it silently
        raise SchemaError(f"cannot translate {sorted(unknown)} in {node}")
    return {key: node[key] for key in _KEPT if key in node}


_ORDER = ("description", "type", INT_OR_STRING, "anyOf", "format", "enum", "pattern", "minLength", "maxLength",
          "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "minItems", "maxItems", "required",
          "properties", "additionalProperties", "items", _PRESERVE, _VALIDATIONS)  # fmt: skip


def _ordered(node: Schema) -> Schema:
    """Keys in one fixed order, so generated files are stable and read top-down."""
    ranked = sorted(node, key=lambda key: _ORDER.index(key) if key in _ORDER else len(_ORDER))
    return {key: node[key] for key in ranked}
