"""Who a replica is under `--leader-elect` / `--shards N`: its identity in the Leases and its User-Agent.

Every replica runs kopf and watches; it acts only on the namespaces of the shard Leases it holds
(:class:`..kube.shard_election.ShardElector`). Both of its clients are fenced by those Leases: the
operator's own (:meth:`Kube.fenced`) and kopf's (:func:`.session.fence_middleware`). The identity
names the replica in the Lease and, through the User-Agent, in the API server's audit log.
"""

from __future__ import annotations

import socket
import uuid

__all__ = ["replica_identity", "user_agent"]


def replica_identity(pod_name: str | None = None) -> str:
    """``<pod or host name>_<random>``: unique per process, readable in the Lease and the audit log."""
    return f"{pod_name or socket.gethostname()}_{uuid.uuid4().hex[:8]}"


def user_agent(identity: str) -> str:
    return f"ecs-operator/{identity}"
