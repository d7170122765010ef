"""Leader election for `ecs-operator run --leader-elect`: one replica acts, the others wait warm.

The replica that holds the Lease runs kopf; the others wait in :meth:`LeaderElector.acquire`.
Both of the operator's clients are fenced by the lease: the operator's own (:meth:`Kube.fenced`)
and kopf's (its finalizer and annotation patches, through :func:`.session.fence_middleware`). A holder that
cannot renew in time stops kopf and exits non-zero, so its pod restarts as a standby with an empty
queue and no deferred work: nothing of its old term can act later.
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
