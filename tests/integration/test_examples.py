"""Every folder in examples/ applies as users would apply it and reaches a steady state."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from kube_helpers import get_json, wait_for

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FOLDERS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


def _service_steady(svc: dict[str, Any]) -> bool:
    status = svc.get("status") or {}
    deployments = status.get("deployments") or []
    return (
        status.get("runningCount") == svc["spec"].get("desiredCount", status.get("desiredCount"))
        and status.get("pendingCount") == 0
        and len(deployments) == 1
        and deployments[0].get("rolloutState") == "COMPLETED"
    )


def _task_settled(task: dict[str, Any]) -> bool:
    """Scheduled tasks: their CronJob exists. One-off tasks: every task RUNNING or stopped cleanly."""
    spec, status = task["spec"], task.get("status") or {}
    if spec.get("schedule"):
        return bool(status.get("cronJob") or status.get("schedule") or status.get("conditions"))
    tasks = status.get("tasks") or []
    if len(tasks) < int(spec.get("count", 1)):
        return False
    for entry in tasks:
        if entry.get("lastStatus") == "RUNNING":
            continue
        if (
            entry.get("lastStatus") == "STOPPED"
            and entry.get("stopCode") == "EssentialContainerExited"
            and all(c.get("exitCode") in (0, None) for c in entry.get("containers", []))
        ):
            continue
        return False
    return True


def _leftovers(cluster: ClusterHandle, namespace: str) -> list[str]:
    """What is left of an example: ECS's implicit `default` cluster is not the example's, and stays."""
    kinds = "ecsservices,ecstasks,ecsclusters,taskdefinitions,deployments,daemonsets,cronjobs,jobs,pods"
    listing = get_json(cluster, kinds, "-n", namespace)["items"]
    found = [f"{o['kind']}/{o['metadata']['name']}" for o in listing]
    return [f for f in found if f != "ECSCluster/default"]


def test_a_namespace_holding_every_example_deletes(cluster: ClusterHandle, namespace: str) -> None:
    for folder in FOLDERS:
        cluster.kubectl("apply", "-n", namespace, "-f", str(EXAMPLES / folder))
    wait_for(
        lambda: len(get_json(cluster, "pods", "-n", namespace)["items"]) >= 10,
        timeout=90,
        message="the examples' tasks to start",
    )
    cluster.kubectl("delete", "namespace", namespace, "--timeout=120s")
    gone = cluster.kubectl("get", "namespace", namespace, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr


def test_every_example_has_a_readme() -> None:
    assert FOLDERS
    for folder in FOLDERS:
        assert (EXAMPLES / folder / "README.md").is_file(), folder


@pytest.mark.parametrize("folder", FOLDERS)
def test_example_reaches_steady_state(cluster: ClusterHandle, namespace: str, folder: str) -> None:
    if "ng-ondemand-a" not in cluster.kubectl("get", "nodes", "-o", "name").stdout:
        if os.environ.get("ECS_OPERATOR_E2E_KUBECONFIG"):  # kind, EKS: another cluster's nodes
            pytest.skip("the examples target the local cluster's node pools")
        pytest.fail(
            "the local control plane has no node ng-ondemand-a: LocalCluster.up() no longer creates the "
            "default node pools (localcluster/nodes.py default_node_pools) the examples target"
        )
    cluster.kubectl("apply", "-n", namespace, "-f", str(EXAMPLES / folder))

    def settled():
        services = get_json(cluster, "ecsservices", "-n", namespace)["items"]
        tasks = get_json(cluster, "ecstasks", "-n", namespace)["items"]
        pending = [s["metadata"]["name"] for s in services if not _service_steady(s)]
        pending += [t["metadata"]["name"] for t in tasks if not _task_settled(t)]
        return (services or tasks) and not pending and (services, tasks)

    services, _tasks = wait_for(settled, timeout=120, message=f"example {folder} to reach a steady state")
    for svc in services:
        messages = [e["message"] for e in svc["status"].get("events", [])]
        assert any("has reached a steady state" in m for m in messages), svc["metadata"]["name"]

    # Every workload shape (one Deployment, one per capacity provider, a DaemonSet, per-task Fargate
    # nodes, standalone and scheduled tasks) deletes: every object gone, no pod left, within 60 s.
    started = time.monotonic()
    cluster.kubectl("delete", "-n", namespace, "-f", str(EXAMPLES / folder), "--timeout=60s")
    wait_for(
        lambda: not _leftovers(cluster, namespace),
        timeout=max(1.0, 60 - (time.monotonic() - started)),
        message=f"example {folder} deleted with nothing left",
    )
