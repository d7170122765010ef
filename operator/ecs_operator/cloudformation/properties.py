"""CloudFormation's PascalCase property names -> ECS's camelCase members, from our own models.

An ``AWS::ECS::*`` resource's properties are ECS's API members with a capital first letter
(``ContainerDefinitions[].PortMappings[].ContainerPort``), and a few irregular capitals
(``EFSVolumeConfiguration`` for ``efsVolumeConfiguration``). So a property is matched to the
model field whose ECS name is the same ignoring case, nested model by nested model; members that
are maps (``DockerLabels``, ``LogConfiguration.Options``) keep their keys as written. Where the
CloudFormation name differs beyond case, RENAMES says so (from the resource references, e.g.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-cluster.html
``ClusterSettings``). tests/unit/test_cloudformation.py checks this against the resource schemas
cfn-lint ships, so a new CloudFormation property that we would misname fails a test.

Values are coerced where CloudFormation is lenient and ECS's models are not: a parameter is a
string, so ``"true"`` / ``"80"`` become a boolean / an integer when the member is one.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Union

from pydantic import BaseModel

__all__ = ["RENAMES", "UNSUPPORTED", "Renamed", "ecs_members", "member_for"]

RENAMES: Final[dict[tuple[str, str], str]] = {
    ("ECSClusterSpec", "ClusterSettings"): "settings",
    ("ECSServiceSpec", "PlacementStrategies"): "placementStrategy",
    ("ProxyConfiguration", "ProxyConfigurationProperties"): "properties",
}
"""(model class, CloudFormation property) -> ECS member, where the names differ beyond case."""

UNSUPPORTED: Final[dict[tuple[str, str], str]] = {
    ("ECSServiceSpec", "ForceNewDeployment"): (
        "CloudFormation's way to start a new deployment on stack update; apply the ECSService again "
        "with a changed spec, or use UpdateService forceNewDeployment"
    ),
}
"""(model class, CloudFormation property) -> why it is dropped with a note instead of converted."""


@dataclass
class Renamed:
    """A converted value, where each ECS path sits in the template, and dropped members."""

    value: Any
    paths: dict[str, str] = field(default_factory=dict)  # ECS path (relative to the spec) -> template path
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (template path, why)


def member_for(model: type[BaseModel], prop: str) -> tuple[str, Any] | None:
    """``(ECS member, annotation)`` the CloudFormation property ``prop`` of ``model`` stands for."""
    wanted = RENAMES.get((model.__name__, prop), prop).lower()
    for name, info in model.model_fields.items():
        alias = info.alias or name
        if alias.lower() == wanted:
            return alias, info.annotation
    return None


def ecs_members(value: Any, model: type[BaseModel], template_path: str) -> Renamed:
    """``value`` (a resource's Properties) with ECS's member names for ``model``."""
    result = Renamed(None)
    result.value = _walk(value, model, template_path, "", result)
    return result


def _walk(value: Any, annotation: Any, tpath: str, epath: str, out: Renamed) -> Any:
    out.paths.setdefault(epath, tpath)
    core = _core(annotation, value)
    if isinstance(value, Mapping):
        if isinstance(core, type) and issubclass(core, BaseModel):
            renamed: dict[str, Any] = {}
            for written, item in value.items():
                key = str(written)
                if (core.__name__, key) in UNSUPPORTED:
                    out.dropped.append((_join(tpath, key), UNSUPPORTED[core.__name__, key]))
                    continue
                found = member_for(core, key)
                # Unknown to the model: camelCase it anyway, so validation names it as an unknown member.
                member, inner = found if found is not None else (key[:1].lower() + key[1:], None)
                renamed[member] = _walk(item, inner, _join(tpath, key), _join(epath, member), out)
            return renamed
        inner = typing.get_args(core)[1] if typing.get_origin(core) is dict else None
        return {key: _walk(item, inner, _join(tpath, key), _join(epath, key), out) for key, item in value.items()}
    if isinstance(value, list):
        inner = typing.get_args(core)[0] if typing.get_origin(core) in (list, tuple) and typing.get_args(core) else None
        return [_walk(item, inner, f"{tpath}[{i}]", f"{epath}[{i}]", out) for i, item in enumerate(value)]
    return _coerce(value, core)


def _core(annotation: Any, value: Any) -> Any:
    """The part of ``annotation`` that fits ``value``: through Optional, unions and Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _core(typing.get_args(annotation)[0], value)
    if origin in (Union, types.UnionType):
        options = [_core(arg, value) for arg in typing.get_args(annotation) if arg is not type(None)]
        for option in options:
            if _fits(option, value):
                return option
        return options[0] if options else None
    return annotation


def _fits(annotation: Any, value: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    if isinstance(value, Mapping):
        return origin is dict or (isinstance(origin, type) and issubclass(origin, BaseModel))
    if isinstance(value, list):
        return origin in (list, tuple)
    return not (origin in (dict, list, tuple) or (isinstance(origin, type) and issubclass(origin, BaseModel)))


def _coerce(value: Any, core: Any) -> Any:
    """CloudFormation passes parameters as strings; ECS's booleans and integers want their type."""
    if not isinstance(value, str):
        return value
    if core is bool and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if core is int and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
