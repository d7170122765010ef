"""Entry points that turn a JSON/YAML document into a validated spec or a SpecError.

They accept the forms people actually have at hand: the bare ECS input (what
``--cli-input-json`` takes), a Kubernetes manifest of the matching kind (its ``spec``), and for
task definitions the ``describe-task-definition`` output (``{"taskDefinition": {...},
"tags": [...]}``). From a manifest, an absent serviceName / clusterName defaults to the object's
name, as the operator does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from .base import ECSModel
from .cluster import ECSClusterSpec
from .errors import Issue, SpecError, spec_error_from_validation
from .service import ECSServiceSpec
from .task import ECSTaskSpec
from .task_definition import TaskDefinitionSpec

__all__ = ["parse_cluster", "parse_service", "parse_task", "parse_task_definition", "validate_spec"]

SpecT = TypeVar("SpecT", bound=ECSModel)


def parse_task_definition(data: Mapping[str, Any]) -> TaskDefinitionSpec:
    """A RegisterTaskDefinition input, describe-task-definition output or TaskDefinition manifest."""
    body = _spec_of(data, "TaskDefinition")
    inner = body.get("taskDefinition")
    if isinstance(inner, Mapping):
        merged = dict(inner)
        if "tags" in body and "tags" not in merged and body["tags"]:
            merged["tags"] = body["tags"]
        body = merged
    return validate_spec(TaskDefinitionSpec, body, "TaskDefinition")


def parse_service(data: Mapping[str, Any]) -> ECSServiceSpec:
    """A CreateService input or ECSService manifest."""
    body = _with_default_name(data, _spec_of(data, "ECSService"), "serviceName")
    return validate_spec(ECSServiceSpec, body, "ECSService")


def parse_cluster(data: Mapping[str, Any]) -> ECSClusterSpec:
    """A CreateCluster input or ECSCluster manifest."""
    body = _with_default_name(data, _spec_of(data, "ECSCluster"), "clusterName")
    return validate_spec(ECSClusterSpec, body, "ECSCluster")


def parse_task(data: Mapping[str, Any]) -> ECSTaskSpec:
    """A RunTask input or ECSTask manifest."""
    return validate_spec(ECSTaskSpec, _spec_of(data, "ECSTask"), "ECSTask")


def validate_spec(model: type[SpecT], body: object, subject: str) -> SpecT:
    """Validate ``body`` as ``model``; every problem comes back in one SpecError."""
    if not isinstance(body, Mapping):
        raise SpecError([Issue("", f"must be a JSON object, got {type(body).__name__}")], subject)
    try:
        return model.model_validate(dict(body))
    except ValidationError as exc:
        raise spec_error_from_validation(exc, model, subject) from None


def _spec_of(data: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise SpecError([Issue("", f"must be a JSON object, got {type(data).__name__}")], kind)
    if not _is_manifest(data):
        return data
    if data.get("kind") != kind:
        raise SpecError([Issue("kind", f"expected a {kind}, got {data.get('kind')!r}")], kind)
    spec = data.get("spec")
    if not isinstance(spec, Mapping):
        raise SpecError([Issue("spec", "is required and must be an object")], kind)
    return spec


def _is_manifest(data: Mapping[str, Any]) -> bool:
    return "apiVersion" in data and "kind" in data


def _with_default_name(data: Mapping[str, Any], body: Mapping[str, Any], member: str) -> Mapping[str, Any]:
    name = data.get("metadata", {}).get("name") if _is_manifest(data) else None
    if name and member not in body:
        return {**body, member: name}
    return body
