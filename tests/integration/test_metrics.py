"""The operator's /metrics during a rollout: reconcile counters, durations, queue, API and ECS gauges move.

The session operator serves metrics on a free port with --per-service-metrics (conftest), so this
test reads its own service's series exactly; the cluster-wide totals include other tests' services
and are only checked for what this service alone makes certain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from kube_helpers import get_json
from manifests import ecs_service, task_definition
from prometheus_client.parser import text_string_to_metric_families

from ecs_operator.localcluster.cluster import ClusterHandle

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def _sum(samples: Samples, metric: str, /, **labels: str) -> float:
    """The sum over every series of ``metric`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == metric and wanted <= ls)


class Scraper:
    """Scrapes the operator until a condition holds, keeping every scrape (the rollout as Prometheus sees it)."""

    def __init__(self, operator: Any) -> None:
        self.operator = operator
        self.history: list[Samples] = []

    def now(self) -> Samples:
        samples = _parse(self.operator.scrape())
        self.history.append(samples)
        return samples

    def until(self, condition: Callable[[Samples], bool], message: str, timeout: float = 90) -> Samples:
        deadline = time.monotonic() + timeout
        while True:
            samples = self.now()
            if condition(samples):
                return samples
            if time.monotonic() > deadline:
                pytest.fail(f"metrics never showed {message}")
            time.sleep(0.2)


def test_metrics_follow_a_rollout_and_a_scale(cluster: ClusterHandle, namespace: str, operator: Any) -> None:
    if not hasattr(operator, "scrape"):
        pytest.skip("the operator runs in the cluster (deploy/): its /metrics is not reachable from here")
    scraper = Scraper(operator)

    def mine(samples: Samples, state: str) -> float:
        return _sum(samples, "ecs_operator_service_tasks", namespace=namespace, service="web", state=state)

    before = scraper.now()
    assert (mine(before, "desired"), mine(before, "running")) == (0, 0)

    cluster.apply([task_definition("web")], "-n", namespace)
    cluster.apply([ecs_service("web", "web", 3)], "-n", namespace)
    rolled = scraper.until(
        lambda s: mine(s, "running") == 3 and mine(s, "pending") == 0, "3 running tasks for the service"
    )
    status = get_json(cluster, "ecsservice", "web", "-n", namespace)["status"]
    assert status["runningCount"] == 3

    running_seen = [mine(s, "running") for s in scraper.history]
    assert running_seen[0] == 0 and running_seen[-1] == 3
    assert running_seen == sorted(running_seen), "running tasks only grow during a first rollout"
    assert any(mine(s, "desired") > 0 and mine(s, "running") < 3 for s in scraper.history), (
        "a scrape during the rollout should see it unfinished"
    )
    assert any(_sum(s, "ecs_operator_services", rollout_state="IN_PROGRESS") >= 1 for s in scraper.history)
    assert _sum(rolled, "ecs_operator_tasks", state="desired") >= 3
    assert _sum(rolled, "ecs_operator_tasks", state="running") >= 3

    def grew(metric: str, /, **labels: str) -> float:
        return _sum(rolled, metric, **labels) - _sum(before, metric, **labels)

    assert grew("controller_runtime_reconcile_total", controller="ecsservice") >= 1
    assert grew("controller_runtime_reconcile_total", controller="ecsservice", result="error") == 0
    assert grew("controller_runtime_reconcile_time_seconds_count", controller="ecsservice") >= 1
    assert grew("controller_runtime_reconcile_total", controller="taskdefinition") >= 1
    assert grew("workqueue_adds_total", name="ecsservice") >= 1
    assert grew("workqueue_work_duration_seconds_count", name="ecsservice") >= 1
    assert grew("rest_client_requests_total", method="PATCH", code="200") >= 1  # applies and status writes
    assert grew("rest_client_request_duration_seconds_count", verb="PATCH") >= 1
    assert _sum(rolled, "workqueue_depth", name="ecsservice") >= 0  # present from the start

    steady = scraper.until(
        lambda s: _sum(s, "ecs_operator_services", rollout_state="COMPLETED") >= 1 and mine(s, "running") == 3,
        "the service's rollout COMPLETED",
    )
    reconciles = _sum(steady, "controller_runtime_reconcile_total", controller="ecsservice")

    scraper.history.clear()
    cluster.kubectl("scale", "ecsservice/web", "--replicas=5", "-n", namespace)
    scaled = scraper.until(lambda s: mine(s, "running") == 5, "5 running tasks after desiredCount 5")
    assert mine(scaled, "desired") == 5
    assert mine(scraper.history[0], "running") == 3  # the change moves the gauges, from where they were
    assert _sum(scaled, "ecs_operator_tasks", state="desired") >= 5
    assert _sum(scaled, "controller_runtime_reconcile_total", controller="ecsservice") > reconciles
