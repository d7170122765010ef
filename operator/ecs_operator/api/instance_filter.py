"""ListContainerInstances ``filter``: the cluster query language evaluated against container instances.

The expression is parsed by the same parser that turns ``memberOf`` placement constraints into
node affinity (render/query.py); here it is evaluated directly on each ContainerInstance shape,
as ECS does (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html):
``attribute:<name>`` reads the instance's attributes, ``ec2InstanceId``, ``runningTasksCount``,
``agentConnected``, ``agentVersion`` and ``registeredAt`` its members. ``task:group`` names the
tasks on an instance, which a filter over instances alone cannot see: it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..render.query import And, Node, Not, Or, QueryError, Term, parse
from .errors import InvalidParameterException

__all__ = ["instance_filter", "matches"]


def instance_filter(expression: str) -> Node:
    """The parsed filter, or InvalidParameterException saying where it is wrong."""
    try:
        node = parse(expression)
    except QueryError as exc:
        raise InvalidParameterException(f"filter: {exc}") from exc
    _check(node)
    return node


def _check(node: Node) -> None:
    if isinstance(node, Term):
        if node.subject == "task:group":
            raise InvalidParameterException("filter: task:group can not be used to list container instances.")
        return
    for child in (node.operand,) if isinstance(node, Not) else node.operands:
        _check(child)


def matches(node: Node, instance: Mapping[str, Any]) -> bool:
    """Does the ContainerInstance shape satisfy the expression?"""
    if isinstance(node, Not):
        return not matches(node.operand, instance)
    if isinstance(node, And):
        return all(matches(o, instance) for o in node.operands)
    if isinstance(node, Or):
        return any(matches(o, instance) for o in node.operands)
    return _term(node, _value(node.subject, instance))


def _value(subject: str, instance: Mapping[str, Any]) -> str | None:
    if subject.startswith("attribute:"):
        name = subject[len("attribute:") :]
        return next((str(a.get("value", "")) for a in instance.get("attributes") or [] if a.get("name") == name), None)
    if subject == "agentConnected":
        return "true" if instance.get("agentConnected") else "false"
    if subject == "agentVersion":
        return str((instance.get("versionInfo") or {}).get("agentVersion") or "") or None
    if subject == "registeredAt":
        stamp = instance.get("registeredAt")
        return None if stamp is None else datetime.fromtimestamp(float(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%S")
    value = instance.get(subject)
    return None if value is None else str(value)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _term(term: Term, value: str | None) -> bool:
    op = term.operator
    if op == "exists":
        return value is not None
    if op == "!exists":
        return value is None
    if op in ("in", "!in"):
        return (value in term.values) == (op == "in")
    if op in ("!=", "!~") and value is None:
        return True
    if value is None:
        return False
    wanted = term.values[0]
    if op == "==":
        return value == wanted
    if op == "!=":
        return value != wanted
    if op in ("=~", "!~"):
        try:
            found = re.fullmatch(wanted, value) is not None
        except re.error as exc:
            raise InvalidParameterException(f"filter: bad regular expression {wanted!r}: {exc}") from exc
        return found == (op == "=~")
    a, b = _number(value), _number(wanted)
    left: float | str = a if a is not None and b is not None else value
    right: float | str = b if a is not None and b is not None else wanted
    if isinstance(left, float) and isinstance(right, float):
        return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]
    text_left, text_right = str(left), str(right)
    return {
        ">": text_left > text_right,
        ">=": text_left >= text_right,
        "<": text_left < text_right,
        "<=": text_left <= text_right,
    }[op]
