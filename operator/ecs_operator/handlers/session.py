"""kopf's HTTP session, built as kopf builds it, with the operator's own client middlewares.

kopf makes its watches (and its few writes: webhook configuration, Events of failed handlers)
through one aiohttp session, which its login handler may hand it. Ours always does, so that
session can carry:

- the health middleware: each watch the API server answers tells :class:`~ecs_operator.health.Health`
  that resource's watch loop turned (liveness, readiness);
- under leader election, the write fence: a write is refused while this replica may not act on its
  path (the namespace's shard), as the operator's own client refuses it
  (:func:`~ecs_operator.kube.client.check_fence`);
- the replica's identity as User-Agent (kopf's ``kopf/<version>`` when there is none).
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
import kopf

from ..health import Health, watch_of
from ..kube.client import check_fence
from .leader import user_agent

__all__ = ["operator_session", "health_middleware", "fence_middleware", "Middleware"]

Handler = Callable[[aiohttp.ClientRequest], Awaitable[aiohttp.ClientResponse]]
Middleware = Callable[[aiohttp.ClientRequest, Handler], Awaitable[aiohttp.ClientResponse]]


def health_middleware(health: Health) -> Middleware:
    """Tell ``health`` of every watch the API server answers (200): its stream is open."""

    async def watched(request: aiohttp.ClientRequest, handler: Handler) -> aiohttp.ClientResponse:
        stream = watch_of(request.method, request.url.path, request.url.query)
        response = await handler(request)
        if stream is not None and response.status == 200:
            health.watch_started(*stream)
        return response

    return watched


def fence_middleware(may_write: Callable[[str], bool]) -> Middleware:
    """Refuse a write while ``may_write(path)`` is false (the leader-election fence)."""

    async def fence(request: aiohttp.ClientRequest, handler: Handler) -> aiohttp.ClientResponse:
        check_fence(request.method, request.url.path, may_write)
        return await handler(request)

    return fence


def operator_session(
    info: kopf.ConnectionInfo, *, identity: str | None = None, middlewares: Sequence[Middleware] = ()
) -> kopf.AiohttpSession:
    """kopf's connection for ``info``, with ``middlewares`` (outermost first) on every request."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        auth = info.as_aiohttp_basic_auth()
    headers = info.as_http_headers()
    if identity is not None:
        headers = {**headers, "User-Agent": user_agent(identity)}
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, ssl=info.as_ssl_context()),
        headers=headers,
        auth=auth,
        proxy=info.proxy_url,
        trust_env=info.trust_env,
        middlewares=tuple(middlewares),
    )
    return kopf.AiohttpSession(
        aiohttp_session=session,
        server=info.server,
        default_namespace=info.default_namespace,
        priority=info.priority,
        expiration=info.expiration,
    )
