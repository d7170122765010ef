"""Sharding for scale-out: which replica acts on which namespaces, decided from what was seen.

Pure. Objects are split across ``shards`` Leases by a stable hash of their namespace, so an
ECSService, its TaskDefinition, its ECSCluster and its tasks always land in the same shard. Each
replica renews a membership Lease; from the live members it works out its fair share
(``ceil(shards / members)``), claims free shards up to it and hands back those above it, so adding a
replica spreads the shards without a restart, and the shards of a replica that died (its Leases
expire, as in :mod:`.leadership`) are claimed by the others.

``--leader-elect`` is the one-shard case: one Lease, named as before, one replica acting.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass

__all__ = [
    "ShardMove",
    "fair_share",
    "member_lease_name",
    "namespace_of_path",
    "rebalance",
    "shard_lease_name",
    "shard_of",
]


def shard_of(namespace: str, shards: int) -> int:
    """The shard of everything in ``namespace``: the same in every replica, run and Python version."""
    if shards <= 1:
        return 0
    digest = hashlib.sha256(namespace.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def shard_lease_name(base: str, index: int, shards: int) -> str:
    """One shard's Lease. Its name carries the shard count, so replicas of two different counts
    never hold the same Lease for different sets of namespaces."""
    return base if shards <= 1 else f"{base}-shard-{index}-of-{shards}"


def member_lease_name(base: str, identity: str) -> str:
    """A replica's membership Lease (an identity is not a DNS name; a digest of it is)."""
    return f"{base}-member-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"


def fair_share(shards: int, members: int) -> int:
    return math.ceil(shards / max(1, members))


@dataclass(frozen=True)
class ShardMove:
    """What one replica does this round: try the ``claim`` shards in order until it has gained
    ``want`` of them (the others may be held: only trying tells), and hand back ``release``."""

    claim: tuple[int, ...]
    release: tuple[int, ...]
    want: int = 0


def rebalance(
    held: Collection[int], shards: int, members: int, preferred: Iterable[int], *, count_agreed: bool = True
) -> ShardMove:
    """Claim towards the fair share, hand back what is above it.

    ``preferred``: the shards not held here in the order this replica tries them (each replica
    starts at a different one, so two starting together do not race for the same Lease first).
    ``count_agreed``: no live member runs another shard count; while one does, claim nothing (its
    shards cover the same namespaces under other Lease names).
    """
    target = fair_share(shards, members)
    ordered = sorted(held)
    if len(ordered) > target:
        return ShardMove((), tuple(ordered[target:]))
    if not count_agreed:
        return ShardMove((), ())
    want = target - len(ordered)
    return ShardMove(tuple(i for i in preferred if i not in held) if want else (), (), want)


def namespace_of_path(path: str) -> str | None:
    """The namespace an API request path writes into, or None for a cluster-scoped object.

    ``/api/v1/namespaces/NS/...`` and ``/apis/G/V/namespaces/NS/...``; ``/api/v1/namespaces/NS``
    alone is the Namespace object itself, which is cluster-scoped.
    """
    parts = path.split("?", 1)[0].strip("/").split("/")
    at = 2 if parts[:1] == ["api"] else 3
    if len(parts) > at + 2 and parts[at] == "namespaces":
        return parts[at + 1]
    return None
