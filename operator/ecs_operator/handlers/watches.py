"""Watches that only wake a reconcile: drift of owned objects, load-balancer targets, awaited Secrets.

Each is ``async`` and does no I/O: it runs on kopf's event loop without a trip through its
thread pool, which matters at thousands of events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kopf

from ..kube.applier import OWNED_KINDS
from ..vocabulary import KIND_SERVICE, KIND_TASK, LABEL_MANAGED_BY, LABEL_SERVICE, MANAGED_BY
from .context import context_of, namespaced

__all__ = ["register"]

ENDPOINT_EVENT_DELAY = 0.2
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def _drift_handler(kind: str) -> Any:
    async def owned_object_event(
        event: kopf.RawEvent, body: kopf.Body, namespace: str | None, name: str, memo: kopf.Memo, **_: Any
    ) -> None:
        """An object we applied changed: when someone else changed it, re-reconcile its owner."""
        namespace = namespaced(namespace)
        ctx = context_of(memo)
        if kind == "Deployment":
            ctx.caches.deployments.observe(event.get("type"), body)
        if ctx.applier.observed(kind, namespace, name, dict(body), event.get("type") == "DELETED") is None:
            return
        for ref in body.get("metadata", {}).get("ownerReferences", []):
            if ref.get("kind") in (KIND_SERVICE, KIND_TASK):
                ctx.wake(ref["kind"], namespace, ref["name"])

    return owned_object_event


async def endpoints_changed(namespace: str | None, labels: Mapping[str, str], memo: kopf.Memo, **_: Any) -> None:
    """The EndpointSlice controller moved a target in or out: recount the service's targets."""
    namespace = namespaced(namespace)
    if labels.get(SERVICE_NAME_LABEL) != labels[LABEL_SERVICE]:
        return  # only the port Service's endpoints are load-balancer targets
    context_of(memo).services.later(namespace, labels[LABEL_SERVICE], ENDPOINT_EVENT_DELAY)


def _awaited(kind: str) -> Any:
    def when(namespace: str | None, name: str, memo: kopf.Memo, **_: Any) -> bool:
        namespace = namespaced(namespace)
        return context_of(memo).dependencies.is_awaited(kind, namespace, name)

    def handler(event: kopf.RawEvent, namespace: str | None, name: str, memo: kopf.Memo, **_: Any) -> None:
        """A Secret/ConfigMap some task waits for was created or changed: reconcile its owners now."""
        namespace = namespaced(namespace)
        context_of(memo).dependencies.resource_event(kind, event.get("type"), namespace, name)

    return when, handler


def register(registry: kopf.OperatorRegistry) -> None:
    for kind, (group, version, plural) in OWNED_KINDS.items():
        kopf.on.event(
            group, version, plural, id=f"drift-{kind.lower()}", labels={LABEL_MANAGED_BY: MANAGED_BY}, registry=registry
        )(_drift_handler(kind))
    kopf.on.event(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        id="service-endpoints",
        labels={LABEL_SERVICE: kopf.PRESENT, LABEL_MANAGED_BY: MANAGED_BY},
        registry=registry,
    )(endpoints_changed)
    for kind, plural in (("Secret", "secrets"), ("ConfigMap", "configmaps")):
        when, handler = _awaited(kind)
        kopf.on.event("", "v1", plural, id=f"awaited-{kind.lower()}", when=when, registry=registry)(handler)
