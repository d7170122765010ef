"""Task roles: one IRSA-annotated ServiceAccount per role, shared by the services using it."""

from __future__ import annotations

from typing import Any

import pytest
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

ROLE_A = "arn:aws:iam::123456789012:role/app-a"
ROLE_B = "arn:aws:iam::123456789012:role/service-role/App-B"


def _pods(cluster: ClusterHandle, namespace: str, service: str) -> list[dict[str, Any]]:
    return get_json(cluster, "pods", "-n", namespace, "-l", f"ecs.operator.dev/service={service}")["items"]


def _running(cluster: ClusterHandle, namespace: str, service: str, count: int) -> list[dict[str, Any]]:
    def check():
        pods = _pods(cluster, namespace, service)
        running = [
            p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]
        return running if len(running) == count == len(pods) else None

    return wait_for(check, timeout=60, message=f"{count} running tasks of {service}")


def _accounts(cluster: ClusterHandle, namespace: str) -> dict[str, dict[str, Any]]:
    items = get_json(cluster, "serviceaccounts", "-n", namespace, "-l", "app.kubernetes.io/component=task-role")
    return {a["metadata"]["name"]: a for a in items["items"]}


def test_task_roles_become_shared_service_accounts(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply(
        [task_definition("app-a", taskRoleArn=ROLE_A), task_definition("app-b", taskRoleArn=ROLE_B)], "-n", namespace
    )
    cluster.apply(
        [ecs_service("one", "app-a", 1), ecs_service("two", "app-a", 1), ecs_service("three", "app-b", 2)],
        "-n",
        namespace,
    )
    for service, count in (("one", 1), ("two", 1), ("three", 2)):
        pods = _running(cluster, namespace, service, count)
        expected = "ecs-task-role-app-b" if service == "three" else "ecs-task-role-app-a"
        assert {p["spec"]["serviceAccountName"] for p in pods} == {expected}
        assert all(p["spec"]["automountServiceAccountToken"] for p in pods)

    accounts = _accounts(cluster, namespace)
    assert set(accounts) == {"ecs-task-role-app-a", "ecs-task-role-app-b"}
    assert accounts["ecs-task-role-app-a"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == ROLE_A
    assert accounts["ecs-task-role-app-b"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == ROLE_B
    owners = {r["name"] for r in accounts["ecs-task-role-app-a"]["metadata"]["ownerReferences"]}
    assert owners == {"one", "two"}  # both services own the shared account
    assert {r["name"] for r in accounts["ecs-task-role-app-b"]["metadata"]["ownerReferences"]} == {"three"}

    # Deleting one user keeps the account for the other; garbage collection drops the reference.
    cluster.kubectl("delete", "ecsservice", "one", "-n", namespace, "--wait=true", "--timeout=60s")
    wait_for(
        lambda: (
            {
                r["name"]
                for r in _accounts(cluster, namespace)["ecs-task-role-app-a"]["metadata"].get("ownerReferences", [])
            }
            == {"two"}
        ),
        timeout=60,
        message="the deleted service's reference to go",
    )

    # A service moving to another role gives its old account up once its old tasks are gone.
    cluster.apply([ecs_service("two", "app-b", 1)], "-n", namespace)
    pods = wait_for(
        lambda: [
            p
            for p in _running(cluster, namespace, "two", 1)
            if p["spec"]["serviceAccountName"] == "ecs-task-role-app-b"
        ],
        timeout=90,
        message="service two to run with role B",
    )
    assert pods
    wait_for(
        lambda: "ecs-task-role-app-a" not in _accounts(cluster, namespace),
        timeout=60,
        message="the unused account of role A to be deleted",
    )
    owners = {r["name"] for r in _accounts(cluster, namespace)["ecs-task-role-app-b"]["metadata"]["ownerReferences"]}
    assert owners == {"two", "three"}
