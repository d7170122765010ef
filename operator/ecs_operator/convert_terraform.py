"""Terraform's aws_ecs_* resources -> the ECS members the custom resources take.

Two documents carry them: the state file (``terraform.tfstate``, format version 4:
``resources[].instances[].attributes``) and ``terraform show -json`` output (``values`` for
state, ``planned_values`` for a plan; ``root_module.resources[].values`` and, recursively,
``child_modules``). The AWS provider's attribute names are ECS's members in snake_case, so each
attribute is looked up among the model's python field names (whose aliases are ECS's camelCase);
:data:`RENAMES` holds only the Terraform names that differ from ECS's (the provider flattens
``deploymentConfiguration`` into ``deployment_*`` and names repeated blocks in the singular,
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/ecs_service).

Null and empty attributes (Terraform stores every unset one) and the provider's own attributes
(``arn``, ``tags_all``, ``wait_for_steady_state``, ...) do not become members. Each member
remembers the attribute path it came from, so a model problem is reported at that path.
Pure: parsed JSON in, ECS-shaped specs out; convert.py turns them into manifests.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Union

from pydantic import BaseModel

from .models import ECSClusterSpec, ECSServiceSpec, TaskDefinitionSpec
from .models.introspect import field_by_alias, model_in

__all__ = [
    "KIND_OF",
    "RENAMES",
    "TerraformError",
    "TerraformIssue",
    "TerraformResource",
    "is_terraform",
    "terraform_resources",
]

KIND_OF: Final[Mapping[str, str]] = {
    "aws_ecs_task_definition": "TaskDefinition",
    "aws_ecs_service": "ECSService",
    "aws_ecs_cluster": "ECSCluster",
    "aws_ecs_cluster_capacity_providers": "ECSCluster",
}
"""The Terraform resource types read, and the kind each becomes."""

RENAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "aws_ecs_task_definition": {
        "volume": "volumes",
        "volume.host_path": "host.sourcePath",
        "volume.configure_at_launch": "configuredAtLaunch",
        "inference_accelerator": "inferenceAccelerators",
    },
    "aws_ecs_service": {
        "name": "serviceName",
        "iam_role": "role",
        "load_balancer": "loadBalancers",
        "load_balancer.elb_name": "loadBalancerName",
        "ordered_placement_strategy": "placementStrategy",
        "network_configuration": "networkConfiguration.awsvpcConfiguration",
        "deployment_maximum_percent": "deploymentConfiguration.maximumPercent",
        "deployment_minimum_healthy_percent": "deploymentConfiguration.minimumHealthyPercent",
        "deployment_circuit_breaker": "deploymentConfiguration.deploymentCircuitBreaker",
        "alarms": "deploymentConfiguration.alarms",
        "volume_configuration": "volumeConfigurations",
        "volume_configuration.managed_ebs_volume.size_in_gb": "sizeInGiB",
        "volume_configuration.managed_ebs_volume.file_system_type": "filesystemType",
        "service_connect_configuration.service": "services",
        "service_connect_configuration.service.client_alias": "clientAliases",
        "vpc_lattice_configurations": "vpcLatticeConfigurations",
    },
    "aws_ecs_cluster": {
        "name": "clusterName",
        "setting": "settings",
        "configuration.execute_command_configuration.log_configuration.s3_bucket_encryption_enabled": (
            "s3EncryptionEnabled"
        ),
    },
    "aws_ecs_cluster_capacity_providers": {},
}
"""Terraform attribute (dotted, relative to the resource) -> ECS member path, where they differ."""

PROVIDER_ONLY: Final[frozenset[str]] = frozenset(
    {
        "id", "arn", "arn_without_revision", "revision", "tags_all", "skip_destroy", "track_latest",
        "wait_for_steady_state", "force_new_deployment", "force_delete", "triggers", "timeouts",
        "region", "cluster_name",
    }
)  # fmt: skip
"""Top-level attributes of the provider's own (no ECS member): never members, never reported."""

DEFAULTS: Final[Mapping[str, Any]] = {
    "enable_ecs_managed_tags": False,
    "enable_execute_command": False,
    "propagate_tags": "NONE",
    "health_check_grace_period_seconds": 0,
    "volume.configure_at_launch": False,
    "volume.efs_volume_configuration.transit_encryption_port": 0,
}
"""Attributes (dotted) the state holds even when unset, at ECS's own default: left out."""

_SERVICE_LINKED_ROLE = re.compile(r"(^|/)aws-service-role(/|$)")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_MODELS: Final[Mapping[str, type[BaseModel]]] = {
    "TaskDefinition": TaskDefinitionSpec,
    "ECSService": ECSServiceSpec,
    "ECSCluster": ECSClusterSpec,
}


@dataclass(frozen=True)
class TerraformIssue:
    """A problem at ``path`` (where it sits in the Terraform document)."""

    path: str
    message: str


class TerraformError(ValueError):
    """Resources that cannot be converted; ``issues`` lists every one."""

    def __init__(self, issues: list[TerraformIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"{i.path}: {i.message}" for i in issues))


@dataclass
class TerraformResource:
    """One custom resource: its kind, its spec in ECS's members (not yet validated: convert does
    that), and where each member came from (``origins``: ECS path -> document path)."""

    kind: str
    spec: dict[str, Any]
    address: str
    origins: dict[str, str] = field(default_factory=dict)

    def locate(self, path: str) -> str:
        """The document path of a spec path (a model issue's): its attribute, plus the rest."""
        return _origin(self.origins, path)


def is_terraform(data: Any) -> bool:
    """A state file (format 4) or ``terraform show -json`` / plan JSON output."""
    if not isinstance(data, Mapping):
        return False
    if data.get("version") == 4 and "terraform_version" in data and isinstance(data.get("resources"), list):
        return True
    return "format_version" in data and ("values" in data or "planned_values" in data)


def terraform_resources(data: Mapping[str, Any]) -> tuple[list[TerraformResource], list[str]]:
    """Every aws_ecs_* resource as a spec in ECS's members, and notes; TerraformError lists every
    attribute that has no ECS shape (the models' own rules are checked by convert, at ``locate``)."""
    issues: list[TerraformIssue] = []
    notes: list[str] = []
    found: list[TerraformResource] = []
    providers: list[tuple[str, str, Mapping[str, Any]]] = []
    for address, path, kind_type, attributes in _resources(data):
        if kind_type == "aws_ecs_cluster_capacity_providers":
            providers.append((address, path, attributes))
            continue
        resource = _resource(kind_type, address, path, attributes, issues, notes)
        if resource is not None:
            found.append(resource)
    for address, path, attributes in providers:
        _merge_capacity_providers(found, address, path, attributes, issues, notes)
    if issues:
        raise TerraformError(issues)
    return found, notes


# -- walking the document ----------------------------------------------------------------------


def _resources(data: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    """``(address, document path, type, attributes)`` of each managed aws_ecs_* resource instance."""
    if "format_version" in data:
        for top in ("values", "planned_values"):
            module = (data.get(top) or {}).get("root_module") if isinstance(data.get(top), Mapping) else None
            if isinstance(module, Mapping):
                yield from _module(module, f"{top}.root_module")
        return
    for index, resource in enumerate(data.get("resources") or ()):
        if not isinstance(resource, Mapping) or resource.get("mode", "managed") != "managed":
            continue
        kind_type = str(resource.get("type"))
        if kind_type not in KIND_OF:
            continue
        base = ".".join(p for p in (resource.get("module"), kind_type, resource.get("name")) if p)
        for number, instance in enumerate(resource.get("instances") or ()):
            if not isinstance(instance, Mapping) or not isinstance(instance.get("attributes"), Mapping):
                continue
            key = instance.get("index_key")
            address = base if key is None else f"{base}[{json.dumps(key)}]"
            yield address, f"resources[{index}].instances[{number}].attributes", kind_type, instance["attributes"]


def _module(module: Mapping[str, Any], path: str) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    for index, resource in enumerate(module.get("resources") or ()):
        if not isinstance(resource, Mapping) or resource.get("mode", "managed") != "managed":
            continue
        kind_type = str(resource.get("type"))
        if kind_type in KIND_OF and isinstance(resource.get("values"), Mapping):
            address = str(resource.get("address") or f"{kind_type}.{resource.get('name')}")
            yield address, f"{path}.resources[{index}].values", kind_type, resource["values"]
    for index, child in enumerate(module.get("child_modules") or ()):
        if isinstance(child, Mapping):
            yield from _module(child, f"{path}.child_modules[{index}]")


# -- one resource ------------------------------------------------------------------------------


def _resource(
    kind_type: str,
    address: str,
    path: str,
    attributes: Mapping[str, Any],
    issues: list[TerraformIssue],
    notes: list[str],
) -> TerraformResource | None:
    kind = KIND_OF[kind_type]
    attributes = _without_defaults(kind_type, attributes)
    resource = TerraformResource(kind, {}, address)
    before = len(issues)
    _members(
        _MODELS[kind], attributes, RENAMES[kind_type], "", path, "", resource.spec, resource.origins, issues, notes
    )
    if len(issues) > before:
        return None
    return resource


def _without_defaults(kind_type: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes the user set: Terraform's stored defaults and the service-linked role dropped."""
    kept = {k: v for k, v in attributes.items() if k not in PROVIDER_ONLY}
    if kind_type == "aws_ecs_service":
        if isinstance(kept.get("iam_role"), str) and _SERVICE_LINKED_ROLE.search(kept["iam_role"]):
            kept.pop("iam_role")  # ECS's service-linked role: what ECS uses when no role is given
        if kept.get("scheduling_strategy") == "DAEMON":
            kept.pop("desired_count", None)  # ECS places one task per instance; the state says 0
            kept.pop("deployment_maximum_percent", None)
        breaker = kept.get("deployment_circuit_breaker")
        if isinstance(breaker, list) and all(
            isinstance(b, Mapping) and not b.get("enable") and not b.get("rollback") for b in breaker
        ):
            kept.pop("deployment_circuit_breaker")  # both false: the state's way of saying none
    if kind_type == "aws_ecs_task_definition" and isinstance(kept.get("container_definitions"), str):
        kept["container_definitions"] = _container_definitions(kept["container_definitions"])
    return kept


def _container_definitions(text: str) -> Any:
    """The JSON string, parsed (an unparsable one stays a string and is reported by _members)."""
    try:
        return _pruned(json.loads(text))
    except json.JSONDecodeError:
        return text


def _members(
    model: type[BaseModel],
    attributes: Mapping[str, Any],
    renames: Mapping[str, str],
    tf_name: str,
    tf_path: str,
    ecs_path: str,
    out: dict[str, Any],
    origins: dict[str, str],
    issues: list[TerraformIssue],
    notes: list[str],
) -> None:
    """Copy one Terraform block into ``out`` (the ECS object of ``model``), member by member."""
    for key, value in attributes.items():
        dotted = f"{tf_name}.{key}" if tf_name else key
        if _empty(value) or (
            dotted in DEFAULTS and DEFAULTS[dotted] == value and type(value) is type(DEFAULTS[dotted])
        ):
            continue
        here = f"{tf_path}.{key}"
        target = renames.get(dotted) or _alias(model, key)
        if target is None:
            notes.append(f"{here}: ignored: not an ECS member")
            continue
        holder, holder_model, holder_path = out, model, ecs_path
        *parents, last = target.split(".")
        for part in parents:  # a flattened member (deployment_maximum_percent) lands in its object
            found = field_by_alias(holder_model, part)
            sub = model_in(found[1]) if found else None
            if sub is None:
                issues.append(TerraformIssue(here, f"has no ECS member {target!r}"))
                break
            holder = holder.setdefault(part, {})
            holder_model = sub
            holder_path = _join(holder_path, part)
        else:
            member_path = _join(holder_path, last)
            found = field_by_alias(holder_model, last)
            if found is None:
                notes.append(f"{here}: ignored: not an ECS member")
                continue
            converted = _value(dotted, key, value, found[1], renames, here, member_path, origins, issues, notes)
            if converted is not None:
                if isinstance(holder.get(last), dict) and isinstance(converted, dict):
                    converted = {**converted, **holder[last]}  # deployment_configuration beside deployment_*
                holder[last] = converted
                origins[member_path] = here


def _value(
    dotted: str,
    key: str,
    value: Any,
    annotation: Any,
    renames: Mapping[str, str],
    here: str,
    ecs_path: str,
    origins: dict[str, str],
    issues: list[TerraformIssue],
    notes: list[str],
) -> Any:
    """One attribute's value in ECS's shape: blocks become objects, maps become name/value lists."""
    if key == "container_definitions":
        if isinstance(value, str):
            issues.append(TerraformIssue(here, "must be a JSON array of container definitions"))
            return None
        return value
    sub = model_in(annotation)
    if sub is not None and isinstance(value, Mapping) and _is_list(annotation) and _is_pairs(sub):
        pairs = _pair_names(sub)  # tags = {k = v} -> [{key, value}]; properties -> [{name, value}]
        return [{pairs[0]: k, pairs[1]: v} for k, v in value.items()]
    if sub is None or _is_dict(annotation):
        if key == "assign_public_ip" and isinstance(value, bool):
            return "ENABLED" if value else "DISABLED"  # the provider's bool for ECS's ENABLED/DISABLED
        return value
    blocks = value if isinstance(value, list) else [value]
    converted: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        if not isinstance(block, Mapping):
            issues.append(TerraformIssue(f"{here}[{index}]", "must be a block (an object)"))
            continue
        item: dict[str, Any] = {}
        item_ecs = f"{ecs_path}[{index}]" if _is_list(annotation) else ecs_path
        item_tf = f"{here}[{index}]" if isinstance(value, list) else here
        _members(sub, block, renames, dotted, item_tf, item_ecs, item, origins, issues, notes)
        if item:
            converted.append(item)
            origins[item_ecs] = item_tf
    if not converted:
        return None
    if _is_list(annotation):
        return converted
    if len(converted) > 1:
        issues.append(TerraformIssue(here, f"must be one block, got {len(converted)}"))
    return converted[0]


def _merge_capacity_providers(
    found: list[TerraformResource],
    address: str,
    path: str,
    attributes: Mapping[str, Any],
    issues: list[TerraformIssue],
    notes: list[str],
) -> None:
    """aws_ecs_cluster_capacity_providers sets the capacity providers of a cluster defined elsewhere."""
    name = attributes.get("cluster_name")
    if not isinstance(name, str) or not name:
        issues.append(TerraformIssue(f"{path}.cluster_name", "is required"))
        return
    name = name.rsplit("/", 1)[-1]
    cluster = next((r for r in found if r.kind == "ECSCluster" and r.spec.get("clusterName") == name), None)
    if cluster is None:
        cluster = TerraformResource(
            "ECSCluster", {"clusterName": name}, address, {"clusterName": f"{path}.cluster_name"}
        )
        found.append(cluster)
    _members(
        ECSClusterSpec,
        {k: v for k, v in attributes.items() if k not in PROVIDER_ONLY},
        RENAMES["aws_ecs_cluster_capacity_providers"],
        "",
        path,
        "",
        cluster.spec,
        cluster.origins,
        issues,
        notes,
    )


# -- helpers -----------------------------------------------------------------------------------


def _origin(origins: Mapping[str, str], ecs_path: str) -> str:
    """The document path of a model issue: the longest member path it starts with, plus the rest."""
    starts = [c for c in origins if ecs_path == c or ecs_path.startswith((f"{c}.", f"{c}["))]
    if not starts:
        return ecs_path
    best = max(starts, key=len)
    rest = ecs_path[len(best) :]
    if "container_definitions" in origins[best]:
        return origins[best] + rest  # inside the JSON string, whose members are ECS's own
    return origins[best] + _CAMEL.sub(lambda m: "_" + m.group(1).lower(), rest)


def _alias(model: type[BaseModel], key: str) -> str | None:
    info = model.model_fields.get(key)
    if info is None:
        return None
    return info.alias or key


def _join(prefix: str, member: str) -> str:
    return f"{prefix}.{member}" if prefix else member


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, dict)) and not value)


def _pruned(value: Any) -> Any:
    """JSON without null or empty members (Terraform's normalised container definitions hold many)."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if not _empty(v)}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _strip(annotation: Any) -> Any:
    """The annotation without ``| None`` and ``Annotated``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(_strip(annotation)) in (list, tuple)


def _is_dict(annotation: Any) -> bool:
    return typing.get_origin(_strip(annotation)) is dict


def _pair_names(model: type[BaseModel]) -> tuple[str, str]:
    names = [info.alias or name for name, info in model.model_fields.items()]
    return names[0], names[1]


def _is_pairs(model: type[BaseModel]) -> bool:
    """Tag (key, value) and KeyValuePair (name, value): what Terraform writes as a map."""
    return _pair_names(model) in (("key", "value"), ("name", "value")) if len(model.model_fields) == 2 else False
