"""/readyz and /healthz of a real operator: ready once every watch runs; not live once a watch is wedged.

The operator reaches the API server through a TCP proxy of this test's own. Frozen, the proxy
cuts every connection and holds each new one without forwarding a byte, so no watch request is
ever answered again: kopf's watch loops cannot turn, which is what a wedged watch looks like from
inside. Short watch timeouts (``ECS_OPERATOR_WATCH_TIMEOUT``) and ``--watch-stale-seconds`` keep
the test to seconds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from kube_helpers import wait_for

from conftest import OperatorProcess
from ecs_operator.localcluster.cluster import ClusterHandle

WATCH_TIMEOUT = 2  # the API server ends each watch after 2 s: a healthy loop answers every ~2 s
STALE = 6.0


class FreezableProxy:
    """A TCP proxy (its own event loop, on a thread) to ``host:port`` that can be frozen and thawed."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.frozen = False
        self._pipes: set[asyncio.StreamWriter] = set()  # every open client and upstream side
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self._thread.start()
        started.wait(10)
        assert self._server is not None
        self.port = int(self._server.sockets[0].getsockname()[1])

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", 0))
        started.set()
        self._loop.run_forever()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._pipes.add(writer)
        try:
            if self.frozen:
                while await reader.read(65536):  # held: read and drop, answer nothing, until the client gives up
                    pass
                return
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            self._pipes.add(up_writer)
            await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
        except OSError:
            pass
        finally:
            writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.frozen:
                    break
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            self._pipes.discard(writer)
            writer.close()

    def _cut_all(self) -> None:
        for writer in list(self._pipes):
            writer.close()
        self._pipes.clear()

    def freeze(self) -> None:
        """Cut every connection; new ones are accepted and held, never forwarded."""

        def now() -> None:
            self.frozen = True
            self._cut_all()

        self._loop.call_soon_threadsafe(now)

    def thaw(self) -> None:
        """Forward again; held connections are cut, so their clients retry through."""

        def now() -> None:
            self.frozen = False
            self._cut_all()

        self._loop.call_soon_threadsafe(now)

    def close(self) -> None:
        def stop() -> None:
            self._cut_all()
            if self._server is not None:
                self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(10)


@pytest.fixture
def proxied_kubeconfig(cluster: ClusterHandle, tmp_path: Path) -> Iterator[tuple[Path, FreezableProxy]]:
    """A copy of the cluster's kubeconfig whose server is the proxy (same host: its certificate still fits)."""
    config = yaml.safe_load(cluster.kubectl("config", "view", "--raw", "--minify", "--flatten").stdout)
    server = urlsplit(config["clusters"][0]["cluster"]["server"])
    assert server.hostname and server.port, server
    proxy = FreezableProxy(server.hostname, server.port)
    config["clusters"][0]["cluster"]["server"] = f"{server.scheme}://{server.hostname}:{proxy.port}"
    path = tmp_path / "proxied-kubeconfig.yaml"
    path.write_text(yaml.safe_dump(config))
    yield path, proxy
    proxy.close()


def test_ready_when_watching_and_not_live_when_a_watch_is_wedged(
    crds: list[str], namespace: str, tmp_path: Path, proxied_kubeconfig: tuple[Path, FreezableProxy]
) -> None:
    kubeconfig, proxy = proxied_kubeconfig
    env = {"ECS_OPERATOR_WEBHOOK": "off", "ECS_OPERATOR_WATCH_TIMEOUT": str(WATCH_TIMEOUT)}
    args = ("-n", namespace, "--watch-stale-seconds", str(STALE))
    operator = OperatorProcess(kubeconfig, tmp_path / "operator.log", env, args)
    services = f"ecs.operator.dev/v1alpha1/ecsservices in namespace {namespace}"
    try:
        # live from the start (listing is no reason to restart), ready once every watch has been answered
        operator.wait_ready()
        ready = wait_for(lambda: operator.probe("/readyz")[0] == 200, timeout=30, message="/readyz 200")
        assert ready and operator.probe("/healthz") == (200, "ok\n")

        # a healthy operator reconnects its watches every WATCH_TIMEOUT: live well past STALE
        until = time.monotonic() + STALE + 2 * WATCH_TIMEOUT
        while time.monotonic() < until:
            assert operator.probe("/healthz") == (200, "ok\n"), operator.log_tail()
            time.sleep(0.5)

        proxy.freeze()
        started = time.monotonic()
        _, body = wait_for(
            lambda: (r := operator.probe("/healthz"))[0] == 500 and r, timeout=STALE + 20, message="/healthz 500"
        )
        # not before a watch is overdue: the last answer came at most one watch timeout before the freeze
        assert time.monotonic() - started >= STALE - WATCH_TIMEOUT - 1
        assert f"{services}: last watch answered" in body and "its watch loop is wedged" in body, body
        assert "v1/nodes: last watch answered" in body, body  # cluster-scoped: watched cluster-wide
        ready_status, ready_body = operator.probe("/readyz")
        assert ready_status == 503 and services in ready_body, ready_body  # its caches no longer follow either
        assert operator.alive()

        proxy.thaw()  # the loops turn again: live and ready without a restart
        wait_for(lambda: operator.probe("/healthz") == (200, "ok\n"), timeout=30, message="/healthz 200 again")
        wait_for(lambda: operator.probe("/readyz") == (200, "ok\n"), timeout=30, message="/readyz 200 again")
    finally:
        proxy.thaw()
        operator.stop()
