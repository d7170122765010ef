"""`kubectl ecs` run by the real kubectl, as users run it: found on PATH, reading the real API server.

kubectl finds `kubectl-ecs` in this venv's bin (where `pip install` put it) and passes the
arguments through; the output must be `ecs-operator status`'s. No operator runs: status prints
the objects as applied, which is enough to compare the two commands.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecs_operator.localcluster.cluster import ClusterHandle

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def env(cluster: ClusterHandle) -> dict[str, str]:
    if not shutil.which("kubectl-ecs", path=str(BIN)):
        pytest.fail(f"no kubectl-ecs in {BIN}: `pip install -e .` (make venv) installs it")
    # kubectl refuses flags before a plugin's name, so the kubeconfig comes by environment
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "KUBECONFIG": str(cluster.kubeconfig),
    }


def run(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def webserver(cluster: ClusterHandle, crds: list[str], namespace: str) -> str:
    cluster.kubectl("apply", "-n", namespace, "-f", str(REPO / "examples" / "webserver"))
    return namespace


def test_plugin_list_shows_kubectl_ecs(cluster: ClusterHandle, env: dict[str, str]) -> None:
    listed = run(env, cluster.kubectl_binary, "plugin", "list")
    assert str(BIN / "kubectl-ecs") in listed.stdout.splitlines(), listed.stdout + listed.stderr


def test_kubectl_ecs_alone_prints_usage(cluster: ClusterHandle, env: dict[str, str]) -> None:
    done = run(env, cluster.kubectl_binary, "ecs")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: kubectl ecs ") and "status" in done.stdout and "convert" in done.stdout


def test_kubectl_ecs_status_prints_what_ecs_operator_status_prints(
    cluster: ClusterHandle, env: dict[str, str], webserver: str
) -> None:
    context = cluster.kubectl("config", "current-context").stdout.strip()
    for flags in (["-n", webserver], ["-n", webserver, "-o", "json"], ["-n", webserver, "--context", context]):
        # the suite's operator may be writing the service's status between the two reads: the
        # outputs must agree once it has nothing more to write
        for _ in range(20):
            plugin = run(env, cluster.kubectl_binary, "ecs", "status", *flags)
            direct = run(env, str(BIN / "ecs-operator"), "status", *flags)
            assert plugin.returncode == 0, plugin.stderr
            if (plugin.stdout, plugin.stderr) == (direct.stdout, direct.stderr):
                break
            time.sleep(1)
        assert (plugin.stdout, plugin.stderr) == (direct.stdout, direct.stderr), flags
    lines = plugin.stdout.splitlines()
    assert lines[lines.index("SERVICES") + 2].split()[:2] == ["webserver", "default"], plugin.stdout
    report = json.loads(run(env, cluster.kubectl_binary, "ecs", "status", "-n", webserver, "-o", "json").stdout)
    assert [s["serviceName"] for s in report["services"]] == ["webserver"]
