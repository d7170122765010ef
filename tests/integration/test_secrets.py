"""Task secrets: a missing Secret holds the task (ECS ResourceInitializationError) until it exists."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:password::"
GATE = "ecs.operator.dev/task-resources"


def _pods(cluster: ClusterHandle, namespace: str, service: str) -> list[dict[str, Any]]:
    return get_json(cluster, "pods", "-n", namespace, "-l", f"ecs.operator.dev/service={service}")["items"]


def _status(cluster: ClusterHandle, namespace: str, name: str) -> dict[str, Any]:
    return get_json(cluster, "ecsservice", name, "-n", namespace).get("status") or {}


def _secret(name: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_missing_secret_holds_the_task_until_the_secret_exists(cluster: ClusterHandle, namespace: str) -> None:
    containers = [
        {
            "name": "web",
            "image": "nginx:1.27",
            "memory": 128,
            "essential": True,
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": ARN}],
        }
    ]
    cluster.apply([task_definition("db-client", containers=containers)], "-n", namespace)
    cluster.apply([ecs_service("db-client", "db-client", 1)], "-n", namespace)

    def held():
        status = _status(cluster, namespace, "db-client")
        pods = _pods(cluster, namespace, "db-client")
        problems = status.get("dependencyProblems") or []
        return (status, pods) if pods and problems and status.get("pendingCount") == 1 else None

    status, pods = wait_for(held, timeout=60, message="the service to report its missing secret")
    (problem,) = status["dependencyProblems"]
    assert problem.startswith("ResourceInitializationError")
    assert ARN in problem and "sm-prod-db" in problem and "password" in problem
    assert any("ResourceInitializationError" in e["message"] for e in status["events"])
    (pod,) = pods
    assert pod["status"]["phase"] == "Pending"
    assert GATE in [g["name"] for g in pod["spec"]["schedulingGates"]]
    scheduled = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert scheduled["reason"] == "SchedulingGated"
    env = pod["spec"]["containers"][0]["env"]
    assert {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "sm-prod-db", "key": "password"}}} in env
    generation = get_json(cluster, "ecsservice", "db-client", "-n", namespace)["metadata"]["generation"]

    # The Secret exists but lacks the key: still held, and the message says which key.
    cluster.apply([_secret("sm-prod-db", username="app")], "-n", namespace)
    wait_for(
        lambda: any(
            "key password not found in Secret" in p
            for p in _status(cluster, namespace, "db-client").get("dependencyProblems") or []
        ),
        timeout=30,
        message="the problem to name the missing key",
    )
    assert all(
        GATE in [g["name"] for g in p["spec"].get("schedulingGates", [])]
        for p in _pods(cluster, namespace, "db-client")
    )

    cluster.apply([_secret("sm-prod-db", username="app", password="s3cret")], "-n", namespace)

    def started():
        status = _status(cluster, namespace, "db-client")
        return status if status.get("runningCount") == 1 and not status.get("dependencyProblems") else None

    wait_for(started, timeout=60, message="the task to start once its secret exists")
    (pod,) = _pods(cluster, namespace, "db-client")
    assert pod["metadata"]["name"] == pods[0]["metadata"]["name"]  # the same task, released
    assert not pod["spec"].get("schedulingGates")
    service = get_json(cluster, "ecsservice", "db-client", "-n", namespace)
    assert service["metadata"]["generation"] == generation  # nobody touched the ECSService
