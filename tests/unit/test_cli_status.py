"""`ecs-operator status`: tables and records shaped like `aws ecs describe-*` output.

The reading is exercised against a real API server in tests/integration/test_cli.py; here a
stand-in for the client returns fixed objects so the printing can be checked exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_operator.cli import main

API = "ecs.operator.dev/v1alpha1"

CLUSTER = {
    "metadata": {"name": "default", "namespace": "shop"},
    "spec": {},
    "status": {
        "status": "ACTIVE",
        "registeredContainerInstancesCount": 7,
        "runningTasksCount": 2,
        "pendingTasksCount": 0,
        "activeServicesCount": 1,
    },
}
SERVICE = {
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"taskDefinition": "webserver", "desiredCount": 2},
    "status": {
        "serviceName": "web",
        "status": "ACTIVE",
        "cluster": "default",
        "taskDefinition": "webserver:1",
        "desiredCount": 2,
        "runningCount": 2,
        "pendingCount": 0,
        "deployments": [{"status": "PRIMARY", "rolloutState": "COMPLETED"}],
        "events": [{"message": "(service web) has reached a steady state."}],
    },
}
BROKEN = {
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {"taskDefinition": "api", "desiredCount": 1, "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod"},
    "status": {"problem": "taskDefinition: TaskDefinition api not found in namespace shop"},
}
TASK = {
    "metadata": {"name": "etl", "namespace": "shop"},
    "spec": {"taskDefinition": "etl", "count": 2},
    "status": {
        "cluster": "default",
        "taskDefinition": "etl:1",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "summary": {"running": 0, "stopped": 2},
    },
}


class FakeKube:
    def __init__(self) -> None:
        self.namespaces: list[str | None] = []

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        assert api_version == API
        self.namespaces.append(namespace)
        return {"ECSCluster": [CLUSTER], "ECSService": [SERVICE, BROKEN], "ECSTask": [TASK]}[kind]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeKube:
    kube = FakeKube()
    monkeypatch.setattr("ecs_operator.kube.connect", lambda *a, **k: kube)
    return kube


def test_table_reads_like_describe(fake: FakeKube, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "-n", "shop"]) == 0
    out = capsys.readouterr().out
    assert fake.namespaces == ["shop"] * 3
    lines = out.splitlines()
    assert lines[0] == "CLUSTERS"
    assert lines[1].split() == ["CLUSTER", "STATUS", "INSTANCES", "RUNNING", "PENDING", "SERVICES"]
    assert lines[2].split() == ["default", "ACTIVE", "7", "2", "0", "1"]
    services = lines.index("SERVICES")
    assert lines[services + 1].split() == ["SERVICE", "CLUSTER", "TASKDEF", "DESIRED", "RUNNING", "PENDING", "ROLLOUT"]
    # Sorted by name; a cluster ARN reads as its name; no status yet reads as "-".
    assert lines[services + 2].split() == ["api", "prod", "api", "1", "-", "-", "-"]
    assert lines[services + 3].split() == ["web", "default", "webserver:1", "2", "2", "0", "COMPLETED"]
    tasks = lines.index("TASKS")
    assert lines[tasks + 2].split()[:5] == ["etl", "default", "etl:1", "STOPPED", "STOPPED"]
    assert "api: taskDefinition: TaskDefinition api not found in namespace shop" in lines
    assert "etl: Essential container in task exited" in lines


def test_all_namespaces_adds_a_column(fake: FakeKube, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "-A"]) == 0
    out = capsys.readouterr().out
    assert fake.namespaces == [None] * 3
    assert out.splitlines()[1].split()[:2] == ["NAMESPACE", "CLUSTER"]


def test_json_and_yaml_are_describe_shaped(fake: FakeKube, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "-n", "shop", "-o", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"clusters", "services", "tasks"}
    web = report["services"][1]
    assert web["serviceName"] == "web" and web["runningCount"] == 2 and web["cluster"] == "default"
    assert web["events"][0]["message"] == "(service web) has reached a steady state."
    assert report["clusters"][0]["clusterName"] == "default"
    assert main(["status", "-n", "shop", "-o", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == report


def test_no_resources_say_none(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    class Empty:
        def list(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            return []

    monkeypatch.setattr("ecs_operator.kube.connect", lambda *a, **k: Empty())
    assert main(["status", "-n", "x"]) == 0
    assert capsys.readouterr().out == "CLUSTERS\n(none)\n\nSERVICES\n(none)\n\nTASKS\n(none)\n"


def test_unreachable_cluster_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u", "namespace": "ctx-ns"}}],
                "users": [{"name": "u", "user": {"token": "x"}}],
            }
        )
    )
    assert main(["status", "--kubeconfig", str(kubeconfig)]) == 1
    assert capsys.readouterr().err.startswith("error: cannot ")


def test_missing_kubeconfig_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--kubeconfig", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err.startswith("error: cannot connect to the cluster:")
