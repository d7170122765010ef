"""Polling and reading helpers shared by the integration tests."""

from __future__ import annotations

import json
import time

import pytest

from ecs_operator.localcluster.cluster import ClusterHandle


def get_json(cluster: ClusterHandle, *args: str) -> dict:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def wait_for(predicate, timeout: float = 60, interval: float = 0.5, message: str = "condition"):
    """Poll until predicate() returns a truthy value; fail the test with `message` otherwise."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {message} (last: {last!r})")


def wait_for_pod_phase(cluster: ClusterHandle, namespace: str, name: str, phase: str, timeout: float = 60) -> dict:
    def reached():
        pod = get_json(cluster, "pod", name, "-n", namespace)
        return pod if pod["status"].get("phase") == phase else None

    return wait_for(reached, timeout=timeout, message=f"pod {name} to reach phase {phase}")


def admission_webhook_expected() -> bool:
    """Does the operator under test serve the validating webhook? `ecs-operator run` does against the
    local cluster with the admin kubeconfig (`make test`); not as deploy/'s ServiceAccount (`make e2e`),
    nor deployed by deploy/ (kind, EKS) without deploy/webhook."""
    import os

    return not any(
        os.environ.get(v)
        for v in ("ECS_OPERATOR_AS_SERVICE_ACCOUNT", "ECS_OPERATOR_EXTERNAL", "ECS_OPERATOR_E2E_KUBECONFIG")
    )
