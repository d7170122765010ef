"""One CloudFormation (or CDK-synthesized) template -> the ECS documents its ECS resources mean.

``AWS::ECS::TaskDefinition``, ``AWS::ECS::Service`` and ``AWS::ECS::Cluster`` become
RegisterTaskDefinition / CreateService / CreateCluster input (ECS's member names, values
resolved), which ``convert`` validates and turns into TaskDefinition / ECSService / ECSCluster.
A service's ``TaskDefinition: !Ref TaskDef`` (or ``!GetAtt TaskDef.TaskDefinitionArn``) is the
converted task definition's family, ``Cluster: !Ref Cluster`` the cluster's name: the references
the custom resources make to each other. A resource whose ``Condition`` is false is left out.

Names. When ``Family`` / ``ServiceName`` / ``ClusterName`` is not set, CloudFormation makes one up
from the stack name and the logical id; here it is the logical id (CDK: the construct path from
``Metadata.aws:cdk:path``, without the stack and ``Resource``), and a note says so. Resource
property reference:
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-taskdefinition.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel

from ..models import ECSClusterSpec, ECSServiceSpec, TaskDefinitionSpec
from .intrinsics import NO_VALUE, PSEUDO_DEFAULTS, Resolver, TemplateIssue, pseudo_parameters
from .properties import ecs_members

__all__ = ["KIND_OF_TYPE", "Resource", "TemplateError", "Translated", "is_template", "translate"]

KIND_OF_TYPE: Final[dict[str, str]] = {
    "AWS::ECS::TaskDefinition": "TaskDefinition",
    "AWS::ECS::Service": "ECSService",
    "AWS::ECS::Cluster": "ECSCluster",
}
"""CloudFormation resource type -> the custom resource it becomes."""

_MODEL: Final[dict[str, type[BaseModel]]] = {
    "TaskDefinition": TaskDefinitionSpec,
    "ECSService": ECSServiceSpec,
    "ECSCluster": ECSClusterSpec,
}
_NAME_PROPERTY: Final[dict[str, tuple[str, str]]] = {
    "TaskDefinition": ("Family", "family"),
    "ECSService": ("ServiceName", "serviceName"),
    "ECSCluster": ("ClusterName", "clusterName"),
}
# GetAtt attributes that are the resource's identity: answered with the converted name.
_IDENTITY_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "TaskDefinition": frozenset({"TaskDefinitionArn"}),
    "ECSService": frozenset({"Name", "ServiceArn"}),
    "ECSCluster": frozenset({"Arn"}),
}
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_ASSOCIATIONS: Final = "AWS::ECS::ClusterCapacityProviderAssociations"
_NOT_CONVERTED: Final = (
    "ecs-operator has no custom resource for it (capacity providers other than FARGATE and FARGATE_SPOT "
    "are capacity provider profiles of the ECSCluster; task sets belong to the EXTERNAL deployment controller)"
)


@dataclass(frozen=True)
class Resource:
    """One ECS resource of the template as ECS input: ``spec`` in ECS's member names, and where
    each member sits in the template (for messages)."""

    kind: str
    logical_id: str
    spec: dict[str, Any]
    paths: dict[str, str]

    def locate(self, path: str) -> str:
        """The template path of a spec-relative ECS path (``containerDefinitions[0].image``)."""
        probe = path
        while True:
            if probe in self.paths:
                return self.paths[probe] + path[len(probe) :]  # the rest starts with '.' or '['

            cut = max(probe.rfind("."), probe.rfind("["))
            if cut <= 0:
                return f"{self.paths['']}.{path}" if path else self.paths[""]
            probe = probe[:cut]


@dataclass
class Translated:
    """The ECS resources of a template, and warnings/notes at template paths."""

    resources: list[Resource] = field(default_factory=list)
    warnings: list[TemplateIssue] = field(default_factory=list)


class TemplateError(ValueError):
    """The template cannot be converted; ``issues`` lists every problem at its template path."""

    def __init__(self, issues: list[TemplateIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(f"{issue.path}: {issue.message}" for issue in issues))


def is_template(data: Any) -> bool:
    """Whether a document is a CloudFormation template (a ``Resources`` map of typed resources)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("Resources"), Mapping):
        return False
    return "AWSTemplateFormatVersion" in data or all(
        isinstance(body, Mapping) and isinstance(body.get("Type"), str) for body in data["Resources"].values()
    )


def translate(data: Mapping[str, Any], given: Mapping[str, str], stack_name: str) -> Translated:
    """The ECS resources of ``data``; ``given`` are ``--parameter`` values (pseudo ones too)."""
    problems: list[TemplateIssue] = []
    resources = data["Resources"]
    types = {str(key): str(body.get("Type", "")) for key, body in resources.items() if isinstance(body, Mapping)}
    for key, body in resources.items():
        if not isinstance(body, Mapping) or not isinstance(body.get("Type"), str):
            problems.append(TemplateIssue(f"Resources.{key}", "must be an object with a Type"))
    parameters = _parameters(data.get("Parameters") or {}, given, problems)
    names: dict[str, str] = {}
    absent: dict[str, str] = {}
    resolver = Resolver(
        parameters=parameters,
        pseudo=pseudo_parameters(given, stack_name),
        mappings=data.get("Mappings") or {},
        conditions=data.get("Conditions") or {},
        resource_types=types,
        names=lambda logical_id, attribute: _reference(logical_id, attribute, types, names),
        absent=absent,
    )
    result = Translated()
    ecs = [(key, body) for key, body in resources.items() if types.get(str(key)) in KIND_OF_TYPE]
    # Names first: references between the resources resolve to them, whatever the order.
    included = []
    for key, body in ecs:
        where = f"Resources.{key}"
        if "Condition" in body and not resolver.condition(body["Condition"], f"{where}.Condition"):
            result.warnings.append(TemplateIssue(where, f"left out: its Condition {body['Condition']} is false"))
            absent[str(key)] = f"its Condition {body['Condition']} is false"
            continue
        kind = KIND_OF_TYPE[types[str(key)]]
        names[str(key)] = _name(kind, str(key), body, resolver, result)
        included.append((str(key), body, kind))
    for key, body, kind in included:
        where = f"Resources.{key}"
        properties = body.get("Properties") or {}
        if not isinstance(properties, Mapping):
            problems.append(TemplateIssue(f"{where}.Properties", "must be an object"))
            continue
        resolved = resolver.resolve(properties, f"{where}.Properties")
        if resolved is NO_VALUE:
            resolved = {}
        cluster = resolved.get("Cluster") if kind == "ECSService" else None
        if isinstance(cluster, str) and "${" in cluster:
            # A cluster this template does not define (another stack's export): ECS names a
            # service's cluster by name, and a placeholder is not one.
            resolved = {k: v for k, v in resolved.items() if k != "Cluster"}
            result.warnings.append(
                TemplateIssue(
                    f"{where}.Properties.Cluster",
                    f"{cluster} is not a cluster of this template; left out, so the service is in the "
                    "default cluster (set spec.cluster to the ECSCluster's clusterName)",
                )
            )
        renamed = ecs_members(resolved, _MODEL[kind], f"{where}.Properties")
        result.warnings.extend(TemplateIssue(path, f"left out: {why}") for path, why in renamed.dropped)
        spec: dict[str, Any] = dict(renamed.value)
        paths = dict(renamed.paths)
        member = _NAME_PROPERTY[kind][1]
        spec[member] = names[key]
        paths.setdefault(member, where)
        result.resources.append(Resource(kind, key, spec, paths))
    _associations(resources, types, resolver, result)
    for key, kind in types.items():
        if kind.startswith("AWS::ECS::") and kind not in KIND_OF_TYPE and kind != _ASSOCIATIONS:
            result.warnings.append(TemplateIssue(f"Resources.{key}", f"{kind} is not converted: {_NOT_CONVERTED}"))
    problems.extend(resolver.problems)
    if problems:
        raise TemplateError(problems)
    result.warnings[:0] = resolver.warnings
    result.warnings.extend(_assumed(resolver, given))
    declared = data.get("Parameters")
    declared = declared if isinstance(declared, Mapping) else {}
    result.warnings.extend(
        TemplateIssue("Parameters", f"--parameter {name} is not a parameter of this template; ignored")
        for name in given
        if name not in declared and not name.startswith("AWS::")
    )
    return result


def _associations(
    resources: Mapping[str, Any], types: Mapping[str, str], resolver: Resolver, result: Translated
) -> None:
    """``AWS::ECS::ClusterCapacityProviderAssociations`` (what CDK writes for Fargate capacity
    providers) set the capacity providers of the cluster they name, as PutClusterCapacityProviders
    does: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-clustercapacityproviderassociations.html
    """
    clusters = {r.spec.get("clusterName"): r for r in result.resources if r.kind == "ECSCluster"}
    for key, kind in types.items():
        body = resources[key]
        where = f"Resources.{key}"
        if kind != _ASSOCIATIONS or ("Condition" in body and not resolver.condition(body["Condition"], where)):
            continue
        properties = resolver.resolve(body.get("Properties") or {}, f"{where}.Properties")
        if not isinstance(properties, Mapping):
            continue
        cluster = clusters.get(properties.get("Cluster"))
        if cluster is None:
            result.warnings.append(
                TemplateIssue(
                    f"{where}.Properties.Cluster",
                    f"cluster {properties.get('Cluster')!r} is not converted from this template; "
                    "its capacity providers are left out",
                )
            )
            continue
        settings = {k: v for k, v in properties.items() if k != "Cluster"}
        renamed = ecs_members(settings, ECSClusterSpec, f"{where}.Properties")
        for member, value in renamed.value.items():
            cluster.spec[member] = value
        cluster.paths.update({path: tpath for path, tpath in renamed.paths.items() if path})


def _parameters(declared: Any, given: Mapping[str, str], problems: list[TemplateIssue]) -> dict[str, Any]:
    """Each parameter's value: ``--parameter`` over its Default; lists split at commas.

    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
    """
    values: dict[str, Any] = {}
    if not isinstance(declared, Mapping):
        problems.append(TemplateIssue("Parameters", "must be an object"))
        return values
    for name, body in declared.items():
        where = f"Parameters.{name}"
        spec = body if isinstance(body, Mapping) else {}
        if name in given:
            value: Any = given[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            problems.append(TemplateIssue(where, f"has no Default: pass --parameter {name}=VALUE"))
            values[name] = "${" + name + "}"  # so its uses report nothing more
            continue
        kind = str(spec.get("Type", "String"))
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and str(value) not in [str(a) for a in allowed]:
            problems.append(TemplateIssue(where, f"{value!r} is not one of AllowedValues {allowed}"))
            value = spec.get("Default", "${" + name + "}")  # go on with the Default: no follow-on problems
        if kind.startswith("AWS::SSM::Parameter::Value"):
            # The Default names an SSM parameter; only a deployed stack reads its value.
            values[name] = "${" + name + "}"
            continue
        if (kind.startswith("List<") or kind == "CommaDelimitedList") and not isinstance(value, list):
            value = [part.strip() for part in str(value).split(",") if part.strip()]
        values[name] = value if isinstance(value, (list, bool)) else str(value)
    return values


def _name(kind: str, key: str, body: Mapping[str, Any], resolver: Resolver, result: Translated) -> str:
    cfn_member = _NAME_PROPERTY[kind][0]
    properties = body.get("Properties")
    where = f"Resources.{key}.Properties.{cfn_member}"
    if isinstance(properties, Mapping) and cfn_member in properties:
        value = resolver.resolve(properties[cfn_member], where)
        if value is not NO_VALUE:
            return str(value)
    metadata = body.get("Metadata")
    cdk_path = metadata.get("aws:cdk:path") if isinstance(metadata, Mapping) else None
    if isinstance(cdk_path, str) and "/" in cdk_path:
        parts: list[str] = []
        for part in cdk_path.split("/")[1:]:
            if part != "Resource" and (not parts or parts[-1] != part):
                parts.append(part)
        name = _NAME_CHARS.sub("-", "-".join(parts)).strip("-") or key
        origin = f"its CDK construct path {cdk_path}"
    else:
        name, origin = key, "its logical id"
    result.warnings.append(
        TemplateIssue(
            f"Resources.{key}",
            f"no {cfn_member}: CloudFormation would generate one; named {name!r} after {origin}",
        )
    )
    return name[:255]


def _reference(
    logical_id: str, attribute: str | None, types: Mapping[str, str], names: Mapping[str, str]
) -> str | None:
    """What a Ref / GetAtt of a converted ECS resource means between the custom resources."""
    kind = KIND_OF_TYPE.get(types.get(logical_id, ""))
    if kind is None or logical_id not in names:
        return None
    if attribute is None or attribute in _IDENTITY_ATTRIBUTES[kind]:
        return names[logical_id]
    return None


def _assumed(resolver: Resolver, given: Mapping[str, str]) -> list[TemplateIssue]:
    """A note for each pseudo parameter that took a stand-in value (only a real stack knows it)."""
    return [
        TemplateIssue("", f"{name} is {value!r} (pass --parameter {name}=VALUE for your account's)")
        for name, value in PSEUDO_DEFAULTS.items()
        if name not in given and name in resolver.used
    ]
