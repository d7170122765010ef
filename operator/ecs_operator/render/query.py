"""The ECS cluster query language (``memberOf`` placement constraints) as Kubernetes affinity.

ECS places a task only on container instances matching an expression such as
``attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d``.
Kubernetes has no expression language; it has node affinity (an OR of nodeSelectorTerms, each
an AND of matchExpressions) and pod (anti-)affinity. So an expression is parsed, put into
disjunctive normal form, and each conjunction becomes one nodeSelectorTerm.

Grammar (keywords are case-insensitive; ``and``/``&&``, ``or``/``||``, ``not``/``!``)::

    expression := or
    or         := and (("or" | "||") and)*
    and        := unary (("and" | "&&") unary)*
    unary      := ("not" | "!") unary | "(" or ")" | term
    term       := subject ( ("==" | "!=" | ">" | ">=" | "<" | "<=" | "=~" | "!~") value
                          | "exists" | "!exists"
                          | ("in" | "!in") "[" value ("," value)* "]" )
    subject    := attribute:<name> | ec2InstanceId | registeredAt | runningTasksCount
                | task:group | agentConnected | agentVersion
    value      := bare word | 'single-quoted' | "double-quoted"

A bare value ends at white space, one of ``()[],<>!`` or an operator (``==``, ``&&``, ...); quote
values that contain those (regular expressions with brackets or alternatives in parentheses).
Precedence: ``not`` > ``and`` > ``or``.

Translation (``to_affinity``):

* Attributes become node labels (:data:`ATTRIBUTE_LABELS`; other ``ecs.*`` attributes become
  ``ecs.operator.dev/<name>``; custom attributes the label of the same name). ``ec2InstanceId``
  is the label ``ecs.operator.dev/instance-id``.
* ``==``/``in`` -> In, ``!=``/``!in`` -> NotIn, ``exists`` -> Exists, ``!exists`` ->
  DoesNotExist, ``>``/``<`` on integers -> Gt/Lt (``>= n`` is ``Gt n-1``, ``<= n`` is ``Lt n+1``).
* Kubernetes has no regular expressions and no comparison of non-integers, so ``=~``/``!~`` and
  such comparisons are expanded into In/NotIn over the label values of the node inventory passed
  in (ECS regex semantics: the whole value must match). That is approximated: nodes that join
  later with new values are not considered until the next render; a warning says so.
* ``not`` is pushed down with De Morgan. ``not (a > 5)`` becomes ``a <= 5 or a !exists``,
  because Gt/Lt never match a node without the label, whereas the negation does.
* ``task:group`` becomes required pod affinity (``==``, ``in``, ``exists``) or anti-affinity
  (``!=``, ``!in``, ``!exists``) on the pod label ``ecs.operator.dev/group`` per node
  (``kubernetes.io/hostname``). Pod affinity cannot be OR-ed with node terms, so group terms that
  appear in only some alternatives are dropped with a warning.
* ``registeredAt``, ``runningTasksCount``, ``agentVersion`` have no Kubernetes equivalent and
  ``agentConnected`` is what the scheduler does anyway (only Ready nodes): their terms are treated
  as satisfied, with a warning.
* An expression no known node satisfies yields one nodeSelectorTerm no node can match (label
  ``ecs.operator.dev/unsatisfiable``), as ECS would leave the task unplaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..vocabulary import LABEL_GROUP, LABEL_INSTANCE_ID, LABEL_UNSATISFIABLE, prefixed
from . import names
from .errors import RenderError
from .warnings import RenderWarning, WarningKind, dedupe

__all__ = [
    "ATTRIBUTE_LABELS",
    "GROUP_LABEL",
    "INSTANCE_ID_LABEL",
    "UNSATISFIABLE_LABEL",
    "AffinityResult",
    "And",
    "Node",
    "Not",
    "Or",
    "QueryError",
    "QuerySyntaxError",
    "QueryTranslationError",
    "Term",
    "affinity_block",
    "combine",
    "distinct_instance_anti_affinity",
    "parse",
    "to_affinity",
]

GROUP_LABEL = LABEL_GROUP
INSTANCE_ID_LABEL = LABEL_INSTANCE_ID
UNSATISFIABLE_LABEL = LABEL_UNSATISFIABLE
HOSTNAME = "kubernetes.io/hostname"
MAX_TERMS = 64

ATTRIBUTE_LABELS: Mapping[str, str] = {
    "ecs.instance-type": "node.kubernetes.io/instance-type",
    "ecs.availability-zone": "topology.kubernetes.io/zone",
    "ecs.os-type": "kubernetes.io/os",
    "ecs.cpu-architecture": "kubernetes.io/arch",
    "ecs.instance-id": INSTANCE_ID_LABEL,
    "ecs.ami-id": prefixed("ami-id"),
    "ecs.os-family": prefixed("os-family"),
    "ecs.vpc-id": prefixed("vpc-id"),
    "ecs.subnet-id": prefixed("subnet-id"),
}

# ECS value -> label value, and back (for matching regexes against node labels).
_ARCH_TO_LABEL = {"x86_64": "amd64", "amd64": "amd64", "arm64": "arm64", "aarch64": "arm64", "i386": "386"}
_ARCH_FROM_LABEL = {"amd64": "x86_64", "arm64": "arm64", "386": "i386"}
_VALUE_CODECS: Mapping[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    "kubernetes.io/arch": (lambda v: _ARCH_TO_LABEL.get(v.lower(), v), lambda v: _ARCH_FROM_LABEL.get(v, v)),
    "kubernetes.io/os": (str.lower, lambda v: v),
}

_BUILTIN_SUBJECTS = (
    "ec2InstanceId",
    "registeredAt",
    "runningTasksCount",
    "task:group",
    "agentConnected",
    "agentVersion",
)
_IGNORED_SUBJECTS: Mapping[str, tuple[WarningKind, str]] = {
    "registeredAt": ("unsupported", "Kubernetes node affinity cannot select on registration time; the term is ignored"),
    "runningTasksCount": ("unsupported", "Kubernetes node affinity cannot count running pods; the term is ignored"),
    "agentVersion": ("unsupported", "there is no ECS agent on Kubernetes nodes; the term is ignored"),
    "agentConnected": ("approximated", "the Kubernetes scheduler only uses Ready nodes; the term is ignored"),
}
_COMPARISONS = ("==", "!=", ">", ">=", "<", "<=", "=~", "!~")
_TWO_CHAR_OPS = ("==", "!=", ">=", "<=", "=~", "!~", "&&", "||")
_PUNCT = "()[],"
_QUOTES = "'\""

_LABEL_NAME = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")


# --- errors -------------------------------------------------------------------------------------
#
#   QueryError (ValueError)
#   ├── QuerySyntaxError       the text is not a valid expression (carries the position)
#   └── QueryTranslationError  valid, but too large to express as node affinity


class QueryError(RenderError):
    """Base class for cluster query language errors."""


class QuerySyntaxError(QueryError):
    """A syntax error, with the 0-based ``position`` and a caret under it in the message."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        self.message = message
        self.expression = expression
        self.position = position
        super().__init__(f"{message} at position {position}\n    {expression}\n    {' ' * position}^")


class QueryTranslationError(QueryError):
    """The expression is valid but cannot be expressed (its normal form is too large)."""


# --- syntax tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """``subject operator [values]``; ``values`` is empty for exists, one item for comparisons."""

    subject: str
    operator: str
    values: tuple[str, ...] = ()
    position: int = field(default=0, compare=False)
    source: str = field(default="", compare=False)  # the text as written, for messages

    def __str__(self) -> str:
        if self.operator in ("exists", "!exists"):
            return f"{self.subject} {self.operator}"
        if self.operator in ("in", "!in"):
            return f"{self.subject} {self.operator} [{', '.join(self.values)}]"
        return f"{self.subject} {self.operator} {self.values[0]}"


@dataclass(frozen=True)
class Not:
    operand: Node

    def __str__(self) -> str:
        return f"not ({self.operand})"


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]

    def __str__(self) -> str:
        return " and ".join(f"({o})" if isinstance(o, Or) else str(o) for o in self.operands)


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]

    def __str__(self) -> str:
        return " or ".join(str(o) for o in self.operands)


Node = Term | Not | And | Or


# --- tokenizer and parser -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "string", "op", one of _PUNCT, or "end"
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in _PUNCT:
            tokens.append(_Token(c, c, i))
            i += 1
        elif c in _QUOTES:
            end = text.find(c, i + 1)
            if end < 0:
                raise QuerySyntaxError("unterminated quoted value", text, i)
            tokens.append(_Token("string", text[i + 1 : end], i))
            i = end + 1
        elif text[i : i + 2] in _TWO_CHAR_OPS:
            tokens.append(_Token("op", text[i : i + 2], i))
            i += 2
        elif c in "<>!":
            tokens.append(_Token("op", c, i))
            i += 1
        else:
            j = i
            while (
                j < n
                and not text[j].isspace()
                and text[j] not in _PUNCT
                and text[j] not in _QUOTES
                and text[j] not in "<>!"
                and text[j : j + 2] not in _TWO_CHAR_OPS
            ):
                j += 1
            tokens.append(_Token("word", text[i:j], i))
            i = j
    tokens.append(_Token("end", "", n))
    return tokens


def _describe(token: _Token) -> str:
    return "end of expression" if token.kind == "end" else repr(token.text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        self.index += 1
        return token

    def error(self, message: str, token: _Token | None = None) -> QuerySyntaxError:
        token = token or self.peek()
        return QuerySyntaxError(message, self.text, token.pos)

    def _is_word(self, token: _Token, *words: str) -> bool:
        return token.kind == "word" and token.text.lower() in words

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("empty expression")
        node = self.parse_or()
        if self.peek().kind != "end":
            raise self.error(f"expected 'and', 'or' or the end of the expression, found {_describe(self.peek())}")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self._is_word(self.peek(), "or") or (self.peek().kind == "op" and self.peek().text == "||"):
            self.advance()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while self._is_word(self.peek(), "and") or (self.peek().kind == "op" and self.peek().text == "&&"):
            self.advance()
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node:
        token = self.peek()
        if self._is_word(token, "not") or (token.kind == "op" and token.text == "!"):
            self.advance()
            return Not(self.parse_unary())
        if token.kind == "(":
            self.advance()
            node = self.parse_or()
            if self.peek().kind != ")":
                raise self.error(
                    f"expected ')' to close the '(' at position {token.pos}, found {_describe(self.peek())}"
                )
            self.advance()
            return node
        if token.kind == "word" and token.text.lower() not in ("and", "or"):
            return self.parse_term()
        raise self.error(f"expected a subject, 'not' or '(', found {_describe(token)}")

    def parse_term(self) -> Term:
        token = self.advance()
        subject = token.text
        if not (
            subject in _BUILTIN_SUBJECTS or (subject.startswith("attribute:") and len(subject) > len("attribute:"))
        ):
            raise self.error(
                f"unknown subject {subject!r} (expected attribute:<name>, {', '.join(_BUILTIN_SUBJECTS)})", token
            )
        op = self.peek()
        if op.kind == "op" and op.text in _COMPARISONS:
            self.advance()
            value = self.parse_value()
            if op.text in ("=~", "!~"):
                try:
                    re.compile(value.text)
                except re.error as exc:
                    raise self.error(f"invalid regular expression {value.text!r}: {exc.msg}", value) from None
            return Term(subject, op.text, (value.text,), token.pos, self.source_from(token))
        negated = op.kind == "op" and op.text == "!"
        keyword = self.peek(1) if negated else op
        if self._is_word(keyword, "exists"):
            self.index += 2 if negated else 1
            return Term(subject, "!exists" if negated else "exists", (), token.pos, self.source_from(token))
        if self._is_word(keyword, "in"):
            self.index += 2 if negated else 1
            values = self.parse_list()
            return Term(subject, "!in" if negated else "in", values, token.pos, self.source_from(token))
        raise self.error(
            f"expected an operator (==, !=, >, >=, <, <=, =~, !~, exists, !exists, in, !in) after {subject!r}, "
            f"found {_describe(op)}",
            op,
        )

    def source_from(self, start: _Token) -> str:
        """The text from ``start`` to the end of the last token consumed."""
        last = self.tokens[self.index - 1]
        end = last.pos + len(last.text) + (2 if last.kind == "string" else 0)
        return self.text[start.pos : end]

    def parse_value(self) -> _Token:
        token = self.peek()
        if token.kind in ("word", "string"):
            return self.advance()
        raise self.error(f"expected a value, found {_describe(token)}")

    def parse_list(self) -> tuple[str, ...]:
        if self.peek().kind != "[":
            raise self.error(f"expected '[' to start a list of values, found {_describe(self.peek())}")
        self.advance()
        values = [self.parse_value().text]
        while self.peek().kind == ",":
            self.advance()
            values.append(self.parse_value().text)
        if self.peek().kind != "]":
            raise self.error(f"expected ',' or ']' in the list of values, found {_describe(self.peek())}")
        self.advance()
        return tuple(values)


def parse(text: str) -> Node:
    """Parse an expression into a syntax tree; raise :class:`QuerySyntaxError` on bad input."""
    return _Parser(text).parse()


# --- normal form ----------------------------------------------------------------------------------

_NEGATED = {
    "==": "!=",
    "!=": "==",
    "in": "!in",
    "!in": "in",
    "exists": "!exists",
    "!exists": "exists",
    "=~": "!~",
    "!~": "=~",
}
_COMPLEMENT = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}


def _push_not(node: Node, negate: bool = False) -> Node:
    """Negation normal form: ``not`` only survives as a flipped operator on a term."""
    if isinstance(node, Not):
        return _push_not(node.operand, not negate)
    if isinstance(node, And):
        children = tuple(_push_not(o, negate) for o in node.operands)
        return Or(children) if negate else And(children)
    if isinstance(node, Or):
        children = tuple(_push_not(o, negate) for o in node.operands)
        return And(children) if negate else Or(children)
    if not negate:
        return node
    if node.operator in _NEGATED:
        return Term(node.subject, _NEGATED[node.operator], node.values, node.position, f"not {node.source or node}")
    # not (a > 5) is true where a <= 5 and where a is missing; Gt/Lt only match present labels.
    return Or(
        (
            Term(node.subject, _COMPLEMENT[node.operator], node.values, node.position, f"not {node.source or node}"),
            Term(node.subject, "!exists", (), node.position, f"not {node.source or node}"),
        )
    )


def _dnf(node: Node) -> list[list[Term]]:
    if isinstance(node, Term):
        return [[node]]
    if isinstance(node, Or):
        out: list[list[Term]] = []
        for child in node.operands:
            out.extend(_dnf(child))
            if len(out) > MAX_TERMS:
                raise QueryTranslationError(f"expression expands to more than {MAX_TERMS} alternatives")
        return out
    if isinstance(node, And):
        result: list[list[Term]] = [[]]
        for child in node.operands:
            result = [left + right for left in result for right in _dnf(child)]
            if len(result) > MAX_TERMS:
                raise QueryTranslationError(f"expression expands to more than {MAX_TERMS} alternatives")
        return result
    raise TypeError(f"not in negation normal form: {node!r}")  # pragma: no cover


# --- translation ----------------------------------------------------------------------------------


@dataclass
class AffinityResult:
    """Kubernetes affinity pieces for one (or several AND-ed) expressions.

    ``node_selector_terms`` empty means "no node constraint" (Kubernetes treats an empty term as
    matching nothing, so none is emitted).
    """

    node_selector_terms: list[dict[str, Any]] = field(default_factory=list)
    pod_affinity: list[dict[str, Any]] = field(default_factory=list)
    pod_anti_affinity: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[RenderWarning] = field(default_factory=list)


_Alternative = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]
"""One 'or' alternative: node selector expressions, pod affinity terms, pod anti-affinity terms."""

_TRUE = "true"
_FALSE = "false"


@dataclass
class _Literal:
    kind: str  # "node", "affinity", "anti", _TRUE, _FALSE
    payload: dict[str, Any] = field(default_factory=dict)  # empty for _TRUE / _FALSE


def _label_key_valid(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return False
    return bool(_LABEL_NAME.fullmatch(name))


def _label_for(subject: str) -> str:
    if subject == "ec2InstanceId":
        return INSTANCE_ID_LABEL
    attribute = subject[len("attribute:") :]
    if attribute in ATTRIBUTE_LABELS:
        return ATTRIBUTE_LABELS[attribute]
    if attribute.startswith("ecs."):
        return prefixed(attribute[len("ecs.") :])
    return attribute


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


_Ordered = TypeVar("_Ordered", float, str)


def _ordered(x: _Ordered, op: str, y: _Ordered) -> bool:
    return {">": x > y, ">=": x >= y, "<": x < y, "<=": x <= y}[op]


def _compare(left: str, op: str, right: str) -> bool:
    """Numerically when both sides are numbers, else as text."""
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return _ordered(a, op, b)
    return _ordered(left, op, right)


class _Translator:
    def __init__(self, node_labels: Sequence[Mapping[str, str]], path: str) -> None:
        self.node_labels = node_labels
        self.path = path
        self.warnings: list[RenderWarning] = []

    def warn(self, term: Term, reason: str, kind: WarningKind) -> None:
        self.warnings.append(RenderWarning(self.path, f"'{term.source or term}': {reason}", kind))

    def inventory(self, label: str) -> list[str]:
        return sorted({labels[label] for labels in self.node_labels if label in labels})

    def literal(self, term: Term) -> _Literal:
        if term.subject in _IGNORED_SUBJECTS:
            kind, reason = _IGNORED_SUBJECTS[term.subject]
            self.warn(term, reason, kind)
            return _Literal(_TRUE)
        if term.subject == "task:group":
            return self.group_literal(term)
        return self.node_literal(term)

    def group_literal(self, term: Term) -> _Literal:
        op = term.operator
        if op not in ("==", "!=", "in", "!in", "exists", "!exists"):
            self.warn(
                term,
                f"operator {op} is not supported on task:group (pod affinity matches exact values); "
                "the term is ignored",
                "unsupported",
            )
            return _Literal(_TRUE)
        if op in ("exists", "!exists"):
            expression: dict[str, Any] = {"key": GROUP_LABEL, "operator": "Exists"}
        else:
            values = list(dict.fromkeys(names.group_label_value(v) for v in term.values))
            expression = {"key": GROUP_LABEL, "operator": "In", "values": values}
        affinity_term = {"labelSelector": {"matchExpressions": [expression]}, "topologyKey": HOSTNAME}
        return _Literal("affinity" if op in ("==", "in", "exists") else "anti", affinity_term)

    def node_literal(self, term: Term) -> _Literal:
        op = term.operator
        label = _label_for(term.subject)
        positive = op in ("==", "in", "exists", ">", ">=", "<", "<=", "=~")
        if not _label_key_valid(label):
            self.warn(term, f"{label!r} is not a valid Kubernetes label key, so no node can carry it", "unsupported")
            return _Literal(_FALSE if positive else _TRUE)
        to_label, from_label = _VALUE_CODECS.get(label, (lambda v: v, lambda v: v))
        if op == "exists":
            return _Literal("node", {"key": label, "operator": "Exists"})
        if op == "!exists":
            return _Literal("node", {"key": label, "operator": "DoesNotExist"})
        if op in ("==", "!=", "in", "!in"):
            mapped = list(dict.fromkeys(to_label(v) for v in term.values))
            valid = [v for v in mapped if _LABEL_VALUE.fullmatch(v)]
            invalid = [v for v in mapped if v not in valid]
            if invalid:
                self.warn(
                    term,
                    f"{', '.join(map(repr, invalid))} cannot be a Kubernetes label value, so no node has it",
                    "approximated",
                )
            if not valid:
                return _Literal(_FALSE if positive else _TRUE)
            return _Literal("node", {"key": label, "operator": "In" if positive else "NotIn", "values": valid})
        value = term.values[0]
        if op in (">", ">=", "<", "<=") and _INTEGER.fullmatch(value):
            number = int(value)
            if op in (">", ">="):
                bound = number if op == ">" else number - 1
                return _Literal("node", {"key": label, "operator": "Gt", "values": [str(bound)]})
            bound = number if op == "<" else number + 1
            return _Literal("node", {"key": label, "operator": "Lt", "values": [str(bound)]})
        # Regexes and non-integer comparisons: expand against the node inventory.
        known = self.inventory(label)
        if op in ("=~", "!~"):
            pattern = re.compile(value)
            matching = [v for v in known if pattern.fullmatch(from_label(v))]
        else:
            matching = [v for v in known if _compare(from_label(v), op, value)]
        what = "regular expression" if op in ("=~", "!~") else "comparison of non-integers"
        self.warn(
            term,
            f"Kubernetes has no {what}: expanded to the {len(matching)} matching value(s) of {label} on the "
            f"{len(self.node_labels)} known node(s); nodes added later are not considered until the next render",
            "approximated",
        )
        if not matching:
            return _Literal(_TRUE if op == "!~" else _FALSE)
        return _Literal("node", {"key": label, "operator": "NotIn" if op == "!~" else "In", "values": matching})


def _unique(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def to_affinity(
    expr_text: str,
    node_labels: Sequence[Mapping[str, str]] = (),
    *,
    path: str = "expression",
) -> AffinityResult:
    """Translate one ``memberOf`` expression; ``node_labels`` is the label map of each known node.

    ``path`` names the expression in warnings (``placementConstraints[0].expression``).
    """
    tree = _push_not(parse(expr_text))
    translator = _Translator(node_labels, path)
    alternatives: list[_Alternative] = []
    for conjunction in _dnf(tree):
        expressions: list[dict[str, Any]] = []
        affinity: list[dict[str, Any]] = []
        anti: list[dict[str, Any]] = []
        satisfiable = True
        for term in conjunction:
            literal = translator.literal(term)
            if literal.kind == _FALSE:
                satisfiable = False
            elif literal.kind == "node":
                expressions.append(literal.payload)
            elif literal.kind == "affinity":
                affinity.append(literal.payload)
            elif literal.kind == "anti":
                anti.append(literal.payload)
        if satisfiable:
            alternatives.append((_unique(expressions), _unique(affinity), _unique(anti)))

    alternatives = _absorb(alternatives)
    result = AffinityResult()
    if not alternatives:
        result.node_selector_terms = [_unsatisfiable_term()]
        translator.warnings.append(
            RenderWarning(
                path,
                f"'{expr_text}' matches none of the {len(node_labels)} known node(s); pods will stay Pending",
                "approximated",
            )
        )
        result.warnings = dedupe(translator.warnings)
        return result

    first_aff, first_anti = alternatives[0][1], alternatives[0][2]
    result.pod_affinity = [t for t in first_aff if all(t in alt[1] for alt in alternatives)]
    result.pod_anti_affinity = [t for t in first_anti if all(t in alt[2] for alt in alternatives)]
    if any(
        len(alt[1]) != len(result.pod_affinity) or len(alt[2]) != len(result.pod_anti_affinity) for alt in alternatives
    ):
        translator.warnings.append(
            RenderWarning(
                path,
                "task:group terms that appear in only some 'or' alternatives cannot be expressed "
                "(pod affinity is always AND-ed with node affinity); they are dropped",
                "approximated",
            )
        )
    if all(alt[0] for alt in alternatives):
        result.node_selector_terms = _unique({"matchExpressions": alt[0]} for alt in alternatives)
    result.warnings = dedupe(translator.warnings)
    return result


def _absorb(
    alternatives: list[_Alternative],
) -> list[_Alternative]:
    """Drop alternatives implied by a looser one (``a or (a and b)`` is ``a``); keep order."""

    def implies(tight: tuple[list[dict[str, Any]], ...], loose: tuple[list[dict[str, Any]], ...]) -> bool:
        return all(all(item in t for item in looser) for t, looser in zip(tight, loose, strict=True))

    kept: list[_Alternative] = []
    for i, alt in enumerate(alternatives):
        redundant = any(
            implies(alt, other) and (not implies(other, alt) or j < i) for j, other in enumerate(alternatives) if j != i
        )
        if not redundant:
            kept.append(alt)
    return kept


def _unsatisfiable_term() -> dict[str, Any]:
    return {"matchExpressions": [{"key": UNSATISFIABLE_LABEL, "operator": "Exists"}]}


def combine(*results: AffinityResult) -> AffinityResult:
    """AND several results (task definition + service constraints): node terms are crossed."""
    terms: list[dict[str, Any]] = []
    constrained = False
    out = AffinityResult()
    for result in results:
        if result.node_selector_terms:
            if not constrained:
                terms = [dict(t) for t in result.node_selector_terms]
                constrained = True
            else:
                terms = _unique(
                    {"matchExpressions": _unique(a["matchExpressions"] + b["matchExpressions"])}
                    for a in terms
                    for b in result.node_selector_terms
                )
                if len(terms) > MAX_TERMS:
                    raise QueryTranslationError(f"constraints expand to more than {MAX_TERMS} alternatives")
        out.pod_affinity = _unique(out.pod_affinity + result.pod_affinity)
        out.pod_anti_affinity = _unique(out.pod_anti_affinity + result.pod_anti_affinity)
        out.warnings = dedupe(out.warnings + result.warnings)
    out.node_selector_terms = terms
    return out


def distinct_instance_anti_affinity(selector_labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """``distinctInstance``: required pod anti-affinity so no two matching pods share a node.

    Returns the PodAffinityTerm list to put under
    ``podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution``.
    """
    return [
        {
            "labelSelector": {"matchLabels": {k: selector_labels[k] for k in sorted(selector_labels)}},
            "topologyKey": HOSTNAME,
        }
    ]


def affinity_block(result: AffinityResult) -> dict[str, Any] | None:
    """The pod ``spec.affinity`` for a result, or ``None`` when nothing constrains placement."""
    block: dict[str, Any] = {}
    if result.node_selector_terms:
        block["nodeAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": result.node_selector_terms}
        }
    if result.pod_affinity:
        block["podAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": result.pod_affinity}
    if result.pod_anti_affinity:
        block["podAntiAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": result.pod_anti_affinity}
    return block or None
