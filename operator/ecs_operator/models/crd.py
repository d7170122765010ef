"""The four CustomResourceDefinitions, generated from the models.

One CRD per kind, group ``ecs.operator.dev``, version ``v1alpha1``, namespaced, all in category
``ecs`` so ``kubectl get ecs`` lists everything. The spec schema comes from the model
(:mod:`.structural`), the status schema declares the members printer columns read and keeps
the rest open, and printer columns make ``kubectl get`` read like ``aws ecs list-*``.
Generation is pure and deterministic; :func:`write_crds` is the only function that writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from ..vocabulary import GROUP, VERSION
from .base import ECSModel
from .cel import CEL_RULES
from .cluster import ECSClusterSpec
from .service import ECSServiceSpec
from .structural import structural_schema
from .task import ECSTaskSpec
from .task_definition import READ_ONLY_MEMBERS, TaskDefinitionSpec

__all__ = ["CATEGORY", "GROUP", "KINDS", "Kind", "VERSION", "build_crds", "render_crd", "write_crds"]

CATEGORY: Final = "ecs"
_HEADER = "# Generated from ecs_operator.models by `ecs-operator crds`; do not edit.\n"

Schema = dict[str, Any]


def _column(name: str, path: str, kind: str = "string", priority: int = 0, description: str = "") -> Schema:
    column: Schema = {"name": name, "type": kind, "jsonPath": path}
    if description:
        column["description"] = description
    if priority:
        column["priority"] = priority
    return column


_AGE = _column("Age", ".metadata.creationTimestamp", "date")
_CONDITIONS: Schema = {
    "type": "array",
    "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    "description": "Ready, Progressing and Degraded, Kubernetes style.",
}


@dataclass(frozen=True)
class Kind:
    """One custom resource: its names, spec model, declared status members and columns."""

    kind: str
    plural: str
    short_name: str
    spec: type[ECSModel]
    description: str
    status: dict[str, Schema]
    columns: tuple[Schema, ...]
    scale: bool = False
    spec_extras: dict[str, Schema] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.plural}.{GROUP}"


_READ_ONLY: dict[str, Schema] = {
    member: {"description": "Read-only in ECS (describe-task-definition output); ignored.",
             "x-kubernetes-preserve-unknown-fields": True}
    for member in READ_ONLY_MEMBERS
}  # fmt: skip

KINDS: Final[tuple[Kind, ...]] = (
    Kind(
        kind="ECSCluster",
        plural="ecsclusters",
        short_name="ecsc",
        spec=ECSClusterSpec,
        description="An ECS cluster: groups services and tasks; its capacity providers are kinds of nodes.",
        status={
            "status": {"type": "string"},
            "registeredContainerInstancesCount": {"type": "integer"},
            "runningTasksCount": {"type": "integer"},
            "pendingTasksCount": {"type": "integer"},
            "activeServicesCount": {"type": "integer"},
        },
        columns=(
            _column("Status", ".status.status"),
            _column(
                "Instances",
                ".status.registeredContainerInstancesCount",
                "integer",
                description="Nodes of the cluster's capacity providers",
            ),
            _column("Services", ".status.activeServicesCount", "integer"),
            _column("Running", ".status.runningTasksCount", "integer"),
            _column("Pending", ".status.pendingTasksCount", "integer"),
            _AGE,
        ),
    ),
    Kind(
        kind="TaskDefinition",
        plural="taskdefinitions",
        short_name="td",
        spec=TaskDefinitionSpec,
        description="An ECS task definition family; every spec change registers a new immutable revision.",
        status={
            "revision": {"type": "integer"},
            "status": {"type": "string"},
            "taskDefinitionArn": {"type": "string"},
        },
        columns=(
            _column("Family", ".spec.family"),
            _column("Revision", ".status.revision", "integer"),
            _column("Status", ".status.status"),
            _AGE,
        ),
        spec_extras=_READ_ONLY,
    ),
    Kind(
        kind="ECSService",
        plural="ecsservices",
        short_name="ecss",
        spec=ECSServiceSpec,
        description="An ECS service: keeps desiredCount tasks of a task definition running, with rolling updates.",
        status={
            "desiredCount": {"type": "integer"},
            "runningCount": {"type": "integer"},
            "pendingCount": {"type": "integer"},
            "taskDefinition": {"type": "string"},
            "selector": {"type": "string", "description": "Label selector of the service's pods (scale subresource)."},
            "deployments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"rolloutState": {"type": "string"}},
                    "x-kubernetes-preserve-unknown-fields": True,
                },
            },
        },
        columns=(
            _column("Cluster", ".spec.cluster"),
            _column("TaskDefinition", ".spec.taskDefinition"),
            _column("Desired", ".status.desiredCount", "integer"),
            _column("Running", ".status.runningCount", "integer"),
            _column("Pending", ".status.pendingCount", "integer"),
            _column("Rollout", ".status.deployments[0].rolloutState"),
            _AGE,
        ),
        scale=True,
    ),
    Kind(
        kind="ECSTask",
        plural="ecstasks",
        short_name="ecst",
        spec=ECSTaskSpec,
        description="A standalone ECS task (RunTask), optionally on a schedule.",
        status={
            "lastStatus": {"type": "string"},
            "desiredStatus": {"type": "string"},
            "stopCode": {"type": "string"},
            "stoppedReason": {"type": "string"},
            "taskDefinition": {"type": "string"},
        },
        columns=(
            _column("Cluster", ".spec.cluster"),
            _column("TaskDefinition", ".spec.taskDefinition"),
            _column("LastStatus", ".status.lastStatus"),
            _column("DesiredStatus", ".status.desiredStatus"),
            _column("StopCode", ".status.stopCode"),
            _column("Reason", ".status.stoppedReason", priority=1),
            _AGE,
        ),
    ),
)


def build_crds() -> dict[str, Schema]:
    """``<plural>.yaml`` -> CRD object, for every kind."""
    return {f"{kind.plural}.yaml": _crd(kind) for kind in KINDS}


def render_crd(crd: Schema) -> str:
    """The YAML text written for one CRD (stable key order, no line wrapping)."""
    body: str = yaml.safe_dump(crd, sort_keys=False, default_flow_style=False, width=100000, allow_unicode=True)
    return _HEADER + body


def render_kustomization() -> str:
    """crds/kustomization.yaml, so `kubectl apply -k deploy/` can include the CRDs."""
    lines = ["# Generated by `make crds`; do not edit.", "resources:"]
    lines += [f"  - {filename}" for filename in sorted(build_crds())]
    return "\n".join(lines) + "\n"


def write_crds(directory: Path) -> list[Path]:
    """Write every CRD to ``directory/<plural>.yaml`` plus a kustomization; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, crd in build_crds().items():
        path = directory / filename
        path.write_text(render_crd(crd), encoding="utf-8")
        written.append(path)
    kustomization = directory / "kustomization.yaml"
    kustomization.write_text(render_kustomization(), encoding="utf-8")
    written.append(kustomization)
    return written


def _crd(kind: Kind) -> Schema:
    version: Schema = {
        "name": VERSION,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": _root_schema(kind)},
        "subresources": {"status": {}},
        "additionalPrinterColumns": list(kind.columns),
    }
    if kind.scale:
        version["subresources"]["scale"] = {
            "specReplicasPath": ".spec.desiredCount",
            "statusReplicasPath": ".status.runningCount",
            "labelSelectorPath": ".status.selector",
        }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": kind.name},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind.kind,
                "listKind": f"{kind.kind}List",
                "plural": kind.plural,
                "singular": kind.kind.lower(),
                "shortNames": [kind.short_name],
                "categories": [CATEGORY],
            },
            "scope": "Namespaced",
            "versions": [version],
        },
    }


def _root_schema(kind: Kind) -> Schema:
    spec = structural_schema(kind.spec, CEL_RULES)
    if kind.spec_extras:
        spec["properties"] = {**spec["properties"], **kind.spec_extras}
    status: Schema = {
        "type": "object",
        "properties": {
            **kind.status,
            "observedGeneration": {"type": "integer", "format": "int64"},
            "conditions": _CONDITIONS,
        },
        "x-kubernetes-preserve-unknown-fields": True,
    }
    return {
        "description": kind.description,
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
    }
