"""Leader election for `ecs-operator run --leader-elect`: one replica acts, the others wait warm.

The replica that holds the Lease runs kopf; the others wait in :meth:`LeaderElector.acquire`.
Both of the operator's clients are fenced by the lease: the operator's own (:meth:`Kube.fenced`)
and kopf's (its finalizer and annotation patches, through :func:`fenced_session`). A holder that
cannot renew in time stops kopf and exits non-zero, so its pod restarts as a standby with an empty
queue and no deferred work: nothing of its old term can act later.
"""

from __future__ import annotations

import socket
import uuid
import warnings
from collections.abc import Awaitable, Callable

import aiohttp
import kopf

from ..kube.client import check_fence

__all__ = ["replica_identity", "fenced_session", "user_agent"]


def replica_identity(pod_name: str | None = None) -> str:
    """``<pod or host name>_<random>``: unique per process, readable in the Lease and the audit log."""
    return f"{pod_name or socket.gethostname()}_{uuid.uuid4().hex[:8]}"


def user_agent(identity: str) -> str:
    return f"ecs-operator/{identity}"


def fenced_session(info: kopf.ConnectionInfo, may_write: Callable[[str], bool], identity: str) -> kopf.AiohttpSession:
    """kopf's connection, built as kopf builds it, refusing writes while this replica may not act."""

    async def fence(
        request: aiohttp.ClientRequest, handler: Callable[[aiohttp.ClientRequest], Awaitable[aiohttp.ClientResponse]]
    ) -> aiohttp.ClientResponse:
        check_fence(request.method, request.url.path, may_write)
        return await handler(request)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        auth = info.as_aiohttp_basic_auth()
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, ssl=info.as_ssl_context()),
        headers={**info.as_http_headers(), "User-Agent": user_agent(identity)},
        auth=auth,
        proxy=info.proxy_url,
        trust_env=info.trust_env,
        middlewares=(fence,),
    )
    return kopf.AiohttpSession(
        aiohttp_session=session,
        server=info.server,
        default_namespace=info.default_namespace,
        priority=info.priority,
        expiration=info.expiration,
    )
