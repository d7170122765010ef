"""Guards ECS has and a team relies on: clusters are not deleted under their services, a family's
revision numbers are never reused, failures are Warnings, and the local cluster is ready when it says so."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle, LocalCluster

API = "ecs.operator.dev/v1alpha1"


def _cluster(name: str) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "ECSCluster", "metadata": {"name": name}, "spec": {"clusterName": name}}


def _status(cluster: ClusterHandle, kind: str, name: str, namespace: str) -> dict[str, Any]:
    found = cluster.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    return (json.loads(found.stdout).get("status") or {}) if found.returncode == 0 else {}


def _replicas(cluster: ClusterHandle, namespace: str, name: str) -> int | None:
    return get_json(cluster, "deployment", name, "-n", namespace)["spec"].get("replicas")


@pytest.mark.usefixtures("operator")
def test_a_cluster_with_services_is_held_deprovisioning_until_they_are_gone(
    cluster: ClusterHandle, namespace: str
) -> None:
    cluster.apply([_cluster("prod"), task_definition("web")], "-n", namespace)
    cluster.apply([ecs_service("web", "web", 2, cluster="prod")], "-n", namespace)
    wait_for(lambda: _status(cluster, "ecsservice", "web", namespace).get("runningCount") == 2, timeout=90)

    cluster.kubectl("delete", "ecscluster", "prod", "-n", namespace, "--wait=false")

    def held() -> dict[str, Any] | None:
        status = _status(cluster, "ecscluster", "prod", namespace)
        return status if status.get("status") == "DEPROVISIONING" else None

    status = wait_for(held, timeout=30, message="the cluster to be held DEPROVISIONING")
    assert status["problem"].startswith("ClusterContainsServicesException: ")
    assert "(1: web)" in status["problem"]
    events = get_json(cluster, "events", "-n", namespace, "--field-selector", "involvedObject.kind=ECSCluster")
    assert any("ClusterContainsServicesException" in e["message"] and e["type"] == "Warning" for e in events["items"])
    # The service keeps working in its DEPROVISIONING cluster: scaling still reaches its tasks.
    cluster.kubectl("scale", "ecss/web", "--replicas=3", "-n", namespace)
    wait_for(lambda: _replicas(cluster, namespace, "web") == 3, timeout=30, message="the Deployment scaled to 3")
    time.sleep(3)
    assert cluster.kubectl("get", "ecscluster", "prod", "-n", namespace, check=False).returncode == 0

    cluster.kubectl("delete", "ecsservice", "web", "-n", namespace, "--timeout=60s")
    wait_for(
        lambda: cluster.kubectl("get", "ecscluster", "prod", "-n", namespace, check=False).returncode != 0,
        timeout=30,
        message="the empty cluster to go",
    )


@pytest.mark.usefixtures("operator")
def test_a_service_whose_cluster_is_gone_still_scales_and_deletes(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([_cluster("gone"), task_definition("api")], "-n", namespace)
    cluster.apply([ecs_service("api", "api", 2, cluster="gone")], "-n", namespace)
    wait_for(lambda: _status(cluster, "ecsservice", "api", namespace).get("runningCount") == 2, timeout=90)
    # Force the cluster away (as if the operator had been down): the finalizer is dropped by hand.
    cluster.kubectl("delete", "ecscluster", "gone", "-n", namespace, "--wait=false")
    cluster.kubectl(
        "patch", "ecscluster", "gone", "-n", namespace, "--type=merge", "-p", '{"metadata":{"finalizers":null}}'
    )

    def missing() -> dict[str, Any] | None:
        status = _status(cluster, "ecsservice", "api", namespace)
        return status if (status.get("problem") or "").startswith("cluster: ECSCluster gone not found") else None

    wait_for(missing, timeout=30, message="the service to report its missing cluster")
    cluster.kubectl("scale", "ecss/api", "--replicas=4", "-n", namespace)
    wait_for(lambda: _replicas(cluster, namespace, "api") == 4, timeout=30, message="the Deployment scaled to 4")
    cluster.kubectl("delete", "ecsservice", "api", "-n", namespace, "--timeout=60s")
    wait_for(
        lambda: not get_json(cluster, "pods", "-n", namespace, "-l", "ecs.operator.dev/service=api")["items"],
        timeout=30,
        message="no task left",
    )


@pytest.mark.usefixtures("operator")
def test_a_recreated_task_definition_continues_its_revision_numbers(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("shop")], "-n", namespace)
    cluster.apply([ecs_service("shop", "shop", 1)], "-n", namespace)
    cluster.apply([task_definition("shop", image="nginx:1.28")], "-n", namespace)

    def on(revision: int) -> dict[str, Any] | None:
        status = _status(cluster, "ecsservice", "shop", namespace)
        primary = (status.get("deployments") or [{}])[0]
        return status if primary.get("taskDefinitionRevision") == revision and status.get("runningCount") else None

    wait_for(lambda: on(2), timeout=90, message="the service on shop:2")
    cluster.kubectl("delete", "taskdefinition", "shop", "-n", namespace, "--timeout=30s")
    cluster.apply([task_definition("shop", image="nginx:1.29")], "-n", namespace)

    def registered() -> dict[str, Any] | None:
        status = _status(cluster, "taskdefinition", "shop", namespace)
        return status if status.get("revision") else None

    td = wait_for(registered, timeout=30, message="the TaskDefinition registered again")
    assert td["revision"] == 3 and td["revisions"] == [3]
    assert td["taskDefinitionArn"].endswith("task-definition/shop:3")
    status = wait_for(lambda: on(3), timeout=90, message="the service on shop:3")
    assert status["taskDefinition"] == "shop:3"
    revisions = [d["taskDefinitionRevision"] for d in status["deployments"]]
    assert revisions[0] == 3 and all(r < 3 for r in revisions[1:])


@pytest.mark.usefixtures("operator")
def test_failure_events_are_warnings_and_steady_state_is_normal(cluster: ClusterHandle, namespace: str) -> None:
    containers = [
        {
            "name": "app",
            "image": "nginx:1.27",
            "memory": 128,
            "essential": True,
            "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:api-token"}],
        }
    ]
    cluster.apply([task_definition("needs", containers=containers), task_definition("fine")], "-n", namespace)
    cluster.apply([ecs_service("needs", "needs", 1), ecs_service("fine", "fine", 1)], "-n", namespace)

    def events() -> dict[str, str] | None:
        items = get_json(cluster, "events", "-n", namespace, "--field-selector", "involvedObject.kind=ECSService")
        found = {e["message"]: e["type"] for e in items["items"]}
        unable = [m for m in found if m.startswith("(service needs) was unable to start tasks")]
        steady = [m for m in found if m == "(service fine) has reached a steady state."]
        return found if unable and steady else None

    found = wait_for(events, timeout=90, message="the unable-to-start and steady-state events")
    assert all(t == "Warning" for m, t in found.items() if "unable to start tasks" in m)
    assert found["(service fine) has reached a steady state."] == "Normal"


def test_up_returns_only_when_discovery_and_openapi_are_served() -> None:
    """`kubectl apply` (client-side: it downloads OpenAPI) right after `up` returns must work."""
    local = LocalCluster("ecs-operator-readiness")
    try:
        handle = local.up(nodes=[])
        applied = handle.kubectl(
            "apply",
            "-f",
            "-",
            input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: default}\ndata: {a: b}\n",
            check=False,
        )
        assert applied.returncode == 0, applied.stderr
        for path in ("/openapi/v2", "/openapi/v3", "/apis"):
            assert handle.kubectl("get", "--raw", path, check=False).returncode == 0, path
    finally:
        local.down()
