"""Apply an ECSService's traffic objects and read back how many load-balancer targets are healthy.

The render side (:mod:`..render.traffic`, :mod:`..render.network`) decides the objects; here:

* add-on objects (TargetGroupBinding, SecurityGroupPolicy) are applied only when the cluster
  serves their API, else their warning goes to the service's status;
* a Service named by the user (a discovery or Service Connect name) that another ECSService
  already owns is left alone and reported, rather than taken over;
* objects a previous reconcile rendered and this one does not (an ingress removed from the
  spec) are deleted;
* ``status.loadBalancers`` counts the ready endpoints of the port Service's EndpointSlices
  (kept by the EndpointSlice controller), and EndpointSlice changes re-reconcile the service.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from ..render.traffic import TARGET_GROUP_BINDING_API, Traffic, load_balancer_status
from .applier import Applier
from .client import Kube
from .errors import NotFound

__all__ = ["TrafficApplier", "API_RECHECK_SECONDS"]

API_RECHECK_SECONDS = (300.0, 10.0)  # an API that is served / not served is asked about again after

_API_VERSIONS: Mapping[str, str] = {
    "Service": "v1",
    "Ingress": "networking.k8s.io/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "TargetGroupBinding": "elbv2.k8s.aws/v1beta1",
    "SecurityGroupPolicy": "vpcresources.k8s.aws/v1beta1",
}


class TrafficApplier:
    """Applies traffic objects; remembers which add-on APIs are served and which names are ours."""

    def __init__(self, kube: Kube, applier: Applier) -> None:
        self._kube = kube
        self._applier = applier
        self._lock = threading.Lock()
        self._apis: dict[tuple[str, str], tuple[bool, float]] = {}
        self._checked_names: set[tuple[str, str, str]] = set()  # (namespace, Service, owner uid) ours to apply

    def served(self, api_version: str, plural: str) -> bool:
        key = (api_version, plural)
        with self._lock:
            known = self._apis.get(key)
        if known is not None and time.monotonic() - known[1] < API_RECHECK_SECONDS[0 if known[0] else 1]:
            return known[0]
        served = self._kube.resource_exists(api_version, plural)
        with self._lock:
            self._apis[key] = (served, time.monotonic())
        return served

    def _taken_by_other(self, owner: Mapping[str, Any], obj: dict[str, Any]) -> str | None:
        """The ECSService that already owns a same-named object, if it is not ``owner``."""
        meta = obj["metadata"]
        uid = owner["metadata"]["uid"]
        key = (meta["namespace"], f"{obj['kind']}/{meta['name']}", uid)
        if key in self._checked_names:
            return None
        existing = self._kube.get_or_none(obj["apiVersion"], obj["kind"], meta["namespace"], meta["name"])
        if existing is not None:
            for ref in existing["metadata"].get("ownerReferences", []):
                if ref.get("controller") and ref.get("uid") != uid:
                    return f"{ref.get('kind')} {ref.get('name')}"
        self._checked_names.add(key)
        return None

    def waiting_for_api(self, traffic: Traffic) -> float | None:
        """When an add-on API (e.g. TargetGroupBinding) is missing, when to look again: installing
        the AWS controller later must take effect without a change to the service."""
        missing = any(not self.served(optional.api_version, optional.plural) for optional in traffic.optional)
        return API_RECHECK_SECONDS[1] + 0.5 if missing else None

    def apply_traffic(self, owner: dict[str, Any], traffic: Traffic) -> list[str]:
        """Apply the traffic objects (add-on ones when their API is served); return warnings."""
        warnings: list[str] = []
        for obj in traffic.objects:
            if obj["kind"] == "Service":  # names come from users (discovery, Service Connect): may clash
                other = self._taken_by_other(owner, obj)
                if other is not None:
                    warnings.append(f"Service {obj['metadata']['name']} belongs to {other}; not changed")
                    continue
            self._applier.apply(owner, obj)
        for optional in traffic.optional:
            if self.served(optional.api_version, optional.plural):
                self._applier.apply(owner, optional.object)
            else:
                warnings.append(f"{optional.missing.path}: {optional.missing.reason}")
        return warnings

    def prune_traffic(self, owner: Mapping[str, Any], keep: list[str], previous: list[str] | None) -> None:
        """Delete traffic objects rendered before (``previous``, ``Kind/name``) and not now."""
        if not previous:
            return
        namespace = owner["metadata"]["namespace"]
        client = self._kube
        for item in sorted(set(previous) - set(keep)):
            kind, _, name = item.partition("/")
            api_version = _API_VERSIONS.get(kind)
            if api_version is None:
                continue
            try:
                existing = client.get(api_version, kind, namespace, name)
            except (NotFound, KeyError):
                continue
            if any(r.get("uid") == owner["metadata"]["uid"] for r in existing["metadata"].get("ownerReferences", [])):
                client.delete(api_version, kind, namespace, name, uid=existing["metadata"]["uid"])

    def load_balancer_health(self, owner: Mapping[str, Any], traffic: Traffic) -> list[dict[str, Any]] | None:
        """``status.loadBalancers`` from the port Service's EndpointSlices (None without load balancers)."""
        if not traffic.targets:
            return None
        services = sorted({t.service for t in traffic.targets if t.service})
        slices: list[dict[str, Any]] = []
        for service in services:
            slices += self._kube.list(
                "discovery.k8s.io/v1",
                "EndpointSlice",
                owner["metadata"]["namespace"],
                labels={"kubernetes.io/service-name": service},
            )
        status = load_balancer_status(traffic.targets, slices)
        if any("targetGroupBinding" in entry for entry in status) and not self.served(*TARGET_GROUP_BINDING_API):
            for entry in status:
                entry.pop("targetGroupBinding", None)  # reported in warnings instead
        return status
