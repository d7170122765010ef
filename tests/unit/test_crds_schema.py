"""The generated CRDs: names, structural schemas, CEL rules, subresources and printer columns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ecs_operator.models import READ_ONLY_MEMBERS, UNSUPPORTED_MEMBERS
from ecs_operator.models.cel import CEL_RULES
from ecs_operator.models.crd import build_crds

Schema = dict[str, Any]
CRDS = build_crds()
INT_OR_STRING = "x-kubernetes-int-or-string"
PRESERVE = "x-kubernetes-preserve-unknown-fields"
VALIDATIONS = "x-kubernetes-validations"


def version(filename: str) -> Schema:
    versions = CRDS[filename]["spec"]["versions"]
    assert len(versions) == 1
    result: Schema = versions[0]
    return result


def root(filename: str) -> Schema:
    schema: Schema = version(filename)["schema"]["openAPIV3Schema"]
    return schema


def spec(filename: str) -> Schema:
    result: Schema = root(filename)["properties"]["spec"]
    return result


def nodes(schema: Schema, path: str = "") -> Iterator[tuple[str, Schema]]:
    yield path, schema
    for name, child in schema.get("properties", {}).items():
        yield from nodes(child, f"{path}.{name}")
    if "items" in schema:
        yield from nodes(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from nodes(schema["additionalProperties"], f"{path}{{}}")


def at(schema: Schema, dotted: str) -> Schema:
    """The node at ``a.b[].c`` (``[]`` steps into items)."""
    node = schema
    for part in re.findall(r"[^.\[\]]+|\[\]", dotted):
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


@pytest.mark.parametrize(
    ("filename", "kind", "short"),
    [("ecsclusters.yaml", "ECSCluster", "ecsc"), ("taskdefinitions.yaml", "TaskDefinition", "td"),
     ("ecsservices.yaml", "ECSService", "ecss"), ("ecstasks.yaml", "ECSTask", "ecst")],
)  # fmt: skip
def test_names(filename: str, kind: str, short: str) -> None:
    crd = CRDS[filename]
    plural = filename.removesuffix(".yaml")
    assert crd["metadata"]["name"] == f"{plural}.ecs.operator.dev"
    assert crd["spec"]["group"] == "ecs.operator.dev"
    assert crd["spec"]["scope"] == "Namespaced"
    assert crd["spec"]["names"] == {
        "kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower(),
        "shortNames": [short], "categories": ["ecs"],
    }  # fmt: skip
    assert version(filename)["name"] == "v1alpha1" and version(filename)["served"] and version(filename)["storage"]


@pytest.mark.parametrize("filename", sorted(CRDS))
def test_schema_is_structural(filename: str) -> None:
    for path, node in nodes(root(filename)):
        assert not {"$ref", "$defs", "title", "default", "const", "nullable", "allOf", "oneOf"} & set(node), path
        assert "type" in node or node.get(PRESERVE) or node.get(INT_OR_STRING), f"{path} has no type"
        if node.get(INT_OR_STRING):
            assert node["anyOf"] == [{"type": "integer"}, {"type": "string"}], path
            assert "type" not in node, path
        else:
            assert "anyOf" not in node, f"{path}: unions other than int-or-string are not structural"
        assert not ("properties" in node and "additionalProperties" in node), path
        assert node.get("additionalProperties") is not False, path
        for bound in ("exclusiveMinimum", "exclusiveMaximum"):
            assert node.get(bound, True) is True, f"{path}: OpenAPI v3.0 wants a boolean {bound}"
        for required in node.get("required", ()):
            assert required in node["properties"], f"{path}: required {required} is not a property"


@pytest.mark.parametrize("filename", sorted(CRDS))
def test_cel_field_paths_point_at_members(filename: str) -> None:
    for path, node in nodes(root(filename)):
        for entry in node.get(VALIDATIONS, ()):
            assert set(entry) <= {"rule", "message", "fieldPath"}, path
            assert entry["message"], path
            if "fieldPath" in entry:
                member = entry["fieldPath"].removeprefix(".")
                assert member in node["properties"], f"{path}: fieldPath {entry['fieldPath']} is not a member"


def test_every_cel_rule_lands_in_a_crd() -> None:
    placed = [
        entry["rule"] for filename in CRDS for _, node in nodes(root(filename)) for entry in node.get(VALIDATIONS, ())
    ]
    for model, rules in CEL_RULES.items():
        for entry in rules:
            assert entry["rule"] in placed, f"{model}: rule never attached: {entry['rule']}"


def test_static_rules_requested_by_the_design() -> None:
    td = spec("taskdefinitions.yaml")
    messages = [entry["message"] for entry in td[VALIDATIONS]]
    assert "a task definition must have at least one essential container" in messages
    assert "container names must be unique" in messages
    assert any("hostPort must match containerPort" in message for message in messages)
    container = at(td, "containerDefinitions[]")
    assert container[VALIDATIONS][0]["message"] == "memoryReservation must be less than memory"
    assert td["properties"]["containerDefinitions"]["maxItems"] == 10
    interval = at(td, "containerDefinitions[].healthCheck.interval")
    assert [entry["message"] for entry in interval[VALIDATIONS]][-1] == "must be between 5 and 300"
    assert td["properties"]["family"]["pattern"] == "^[a-zA-Z0-9_-]{1,255}$"

    service = spec("ecsservices.yaml")
    assert service["properties"]["desiredCount"] == {"type": "integer", "minimum": 0}
    assert "pattern" in service["properties"]["taskDefinition"]
    deployment = service["properties"]["deploymentConfiguration"]
    assert deployment[VALIDATIONS][0]["message"] == "minimumHealthyPercent must not exceed maximumPercent"

    count = spec("ecstasks.yaml")["properties"]["count"]
    assert count[VALIDATIONS][-1]["message"] == "must be between 1 and 10"


def test_task_definition_spec_accepts_describe_output_members() -> None:
    properties = spec("taskdefinitions.yaml")["properties"]
    for member in READ_ONLY_MEMBERS:
        assert properties[member] == {
            "description": "Read-only in ECS (describe-task-definition output); ignored.",
            PRESERVE: True,
        }


def test_unsupported_members_are_rejected_by_cel() -> None:
    rules = [
        entry["rule"] for filename in CRDS for _, node in nodes(root(filename)) for entry in node.get(VALIDATIONS, ())
    ]
    for key in UNSUPPORTED_MEMBERS:
        assert f"!has(self.{key.split('.')[1]})" in rules


def test_int_or_string_members_in_bounded_lists_are_checked() -> None:
    unchecked = [
        f"{filename}{path}"
        for filename in CRDS
        for path, node in nodes(spec(filename))
        if node.get(INT_OR_STRING) and "maxLength" in node and VALIDATIONS not in node
    ]
    # Every integer ECS lets you write as a string gets CEL for its digits and range: the lists
    # around them carry maxItems, which keeps the rules within the API server's cost budget.
    assert unchecked == []


@pytest.mark.parametrize("filename", sorted(CRDS))
def test_status_subresource_and_open_status(filename: str) -> None:
    assert "status" in version(filename)["subresources"]
    status = root(filename)["properties"]["status"]
    assert status["type"] == "object" and status[PRESERVE] is True
    assert {"observedGeneration", "conditions"} <= set(status["properties"])
    assert root(filename)["required"] == ["spec"]


def test_scale_subresource_only_on_services() -> None:
    assert version("ecsservices.yaml")["subresources"]["scale"] == {
        "specReplicasPath": ".spec.desiredCount",
        "statusReplicasPath": ".status.runningCount",
        "labelSelectorPath": ".status.selector",
    }
    for filename in ("ecsclusters.yaml", "taskdefinitions.yaml", "ecstasks.yaml"):
        assert "scale" not in version(filename)["subresources"]


@pytest.mark.parametrize(
    ("filename", "columns"),
    [
        ("ecsservices.yaml", ["Cluster", "TaskDefinition", "Desired", "Running", "Pending", "Rollout", "Age"]),
        ("taskdefinitions.yaml", ["Family", "Revision", "Status", "Age"]),
        ("ecstasks.yaml", ["Cluster", "TaskDefinition", "LastStatus", "DesiredStatus", "StopCode", "Reason", "Age"]),
        ("ecsclusters.yaml", ["Status", "Instances", "Services", "Running", "Pending", "Age"]),
    ],
)
def test_printer_columns(filename: str, columns: list[str]) -> None:
    printed = version(filename)["additionalPrinterColumns"]
    assert [column["name"] for column in printed] == columns
    for column in printed:
        path = column["jsonPath"]
        if path.startswith((".spec.", ".status.")):
            dotted = re.sub(r"\[0\]", "[]", path.removeprefix("."))
            node = at(root(filename), dotted)
            expected = {"integer": "integer", "string": "string"}[column["type"]]
            assert node.get("type") == expected, f"{column['name']}: {path} is {node}"


def test_rollout_column_reads_first_deployment() -> None:
    columns = {c["name"]: c for c in version("ecsservices.yaml")["additionalPrinterColumns"]}
    assert columns["Rollout"]["jsonPath"] == ".status.deployments[0].rolloutState"
    assert columns["Desired"]["type"] == "integer"
