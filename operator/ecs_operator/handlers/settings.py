"""Operator-wide kopf settings, applied at start-up."""

from __future__ import annotations

import logging
import os
import random
from typing import Any

import kopf

from .runtime import kube


@kopf.on.login()
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """Log in from KUBECONFIG (or ~/.kube/config), else from the pod's service account."""
    if os.environ.get("KUBERNETES_SERVICE_HOST") and not os.environ.get("KUBECONFIG"):
        return kopf.login_with_service_account(**kwargs)
    return kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.execution.max_workers = int(os.environ.get("ECS_OPERATOR_WORKERS", "16"))
    settings.posting.level = logging.WARNING
    settings.persistence.finalizer = "ecs.operator.dev/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="ecs.operator.dev")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="ecs.operator.dev", key="last-handled-configuration"
    )
    # Reconnect watches regularly so an API server restart is noticed quickly.
    settings.watching.server_timeout = 60
    settings.watching.client_timeout = 90
    settings.watching.connect_timeout = 10
    settings.networking.request_timeout = 30
    _peering(settings)
    kube()  # connect early: a bad kubeconfig fails start-up, not the first reconcile


def _peering(settings: kopf.OperatorSettings) -> None:
    """Give each replica its own peering priority.

    kopf pauses every replica that sees a live peer of the same priority, itself included, so
    replicas started alike (one Deployment, `--peering NAME`) would all stand still. Unless
    ECS_OPERATOR_PEERING_PRIORITY says otherwise, each process draws a random priority: the
    highest acts, the others wait until its keep-alive expires (ECS_OPERATOR_PEERING_LIFETIME
    seconds, kopf's 60 by default, after it stops renewing it).
    """
    if settings.peering.standalone:
        return
    configured = os.environ.get("ECS_OPERATOR_PEERING_PRIORITY")
    if configured:
        settings.peering.priority = int(configured)
    elif settings.peering.priority == 0:
        settings.peering.priority = random.SystemRandom().randint(1, 2**31 - 1)
    lifetime = os.environ.get("ECS_OPERATOR_PEERING_LIFETIME")
    if lifetime:
        settings.peering.lifetime = int(lifetime)
    logging.getLogger("ecs_operator").info(
        "peering %r with priority %d", settings.peering.name, settings.peering.priority
    )
