"""The operator's identity in e2e: deploy/'s ServiceAccount, with exactly deploy/'s RBAC."""

from __future__ import annotations

import os

import pytest
import yaml

from ecs_operator.localcluster.cluster import ClusterHandle

ACCOUNT = "system:serviceaccount:ecs-operator-system:ecs-operator"


@pytest.mark.parametrize(
    ("verb", "resource", "allowed"),
    [
        ("patch", "ecsservices.ecs.operator.dev/status", "yes"),
        ("create", "deployments.apps", "yes"),
        ("delete", "pods", "yes"),
        ("create", "pods/binding", "yes"),
        ("delete", "persistentvolumeclaims", "no"),
        ("create", "secrets", "no"),
        ("delete", "namespaces", "no"),
        ("create", "clusterroles.rbac.authorization.k8s.io", "no"),
    ],
)
def test_service_account_rbac(cluster: ClusterHandle, operator, verb: str, resource: str, allowed: str) -> None:
    answer = cluster.kubectl("auth", "can-i", verb, resource, "--as", ACCOUNT, "-A", check=False).stdout.strip()
    assert answer == allowed


def test_operator_runs_as_the_service_account(operator) -> None:
    if not os.environ.get("ECS_OPERATOR_AS_SERVICE_ACCOUNT"):
        pytest.skip("run through `make e2e`, which sets ECS_OPERATOR_AS_SERVICE_ACCOUNT=1")
    config = yaml.safe_load(operator.kubeconfig.read_text())
    assert [u["name"] for u in config["users"]] == ["ecs-operator"]
    assert "token" in config["users"][0]["user"] and "client-certificate-data" not in config["users"][0]["user"]
