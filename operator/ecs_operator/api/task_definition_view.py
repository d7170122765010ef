"""A TaskDefinition revision (a ControllerRevision) presented as ECS's ``TaskDefinition`` shape.

Pure: the revision object and ARNs in, the botocore ``TaskDefinition`` shape out
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html). The stored
spec is what the user wrote, so types are normalised through the same model that validated it:
container ``cpu`` / ``memory`` / ``memoryReservation`` are integers even when a manifest wrote
``"100"``, task-level ``cpu`` / ``memory`` are strings of CPU units and MiB (ECS answers
``"0.5 vCPU"`` as ``"512"``). A revision's state (ACTIVE, INACTIVE, DELETE_IN_PROGRESS) and its
tags are annotations on the ControllerRevision: deregistering or tagging never changes the spec,
so neither makes a new revision (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-definition-state.html).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..models import SpecError, TaskDefinitionSpec, parse_task_definition
from ..vocabulary import ANNOTATION_DEREGISTERED_AT, ANNOTATION_REVISION_STATUS, ANNOTATION_TAGS, LABEL_FAMILY
from .arns import Arns

__all__ = [
    "ACTIVE",
    "INACTIVE",
    "DELETE_IN_PROGRESS",
    "STATUSES",
    "compatibilities",
    "describe_revision",
    "epoch",
    "latest_active",
    "normalised_spec",
    "revision_family",
    "revision_number",
    "revision_status",
    "revision_tags",
    "tags_annotation",
]

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
STATUSES = (ACTIVE, INACTIVE, DELETE_IN_PROGRESS)

_CONTAINER_INTEGERS = ("cpu", "memory", "memoryReservation")

Obj = dict[str, Any]


def _meta(revision: Mapping[str, Any]) -> Mapping[str, Any]:
    return revision.get("metadata") or {}


def _annotations(revision: Mapping[str, Any]) -> Mapping[str, Any]:
    return _meta(revision).get("annotations") or {}


def revision_number(revision: Mapping[str, Any]) -> int:
    raw = revision.get("revision")
    return int(raw) if isinstance(raw, int) and not isinstance(raw, bool) else 0


def revision_family(revision: Mapping[str, Any]) -> str:
    spec = (revision.get("data") or {}).get("spec") or {}
    return str(((_meta(revision).get("labels") or {}).get(LABEL_FAMILY)) or spec.get("family") or "")


def revision_status(revision: Mapping[str, Any]) -> str:
    """ACTIVE unless DeregisterTaskDefinition / DeleteTaskDefinitions marked it."""
    raw = _annotations(revision).get(ANNOTATION_REVISION_STATUS)
    return str(raw) if raw in STATUSES else ACTIVE


def revision_tags(revision: Mapping[str, Any]) -> list[dict[str, str]]:
    """The revision's ECS tags: the annotation (API writes) else the spec's ``tags`` (a manifest)."""
    raw = _annotations(revision).get(ANNOTATION_TAGS)
    if raw is not None:
        try:
            found = json.loads(raw)
        except (TypeError, ValueError):
            found = []
    else:
        found = ((revision.get("data") or {}).get("spec") or {}).get("tags") or []
    out = []
    for tag in found if isinstance(found, list) else []:
        if isinstance(tag, Mapping) and isinstance(tag.get("key"), str):
            out.append({"key": tag["key"], "value": str(tag.get("value") or "")})
    return out


def tags_annotation(tags: Iterable[Mapping[str, Any]]) -> str:
    """The annotation value that stores ``tags`` on a revision (key order kept, as given)."""
    return json.dumps([{"key": str(t["key"]), "value": str(t.get("value") or "")} for t in tags])


def latest_active(revisions: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """What a bare family names in ECS: its highest ACTIVE revision."""
    active = [r for r in revisions if revision_status(r) == ACTIVE]
    return max(active, key=revision_number) if active else None


def epoch(stamp: object) -> float | None:
    """RFC 3339 (Kubernetes) -> epoch seconds, as AWS JSON 1.1 sends timestamps."""
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def compatibilities(spec: TaskDefinitionSpec) -> list[str]:
    """The launch types ECS finds the definition compatible with: EC2 always, what it requires,
    and FARGATE whenever it meets Fargate's rules (awsvpc, a Fargate task size, ...)."""
    found = {"EC2", *(spec.requires_compatibilities or ())}
    if "FARGATE" not in found and spec.network_mode == "awsvpc" and spec.cpu is not None and spec.memory is not None:
        as_fargate = spec.model_copy(update={"requires_compatibilities": ["FARGATE"]})
        if not list(as_fargate.all_problems()):
            found.add("FARGATE")
    order = ("EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES")
    return [c for c in order if c in found]


def normalised_spec(raw: Mapping[str, Any]) -> tuple[Obj, TaskDefinitionSpec | None]:
    """The stored spec with ECS's output types, and its model (None if it no longer validates)."""
    try:
        model = parse_task_definition(raw)
    except SpecError:
        return _coerced(raw), None
    out: Obj = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    if model.cpu is not None and model.cpu_units is not None:
        out["cpu"] = str(model.cpu_units)
    if model.memory is not None and model.memory_mib is not None:
        out["memory"] = str(model.memory_mib)
    out.pop("tags", None)  # tags are the response's own member, not the TaskDefinition's
    return out, model


def _coerced(raw: Mapping[str, Any]) -> Obj:
    """Best effort for a spec the current models refuse: the numeric container members as integers."""
    out = {k: v for k, v in raw.items() if k != "tags"}
    containers = []
    for container in raw.get("containerDefinitions") or []:
        item = dict(container) if isinstance(container, Mapping) else {}
        for member in _CONTAINER_INTEGERS:
            value = item.get(member)
            if isinstance(value, str):
                if value.strip().isdigit():
                    item[member] = int(value)
                else:
                    item.pop(member)
        containers.append(item)
    out["containerDefinitions"] = containers
    for member in ("cpu", "memory"):
        if member in out and not isinstance(out[member], str):
            out[member] = str(out[member])
    return out


def describe_revision(revision: Mapping[str, Any], arns: Arns, registered_by: str = "") -> Obj:
    """The botocore ``TaskDefinition`` of one revision."""
    raw = (revision.get("data") or {}).get("spec") or {}
    body, model = normalised_spec(raw)
    family = revision_family(revision)
    number = revision_number(revision)
    status = revision_status(revision)
    body["family"] = family
    body["taskDefinitionArn"] = arns.task_definition(family, number)
    body["revision"] = number
    body["status"] = status
    body["requiresAttributes"] = []
    body["compatibilities"] = compatibilities(model) if model is not None else ["EC2"]
    registered = epoch(_meta(revision).get("creationTimestamp"))
    if registered is not None:
        body["registeredAt"] = registered
    if status != ACTIVE:
        deregistered = epoch(_annotations(revision).get(ANNOTATION_DEREGISTERED_AT))
        if deregistered is not None:
            body["deregisteredAt"] = deregistered
    body["registeredBy"] = registered_by or f"arn:aws:iam::{arns.account}:root"
    return body
