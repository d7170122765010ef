"""Liveness and readiness of one operator process, told by the watches kopf makes.

A process that is up is not necessarily working. What the operator knows comes from kopf's
watches: kopf lists a resource, hands every listed object to the handlers, then opens a watch
from the list's resourceVersion, and opens it again each time the API server ends it
(``timeoutSeconds``: ``settings.watching.server_timeout``, at most every minute). So the moment
the API server last *answered* a watch request of a resource says two things: the first answer
means the listing was read and its caches filled; each later one means that resource's watch
loop still turns. An answer is counted, not a request sent: a request that hangs on a dead
connection is not a turn of the loop.

- **Ready** (``/readyz``, 200 or 503): every expected resource has been watched at least once,
  none has gone stale (its cache no longer follows the cluster), and every readiness check added
  with :meth:`Health.add_readiness_check` answers None.
- **Live** (``/healthz``, 200 or 500): no expected resource's last watch answer is older than
  ``stale_after`` (a wedged watch: restarting the process is the cure), and none went without a
  first watch for ``startup_grace`` after :meth:`Health.expect` (a listing that never ends). Before
  that, and while the first listings run, the process is live but not ready: readiness says so, and
  Kubernetes does not restart an operator for listing a large cluster.

The rules are pure functions of an :class:`Observed` snapshot and a time
(:func:`readiness_problems`, :func:`liveness_problems`), unit-tested without threads or sockets;
:class:`Health` keeps the timestamps under a lock (kopf's event loop writes, probe threads read)
and serves them. Watches per namespace (``run -n a -n b``) count separately, so one wedged
namespace is caught; a cluster-scoped resource kopf watches cluster-wide counts once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "Health",
    "Observed",
    "ReadinessCheck",
    "readiness_problems",
    "liveness_problems",
    "resource_key",
    "watch_of",
    "DEFAULT_STALE_AFTER",
    "DEFAULT_STARTUP_GRACE",
]

DEFAULT_STALE_AFTER = 270.0
"""Seconds without a watch answer that mean wedged: three of kopf's client timeouts (90 s)."""

DEFAULT_STARTUP_GRACE = 600.0
"""Seconds a resource may take to be listed and watched the first time before liveness fails."""

Stream = tuple[str, str | None]
"""One watch: (resource key, namespace, or None for a cluster-wide watch)."""

ReadinessCheck = Callable[[], str | None]
"""A readiness condition of its own: None when satisfied, else why not (shown on /readyz)."""


def resource_key(group: str | None, version: str, plural: str) -> str:
    """``v1/pods`` for the core group, ``<group>/<version>/<plural>`` for the others."""
    return f"{group}/{version}/{plural}" if group else f"{version}/{plural}"


def watch_of(method: str, path: str, query: Mapping[str, str]) -> Stream | None:
    """The watch a request opens, or None when it is not a collection watch.

    ``GET /api/v1/[namespaces/NS/]pods?watch=true`` and
    ``GET /apis/G/V/[namespaces/NS/]plural?watch=1`` are; lists, reads and writes are not.
    """
    if method != "GET" or query.get("watch", "").lower() not in ("true", "1"):
        return None
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, version, rest = None, parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if len(rest) == 1:
        return resource_key(group, version, rest[0]), None
    if len(rest) == 3 and rest[0] == "namespaces":
        return resource_key(group, version, rest[2]), rest[1]
    return None  # one object, a subresource, or the deprecated /watch/ paths


@dataclass(frozen=True)
class Observed:
    """What the rules look at: the expectation and the last watch answer of each stream."""

    since: float | None  # when the expectation was set; None: the operator has not started watching
    expected: frozenset[str] = frozenset()
    namespaces: tuple[str, ...] = ()  # the namespaces watched; empty: cluster-wide
    watched: Mapping[Stream, float] = field(default_factory=dict)

    def streams(self) -> list[tuple[str, str | None, float | None]]:
        """(resource, namespace, last answer or None) for each expected watch, in a stable order.

        kopf watches a namespaced resource once per namespace with ``-n``, and a cluster-scoped
        one cluster-wide whatever ``-n`` says: a cluster-wide answer stands for the resource.
        """
        out: list[tuple[str, str | None, float | None]] = []
        for resource in sorted(self.expected):
            if (resource, None) in self.watched or not self.namespaces:
                out.append((resource, None, self.watched.get((resource, None))))
            else:
                out.extend((resource, ns, self.watched.get((resource, ns))) for ns in self.namespaces)
        return out


def _where(resource: str, namespace: str | None) -> str:
    return resource if namespace is None else f"{resource} in namespace {namespace}"


def _stale(observed: Observed, now: float, stale_after: float) -> list[str]:
    return [
        f"{_where(resource, ns)}: last watch answered {now - last:.1f}s ago (limit {stale_after:g}s): "
        "its watch loop is wedged"
        for resource, ns, last in observed.streams()
        if last is not None and now - last > stale_after
    ]


def readiness_problems(
    observed: Observed, now: float, stale_after: float, checks: Mapping[str, str | None] | None = None
) -> list[str]:
    """Why the operator is not ready (empty: ready): unsynced or stale watches, failed checks."""
    if observed.since is None:
        problems = ["not watching yet"]
    else:
        problems = [
            f"{_where(resource, ns)}: not listed and watched yet"
            for resource, ns, last in observed.streams()
            if last is None
        ]
        problems += _stale(observed, now, stale_after)
    problems += [f"{name}: {reason}" for name, reason in sorted((checks or {}).items()) if reason is not None]
    return problems


def liveness_problems(observed: Observed, now: float, stale_after: float, startup_grace: float) -> list[str]:
    """Why the operator should be restarted (empty: live): a wedged watch, or a first one that never came."""
    if observed.since is None:
        return []
    problems = []
    if now - observed.since > startup_grace:
        problems = [
            f"{_where(resource, ns)}: not watched in the {startup_grace:g}s since start-up"
            for resource, ns, last in observed.streams()
            if last is None
        ]
    return problems + _stale(observed, now, stale_after)


class Health:
    """The process's watch timestamps and readiness checks; thread-safe; serves the probes."""

    def __init__(
        self,
        *,
        stale_after: float = DEFAULT_STALE_AFTER,
        startup_grace: float = DEFAULT_STARTUP_GRACE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stale_after = stale_after
        self.startup_grace = startup_grace
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._expected: frozenset[str] = frozenset()
        self._namespaces: tuple[str, ...] = ()
        self._watched: dict[Stream, float] = {}  # written on kopf's event loop, copied by the probes
        self._checks: dict[str, ReadinessCheck] = {}

    def expect(self, resources: Iterable[str], namespaces: Iterable[str] = ()) -> None:
        """The resources the operator watches (``handlers.watched_resources``), in ``namespaces`` or all.

        The start-up grace counts from here; watches answered before stay counted.
        """
        with self._lock:
            self._since = self._clock()
            self._expected = frozenset(resources)
            self._namespaces = tuple(namespaces)

    def watch_started(self, resource: str, namespace: str | None = None) -> None:
        """The API server answered a watch request of ``resource`` (in ``namespace``): the stream is open."""
        now = self._clock()
        with self._lock:
            self._watched[(resource, namespace)] = now

    def add_readiness_check(self, name: str, check: ReadinessCheck) -> None:
        """Not ready while ``check()`` returns a reason (shown as ``<name>: <reason>``); replaces ``name``'s.

        Called at each /readyz, from the probe's thread: keep it quick and thread-safe. A check that
        raises counts as not ready.
        """
        with self._lock:
            self._checks[name] = check

    def remove_readiness_check(self, name: str) -> None:
        with self._lock:
            self._checks.pop(name, None)

    def observed(self) -> Observed:
        """A snapshot for the rules."""
        with self._lock:
            return Observed(self._since, self._expected, self._namespaces, dict(self._watched))

    def readiness(self) -> list[str]:
        """Why not ready; empty when ready."""
        with self._lock:
            checks = dict(self._checks)
        return readiness_problems(self.observed(), self._clock(), self.stale_after, _run_checks(checks))

    def liveness(self) -> list[str]:
        """Why not live; empty when live."""
        return liveness_problems(self.observed(), self._clock(), self.stale_after, self.startup_grace)

    def serve(self, port: int, address: str = "0.0.0.0") -> ThreadingHTTPServer | None:
        """Serve ``/healthz`` (200, or 500 with the reasons) and ``/readyz`` (200, or 503) from a
        daemon thread; port 0: not served. A taken port fails start-up."""
        if not port:
            return None
        health = self

        class Probes(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    self._answer(health.liveness(), 500)
                elif path == "/readyz":
                    self._answer(health.readiness(), 503)
                else:
                    self._send(404, "not found\n")

            def _answer(self, problems: list[str], failing: int) -> None:
                self._send(failing if problems else 200, "".join(f"{p}\n" for p in problems) or "ok\n")

            def _send(self, code: int, text: str) -> None:
                body = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass  # probes every few seconds are not news

        server = ThreadingHTTPServer((address, port), Probes)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
        return server


def _run_checks(checks: Mapping[str, ReadinessCheck]) -> dict[str, str | None]:
    results: dict[str, str | None] = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a broken check must not break the probe: it reports instead
            results[name] = f"check failed: {exc!r}"
    return results
