"""The operator context: everything a handler needs, built once at start-up and passed down.

Handlers receive it through kopf's ``memo`` (:func:`context_of`); nothing in handlers/ keeps
state at module level (a unit test scans for it). One context per operator process: its API
connection, watch caches, applier and executor, the reconcile queues of each kind, settings,
its metrics (a registry of its own, so two contexts never share a counter), and its health.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..health import Health
from ..kube import Kube, connect
from ..kube.applier import Applier
from ..kube.cache import Caches, Generations
from ..kube.dependencies import PodDependencies
from ..kube.executor import Executor
from ..kube.lookups import Lookups
from ..kube.shard_election import ShardElector
from ..kube.traffic import TrafficApplier
from ..kube.workqueue import Scheduler, WorkQueue
from ..metrics import Metrics
from ..plan.fleet import fleet
from ..settings import Settings
from ..vocabulary import KIND_CLUSTER, KIND_SERVICE, KIND_TASK, KIND_TASK_DEFINITION

__all__ = ["OperatorContext", "context_of", "namespaced", "ReconcileFn"]

ReconcileFn = Callable[["OperatorContext", str, str], "float | None"]


@dataclass
class OperatorContext:
    settings: Settings
    kube: Kube
    caches: Caches
    applier: Applier
    executor: Executor
    lookups: Lookups
    traffic: TrafficApplier
    scheduler: Scheduler
    metrics: Metrics = field(default_factory=Metrics)
    shards: ShardElector | None = None  # with --leader-elect/--shards: the Leases that fence every write
    generations: Generations = field(default_factory=Generations)  # which ECS object events need a reconcile
    health: Health = field(default_factory=Health)  # what /healthz and /readyz answer; kopf's watches feed it
    dependencies: PodDependencies = field(init=False)
    queues: dict[str, WorkQueue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dependencies = PodDependencies(self.kube, self.wake)

    @classmethod
    def create(cls, settings: Settings, kube: Kube | None = None, metrics: Metrics | None = None) -> OperatorContext:
        """Connect (a bad kubeconfig fails start-up, not the first reconcile) and wire everything.

        ``metrics`` records what this operator does (a fresh registry when none is given); a
        ``kube`` passed in keeps its own metrics, if any.
        """
        metrics = metrics if metrics is not None else Metrics()
        client = kube or connect(settings.kubeconfig, in_cluster=settings.in_cluster, metrics=metrics)
        caches = Caches()
        applier = Applier(client)
        metrics.follow_services(lambda: fleet(caches.services_by_cluster.all(), each=metrics.per_service))
        return cls(
            settings=settings,
            kube=client,
            caches=caches,
            applier=applier,
            executor=Executor(client, applier, metrics),
            lookups=Lookups(client, caches),
            traffic=TrafficApplier(client, applier),
            scheduler=Scheduler(settings.reconcile_workers),
            metrics=metrics,
        )

    def add_queue(self, kind: str, reconcile: ReconcileFn) -> WorkQueue:
        """The work queue of one kind; its reconcile gets this context."""

        def bound(namespace: str, name: str) -> float | None:
            return reconcile(self, namespace, name)

        queue = WorkQueue(kind, bound, self.scheduler, self.metrics, owns=self.owns)
        self.queues[kind] = queue
        return queue

    def queue(self, kind: str) -> WorkQueue:
        return self.queues[kind]

    @property
    def services(self) -> WorkQueue:
        return self.queues[KIND_SERVICE]

    @property
    def tasks(self) -> WorkQueue:
        return self.queues[KIND_TASK]

    @property
    def clusters(self) -> WorkQueue:
        return self.queues[KIND_CLUSTER]

    @property
    def task_definitions(self) -> WorkQueue:
        return self.queues[KIND_TASK_DEFINITION]

    def owns(self, namespace: str) -> bool:
        """Whether this replica acts on ``namespace`` now (always, without leader election)."""
        return self.shards is None or self.shards.owns(namespace)

    def wake(self, kind: str, namespace: str, name: str, delay: float = 0.0) -> None:
        """Reconcile an object of `kind` soon (a dependency appeared, an owned object drifted)."""
        queue = self.queues.get(kind)
        if queue is not None:
            queue.later(namespace, name, delay)

    def stop(self, grace: float = 0.0) -> bool:
        """No new reconciles; those running get ``grace`` seconds to finish (True: all did)."""
        return self.scheduler.stop(grace)


def context_of(memo: Any) -> OperatorContext:
    """The context kopf hands every handler in ``memo`` (see cli ``run``)."""
    ctx = memo.context
    assert isinstance(ctx, OperatorContext)
    return ctx


def namespaced(namespace: str | None) -> str:
    """kopf types ``namespace`` for every resource; ours (and pods) always have one."""
    if namespace is None:
        raise ValueError("a namespaced resource arrived without a namespace")
    return namespace
