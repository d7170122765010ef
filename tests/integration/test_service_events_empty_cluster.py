"""A Kubernetes cluster with no nodes at all: ECS's "No Container Instances were found in your cluster".

The shared test cluster always has nodes, so this test starts a second local control plane
without any, with its own operator, and tears both down afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from conftest import CRDS, OperatorProcess
from ecs_operator.localcluster.cluster import ClusterHandle, LocalCluster


@pytest.fixture
def empty_cluster(tmp_path: Path) -> Iterator[ClusterHandle]:
    if os.environ.get("ECS_OPERATOR_E2E_KUBECONFIG"):
        pytest.skip("needs the local control plane: it starts a second, node-less cluster")
    local = LocalCluster(os.environ.get("ECS_OPERATOR_TEST_CLUSTER", "ecs-operator-test") + "-empty")
    handle = local.up(nodes=[])
    try:
        handle.kubectl("apply", "--server-side", "-k", str(CRDS))
        handle.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
        yield handle
    finally:
        local.down()


def test_no_nodes_at_all(empty_cluster: ClusterHandle, tmp_path: Path) -> None:
    operator = OperatorProcess(empty_cluster.kubeconfig, tmp_path / "operator.log")
    try:
        operator.wait_ready()
        empty_cluster.kubectl("create", "namespace", "shop")
        empty_cluster.apply([task_definition("web"), ecs_service("web", "web", 1)], "-n", "shop")
        expected = (
            "(service web) was unable to place a task because no container instance met all of its requirements. "
            "Reason: No Container Instances were found in your cluster."
        )

        def seen() -> dict[str, str] | None:
            status = get_json(empty_cluster, "ecsservice", "web", "-n", "shop").get("status") or {}
            events = get_json(
                empty_cluster, "events", "-n", "shop", "--field-selector", "involvedObject.kind=ECSService"
            )
            kinds = {e["message"]: e["type"] for e in events["items"]}
            in_status = expected in [e["message"] for e in status.get("events") or []]
            return kinds if in_status and expected in kinds else None

        kinds = wait_for(seen, timeout=90, interval=1, message="the no-container-instances event")
        assert kinds[expected] == "Warning"
    finally:
        operator.stop()
