"""Labels, annotations and owner references every rendered child carries.

Children are found again by these labels (never by listing everything), and garbage
collection follows the owner references, so both must be deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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

GROUP = "ecs.operator.dev"
API_VERSION = f"{GROUP}/v1alpha1"
MANAGED_BY = "ecs-operator"

LABEL_SERVICE = f"{GROUP}/service"
LABEL_TASK = f"{GROUP}/task"
LABEL_CLUSTER = f"{GROUP}/cluster"
LABEL_FAMILY = f"{GROUP}/family"
LABEL_REVISION = f"{GROUP}/revision"
LABEL_TASK_DEFINITION = f"{GROUP}/task-definition"
LABEL_PROVIDER = f"{GROUP}/capacity-provider"


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
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": "ecs-operator",
    }
    labels.update(extra or {})
    return labels
