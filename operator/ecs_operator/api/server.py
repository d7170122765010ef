"""The ECS endpoint: an aiohttp application that authenticates, routes and answers.

Order for every request: size limit, SigV4 (before anything is parsed or touched), action
name, JSON body, then the handler on a worker thread. Every failure is an ECS error with its
HTTP status; only a fault of ours or an unreachable cluster is a 5xx.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ..kube import Kube
from ..kube.errors import ApiError, Conflict, Forbidden, Invalid, KubeError
from ..vocabulary import LABEL_API_KEY
from .actions import ACTIONS
from .arns import Arns
from .caches import ApiCaches
from .context import Call
from .errors import (
    AccessDeniedException,
    ClientException,
    ConflictException,
    EcsError,
    InvalidParameterException,
    RequestEntityTooLargeException,
    ServerException,
    UnknownOperationException,
    UnrecognizedClientException,
    UnsupportedFeatureException,
)
from .keys import ApiKey, key_from_secret, secret_name
from .operations import ECS_ACTIONS
from .params import Params
from .protocol import CONTENT_TYPE, MAX_BODY_BYTES, action_of, decode_body, encode
from .sigv4 import SignedRequest, claimed_key_id, verify

__all__ = ["ApiServer", "serve"]

log = logging.getLogger("ecs_operator.api")

READ_PREFIXES = ("Describe", "List")
"""Actions that only read the watch caches (ECS's Describe* and List*), never the API server."""


UNKNOWN_KEY_RETRY_SECONDS = 5.0
MAX_REMEMBERED_MISSES = 4096


@dataclass
class ApiServer:
    kube: Kube
    caches: ApiCaches
    arns: Arns = field(default_factory=Arns)
    workers: int = 16
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _pool: ThreadPoolExecutor = field(init=False)
    _misses: dict[str, float] = field(init=False, default_factory=dict)  # key id -> when a GET found nothing

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ecs-api")

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES * 2)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_post("/{tail:.*}", self._call)
        return app

    def key(self, access_key_id: str) -> ApiKey | None:
        secret = self.caches.keys.get(self.caches.keys_namespace, secret_name(access_key_id))
        key = key_from_secret(secret) if secret is not None else None
        return key if key is not None and key.access_key_id == access_key_id else None

    def read_key(self, access_key_id: str) -> None:
        """Read a key's Secret from the API server into the cache, when the watch has not brought it.

        ``api-key create`` answers as soon as the Secret exists; a pipeline that uses the key at once
        can be faster than the watch event. One GET per unknown key id, off the event loop; a
        revoked key stays revoked, because the watch's later DELETED event wins by resourceVersion.
        """
        last_miss = self._misses.get(access_key_id)
        if last_miss is not None and time.monotonic() - last_miss < UNKNOWN_KEY_RETRY_SECONDS:
            return  # made-up key ids cost one GET per few seconds, not one per request
        try:
            secret = self.kube.get_or_none("v1", "Secret", self.caches.keys_namespace, secret_name(access_key_id))
        except KubeError:
            return
        labels = (secret or {}).get("metadata", {}).get("labels") or {}
        if secret is not None and labels.get(LABEL_API_KEY) == "true":
            self.caches.keys.remember(secret)
            return
        if len(self._misses) >= MAX_REMEMBERED_MISSES:
            self._misses.clear()
        self._misses[access_key_id] = time.monotonic()

    async def _healthz(self, _: web.Request) -> web.Response:
        ready = self.caches.synced()
        return web.Response(status=200 if ready else 503, text="ok" if ready else "caches not synced")

    async def _call(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        action = "-"
        namespace = "-"
        try:
            raw = await _read_body(request)
            signed = SignedRequest(request.method, request.path, request.query_string, dict(request.headers), raw)
            now = self.clock()
            try:
                key_id = verify(signed, self._secret_for, self.arns.region, now)
            except UnrecognizedClientException:
                claimed = claimed_key_id(signed)
                assert claimed is not None  # verify refuses a malformed header before it looks a key up
                await asyncio.get_running_loop().run_in_executor(self._pool, self.read_key, claimed)
                key_id = verify(signed, self._secret_for, self.arns.region, now)
            key = self.key(key_id)
            assert key is not None  # verify found its secret
            namespace = key.namespace
            action = action_of(request.headers.get("X-Amz-Target"))
            body = decode_body(raw)
            handler = ACTIONS.get(action)
            if handler is None:
                if action in ECS_ACTIONS:
                    raise UnsupportedFeatureException(f"{action} is not supported by the ecs-operator ECS API.")
                raise UnknownOperationException(f"Unknown operation {action}")
            call = Call(
                action,
                Params(body),
                key.namespace,
                self.arns,
                self.caches,
                self.kube.impersonating(key.user),
                now,
                key_id,
            )
            if action.startswith(READ_PREFIXES):
                # Reads answer from memory in well under a millisecond: run them on the event loop.
                # A hop to a worker thread costs more than the read under load (GIL hand-offs).
                result = _run(handler, call)
            else:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(self._pool, _run, handler, call)
            status, payload = 200, result
        except EcsError as exc:
            status, payload = exc.status, exc.body()
        except Exception:
            log.exception("%s failed", action)
            error = ServerException("An internal error occurred; the request may be retried.")
            status, payload = error.status, error.body()
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1fms", action, namespace, status, elapsed)
        # Server-Timing (W3C): what the handling cost here, so a client can tell it from queueing.
        headers = {"x-amzn-RequestId": request_id, "Server-Timing": f"handler;dur={elapsed:.2f}"}
        if status >= 400:
            headers["x-amzn-ErrorType"] = str(payload.get("__type", ""))
        return web.Response(status=status, body=encode(payload), content_type=CONTENT_TYPE, headers=headers)

    def _secret_for(self, access_key_id: str) -> str | None:
        key = self.key(access_key_id)
        return key.secret_access_key if key else None


async def _read_body(request: web.Request) -> bytes:
    """The whole body, or RequestEntityTooLargeException as soon as it passes the limit."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise RequestEntityTooLargeException(f"Request body is larger than {MAX_BODY_BYTES} bytes.")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestEntityTooLargeException(f"Request body is larger than {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)


def _admission_denial(message: str) -> str | None:
    """The reason a validating webhook gave (``admission webhook "x" denied the request: ...``)."""
    marker = "denied the request: "
    if "admission webhook" not in message or marker not in message:
        return None
    return message.split(marker, 1)[1].strip() or None


def _run(handler: Callable[[Call], dict[str, Any]], call: Call) -> dict[str, Any]:
    """A handler, with what the API server says mapped to ECS's errors."""
    try:
        return handler(call)
    except Forbidden as exc:
        raise AccessDeniedException(
            f"User: {call.access_key_id} is not authorized to perform: ecs:{call.action} ({exc.message})"
        ) from exc
    except Invalid as exc:
        denied = _admission_denial(exc.message)
        if denied is not None:  # the operator's webhook: the models' rules, as ECS's ClientException
            raise ClientException(denied) from exc
        raise InvalidParameterException(exc.message) from exc
    except Conflict as exc:
        raise ConflictException(f"A concurrent change conflicted with this call; retry it. ({exc.message})") from exc
    except ApiError as exc:
        if 400 <= exc.status < 500:
            raise InvalidParameterException(exc.message) from exc
        raise ServerException(f"The Kubernetes API server answered {exc.status}: {exc.message}") from exc
    except KubeError as exc:
        raise ServerException(f"The Kubernetes API server is unavailable: {exc}") from exc


async def serve(
    server: ApiServer,
    address: str,
    port: int,
    tls: ssl.SSLContext | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until ``stop`` is set (forever when None)."""
    runner = web.AppRunner(server.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, address, port, ssl_context=tls)
    await site.start()
    scheme = "https" if tls else "http"
    log.info(
        "ECS API listening on %s://%s:%d (region %s, account %s)",
        scheme,
        address,
        port,
        server.arns.region,
        server.arns.account,
    )
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await runner.cleanup()
