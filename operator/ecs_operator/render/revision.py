"""TaskDefinition revisions as ControllerRevisions.

ECS revisions are immutable and numbered per family. We keep each one as a
ControllerRevision owned by the TaskDefinition: the data is the canonical spec, so
"did the spec change?" is a comparison of canonical JSON, and `family:N` can be
resolved long after the TaskDefinition's spec moved on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..vocabulary import LABEL_FAMILY, LABEL_REVISION, LABEL_TASK_DEFINITION, prefixed
from .meta import owner_reference, standard_labels

__all__ = ["canonical_json", "spec_digest", "revision_name", "build_controller_revision", "parse_reference"]


def canonical_json(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def spec_digest(data: object) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()[:16]


def revision_name(task_definition: str, revision: int) -> str:
    return f"{task_definition}-{revision}"


def build_controller_revision(
    owner: Mapping[str, Any], family: str, revision: int, spec: Mapping[str, Any]
) -> dict[str, Any]:
    name = owner["metadata"]["name"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": revision_name(name, revision),
            "namespace": owner["metadata"]["namespace"],
            "labels": standard_labels(
                family,
                "task-definition-revision",
                {
                    LABEL_TASK_DEFINITION: name,
                    LABEL_FAMILY: family,
                    LABEL_REVISION: str(revision),
                },
            ),
            "annotations": {prefixed("digest"): spec_digest(spec)},
            "ownerReferences": [owner_reference(owner)],
        },
        "revision": revision,
        "data": {"spec": dict(spec)},
    }


def parse_reference(reference: str) -> tuple[str, int | None]:
    """`family`, `family:N` or a task-definition ARN -> (family, N or None for latest)."""
    ref = reference.strip()
    if ref.startswith("arn:"):
        ref = ref.split(":task-definition/", 1)[-1]
    family, sep, rev = ref.partition(":")
    if not sep:
        return family, None
    if not rev.isdigit() or int(rev) < 1:
        raise ValueError(f"taskDefinition {reference!r}: revision must be a positive integer")
    return family, int(rev)
