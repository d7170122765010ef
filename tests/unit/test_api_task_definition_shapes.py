"""The ECS API's task-definition view: a ControllerRevision as botocore's ``TaskDefinition`` shape.

Every revision of the examples and of the ECS fixtures must describe to a body with the shape's
members only, of the shape's types (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from botocore_model import load_ecs_model
from ecs_operator.api.arns import Arns
from ecs_operator.api.paging import page
from ecs_operator.api.task_definition_view import (
    compatibilities,
    describe_revision,
    epoch,
    latest_active,
    normalised_spec,
    revision_status,
    revision_tags,
    tags_annotation,
)
from ecs_operator.models import parse_task_definition
from ecs_operator.render.revision import build_controller_revision
from ecs_operator.vocabulary import ANNOTATION_DEREGISTERED_AT, ANNOTATION_REVISION_STATUS, ANNOTATION_TAGS

ROOT = Path(__file__).resolve().parents[2]
ARNS = Arns()
Obj = dict[str, Any]


def _example_specs() -> list[tuple[str, Obj]]:
    out = []
    for path in sorted((ROOT / "examples").glob("*/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "TaskDefinition":
                out.append((f"{path.parent.name}/{doc['metadata']['name']}", doc["spec"]))
    for name in ("register-webserver.json", "register-orders-ec2.json", "register-fargate-mesh.json"):
        out.append((name, json.loads((ROOT / "tests/unit/data/ecs" / name).read_text())))
    described = json.loads((ROOT / "tests/unit/data/ecs/describe-task-definition.json").read_text())
    out.append(("describe-task-definition.json", described["taskDefinition"]))
    return out


SPECS = _example_specs()


def _revision(spec: Obj, number: int = 1, annotations: Obj | None = None) -> Obj:
    owner = {
        "metadata": {"name": spec["family"], "namespace": "team", "uid": "uid-1"},
        "apiVersion": "x",
        "kind": "TaskDefinition",
    }
    body = build_controller_revision(owner, spec["family"], number, spec)
    body["metadata"]["creationTimestamp"] = "2026-12-02T05:25:22Z"
    body["metadata"]["annotations"].update(annotations or {})
    return body


def shape_problems(shape_name: str, value: Any, path: str = "") -> list[str]:
    """Departures of ``value`` from botocore's shape: unknown or missing required members, wrong types."""
    model = load_ecs_model()
    shape = model["shapes"][shape_name]
    kind = shape["type"]
    where = path or shape_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected object"]
        out = [f"{where}.{name}: required" for name in shape.get("required", []) if name not in value]
        for name, item in value.items():
            member = shape["members"].get(name)
            if member is None:
                out.append(f"{where}.{name}: not in {shape_name}")
            else:
                out.extend(shape_problems(member["shape"], item, f"{where}.{name}"))
        return out
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected list"]
        return [
            p for i, item in enumerate(value) for p in shape_problems(shape["member"]["shape"], item, f"{where}[{i}]")
        ]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected map"]
        return [p for k, item in value.items() for p in shape_problems(shape["value"]["shape"], item, f"{where}[{k}]")]
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "timestamp": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    }
    if not checks[kind](value):
        return [f"{where}: {value!r} is not a {kind}"]
    if "enum" in shape and value not in shape["enum"]:
        return [f"{where}: {value!r} not one of {shape['enum']}"]
    return []


@pytest.mark.parametrize("spec", [s for _, s in SPECS], ids=[n for n, _ in SPECS])
def test_every_revision_describes_to_botocores_shape(spec: Obj) -> None:
    body = describe_revision(_revision(spec, 3), ARNS)
    assert shape_problems("TaskDefinition", body) == []
    assert body["revision"] == 3 and body["status"] == "ACTIVE"
    assert body["taskDefinitionArn"] == f"arn:aws:ecs:us-east-1:123456789012:task-definition/{spec['family']}:3"
    assert body["registeredAt"] == epoch("2026-12-02T05:25:22Z") and "deregisteredAt" not in body
    assert "tags" not in body
    response = {"taskDefinition": body, "tags": revision_tags(_revision(spec))}
    assert shape_problems("DescribeTaskDefinitionResponse", response) == []


def test_manifest_strings_become_ecs_types() -> None:
    """The kubectl example writes container memory "100" and cpu "99": ECS answers integers."""
    spec = dict(SPECS[[n for n, _ in SPECS].index("webserver/webserver")][1])
    body, _ = normalised_spec(spec)
    container = body["containerDefinitions"][0]
    assert (container["memory"], container["cpu"], container["essential"]) == (100, 99, True)
    assert (body["cpu"], body["memory"]) == ("256", "512")
    fractional, _ = normalised_spec({**spec, "cpu": "0.5 vCPU", "memory": "1GB"})
    assert (fractional["cpu"], fractional["memory"]) == ("512", "1024")


def test_a_spec_the_models_refuse_still_describes_with_ecs_types() -> None:
    raw = {"family": "old", "containerDefinitions": [{"name": "a", "image": "x", "memory": "64", "bogus": 1}]}
    body = describe_revision(_revision(raw), ARNS)
    assert body["containerDefinitions"][0]["memory"] == 64
    assert body["compatibilities"] == ["EC2"]


def test_inactive_revision_reports_when_it_was_deregistered() -> None:
    marks = {ANNOTATION_REVISION_STATUS: "INACTIVE", ANNOTATION_DEREGISTERED_AT: "2026-12-02T06:00:00Z"}
    body = describe_revision(_revision(SPECS[0][1], 2, marks), ARNS)
    assert body["status"] == "INACTIVE" and body["deregisteredAt"] == epoch("2026-12-02T06:00:00Z")
    assert shape_problems("TaskDefinition", body) == []
    assert revision_status(_revision(SPECS[0][1], 2, {ANNOTATION_REVISION_STATUS: "bogus"})) == "ACTIVE"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"networkMode": "bridge"}, ["EC2"]),
        ({"networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"]}, ["EC2", "FARGATE"]),
        ({"networkMode": "awsvpc"}, ["EC2", "FARGATE"]),  # meets Fargate's rules without asking
        ({"networkMode": "awsvpc", "memory": "3000"}, ["EC2"]),  # not a Fargate size
        ({"networkMode": "host", "requiresCompatibilities": ["EXTERNAL"]}, ["EC2", "EXTERNAL"]),
    ],
)
def test_compatibilities_as_ecs_computes_them(changes: Obj, expected: list[str]) -> None:
    spec: Obj = {
        "family": "web",
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 128}],
        **changes,
    }
    assert compatibilities(parse_task_definition(spec)) == expected


def test_tags_come_from_the_annotation_else_the_spec() -> None:
    spec = {**SPECS[0][1], "tags": [{"key": "team", "value": "a"}]}
    assert revision_tags(_revision(spec)) == [{"key": "team", "value": "a"}]
    tagged = _revision(spec, annotations={ANNOTATION_TAGS: tags_annotation([{"key": "env", "value": "prod"}])})
    assert revision_tags(tagged) == [{"key": "env", "value": "prod"}]
    assert revision_tags(_revision(spec, annotations={ANNOTATION_TAGS: "not json"})) == []


def test_a_bare_family_names_the_latest_active_revision() -> None:
    spec = SPECS[0][1]
    revisions = [
        _revision(spec, 1),
        _revision(spec, 2),
        _revision(spec, 10, {ANNOTATION_REVISION_STATUS: "INACTIVE"}),
        _revision(spec, 11, {ANNOTATION_REVISION_STATUS: "DELETE_IN_PROGRESS"}),
    ]
    found = latest_active(revisions)
    assert found is not None and found["revision"] == 2
    assert latest_active(revisions[2:]) is None


def test_revision_order_is_numeric_both_ways() -> None:
    """ListTaskDefinitions sorts by family, then revision as a number; DESC is the exact reverse."""
    keys = [f"{family}\x00{n:012d}" for family in ("web", "web-api") for n in (1, 2, 10)]
    ascending, token = page(keys, {"maxResults": 4}, default=100)
    assert [k.replace("\x00", ":").replace(":0000000000", ":") for k in ascending] == [
        "web:01", "web:02", "web:10", "web-api:01",
    ]  # fmt: skip
    rest, end = page(keys, {"maxResults": 4, "nextToken": token}, default=100)
    assert len(rest) == 2 and end is None
    descending, token = page(keys, {"maxResults": 4}, default=100, reverse=True)
    assert descending == sorted(keys, reverse=True)[:4] and descending[0].startswith("web-api")
    rest, _ = page(keys, {"maxResults": 4, "nextToken": token}, default=100, reverse=True)
    assert descending + rest == sorted(keys, reverse=True)
