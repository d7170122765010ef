"""kopf wiring: thin handlers that observe, call a plan function, and hand the Plan to the executor.

:func:`build_registry` registers every handler on a fresh kopf registry (nothing is registered
at import); the :class:`OperatorContext` reaches handlers through kopf's ``memo``.

Event handlers that only update a cache or schedule a reconcile are ``async``: they run on
kopf's event loop without a trip through its thread pool, which matters at thousands of
pod events. Handlers that call the API are plain functions and run in kopf's executor.
"""

from __future__ import annotations

import kopf

from ..health import resource_key
from ..kube import Kube
from ..metrics import Metrics
from ..settings import Settings
from ..vocabulary import KIND_CLUSTER, KIND_SERVICE, KIND_TASK, KIND_TASK_DEFINITION
from . import admission, clusters, services, startup, taskdefinitions, tasks, watches
from .context import OperatorContext, context_of

__all__ = ["OperatorContext", "build_registry", "context_of", "create_context", "watched_resources"]


def build_registry(*, admission_webhook: bool = False) -> kopf.OperatorRegistry:
    """Every handler; the validating webhook's only when it is served (kopf refuses to start
    with admission handlers and no webhook server)."""
    registry = kopf.OperatorRegistry()
    for module in (startup, taskdefinitions, services, tasks, clusters, watches):
        module.register(registry)
    if admission_webhook:
        admission.register(registry)
    return registry


def watched_resources(registry: kopf.OperatorRegistry) -> frozenset[str]:
    """The resources kopf will watch for ``registry`` (health's keys: ``v1/pods``, ``<group>/<version>/<plural>``).

    The handler kinds kopf itself watches for (``kopf._core.reactor.observation.revise_resources``):
    indexes, event, change and daemon/timer handlers; webhooks and activities open no watch.
    kopf reads a positional third name (``kopf.on.event("batch", "v1", "jobs")``) as any of plural,
    kind or short name, resolved by discovery at start-up; ours are plurals, as URLs spell them
    (a unit test pins the set), so a kind there would keep the operator unready, never unwatched.
    """
    selectors = (
        registry._indexing.get_all_selectors()
        | registry._watching.get_all_selectors()
        | registry._spawning.get_all_selectors()
        | registry._changing.get_all_selectors()
    )
    resources = set()
    for selector in selectors:
        plural = selector.plural or (selector.any_name if isinstance(selector.any_name, str) else None)
        if selector.version is None or plural is None:
            raise ValueError(f"a handler's resource is not spelled group, version, plural: {selector}")
        resources.add(resource_key(selector.group, selector.version, plural))
    return frozenset(resources)


def create_context(settings: Settings, kube: Kube | None = None, metrics: Metrics | None = None) -> OperatorContext:
    """The operator context, with a work queue per kind, each running that kind's reconcile."""
    ctx = OperatorContext.create(settings, kube, metrics)
    ctx.add_queue(KIND_SERVICE, services.reconcile_service)
    ctx.add_queue(KIND_TASK, tasks.reconcile_task)
    ctx.add_queue(KIND_CLUSTER, clusters.reconcile_cluster)
    ctx.add_queue(KIND_TASK_DEFINITION, taskdefinitions.reconcile_task_definition)
    return ctx
