"""`ecs-operator convert`, `render` and `status` against a real API server, as users run them.

convert's output is applied with kubectl and reconciled by the operator (run from the working
tree by the `operator` fixture); render's output and every example folder pass the API server's
own validation (`kubectl apply --dry-run=server`); status reads what the operator reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_helpers import get_json, wait_for

from ecs_operator.localcluster.cluster import ClusterHandle

REPO = Path(__file__).resolve().parents[2]
ECS = REPO / "tests" / "unit" / "data" / "ecs"
EXAMPLES = REPO / "examples"
EXAMPLE_FOLDERS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


def cli(*args: str, kubeconfig: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    return subprocess.run(
        [sys.executable, "-m", "ecs_operator.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def converted(*files: Path, namespace: str) -> str:
    done = cli("convert", *map(str, files), "-n", namespace)
    assert done.returncode == 0, done.stderr
    return done.stdout


def service_json(path: Path, **members: Any) -> Path:
    path.write_text(
        json.dumps(
            {
                "serviceName": "webserver",
                "taskDefinition": "webserver",
                "desiredCount": 2,
                "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 50},
                **members,
            }
        )
    )
    return path


def steady(cluster: ClusterHandle, namespace: str, name: str, desired: int) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        status = get_json(cluster, "ecsservice", name, "-n", namespace).get("status") or {}
        deployments = status.get("deployments") or []
        done = (
            status.get("runningCount") == desired
            and status.get("pendingCount") == 0
            and deployments
            and deployments[0].get("rolloutState") == "COMPLETED"
        )
        return status if done else None

    return wait_for(check, timeout=90, message=f"service {name} steady at {desired} tasks")


def revision(cluster: ClusterHandle, namespace: str, name: str) -> int | None:
    return (get_json(cluster, "taskdefinition", name, "-n", namespace).get("status") or {}).get("revision")


@pytest.mark.usefixtures("operator")
def test_converted_seed_example_is_applied_and_reconciled(
    cluster: ClusterHandle, namespace: str, tmp_path: Path
) -> None:
    text = converted(ECS / "register-webserver.json", service_json(tmp_path / "service.json"), namespace=namespace)
    done = cluster.kubectl("apply", "-f", "-", input=text, check=False)
    assert done.returncode == 0, done.stderr
    assert "taskdefinition.ecs.operator.dev/webserver created" in done.stdout
    assert "ecsservice.ecs.operator.dev/webserver created" in done.stdout
    wait_for(lambda: revision(cluster, namespace, "webserver") == 1, timeout=60, message="revision 1")
    cluster.kubectl("get", "controllerrevision", "webserver-1", "-n", namespace)
    status = steady(cluster, namespace, "webserver", 2)
    assert status["deployments"][0]["taskDefinition"] == "webserver:1"
    pods = get_json(cluster, "pods", "-n", namespace, "-l", "ecs.operator.dev/service=webserver")["items"]
    assert {p["spec"]["containers"][0]["resources"]["limits"]["memory"] for p in pods} == {"100Mi"}

    # status prints the service as `aws ecs describe-services` users expect.
    shown = cli("status", "-n", namespace, kubeconfig=cluster.kubeconfig)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    row = lines[lines.index("SERVICES") + 2].split()
    assert row == ["webserver", "default", "webserver:1", "2", "2", "0", "COMPLETED"], shown.stdout
    cluster_row = lines[lines.index("CLUSTERS") + 2].split()
    assert cluster_row[0] == "default"
    report = json.loads(cli("status", "-n", namespace, "-o", "json", kubeconfig=cluster.kubeconfig).stdout)
    (service,) = report["services"]
    assert service["serviceName"] == "webserver" and service["runningCount"] == 2
    assert service["events"], "ECS-style events are part of the record"


@pytest.mark.usefixtures("operator")
def test_converted_describe_task_definition_output_is_reconciled(cluster: ClusterHandle, namespace: str) -> None:
    text = converted(ECS / "describe-task-definition.json", namespace=namespace)
    (manifest,) = [doc for doc in yaml.safe_load_all(text) if doc]
    assert "taskDefinitionArn" not in manifest["spec"] and "revision" not in manifest["spec"]
    done = cluster.kubectl("apply", "-f", "-", input=text, check=False)
    assert done.returncode == 0, done.stderr
    # ECS said revision 3; on Kubernetes the family starts at 1.
    wait_for(lambda: revision(cluster, namespace, "webserver") == 1, timeout=60, message="revision 1")
    stored = get_json(cluster, "taskdefinition", "webserver", "-n", namespace)
    assert stored["spec"]["tags"] == [{"key": "app", "value": "webserver"}]
    assert stored["status"].get("status") == "ACTIVE"


def test_convert_output_is_rejected_by_nothing_on_the_api_server(
    cluster: ClusterHandle, crds: list[str], namespace: str
) -> None:
    """Every sample ECS input converts to objects the CRDs accept as they are."""
    inputs = [
        ECS / name
        for name in ("register-webserver.json", "register-orders-ec2.json", "run-task.json", "create-cluster.json")
    ]
    text = converted(*inputs, namespace=namespace)
    done = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=text, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("created (server dry run)") == 4


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS)
def test_example_manifests_and_their_render_pass_server_dry_run(
    cluster: ClusterHandle, crds: list[str], namespace: str, folder: str
) -> None:
    done = cluster.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", str(EXAMPLES / folder), check=False)
    assert done.returncode == 0, f"examples/{folder}: {done.stderr}"
    rendered = cli("render", str(EXAMPLES / folder), "-n", namespace)
    assert rendered.returncode == 0, rendered.stderr
    objects = [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]
    assert objects, f"examples/{folder} renders nothing"
    done = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=rendered.stdout, check=False)
    assert done.returncode == 0, f"render of examples/{folder}: {done.stderr}"
    assert done.stdout.count("(server dry run)") == len(objects)


def test_render_of_the_seed_example_passes_server_dry_run(cluster: ClusterHandle, namespace: str) -> None:
    rendered = cli("render", str(ECS / "register-webserver.json"), "-n", namespace)
    assert rendered.returncode == 0, rendered.stderr
    (pod,) = [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]
    assert pod["kind"] == "Pod"
    done = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=rendered.stdout, check=False)
    assert done.returncode == 0, done.stderr
    assert "pod/webserver created (server dry run)" in done.stdout
