"""Labels, annotations and owner references every rendered child carries.

Children are found again by these labels (never by listing everything), and garbage
collection follows the owner references, so both must be deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..vocabulary import (
    API_VERSION,
    GROUP,
    LABEL_CLUSTER,
    LABEL_COMPONENT,
    LABEL_FAMILY,
    LABEL_MANAGED_BY,
    LABEL_NAME,
    LABEL_PART_OF,
    LABEL_PROVIDER,
    LABEL_REVISION,
    LABEL_SERVICE,
    LABEL_TASK,
    LABEL_TASK_DEFINITION,
    MANAGED_BY,
)

__all__ = [
    "GROUP",
    "API_VERSION",
    "MANAGED_BY",
    "LABEL_SERVICE",
    "LABEL_TASK",
    "LABEL_CLUSTER",
    "LABEL_FAMILY",
    "LABEL_REVISION",
    "LABEL_TASK_DEFINITION",
    "LABEL_PROVIDER",
    "owner_reference",
    "standard_labels",
]


def owner_reference(owner: Mapping[str, Any], *, controller: bool = True) -> dict[str, Any]:
    """An ownerReference to a custom resource body (apiVersion, kind, metadata.name/uid)."""
    meta = owner["metadata"]
    return {
        "apiVersion": owner.get("apiVersion", API_VERSION),
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def standard_labels(name: str, component: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """app.kubernetes.io/* labels plus ecs.operator.dev/* ones given in `extra`."""
    labels = {
        LABEL_NAME: name,
        LABEL_COMPONENT: component,
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_PART_OF: MANAGED_BY,
    }
    labels.update(extra or {})
    return labels
