"""Health: readiness waits for every watch and every check; liveness catches a wedged watch loop."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request
from types import SimpleNamespace
from typing import Any

import pytest
from yarl import URL

from ecs_operator.handlers import build_registry, watched_resources
from ecs_operator.handlers.session import health_middleware
from ecs_operator.health import Health, Observed, liveness_problems, readiness_problems, watch_of

PODS, SERVICES = "v1/pods", "ecs.operator.dev/v1alpha1/ecsservices"
STALE, GRACE = 270.0, 600.0


def _observed(watched: dict[tuple[str, str | None], float], namespaces: tuple[str, ...] = ()) -> Observed:
    return Observed(since=0.0, expected=frozenset({PODS, SERVICES}), namespaces=namespaces, watched=watched)


def test_not_ready_until_every_resource_is_watched_then_ready() -> None:
    assert readiness_problems(Observed(since=None), 0.0, STALE) == ["not watching yet"]
    one = _observed({(PODS, None): 1.0})
    assert readiness_problems(one, 2.0, STALE) == [f"{SERVICES}: not listed and watched yet"]
    both = _observed({(PODS, None): 1.0, (SERVICES, None): 1.5})
    assert readiness_problems(both, 2.0, STALE) == []


def test_a_readiness_check_reason_shows_and_none_passes() -> None:
    both = _observed({(PODS, None): 1.0, (SERVICES, None): 1.0})
    checks = {"shards": "holding 3 of 4 shards", "election": None}
    assert readiness_problems(both, 2.0, STALE, checks) == ["shards: holding 3 of 4 shards"]


def test_liveness_fails_when_one_resource_last_watch_is_stale_and_passes_while_fresh() -> None:
    fresh = _observed({(PODS, None): 100.0, (SERVICES, None): 100.0})
    assert liveness_problems(fresh, 100.0 + STALE, STALE, GRACE) == []
    wedged = _observed({(PODS, None): 100.0, (SERVICES, None): 400.0})
    problems = liveness_problems(wedged, 100.0 + STALE + 1, STALE, GRACE)
    assert len(problems) == 1 and problems[0].startswith(f"{PODS}: last watch answered 271.0s ago")
    assert readiness_problems(wedged, 100.0 + STALE + 1, STALE) == problems  # its cache no longer follows


def test_liveness_waits_for_the_first_listing_within_the_startup_grace() -> None:
    nothing = _observed({})
    assert liveness_problems(nothing, GRACE, STALE, GRACE) == []  # listing a large cluster is no reason to restart
    assert liveness_problems(Observed(since=None), 10 * GRACE, STALE, GRACE) == []  # not started (a standby)
    late = liveness_problems(_observed({(PODS, None): GRACE - 5}), GRACE + 1, STALE, GRACE)
    assert late == [f"{SERVICES}: not watched in the 600s since start-up"]


def test_each_watched_namespace_counts_and_a_cluster_wide_watch_stands_for_all() -> None:
    namespaces = ("a", "b")
    observed = _observed({(PODS, "a"): 1.0, (SERVICES, None): 1.0}, namespaces)
    assert readiness_problems(observed, 2.0, STALE) == [f"{PODS} in namespace b: not listed and watched yet"]
    wedged = _observed({(PODS, "a"): 1.0, (PODS, "b"): 300.0, (SERVICES, None): 300.0}, namespaces)
    assert [p.split(":")[0] for p in liveness_problems(wedged, 300.0, STALE, GRACE)] == [f"{PODS} in namespace a"]


@pytest.mark.parametrize(
    ("method", "url", "stream"),
    [
        ("GET", "/api/v1/pods?watch=true&timeoutSeconds=60", (PODS, None)),
        ("GET", "/api/v1/namespaces/team-a/pods?watch=1", (PODS, "team-a")),
        ("GET", "/apis/ecs.operator.dev/v1alpha1/ecsservices?watch=true", (SERVICES, None)),
        ("GET", "/apis/apps/v1/namespaces/x/deployments?watch=true", ("apps/v1/deployments", "x")),
        ("GET", "/api/v1/namespaces?watch=true", ("v1/namespaces", None)),
        ("GET", "/api/v1/pods", None),  # the listing
        ("GET", "/api/v1/pods?watch=false", None),
        ("PATCH", "/api/v1/namespaces/x/pods/p?watch=true", None),
        ("GET", "/api/v1/namespaces/x/pods/p?watch=true", None),  # one object
        ("GET", "/api/v1/watch/pods", None),
        ("GET", "/version?watch=true", None),
    ],
)
def test_watch_requests_name_their_stream(method: str, url: str, stream: tuple[str, str | None] | None) -> None:
    parsed = URL(url)
    assert watch_of(method, parsed.path, parsed.query) == stream


def test_expected_resources_come_from_the_registry() -> None:
    resources = watched_resources(build_registry())
    assert {PODS, SERVICES, "v1/nodes", "batch/v1/jobs", "apps/v1/deployments", "v1/secrets"} <= resources
    assert {f"ecs.operator.dev/v1alpha1/{p}" for p in ("ecsclusters", "ecstasks", "taskdefinitions")} <= resources
    assert all(r.split("/")[-1].islower() and r.endswith("s") for r in resources), "plurals, as URLs spell them"
    assert watched_resources(build_registry(admission_webhook=True)) == resources  # webhooks open no watch


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_health_keeps_the_timestamps_its_clock_gives() -> None:
    clock = _Clock()
    health = Health(stale_after=10.0, startup_grace=30.0, clock=clock)
    assert health.readiness() == ["not watching yet"] and health.liveness() == []
    health.expect([PODS])
    health.watch_started(PODS)
    assert health.readiness() == [] and health.liveness() == []
    health.add_readiness_check("shards", lambda: "2 shards not held")
    assert health.readiness() == ["shards: 2 shards not held"]
    health.add_readiness_check("shards", lambda: None)  # the same name replaces
    assert health.readiness() == []
    health.add_readiness_check("broken", lambda: str(1 / 0))
    assert health.readiness() == ["broken: check failed: ZeroDivisionError('division by zero')"]
    health.remove_readiness_check("broken")
    clock.now += 11
    assert health.liveness() == [f"{PODS}: last watch answered 11.0s ago (limit 10s): its watch loop is wedged"]
    health.watch_started(PODS)
    assert health.liveness() == [] and health.readiness() == []


def test_the_session_middleware_counts_answered_watches_only() -> None:
    health = Health()
    health.expect([PODS])

    async def send(url: str, status: int) -> None:
        async def handler(request: Any) -> Any:
            return SimpleNamespace(status=status)

        await health_middleware(health)(SimpleNamespace(method="GET", url=URL(url)), handler)

    asyncio.run(send("/api/v1/pods?watch=true", 500))
    asyncio.run(send("/api/v1/pods", 200))
    assert health.observed().watched == {}
    asyncio.run(send("/api/v1/namespaces/a/pods?watch=true", 200))
    assert set(health.observed().watched) == {(PODS, "a")}


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_probes_answer_over_http() -> None:
    assert Health().serve(0) is None  # port 0: off
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clock = _Clock()
    health = Health(stale_after=10.0, clock=clock)
    health.expect([PODS])
    server = health.serve(port, "127.0.0.1")
    assert server is not None
    try:
        assert _get(port, "/healthz") == (200, "ok\n")
        assert _get(port, "/readyz") == (503, f"{PODS}: not listed and watched yet\n")
        health.watch_started(PODS)
        assert _get(port, "/readyz") == (200, "ok\n")
        clock.now += 11
        status, body = _get(port, "/healthz")
        assert status == 500 and body.startswith(f"{PODS}: last watch answered 11.0s ago (limit 10s)")
        assert _get(port, "/metrics")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
