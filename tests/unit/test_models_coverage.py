"""Field coverage against botocore's ECS model: every member of the four inputs we mirror.

Walks RegisterTaskDefinitionRequest, CreateServiceRequest, RunTaskRequest and CreateClusterRequest
recursively through nested structures, lists and maps. Each botocore member must be accepted by
the matching model (its alias present) or be listed in UNSUPPORTED_MEMBERS; each model member
must exist in botocore or be listed in EXTENSION_MEMBERS. Enums must match botocore's exactly.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from botocore_model import load_ecs_model
from ecs_operator.models import (
    EXTENSION_MEMBERS,
    UNSUPPORTED_MEMBERS,
    ECSClusterSpec,
    ECSServiceSpec,
    ECSTaskSpec,
    SpecError,
    TaskDefinitionSpec,
    parse_task_definition,
)
from ecs_operator.models.base import UNSUPPORTED_MARK, ECSModel
from ecs_operator.models.introspect import model_in

ROOTS: dict[str, type[ECSModel]] = {
    "RegisterTaskDefinitionRequest": TaskDefinitionSpec,
    "CreateServiceRequest": ECSServiceSpec,
    "RunTaskRequest": ECSTaskSpec,
    "CreateClusterRequest": ECSClusterSpec,
}

OPTIONAL_ON_PURPOSE = {
    "CreateServiceRequest.serviceName": "defaults to the ECSService object's name",
}
"""botocore-required members the models leave optional."""


@dataclass
class Coverage:
    supported: set[str] = field(default_factory=set)
    unsupported: set[str] = field(default_factory=set)
    gaps: dict[str, str] = field(default_factory=dict)
    pairs: set[tuple[str, type[BaseModel]]] = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.supported | self.unsupported | set(self.gaps))


def _shapes() -> dict[str, Any]:
    shapes: dict[str, Any] = load_ecs_model()["shapes"]
    return shapes


def _structure_in(shapes: dict[str, Any], name: str) -> str | None:
    """The structure a member's shape holds (through lists and map values), if any."""
    shape = shapes[name]
    if shape["type"] == "structure":
        return name
    if shape["type"] == "list":
        return _structure_in(shapes, shape["member"]["shape"])
    if shape["type"] == "map":
        return _structure_in(shapes, shape["value"]["shape"])
    return None


def _fields_by_alias(model: type[BaseModel]) -> dict[str, Any]:
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _walk(shapes: dict[str, Any], shape: str, model: type[BaseModel], coverage: Coverage) -> None:
    if (shape, model) in coverage.pairs:
        return
    coverage.pairs.add((shape, model))
    fields = _fields_by_alias(model)
    for member, ref in shapes[shape]["members"].items():
        key = f"{shape}.{member}"
        info = fields.get(member)
        if key in UNSUPPORTED_MEMBERS:
            coverage.unsupported.add(key)
            if info is not None and UNSUPPORTED_MARK not in (info.json_schema_extra or {}):
                coverage.gaps[key] = "listed as unsupported but the model accepts it"
            continue
        if info is None:
            coverage.gaps[key] = f"no member '{member}' on {model.__name__}"
            continue
        coverage.supported.add(key)
        nested = _structure_in(shapes, ref["shape"])
        if nested is None or not shapes[nested]["members"]:
            continue
        submodel = model_in(info.annotation)
        if submodel is None:
            coverage.gaps[key] = f"{model.__name__}.{member} does not model botocore structure {nested}"
            continue
        _walk(shapes, nested, submodel, coverage)


@pytest.fixture(scope="module")
def coverage() -> Coverage:
    shapes = _shapes()
    result = Coverage()
    for shape, model in ROOTS.items():
        _walk(shapes, shape, model, result)
    return result


def test_every_botocore_member_is_modelled_or_documented(coverage: Coverage) -> None:
    print(
        f"\nmodels cover {len(coverage.supported)}/{coverage.total} botocore members "
        f"({len(coverage.unsupported)} documented unsupported)"
    )
    assert coverage.gaps == {}
    assert coverage.total > 250  # the walk really went deep


def test_unsupported_table_has_no_stale_entries(coverage: Coverage) -> None:
    assert set(UNSUPPORTED_MEMBERS) == coverage.unsupported


def _enum_values(shapes: dict[str, Any], name: str) -> set[str] | None:
    shape = shapes[name]
    if shape["type"] == "list":
        return _enum_values(shapes, shape["member"]["shape"])
    values = shape.get("enum")
    return set(values) if values is not None else None


def _literal_values(annotation: Any) -> set[str] | None:
    if typing.get_origin(annotation) is Literal:
        return set(typing.get_args(annotation))
    for arg in typing.get_args(annotation):
        found = _literal_values(arg)
        if found is not None:
            return found
    return None


def _model_pairs(coverage: Coverage) -> Iterator[tuple[str, type[BaseModel]]]:
    yield from sorted(coverage.pairs, key=lambda pair: (pair[0], pair[1].__name__))


def test_enums_match_botocore(coverage: Coverage) -> None:
    shapes = _shapes()
    mismatches: dict[str, tuple[set[str], set[str] | None]] = {}
    for shape, model in _model_pairs(coverage):
        fields = _fields_by_alias(model)
        for member, ref in shapes[shape]["members"].items():
            expected = _enum_values(shapes, ref["shape"])
            if expected is None or member not in fields:
                continue
            actual = _literal_values(fields[member].annotation)
            if actual != expected:
                mismatches[f"{shape}.{member}"] = (expected, actual)
    assert mismatches == {}


def test_botocore_required_members_are_required(coverage: Coverage) -> None:
    shapes = _shapes()
    loose: list[str] = []
    for shape, model in _model_pairs(coverage):
        fields = _fields_by_alias(model)
        for member in shapes[shape].get("required", ()):
            key = f"{shape}.{member}"
            if key in OPTIONAL_ON_PURPOSE or key in UNSUPPORTED_MEMBERS:
                continue
            if member in fields and not fields[member].is_required():
                loose.append(key)
    assert loose == []


def test_every_model_member_is_botocore_or_a_documented_extension(coverage: Coverage) -> None:
    shapes = _shapes()
    extras: list[str] = []
    for shape, model in _model_pairs(coverage):
        botocore_members = set(shapes[shape]["members"])
        for alias in _fields_by_alias(model):
            if alias not in botocore_members and f"{model.__name__}.{alias}" not in EXTENSION_MEMBERS:
                extras.append(f"{model.__name__}.{alias}")
    assert extras == []


def test_models_name_the_shape_they_mirror(coverage: Coverage) -> None:
    wrong = {model.__name__: (model.ecs_shape, shape) for shape, model in coverage.pairs
             if issubclass(model, ECSModel) and model.ecs_shape != shape}  # fmt: skip
    assert wrong == {}


@pytest.mark.parametrize("key", sorted(EXTENSION_MEMBERS))
def test_extensions_exist_on_their_models(key: str) -> None:
    model_name, member = key.split(".")
    model = next(m for m in ROOTS.values() if m.__name__ == model_name)
    assert member in _fields_by_alias(model)


@pytest.mark.parametrize("key", sorted(UNSUPPORTED_MEMBERS))
def test_unsupported_members_are_rejected_with_their_reason(key: str) -> None:
    documents: dict[str, tuple[Callable[[Mapping[str, Any]], ECSModel], dict[str, Any], str]] = {
        "Volume.s3filesVolumeConfiguration": (
            parse_task_definition,
            {
                "family": "f",
                "containerDefinitions": [{"name": "c", "image": "i", "memory": 64}],
                "volumes": [{"name": "v", "s3filesVolumeConfiguration": {"fileSystemArn": "arn:x"}}],
            },
            "volumes[0].s3filesVolumeConfiguration",
        ),
    }
    parse, document, path = documents[key]
    with pytest.raises(SpecError) as caught:
        parse(document)
    assert (path, f"not supported: {UNSUPPORTED_MEMBERS[key]}") in caught.value.issues
