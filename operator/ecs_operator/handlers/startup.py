"""Operator-wide kopf settings and log-in, applied at start-up from the typed Settings."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from ..vocabulary import GROUP
from . import admission
from .context import context_of
from .session import fence_middleware, health_middleware, operator_session

__all__ = ["register"]

KOPF_FINALIZER = f"{GROUP}/kopf-unused"
SHUTDOWN_GRACE_SECONDS = 5.0  # well inside a pod's terminationGracePeriodSeconds (30 s by default)


async def login(memo: kopf.Memo, **kwargs: Any) -> kopf.AiohttpSession | None:
    """Log in from KUBECONFIG (or ~/.kube/config), else from the pod's service account.

    kopf gets a session of ours: its watches tell the health probes they turn, and under leader
    election its writes are fenced by the lease, as the operator's own are.
    """
    ctx = context_of(memo)
    if ctx.settings.in_cluster and not ctx.settings.kubeconfig:
        info = kopf.login_with_service_account(**kwargs)
    else:
        info = kopf.login_with_kubeconfig(**kwargs)
    if info is None:
        return None
    middlewares = [health_middleware(ctx.health)]
    if ctx.shards is None:
        return operator_session(info, middlewares=middlewares)
    middlewares.append(fence_middleware(ctx.shards.may_write_namespaced))
    return operator_session(info, identity=ctx.shards.identity, middlewares=middlewares)


def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    ours = context_of(memo).settings
    settings.execution.max_workers = ours.kopf_workers
    settings.posting.level = logging.WARNING
    # kopf only watches (handlers/changes.py): it keeps no state on objects, and its finalizer is
    # never ours, so kopf cannot release a deletion the operator holds
    settings.persistence.finalizer = KOPF_FINALIZER
    # Reconnect watches regularly so an API server restart is noticed quickly.
    settings.watching.server_timeout = ours.watch_timeout  # 60 s; the health probes count on it
    settings.watching.client_timeout = ours.watch_client_timeout
    settings.watching.connect_timeout = 10
    settings.networking.request_timeout = 30
    admission.configure(settings, ours)


def shutdown(memo: kopf.Memo, **_: Any) -> None:
    """Drop deferred work, give running reconciles a bounded grace period, then hand the leases on.

    A stopping operator must not act after kopf has stopped; what is still running when the Leases
    go is refused at the write fence, and the next holder reconciles every object of its shards.
    """
    ctx = context_of(memo)
    if not ctx.stop(SHUTDOWN_GRACE_SECONDS):
        logging.getLogger("ecs_operator").warning(
            "stopping with reconciles still running after %.0fs; their writes are refused from now on",
            SHUTDOWN_GRACE_SECONDS,
        )
    if ctx.shards is not None:
        ctx.shards.release()


def register(registry: kopf.OperatorRegistry) -> None:
    kopf.on.login(registry=registry)(login)
    kopf.on.startup(registry=registry)(configure)
    kopf.on.cleanup(registry=registry)(shutdown)
