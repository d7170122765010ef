"""A shard just became this replica's: reconcile everything in it now.

Its previous owner's deferred work and pending triggers went with that owner, and the objects in
it may have changed while nobody acted, so every ECS object of the shard's namespaces is queued
(read from the API: one list per kind, cluster-wide or per watched namespace).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..plan.sharding import shard_of
from ..vocabulary import API_VERSION, KIND_CLUSTER, KIND_SERVICE, KIND_TASK, KIND_TASK_DEFINITION
from .context import OperatorContext

__all__ = ["adopt_shard"]

KINDS = (KIND_TASK_DEFINITION, KIND_CLUSTER, KIND_SERVICE, KIND_TASK)


def adopt_shard(ctx: OperatorContext, index: int, namespaces: Sequence[str] = ()) -> None:
    assert ctx.shards is not None
    shards = ctx.shards.shards
    exact = namespaces and not any(set(n) & set("*?[!") for n in namespaces)  # else kopf's globs: list all
    for kind in KINDS:
        for namespace in namespaces if exact else (None,):
            for obj in ctx.kube.list(API_VERSION, kind, namespace):
                meta = obj["metadata"]
                if shard_of(meta["namespace"], shards) == index:
                    ctx.queue(kind).later(meta["namespace"], meta["name"], 0.0)
