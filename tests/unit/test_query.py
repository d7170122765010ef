"""The ECS cluster query language: parsing, syntax errors, and translation to affinity.

Expected node selector terms are written out in full: they are what the scheduler sees.
A property test checks the translation against a direct evaluation of the expression.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_operator.render.query import (
    GROUP_LABEL,
    UNSATISFIABLE_LABEL,
    AffinityResult,
    And,
    Not,
    Or,
    QuerySyntaxError,
    QueryTranslationError,
    Term,
    affinity_block,
    combine,
    distinct_instance_anti_affinity,
    parse,
    to_affinity,
)

IT = "node.kubernetes.io/instance-type"
AZ = "topology.kubernetes.io/zone"
OS = "kubernetes.io/os"
ARCH = "kubernetes.io/arch"


def _node(instance_type: str, zone: str, arch: str = "amd64", **extra: str) -> dict[str, str]:
    return {IT: instance_type, AZ: zone, OS: "linux", ARCH: arch, **extra}


NODES = [
    _node("t2.small", "us-east-1a", stack="prod", cores="2", weight="0.5"),
    _node("t2.micro", "us-east-1b", cores="1", weight="1.5"),
    _node("m4.large", "us-east-1a", cores="4", weight="2.5"),
    _node("g2.2xlarge", "us-east-1c", cores="8"),
    _node("g2.8xlarge", "us-east-1d", cores="32"),
    _node("c6g.large", "us-east-1d", arch="arm64"),
]


def req(key: str, operator: str, *values: str) -> dict:
    expression: dict = {"key": key, "operator": operator}
    if values:
        expression["values"] = list(values)
    return expression


def term(*expressions: dict) -> dict:
    return {"matchExpressions": list(expressions)}


def group_term(operator: str, *values: str) -> dict:
    return {
        "labelSelector": {"matchExpressions": [req(GROUP_LABEL, operator, *values)]},
        "topologyKey": "kubernetes.io/hostname",
    }


# (expression, nodeSelectorTerms, podAffinity terms, podAntiAffinity terms, number of warnings)
CASES = [
    # --- the ECS developer guide's examples ---
    ("attribute:ecs.instance-type == t2.small", [term(req(IT, "In", "t2.small"))], [], [], 0),
    (
        "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
        [term(req(AZ, "In", "us-east-1a", "us-east-1b"))],
        [],
        [],
        0,
    ),
    ("attribute:ecs.instance-type =~ t2.*", [term(req(IT, "In", "t2.micro", "t2.small"))], [], [], 1),
    (
        "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
        [term(req(IT, "In", "g2.2xlarge", "g2.8xlarge"), req(AZ, "NotIn", "us-east-1d"))],
        [],
        [],
        1,
    ),
    ("not(attribute:ecs.instance-type =~ t2.*)", [term(req(IT, "NotIn", "t2.micro", "t2.small"))], [], [], 1),
    ("attribute:ecs.os-type == linux", [term(req(OS, "In", "linux"))], [], [], 0),
    ("task:group == service:production", [], [group_term("In", "service.production")], [], 0),
    (
        "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
        [term(req("ecs.operator.dev/instance-id", "In", "i-abcd1234", "i-wxyx7890"))],
        [],
        [],
        0,
    ),
    ("attribute:stack exists", [term(req("stack", "Exists"))], [], [], 0),
    (
        "(attribute:ecs.instance-type =~ t2.* or attribute:ecs.instance-type =~ m4.*) "
        "and attribute:ecs.availability-zone == us-east-1a",
        [
            term(req(IT, "In", "t2.micro", "t2.small"), req(AZ, "In", "us-east-1a")),
            term(req(IT, "In", "m4.large"), req(AZ, "In", "us-east-1a")),
        ],
        [],
        [],
        2,
    ),
    # --- every operator ---
    ("attribute:ecs.instance-type != t2.small", [term(req(IT, "NotIn", "t2.small"))], [], [], 0),
    ("attribute:stack !exists", [term(req("stack", "DoesNotExist"))], [], [], 0),
    (
        "attribute:ecs.availability-zone !in [us-east-1a, us-east-1d]",
        [term(req(AZ, "NotIn", "us-east-1a", "us-east-1d"))],
        [],
        [],
        0,
    ),
    ("attribute:cores > 4", [term(req("cores", "Gt", "4"))], [], [], 0),
    ("attribute:cores >= 4", [term(req("cores", "Gt", "3"))], [], [], 0),
    ("attribute:cores < 8", [term(req("cores", "Lt", "8"))], [], [], 0),
    ("attribute:cores <= 8", [term(req("cores", "Lt", "9"))], [], [], 0),
    ("attribute:ecs.instance-type !~ t2.*", [term(req(IT, "NotIn", "t2.micro", "t2.small"))], [], [], 1),
    ("attribute:weight > 1.5", [term(req("weight", "In", "2.5"))], [], [], 1),
    ("attribute:weight <= 1.5", [term(req("weight", "In", "0.5", "1.5"))], [], [], 1),
    # --- attribute and value mapping ---
    ("attribute:ecs.cpu-architecture == x86_64", [term(req(ARCH, "In", "amd64"))], [], [], 0),
    ("attribute:ecs.cpu-architecture == arm64", [term(req(ARCH, "In", "arm64"))], [], [], 0),
    ("attribute:ecs.cpu-architecture =~ x86.*", [term(req(ARCH, "In", "amd64"))], [], [], 1),
    ("attribute:ecs.ami-id == ami-0abc", [term(req("ecs.operator.dev/ami-id", "In", "ami-0abc"))], [], [], 0),
    ("attribute:ecs.os-family == LINUX", [term(req("ecs.operator.dev/os-family", "In", "LINUX"))], [], [], 0),
    ("attribute:ecs.new-thing exists", [term(req("ecs.operator.dev/new-thing", "Exists"))], [], [], 0),
    ("attribute:team.example.com/tier == gold", [term(req("team.example.com/tier", "In", "gold"))], [], [], 0),
    # --- boolean structure ---
    (
        "attribute:ecs.os-type == linux && attribute:ecs.availability-zone == us-east-1a || attribute:stack == canary",
        [term(req(OS, "In", "linux"), req(AZ, "In", "us-east-1a")), term(req("stack", "In", "canary"))],
        [],
        [],
        0,
    ),
    ("not (attribute:a == 1 or attribute:b == 2)", [term(req("a", "NotIn", "1"), req("b", "NotIn", "2"))], [], [], 0),
    (
        "!(attribute:a == 1 && attribute:b == 2)",
        [term(req("a", "NotIn", "1")), term(req("b", "NotIn", "2"))],
        [],
        [],
        0,
    ),
    ("not not attribute:a == 1", [term(req("a", "In", "1"))], [], [], 0),
    ("not (attribute:cores > 4)", [term(req("cores", "Lt", "5")), term(req("cores", "DoesNotExist"))], [], [], 0),
    (
        "NOT attribute:stack EXISTS AND attribute:a IN [x]",
        [term(req("stack", "DoesNotExist"), req("a", "In", "x"))],
        [],
        [],
        0,
    ),
    (
        "attribute:ecs.instance-type==t2.small&&attribute:stack!exists",
        [term(req(IT, "In", "t2.small"), req("stack", "DoesNotExist"))],
        [],
        [],
        0,
    ),
    ("attribute:a == 1 or (attribute:a == 1 and attribute:b exists)", [term(req("a", "In", "1"))], [], [], 0),
    ("attribute:ecs.instance-type =~ z9.* or attribute:stack exists", [term(req("stack", "Exists"))], [], [], 1),
    # --- no node satisfies it: one term nothing can match ---
    ("attribute:ecs.instance-type =~ z9.*", [term(req(UNSATISFIABLE_LABEL, "Exists"))], [], [], 2),
    # --- task groups ---
    ("task:group != service:batch", [], [], [group_term("In", "service.batch")], 0),
    ("task:group in [service:a, service:b]", [], [group_term("In", "service.a", "service.b")], [], 0),
    ("task:group !exists", [], [], [group_term("Exists")], 0),
    (
        "attribute:ecs.availability-zone == us-east-1a and task:group == service:db",
        [term(req(AZ, "In", "us-east-1a"))],
        [group_term("In", "service.db")],
        [],
        0,
    ),
    # pod affinity cannot be OR-ed with node terms: the group term is dropped (looser), with a warning
    ("task:group == service:db or attribute:stack exists", [], [], [], 1),
    # --- subjects with no Kubernetes equivalent ---
    ("registeredAt > 2023-01-01T00:00:00Z and attribute:stack exists", [term(req("stack", "Exists"))], [], [], 1),
    ("runningTasksCount == 0", [], [], [], 1),
    ("agentConnected == true", [], [], [], 1),
    ("agentVersion >= 1.70.0 or attribute:stack exists", [], [], [], 1),
    # --- values that cannot be label values ---
    ("attribute:a != 'x y'", [], [], [], 1),
    ("attribute:a in ['x y', b]", [term(req("a", "In", "b"))], [], [], 1),
]


@pytest.mark.parametrize(("expression", "terms", "affinity", "anti", "warnings"), CASES, ids=[c[0] for c in CASES])
def test_translation(expression: str, terms: list, affinity: list, anti: list, warnings: int) -> None:
    result = to_affinity(expression, NODES)
    assert result.node_selector_terms == terms
    assert result.pod_affinity == affinity
    assert result.pod_anti_affinity == anti
    assert len(result.warnings) == warnings, [str(w) for w in result.warnings]


def test_at_least_twenty_expressions() -> None:
    assert len(CASES) >= 20


def test_regex_is_a_full_match() -> None:
    nodes = [{IT: "t2.small"}, {IT: "xt2.small"}, {IT: "t2"}]
    result = to_affinity("attribute:ecs.instance-type =~ t2.*", nodes)
    assert result.node_selector_terms == [term(req(IT, "In", "t2", "t2.small"))]


def test_warnings_name_the_path_and_term() -> None:
    result = to_affinity("attribute:ecs.instance-type =~ t2.*", NODES, path="placementConstraints[0].expression")
    (warning,) = result.warnings
    assert warning.path == "placementConstraints[0].expression"
    assert warning.kind == "approximated"
    assert "'attribute:ecs.instance-type =~ t2.*'" in warning.reason
    assert "2 matching value(s)" in warning.reason and "6 known node(s)" in warning.reason


def test_unsupported_subject_warns_unsupported() -> None:
    (warning,) = to_affinity("runningTasksCount > 2", NODES).warnings
    assert warning.kind == "unsupported"
    assert "runningTasksCount > 2" in warning.reason


def test_negated_unsupported_term_warns_once() -> None:
    result = to_affinity("not (registeredAt > 2023-01-01)", NODES)
    assert len(result.warnings) == 1
    assert result.node_selector_terms == []


def test_invalid_label_key_is_reported() -> None:
    result = to_affinity("attribute:a/b/c == x", NODES)
    assert result.node_selector_terms == [term(req(UNSATISFIABLE_LABEL, "Exists"))]
    assert any("not a valid Kubernetes label key" in w.reason for w in result.warnings)


def test_empty_inventory_makes_regex_unsatisfiable() -> None:
    result = to_affinity("attribute:ecs.instance-type =~ t2.*")
    assert result.node_selector_terms == [term(req(UNSATISFIABLE_LABEL, "Exists"))]
    assert any("Pending" in w.reason for w in result.warnings)


# --- parser ---------------------------------------------------------------------------------------


def test_parse_tree_and_precedence() -> None:
    tree = parse("attribute:a == 1 or not attribute:b exists and attribute:c in [x, 'y z']")
    assert tree == Or(
        (
            Term("attribute:a", "==", ("1",)),
            And((Not(Term("attribute:b", "exists")), Term("attribute:c", "in", ("x", "y z")))),
        )
    )


def test_parse_keeps_source_text() -> None:
    tree = parse("  attribute:c in [x, 'y z']  ")
    assert isinstance(tree, Term)
    assert tree.source == "attribute:c in [x, 'y z']"
    assert tree.position == 2


def test_quoted_values_may_hold_brackets() -> None:
    tree = parse("attribute:ecs.instance-type =~ 't[23]\\.(micro|small)'")
    assert isinstance(tree, Term) and tree.values == ("t[23]\\.(micro|small)",)


SYNTAX_ERRORS = [
    ("", 0, "empty expression"),
    ("attribute:a = 1", 12, "expected an operator"),
    ("foo == 1", 0, "unknown subject 'foo'"),
    ("attribute: == 1", 0, "unknown subject"),
    ("(attribute:a exists", 19, "expected ')'"),
    ("attribute:a exists)", 18, "expected 'and', 'or'"),
    ("attribute:a in [x,", 18, "expected a value"),
    ("attribute:a in x", 15, "expected '['"),
    ("attribute:a in [x y]", 18, "expected ',' or ']'"),
    ("attribute:a == 'x", 15, "unterminated quoted value"),
    ("attribute:a =~ '['", 15, "invalid regular expression"),
    ("attribute:a ==", 14, "expected a value"),
    ("attribute:a exists and", 22, "expected a subject"),
    ("attribute:a exists or or attribute:b exists", 22, "expected a subject"),
    ("attribute:a exists attribute:b exists", 19, "expected 'and', 'or'"),
    ("attribute:a ! = 1", 12, "expected an operator"),
    ("and attribute:a exists", 0, "expected a subject"),
]


@pytest.mark.parametrize(("text", "position", "message"), SYNTAX_ERRORS, ids=[e[0] or "<empty>" for e in SYNTAX_ERRORS])
def test_syntax_errors_report_position(text: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    error = info.value
    assert error.position == position
    assert message in error.message
    assert error.expression == text
    lines = str(error).splitlines()
    assert lines[0].endswith(f"at position {position}")
    assert lines[1] == f"    {text}"
    assert lines[2] == " " * (4 + position) + "^"


def test_to_affinity_raises_syntax_errors() -> None:
    with pytest.raises(QuerySyntaxError):
        to_affinity("attribute:a === 1", NODES)


def test_too_many_alternatives() -> None:
    big = " and ".join(f"(attribute:a{i} == 1 or attribute:b{i} == 1)" for i in range(8))
    with pytest.raises(QueryTranslationError):
        to_affinity(big, NODES)


# --- helpers for other renderers ------------------------------------------------------------------


def test_distinct_instance_anti_affinity() -> None:
    assert distinct_instance_anti_affinity({"b": "2", "a": "1"}) == [
        {"labelSelector": {"matchLabels": {"a": "1", "b": "2"}}, "topologyKey": "kubernetes.io/hostname"}
    ]


def test_combine_crosses_node_terms() -> None:
    left = to_affinity("attribute:a == 1 or attribute:a == 2", NODES)
    right = to_affinity("attribute:b exists and task:group != g", NODES)
    both = combine(left, right, AffinityResult())
    assert both.node_selector_terms == [
        term(req("a", "In", "1"), req("b", "Exists")),
        term(req("a", "In", "2"), req("b", "Exists")),
    ]
    assert both.pod_anti_affinity == [group_term("In", "g")]


def test_affinity_block() -> None:
    assert affinity_block(AffinityResult()) is None
    block = affinity_block(to_affinity("attribute:a == 1 and task:group == g and task:group != h", NODES))
    assert block == {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term(req("a", "In", "1"))]}
        },
        "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [group_term("In", "g")]},
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [group_term("In", "h")]},
    }


# --- properties -----------------------------------------------------------------------------------

LABELS = ("a", "b")
VALUES = ("1", "2", "3")


def _ecs_holds(node: object, labels: dict[str, str]) -> bool:
    """ECS semantics, evaluated directly on one node's labels."""
    if isinstance(node, Or):
        return any(_ecs_holds(o, labels) for o in node.operands)
    if isinstance(node, And):
        return all(_ecs_holds(o, labels) for o in node.operands)
    if isinstance(node, Not):
        return not _ecs_holds(node.operand, labels)
    assert isinstance(node, Term)
    value = labels.get(node.subject[len("attribute:") :])
    op, args = node.operator, node.values
    if op == "exists":
        return value is not None
    if op == "!exists":
        return value is None
    if op in ("==", "in"):
        return value in args
    if op in ("!=", "!in"):
        return value not in args
    if op == "=~":
        return value is not None and re.fullmatch(args[0], value) is not None
    if op == "!~":
        return not (value is not None and re.fullmatch(args[0], value) is not None)
    if value is None:
        return False
    return {
        ">": int(value) > int(args[0]),
        ">=": int(value) >= int(args[0]),
        "<": int(value) < int(args[0]),
        "<=": int(value) <= int(args[0]),
    }[op]


def _k8s_matches(terms: list[dict], labels: dict[str, str]) -> bool:
    """Kubernetes nodeSelectorTerms semantics (empty list = no node affinity)."""

    def one(r: dict) -> bool:
        value = labels.get(r["key"])
        op = r["operator"]
        if op == "In":
            return value in r["values"]
        if op == "NotIn":
            return value not in r["values"]
        if op == "Exists":
            return value is not None
        if op == "DoesNotExist":
            return value is None
        if value is None:
            return False
        return int(value) > int(r["values"][0]) if op == "Gt" else int(value) < int(r["values"][0])

    return not terms or any(all(one(r) for r in t["matchExpressions"]) for t in terms)


_values = st.sampled_from(VALUES)
_labels = st.sampled_from(LABELS)
_terms = st.one_of(
    st.builds("attribute:{} {}".format, _labels, st.sampled_from(["exists", "!exists"])),
    st.builds("attribute:{} {} {}".format, _labels, st.sampled_from(["==", "!=", ">", ">=", "<", "<="]), _values),
    st.builds(
        "attribute:{} {} {}".format,
        _labels,
        st.sampled_from(["=~", "!~"]),
        st.sampled_from(["1|2", ".*", "'[23]'", "4"]),
    ),
    st.builds(
        lambda label, op, values: f"attribute:{label} {op} [{', '.join(values)}]",
        _labels,
        st.sampled_from(["in", "!in"]),
        st.lists(_values, min_size=1, max_size=3),
    ),
)
_expressions = st.recursive(
    _terms,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=6,
)
_nodes = st.lists(
    st.dictionaries(st.sampled_from(LABELS), _values, max_size=2),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(_expressions, _nodes)
def test_translation_agrees_with_ecs_semantics_on_known_nodes(expression: str, nodes: list[dict[str, str]]) -> None:
    try:
        result = to_affinity(expression, nodes)
    except QueryTranslationError:
        return
    tree = parse(expression)
    for labels in nodes:
        assert _k8s_matches(result.node_selector_terms, labels) == _ecs_holds(tree, labels), (expression, labels)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("attribute:ab =!<>~&|()[],'\" inexistsornotand12.*")), max_size=40))
def test_parser_only_raises_syntax_errors(text: str) -> None:
    try:
        parse(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text)
