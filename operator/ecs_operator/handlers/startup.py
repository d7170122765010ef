"""Operator-wide kopf settings and log-in, applied at start-up from the typed Settings."""

from __future__ import annotations

import logging
import random
from typing import Any

import kopf

from ..vocabulary import FINALIZER, GROUP
from . import admission
from .context import context_of

__all__ = ["register"]

log = logging.getLogger("ecs_operator")


def login(memo: kopf.Memo, **kwargs: Any) -> kopf.ConnectionInfo | None:
    """Log in from KUBECONFIG (or ~/.kube/config), else from the pod's service account."""
    settings = context_of(memo).settings
    if settings.in_cluster and not settings.kubeconfig:
        return kopf.login_with_service_account(**kwargs)
    return kopf.login_with_kubeconfig(**kwargs)


def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    ours = context_of(memo).settings
    settings.execution.max_workers = ours.kopf_workers
    settings.posting.level = logging.WARNING
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    # Reconnect watches regularly so an API server restart is noticed quickly.
    settings.watching.server_timeout = 60
    settings.watching.client_timeout = 90
    settings.watching.connect_timeout = 10
    settings.networking.request_timeout = 30
    _peering(settings, ours.peering_priority, ours.peering_lifetime)
    admission.configure(settings, ours)


def _peering(settings: kopf.OperatorSettings, priority: int | None, lifetime: int | None) -> None:
    """Give each replica its own peering priority.

    kopf pauses every replica that sees a live peer of the same priority, itself included, so
    replicas started alike (one Deployment, `--peering NAME`) would all stand still. Unless
    ECS_OPERATOR_PEERING_PRIORITY says otherwise, each process draws a random priority: the
    highest acts, the others wait until its keep-alive expires (ECS_OPERATOR_PEERING_LIFETIME
    seconds, kopf's 60 by default, after it stops renewing it).
    """
    if settings.peering.standalone:
        return
    if priority is not None:
        settings.peering.priority = priority
    elif settings.peering.priority == 0:
        settings.peering.priority = random.SystemRandom().randint(1, 2**31 - 1)
    if lifetime is not None:
        settings.peering.lifetime = lifetime
    log.info("peering %r with priority %d", settings.peering.name, settings.peering.priority)


def shutdown(memo: kopf.Memo, **_: Any) -> None:
    """Drop deferred work: a stopping operator must not act after kopf has stopped."""
    context_of(memo).stop()


def register(registry: kopf.OperatorRegistry) -> None:
    kopf.on.login(registry=registry)(login)
    kopf.on.startup(registry=registry)(configure)
    kopf.on.cleanup(registry=registry)(shutdown)
