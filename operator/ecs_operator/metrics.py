"""Prometheus metrics of one operator process, named and labelled as controller-runtime's and client-go's.

A platform team's dashboards and alerts for controller-runtime operators
(``controller_runtime_reconcile_*``, ``workqueue_*``, ``rest_client_*``) then work unchanged;
what only an ECS operator knows is under ``ecs_operator_*``.

One :class:`Metrics` per operator, each with its own ``CollectorRegistry`` (not the library's
global one), handed to whatever records: the work queues, the API client, the executor. Two
operators in one process, or two unit tests, never share a counter. Recording methods are
cheap and never raise into a reconcile.

Label values stay bounded: controllers and queues are the four kinds, hosts the API servers,
codes the HTTP statuses. Series per ECSService (namespace, service) exist only with
``per_service=True`` (``ecs-operator run --per-service-metrics``): at tens of thousands of
services they would dominate a Prometheus server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric

if TYPE_CHECKING:  # the counts come computed: kube (and what builds on it) never loads plan through here
    from .plan.fleet import Fleet

__all__ = ["Metrics", "RESULT_SUCCESS", "RESULT_ERROR", "RESULT_REQUEUE", "NO_RESPONSE"]

RESULT_SUCCESS, RESULT_ERROR, RESULT_REQUEUE = "success", "error", "requeue"
NO_RESPONSE = "<error>"
"""The ``code`` of a request that got no HTTP answer (refused, reset, timed out), as client-go labels it."""

_RECONCILE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_QUEUE_BUCKETS = tuple(1e-8 * 10**i for i in range(12))  # client-go's workqueue: 10ns .. 1000s
_REQUEST_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)  # client-go's


class Metrics:
    """Every metric the operator exports, on a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None, *, per_service: bool = False) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.per_service = per_service
        r = self.registry
        self.reconcile_total = Counter(
            "controller_runtime_reconcile_total",
            "Reconciles per controller and result (success, error, requeue: asked to look again later).",
            ["controller", "result"],
            registry=r,
        )
        self.reconcile_errors = Counter(
            "controller_runtime_reconcile_errors_total",
            "Reconciles that raised an error, per controller.",
            ["controller"],
            registry=r,
        )
        self.reconcile_time = Histogram(
            "controller_runtime_reconcile_time_seconds",
            "How long one reconcile took, per controller.",
            ["controller"],
            buckets=_RECONCILE_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "workqueue_depth",
            "Reconciles due now and waiting for a worker (or for the object's running reconcile to end).",
            ["name"],
            registry=r,
        )
        self.queue_adds = Counter(
            "workqueue_adds_total",
            "Reconciles that became due (a trigger, or a requested look-again whose time came); "
            "triggers folded into one already waiting are not counted again.",
            ["name"],
            registry=r,
        )
        self.queue_duration = Histogram(
            "workqueue_queue_duration_seconds",
            "How long a due reconcile waited before it started.",
            ["name"],
            buckets=_QUEUE_BUCKETS,
            registry=r,
        )
        self.work_duration = Histogram(
            "workqueue_work_duration_seconds",
            "How long processing one item took.",
            ["name"],
            buckets=_QUEUE_BUCKETS,
            registry=r,
        )
        self.queue_retries = Counter(
            "workqueue_retries_total",
            "Reconciles requeued because the previous one failed.",
            ["name"],
            registry=r,
        )
        self.requests = Counter(
            "rest_client_requests_total",
            "API server requests by HTTP status code, method and host (code <error>: no response).",
            ["code", "method", "host"],
            registry=r,
        )
        self.request_duration = Histogram(
            "rest_client_request_duration_seconds",
            "API server request latency (to the response headers, for watches), by verb and host.",
            ["verb", "host"],
            buckets=_REQUEST_BUCKETS,
            registry=r,
        )
        self.watch_restarts = Counter(
            "ecs_operator_watch_restarts_total",
            "Watches that failed and were listed again from scratch, per resource.",
            ["resource"],
            registry=r,
        )
        self.stopped_tasks = Counter(
            "ecs_operator_stopped_tasks_total",
            "Tasks the operator stopped or recorded as stopped, by ECS stopCode.",
            ["stop_code"],
            registry=r,
        )
        self.leader = Gauge(
            "leader_election_master_status",
            "1 while this replica holds the leader Lease named, 0 while it waits (client-go's name).",
            ["name"],
            registry=r,
        )
        self.shards = Gauge(
            "ecs_operator_shards_held",
            "Shards (of --shards N; 1 under --leader-elect) whose Lease this replica holds.",
            registry=r,
        )

    # -- reconciles and queues -----------------------------------------------------------------
    def add_controller(self, name: str, depth: Callable[[], int]) -> None:
        """A controller and its queue exist: publish zeros at once (a rate() needs a first sample)."""
        for result in (RESULT_SUCCESS, RESULT_ERROR, RESULT_REQUEUE):
            self.reconcile_total.labels(name, result)
        self.reconcile_errors.labels(name)
        self.reconcile_time.labels(name)
        self.queue_adds.labels(name)
        self.queue_retries.labels(name)
        self.queue_duration.labels(name)
        self.work_duration.labels(name)
        self.queue_depth.labels(name).set_function(depth)

    def reconciled(self, controller: str, result: str, seconds: float) -> None:
        self.reconcile_total.labels(controller, result).inc()
        if result == RESULT_ERROR:
            self.reconcile_errors.labels(controller).inc()
        self.reconcile_time.labels(controller).observe(seconds)
        self.work_duration.labels(controller).observe(seconds)

    def queue_added(self, name: str) -> None:
        self.queue_adds.labels(name).inc()

    def queue_waited(self, name: str, seconds: float) -> None:
        self.queue_duration.labels(name).observe(max(0.0, seconds))

    def queue_retried(self, name: str) -> None:
        self.queue_retries.labels(name).inc()

    # -- the API server ------------------------------------------------------------------------
    def requested(self, method: str, host: str, code: str, seconds: float) -> None:
        self.requests.labels(code, method, host).inc()
        self.request_duration.labels(method, host).observe(seconds)

    def add_watch(self, resource: str) -> None:
        """A watch of ``resource`` exists: its restart count starts at a visible zero."""
        self.watch_restarts.labels(resource)

    def watch_restarted(self, resource: str) -> None:
        self.watch_restarts.labels(resource).inc()

    # -- ECS -----------------------------------------------------------------------------------
    def leading(self, lease: str, holds: bool) -> None:
        self.leader.labels(lease).set(1 if holds else 0)

    def shards_held(self, count: int) -> None:
        self.shards.set(count)

    def tasks_stopped(self, stop_codes: Iterable[str]) -> None:
        for code in stop_codes:
            self.stopped_tasks.labels(code or "unknown").inc()

    def follow_services(self, counts: Callable[[], Fleet]) -> None:
        """Report the ECS gauges from ``counts()`` (``plan.fleet`` over the ECSServices last seen), at each scrape."""
        self.registry.register(_ServicesCollector(counts))

    # -- exposition ----------------------------------------------------------------------------
    def serve(self, port: int, address: str = "0.0.0.0") -> tuple[WSGIServer, threading.Thread]:
        """Serve ``/metrics`` (Prometheus text format) from a daemon thread."""
        return start_http_server(port, addr=address, registry=self.registry)


class _ServicesCollector:
    """The ECS gauges, read from the watch cache when Prometheus scrapes: nothing to keep in step."""

    def __init__(self, counts: Callable[[], Fleet]) -> None:
        self._counts = counts

    def describe(self) -> list[Metric]:
        return []  # computed per scrape; nothing to check for duplicates at registration

    def collect(self) -> Iterator[Metric]:
        seen = self._counts()
        services = GaugeMetricFamily(
            "ecs_operator_services",
            "ECSServices by the rolloutState of their PRIMARY deployment.",
            labels=["rollout_state"],
        )
        for state, value in seen.services.items():
            services.add_metric([state], value)
        yield services
        tasks = GaugeMetricFamily(
            "ecs_operator_tasks",
            "Tasks of all ECSServices as their statuses count them: desired, running, pending.",
            labels=["state"],
        )
        for state, value in seen.tasks.items():
            tasks.add_metric([state], value)
        yield tasks
        if seen.each:
            each = GaugeMetricFamily(
                "ecs_operator_service_tasks",
                "Tasks of one ECSService: desired, running, pending (--per-service-metrics).",
                labels=["namespace", "service", "state"],
            )
            for counts in seen.each:
                for state, value in counts.tasks().items():
                    each.add_metric([counts.namespace, counts.name, state], value)
            yield each
