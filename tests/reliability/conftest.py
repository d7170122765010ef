"""Fixtures for the reliability suite (`make reliability`): faults injected into a running system.

The cluster fixtures are the integration suite's (tests/integration/conftest.py), loaded
here under another module name so that `pytest tests/reliability` works on its own. The
session operator is *not* used: these tests kill, restart and duplicate operators, so each
starts its own through :func:`operators` and stops them when done, after deleting its
namespace while an operator is still there to drain its ECSServices.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
INTEGRATION = HERE.parent / "integration"
sys.path.insert(0, str(INTEGRATION))  # kube_helpers, manifests
sys.path.insert(0, str(HERE))  # chaos, ecs_fuzz

import chaos  # noqa: E402

_spec = importlib.util.spec_from_file_location("ecs_integration_fixtures", INTEGRATION / "conftest.py")
assert _spec is not None and _spec.loader is not None
_integration = importlib.util.module_from_spec(_spec)
sys.modules["ecs_integration_fixtures"] = _integration
_spec.loader.exec_module(_integration)

# Re-exported fixtures (pytest collects fixture functions found in a conftest's namespace).
cluster = _integration.cluster
kubeconfig = _integration.kubeconfig
crds = _integration.crds
namespace = _integration.namespace
OperatorProcess = _integration.OperatorProcess


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: fault injection / fuzzing (make reliability)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if chaos.LINES:
        terminalreporter.section("reliability")
        for line in chaos.LINES:
            terminalreporter.write_line(line)


class Operator(OperatorProcess):
    """OperatorProcess (extra command-line arguments, e.g. --leader-elect) that can be killed."""

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye to peers, exactly like a lost node or OOM kill."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Operators:
    """Starts operators for one test; stops every one of them at the end."""

    def __init__(self, cluster: object, kubeconfig: Path, workdir: Path) -> None:
        self.cluster = cluster
        self.kubeconfig = kubeconfig
        self.workdir = workdir
        self.started: list[Operator] = []

    def start(self, *args: str, env: dict[str, str] | None = None, wait: bool = True) -> Operator:
        extra = {"ECS_OPERATOR_FARGATE_PROVISIONER": "kwok", **(env or {})}
        op = Operator(self.kubeconfig, self.workdir / f"operator-{len(self.started) + 1}.log", extra, args)
        self.started.append(op)
        if wait:
            op.wait_ready()
        return op

    def live(self) -> list[Operator]:
        return [op for op in self.started if op.alive()]

    def stop_all(self) -> None:
        for op in self.started:
            op.stop()


@pytest.fixture
def operators(cluster, crds, namespace: str, tmp_path: Path) -> Iterator[Operators]:
    ops = Operators(cluster, cluster.kubeconfig, tmp_path)
    yield ops
    if not ops.live():  # someone has to drain the namespace's ECSServices (finalizers)
        ops.start()
    cluster.kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=180s", check=False, timeout=200)
    ops.stop_all()
    print(f"\noperator logs: {', '.join(str(op.log_path) for op in ops.started)}")


@pytest.fixture(scope="session")
def local_cluster(cluster):
    """The LocalCluster behind the session cluster (to restart its components)."""
    if os.environ.get("ECS_OPERATOR_E2E_KUBECONFIG"):
        pytest.skip("restarting control-plane components needs the local cluster")
    from ecs_operator.localcluster.cluster import LocalCluster

    return LocalCluster(os.environ.get("ECS_OPERATOR_TEST_CLUSTER", "ecs-operator-test"))
