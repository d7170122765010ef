"""Helpers shared by the reliability tests: the run summary, and whole-namespace checks."""

from __future__ import annotations

import time
from typing import Any

import pytest

LINES: list[str] = []
MANAGED = "app.kubernetes.io/managed-by=ecs-operator"


def report(line: str) -> None:
    """A line for the end-of-run summary (seeds, counts, timings), printed even with -q."""
    LINES.append(line)
    print(line, flush=True)


def kube_client(cluster: Any) -> Any:
    """Our own API client (plain dicts), for tests that read many objects quickly."""
    from ecs_operator.kube import connect

    return connect(str(cluster.kubeconfig))


def wait_until(predicate, timeout: float, interval: float = 1.0, message: str = "condition", describe=None):
    """Poll until predicate() is truthy; on timeout fail, saying what describe() sees."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    detail = describe() if describe is not None else repr(last)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {message}: {detail}")


def steady(service: dict[str, Any], desired: int, revision: int | None = None) -> bool:
    """ECS's steady state: every task running, one deployment, rollout COMPLETED."""
    status = service.get("status") or {}
    deployments = status.get("deployments") or []
    ok = (
        status.get("runningCount") == desired
        and status.get("desiredCount") == desired
        and status.get("pendingCount") == 0
        and len(deployments) == 1
        and deployments[0].get("rolloutState") == "COMPLETED"
    )
    if ok and revision is not None:
        ok = deployments[0].get("taskDefinitionRevision") == revision
    return ok


def ssa(kube: Any, obj: dict[str, Any], manager: str = "reliability-test") -> dict[str, Any]:
    """Server-side apply as a user would (its own field manager, not the operator's)."""
    from ecs_operator.kube.resources import resource_for

    meta = obj["metadata"]
    path = resource_for(obj["apiVersion"], obj["kind"]).path(meta.get("namespace"), meta["name"])
    return kube.request(
        "PATCH",
        path,
        query={"fieldManager": manager, "force": "true"},
        body=obj,
        content_type="application/apply-patch+yaml",
    )


def orphans(kube: Any, namespace: str) -> list[str]:
    """Operator-made objects (and their pods) whose owner does not exist (by uid)."""
    live: dict[str, str] = {}
    for api, kind in (
        ("ecs.operator.dev/v1alpha1", "ECSService"),
        ("apps/v1", "ReplicaSet"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "DaemonSet"),
    ):
        for obj in kube.list(api, kind, namespace):
            live[obj["metadata"]["uid"]] = f"{kind}/{obj['metadata']['name']}"
    problems = []
    for api, kind in (("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "Pod"), ("apps/v1", "ReplicaSet")):
        for obj in kube.list(api, kind, namespace, selector=MANAGED if kind != "ReplicaSet" else None):
            meta = obj["metadata"]
            if meta.get("deletionTimestamp"):
                continue
            owners = [r for r in meta.get("ownerReferences", []) if r.get("controller", True)]
            if kind == "ReplicaSet" and not owners:
                continue  # not ours
            if not owners:
                problems.append(f"{kind}/{meta['name']} has no owner")
            for ref in owners:
                if ref.get("uid") not in live:
                    problems.append(
                        f"{kind}/{meta['name']}: owner {ref.get('kind')}/{ref.get('name')} ({ref.get('uid')}) is gone"
                    )
    return problems


def not_steady(kube: Any, namespace: str, desired: int, revision: int | None = None, limit: int = 5) -> str:
    """What the services that are not steady report (for failure messages)."""
    services = kube.list("ecs.operator.dev/v1alpha1", "ECSService", namespace)
    bad = [s for s in services if not steady(s, desired, revision)]
    lines = [f"{len(bad)} of {len(services)} not steady"]
    for s in bad[:limit]:
        status = s.get("status") or {}
        lines.append(
            f"{s['metadata']['name']}: running {status.get('runningCount')} pending "
            f"{status.get('pendingCount')} desired {status.get('desiredCount')} deployments "
            f"{[(d.get('taskDefinitionRevision'), d.get('rolloutState')) for d in status.get('deployments') or []]}"
            f" problem {status.get('problem')!r}"
        )
    return "\n  ".join(lines)
