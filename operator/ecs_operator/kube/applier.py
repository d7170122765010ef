"""Server-side apply that skips requests which would change nothing, and notices drift.

Re-applying an unchanged manifest is a no-op for etcd but still an API request; at
hundreds of services that is most of the operator's traffic. We remember, per owned
object, the digest of what we applied and the generation the server answered with.
A watch on owned objects (handlers/drift.py) tells :meth:`Applier.observed` about every
change; when someone else changed or deleted the object the memory is dropped and the
owner is named, so it is re-reconciled and the drift repaired within seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..render.revision import spec_digest
from .client import Kube

__all__ = ["Applier", "OWNED_KINDS"]

ObjKey = tuple[str, str, str]  # (kind, namespace, name)

OWNED_KINDS: Mapping[str, tuple[str, str, str]] = {
    "Deployment": ("apps", "v1", "deployments"),
    "DaemonSet": ("apps", "v1", "daemonsets"),
    "Service": ("", "v1", "services"),
    "CronJob": ("batch", "v1", "cronjobs"),
    "HorizontalPodAutoscaler": ("autoscaling", "v2", "horizontalpodautoscalers"),
    "Ingress": ("networking.k8s.io", "v1", "ingresses"),
    "NetworkPolicy": ("networking.k8s.io", "v1", "networkpolicies"),
}
"""Kinds the operator applies and watches for drift: kind -> (group, version, plural)."""


class Applier:
    def __init__(self, kube: Kube) -> None:
        self._kube = kube
        self._lock = threading.Lock()
        # digest of what we applied, the server's version of it, and the owner's name
        self._applied: dict[ObjKey, tuple[str, str, str]] = {}

    def apply(self, owner: Mapping[str, Any], obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        key = (obj["kind"], meta.get("namespace", ""), meta["name"])
        digest = spec_digest(obj)
        with self._lock:
            known = self._applied.get(key)
        if known is not None and known[0] == digest:
            return
        result = self._kube.apply(obj)
        with self._lock:
            self._applied[key] = (digest, _version(result), owner["metadata"]["name"])

    def observed(self, kind: str, namespace: str, name: str, body: Mapping[str, Any], deleted: bool) -> str | None:
        """An owned object changed; return its owner's name when it is no longer what we applied."""
        key = (kind, namespace, name)
        with self._lock:
            known = self._applied.get(key)
            if known is None:
                return None
            if deleted or _version(body) != known[1]:
                del self._applied[key]
                return known[2]
        return None

    def forget_owner(self, namespace: str, owner: str) -> None:
        with self._lock:
            for key in [k for k, v in self._applied.items() if k[1] == namespace and v[2] == owner]:
                del self._applied[key]


def _version(obj: Mapping[str, Any]) -> str:
    """What changes when someone edits the object: generation, else (Services) resourceVersion."""
    meta = obj.get("metadata", {})
    generation = meta.get("generation")
    return f"g{generation}" if generation is not None else f"r{meta.get('resourceVersion')}"
