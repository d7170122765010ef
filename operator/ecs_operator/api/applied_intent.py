"""What one server-side-apply field manager last stated about an object, read back from managedFields.

An apply states a manager's whole intent: a field it owned and leaves out is removed
(https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management). UpdateService
changes a few members and may set an annotation (forceNewDeployment), so the API re-states what
``ecs-api`` already owns in metadata and spec (from ``fieldsV1``) with the object's current
values, plus what the call changes; fields kubectl owns are left out and stay kubectl's.
(field_owners.py does the same for spec members only; annotations need this walk.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["owned_intent"]


def owned_intent(obj: Mapping[str, Any], manager: str) -> dict[str, Any]:
    """The values of ``obj`` under the fields ``manager`` owns through Apply (metadata and spec)."""
    out: dict[str, Any] = {}
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") != manager or entry.get("operation") != "Apply" or entry.get("subresource"):
            continue
        fields = entry.get("fieldsV1") or {}
        for top in ("metadata", "spec"):
            owned = fields.get(f"f:{top}")
            value = obj.get(top)
            if isinstance(owned, Mapping) and isinstance(value, Mapping):
                picked = _pick(value, owned)
                if picked:
                    out.setdefault(top, {}).update(picked)
    meta = out.get("metadata") or {}
    for key in ("name", "namespace", "uid", "resourceVersion", "managedFields", "generation"):
        meta.pop(key, None)
    return out


def _pick(value: Mapping[str, Any], owned: Mapping[str, Any]) -> dict[str, Any]:
    picked: dict[str, Any] = {}
    for key, below in owned.items():
        if not key.startswith("f:"):
            continue  # "." (the map itself), k:/v:/i: list elements: lists are taken whole
        name = key[2:]
        if name not in value:
            continue
        child = value[name]
        nested = {k: v for k, v in below.items() if k != "."} if isinstance(below, Mapping) else {}
        if isinstance(child, Mapping) and nested and all(k.startswith("f:") for k in nested):
            picked[name] = _pick(child, nested)
        else:
            picked[name] = child
    return picked
