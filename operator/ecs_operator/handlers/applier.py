"""Server-side apply that skips requests which would change nothing, and notices drift.

Re-applying an unchanged manifest is a no-op for etcd but still an API request; at
hundreds of services that is most of the operator's traffic. We remember, per owned
object, the digest of what we applied and the generation the server answered with.
A watch on owned objects (below) forgets that memory when someone else changes or
deletes the object, and re-reconciles its owner, so drift is repaired within seconds.
"""

from __future__ import annotations

import threading
from typing import Any

import kopf

from ..render.meta import MANAGED_BY
from ..render.revision import spec_digest
from .runtime import kube

__all__ = ["applier", "Applier"]

ObjKey = tuple[str, str, str]  # (kind, namespace, name)


class Applier:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # digest of what we applied, the server's version of it, and the owner's name
        self._applied: dict[ObjKey, tuple[str, str, str]] = {}

    def apply(self, owner: dict[str, Any], obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        key = (obj["kind"], meta.get("namespace", ""), meta["name"])
        digest = spec_digest(obj)
        with self._lock:
            known = self._applied.get(key)
        if known is not None and known[0] == digest:
            return
        result = kube().apply(obj)
        with self._lock:
            self._applied[key] = (digest, _version(result), owner["metadata"]["name"])

    def observed(self, kind: str, namespace: str, name: str, body: dict[str, Any], deleted: bool) -> str | None:
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


def _version(obj: dict[str, Any]) -> str:
    """What changes when someone edits the object: generation, else (Services) resourceVersion."""
    meta = obj.get("metadata", {})
    generation = meta.get("generation")
    return f"g{generation}" if generation is not None else f"r{meta.get('resourceVersion')}"


applier = Applier()

_OWNED = {
    "Deployment": ("apps", "v1", "deployments"),
    "DaemonSet": ("apps", "v1", "daemonsets"),
    "Service": ("", "v1", "services"),
    "CronJob": ("batch", "v1", "cronjobs"),
    "HorizontalPodAutoscaler": ("autoscaling", "v2", "horizontalpodautoscalers"),
}


def _register_drift_watch(kind: str, group: str, version: str, plural: str) -> None:
    @kopf.on.event(
        group, version, plural, id=f"drift-{kind.lower()}", labels={"app.kubernetes.io/managed-by": MANAGED_BY}
    )
    async def owned_object_event(event: dict[str, Any], body: kopf.Body, namespace: str, name: str, **_: Any) -> None:
        deleted = event.get("type") == "DELETED"
        owner = applier.observed(kind, namespace, name, dict(body), deleted)
        if owner is not None:
            for ref in body.get("metadata", {}).get("ownerReferences", []):
                if ref.get("kind") == "ECSService":
                    from .services import services

                    services.later(namespace, ref["name"], 0)
                elif ref.get("kind") == "ECSTask":
                    from .tasks import tasks

                    tasks.later(namespace, ref["name"], 0)


for _owned_kind, _api in _OWNED.items():
    _register_drift_watch(_owned_kind, *_api)
