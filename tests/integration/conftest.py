"""Fixtures for tests against a real API server.

The session starts the local control plane once (building it on first use), unless
ECS_OPERATOR_E2E_KUBECONFIG names an existing cluster (kind, EKS); then nothing is
built or started. Each test gets its own namespace, deleted afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from ecs_api import ApiProcess, EcsClient, create_key

from ecs_operator.localcluster.cluster import ClusterHandle, LocalCluster, kubectl_for

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "crds"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def cluster() -> Iterator[ClusterHandle]:
    existing = os.environ.get("ECS_OPERATOR_E2E_KUBECONFIG")
    if existing:
        yield kubectl_for(Path(existing))
        return
    local = LocalCluster(os.environ.get("ECS_OPERATOR_TEST_CLUSTER", "ecs-operator-test"))
    started_here = not local.is_running()
    handle = local.up()
    yield handle
    if started_here and not os.environ.get("ECS_OPERATOR_KEEP_CLUSTER"):
        local.down()


@pytest.fixture(scope="session")
def kubeconfig(cluster: ClusterHandle) -> Path:
    return cluster.kubeconfig


@pytest.fixture(scope="session")
def crds(cluster: ClusterHandle) -> list[str]:
    """Install every CRD in crds/ and wait until the API server serves them."""
    files = sorted(f for f in CRDS.glob("*.yaml") if f.name != "kustomization.yaml")
    if not files:
        pytest.fail("crds/ is empty: run `make crds`")
    cluster.kubectl("apply", "--server-side", "--force-conflicts", *[a for f in files for a in ("-f", str(f))])
    names = []
    for f in files:
        names.append(cluster.kubectl("get", "-f", str(f), "-o", "name").stdout.strip())
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", *names)
    return names


@pytest.fixture
def namespace(cluster: ClusterHandle, request: pytest.FixtureRequest) -> Iterator[str]:
    base = request.node.name.lower().replace("_", "-")
    base = "".join(ch for ch in base if ch.isalnum() or ch == "-")[:40].strip("-")
    name = f"t-{base}-{uuid.uuid4().hex[:5]}"
    cluster.kubectl("create", "namespace", name)
    # The namespace's default ServiceAccount appears asynchronously; pods need it.
    deadline = time.monotonic() + 30
    while cluster.kubectl("get", "serviceaccount", "default", "-n", name, check=False).returncode != 0:
        if time.monotonic() > deadline:
            pytest.fail(f"namespace {name} never got its default ServiceAccount")
        time.sleep(0.2)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


class OperatorProcess:
    """The operator as its own process (`ecs-operator run`), as users run it."""

    def __init__(
        self,
        kubeconfig: Path,
        log_path: Path,
        extra_env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        """Free ports for health and metrics: several operators run side by side on one machine."""
        self.kubeconfig = kubeconfig
        self.log_path = log_path
        self.port = _free_port()
        self.metrics_port = _free_port()
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), **(extra_env or {})}
        command = [sys.executable, "-m", "ecs_operator.cli", "run", "--health-port", str(self.port)]
        command += ["--metrics-port", str(self.metrics_port), "--per-service-metrics", *args]
        with open(log_path, "wb") as log:  # the operator process keeps its own descriptor
            self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def scrape(self) -> str:
        """The operator's /metrics page (Prometheus text format)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as r:
            return str(r.read().decode())

    def probe(self, path: str) -> tuple[int, str]:
        """(status, body) of ``path`` on the health port (/healthz, /readyz); (0, error) when it does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return 0, str(e)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"operator exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        pytest.fail(f"operator not healthy after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class ExternalOperator:
    """The operator deployed by deploy/ in the cluster under test."""

    def __init__(self, cluster: ClusterHandle) -> None:
        self.cluster = cluster
        cluster.kubectl("rollout", "status", "deployment/ecs-operator", "-n", "ecs-operator-system", "--timeout=120s")

    def alive(self) -> bool:
        out = self.cluster.kubectl(
            "get",
            "deployment",
            "ecs-operator",
            "-n",
            "ecs-operator-system",
            "-o",
            "jsonpath={.status.readyReplicas}",
            check=False,
        ).stdout
        return out.strip() == "1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


DEPLOY = REPO / "deploy"
OPERATOR_NAMESPACE = "ecs-operator-system"
OPERATOR_ACCOUNT = "ecs-operator"


def service_account_kubeconfig(cluster: ClusterHandle, path: Path) -> Path:
    """A kubeconfig that authenticates as deploy/'s ServiceAccount (a TokenRequest token).

    The operator then runs with exactly the RBAC deploy/ grants it, as it would in-cluster.
    """
    cluster.kubectl("apply", "-k", str(DEPLOY))
    token = cluster.kubectl(
        "create", "token", OPERATOR_ACCOUNT, "-n", OPERATOR_NAMESPACE, "--duration=12h"
    ).stdout.strip()
    admin = yaml.safe_load(cluster.kubectl("config", "view", "--raw", "--minify", "--flatten").stdout)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "target", "cluster": admin["clusters"][0]["cluster"]}],
        "users": [{"name": OPERATOR_ACCOUNT, "user": {"token": token}}],
        "contexts": [{"name": "operator", "context": {"cluster": "target", "user": OPERATOR_ACCOUNT}}],
        "current-context": "operator",
    }
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="session")
def operator(
    cluster: ClusterHandle, crds: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorProcess]:
    """One operator for the session, watching all namespaces.

    With ECS_OPERATOR_AS_SERVICE_ACCOUNT=1 (`make e2e`) it runs under deploy/'s ServiceAccount.
    """
    if os.environ.get("ECS_OPERATOR_EXTERNAL"):
        yield ExternalOperator(cluster)  # e.g. `make e2e-kind`: deploy/ runs it in the cluster
        return
    workdir = tmp_path_factory.mktemp("operator")
    kubeconfig = cluster.kubeconfig
    if os.environ.get("ECS_OPERATOR_AS_SERVICE_ACCOUNT"):
        kubeconfig = service_account_kubeconfig(cluster, workdir / "operator-kubeconfig.yaml")
    # On the local cluster the operator plays EKS's Fargate scheduler with kwok nodes.
    extra = {} if os.environ.get("ECS_OPERATOR_E2E_KUBECONFIG") else {"ECS_OPERATOR_FARGATE_PROVISIONER": "kwok"}
    proc = OperatorProcess(kubeconfig, workdir / "operator.log", extra)
    proc.wait_ready()
    yield proc
    proc.stop()
    print(f"\noperator log: {proc.log_path}")


@pytest.fixture(scope="session")
def ecs_api(cluster: ClusterHandle, crds: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiProcess]:
    """One `ecs-operator api` process for the session, against the test cluster."""
    proc = ApiProcess(cluster.kubeconfig, tmp_path_factory.mktemp("ecs-api") / "api.log")
    proc.wait_ready()
    yield proc
    proc.stop()
    print(f"\necs api log: {proc.log_path}")


@pytest.fixture
def ecs(ecs_api: ApiProcess, cluster: ClusterHandle, namespace: str) -> EcsClient:
    """A signed ECS client whose key is confined to the test's namespace."""
    # Used at once: the API server reads a key its watch has not brought yet (test_api_auth shows it).
    return EcsClient(ecs_api.endpoint, create_key(cluster.kubeconfig, namespace), namespace)
