"""Start, stop and talk to the local control plane.

kwokctl's binary runtime runs etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and the kwok controller as plain processes from our own cached builds
(never downloads). Its working directory lives in the cache too, so nothing is
written to ~/.kube or ~/.kwok. :class:`ClusterHandle` is what callers use either way:
for the local cluster or for any kubeconfig (kind, EKS).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import yaml

from .build import ensure_binaries
from .nodes import FakeNode, default_node_pools
from .versions import PINNED, Versions, bin_dir, cache_root

DEFAULT_NAME = "ecs-operator"


class ClusterError(RuntimeError):
    """The local cluster could not be started, reached or stopped."""


@dataclass(frozen=True)
class ClusterHandle:
    """A kubeconfig plus the kubectl to use with it."""

    kubeconfig: Path
    kubectl_binary: str

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.kubectl_binary, "--kubeconfig", str(self.kubeconfig), *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise ClusterError(f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def apply(self, objects: list[dict[str, Any]], *args: str) -> subprocess.CompletedProcess[str]:
        return self.kubectl("apply", "-f", "-", *args, input=yaml.safe_dump_all(objects))

    def reachable(self) -> bool:
        try:
            return self.kubectl("get", "--raw", "/readyz", check=False, timeout=10).returncode == 0
        except (subprocess.TimeoutExpired, OSError):
            return False


def kubectl_for(kubeconfig: Path, versions: Versions = PINNED) -> ClusterHandle:
    """A handle on an existing cluster: prefer our built kubectl, else the one on PATH."""
    built = bin_dir(versions) / "kubectl"
    binary = str(built) if built.is_file() else shutil.which("kubectl")
    if binary is None:
        raise ClusterError("no kubectl: run `make build-cluster` or install kubectl")
    return ClusterHandle(Path(kubeconfig), binary)


class LocalCluster:
    """The kwok-backed cluster `ecs-operator up` starts and `make test` uses."""

    def __init__(self, name: str = DEFAULT_NAME, versions: Versions = PINNED) -> None:
        self.name = name
        self.versions = versions
        self.workdir = cache_root() / "kwok"

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "clusters" / self.name / "kubeconfig.yaml"

    @property
    def handle(self) -> ClusterHandle:
        return ClusterHandle(self.kubeconfig, str(bin_dir(self.versions) / "kubectl"))

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KWOK_WORKDIR"] = str(self.workdir)
        env["KWOK_KUBE_VERSION"] = self.versions.kubernetes
        return env

    def _kwokctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        binary = bin_dir(self.versions) / "kwokctl"
        proc = subprocess.run(
            [str(binary), "--name", self.name, *args], env=self._env(), capture_output=True, text=True, check=False
        )
        if check and proc.returncode != 0:
            raise ClusterError(f"kwokctl {' '.join(args)} failed: {proc.stderr.strip()[-3000:]}")
        return proc

    def is_running(self) -> bool:
        return self.kubeconfig.is_file() and self.handle.reachable()

    @property
    def audit_log(self) -> Path:
        """Where kube-apiserver writes audit events when started with an audit policy."""
        return self.kubeconfig.parent / "logs" / "audit.log"

    def up(
        self, out: TextIO = sys.stderr, nodes: list[FakeNode] | None = None, audit_policy: Path | None = None
    ) -> ClusterHandle:
        """Build what is missing, start the cluster and its fake nodes; idempotent.

        `audit_policy` turns on API server auditing (the benchmark counts requests with it).
        """
        if self.is_running():
            print(f"cluster {self.name} is already running", file=out, flush=True)
            return self.handle
        binaries = ensure_binaries(self.versions, out=out)
        started = time.monotonic()
        if self.kubeconfig.parent.exists():  # stale: processes gone (e.g. after a reboot)
            self._kwokctl("delete", "cluster", check=False)
        stages = resources.files(__package__).joinpath("stages.yaml")
        with resources.as_file(stages) as stages_path:
            self._kwokctl(
                "create",
                "cluster",
                "--runtime",
                "binary",
                "--config",
                str(stages_path),
                "--kubeconfig",
                "",
                "--disable-qps-limits",
                "--etcd-binary",
                str(binaries / "etcd"),
                "--kube-apiserver-binary",
                str(binaries / "kube-apiserver"),
                "--kube-controller-manager-binary",
                str(binaries / "kube-controller-manager"),
                "--kube-scheduler-binary",
                str(binaries / "kube-scheduler"),
                "--kwok-controller-binary",
                str(binaries / "kwok"),
                "--wait",
                "120s",
                *(["--kube-audit-policy", str(audit_policy)] if audit_policy else []),
            )
        handle = self.handle
        wait_api_serving(handle)
        pools = default_node_pools() if nodes is None else nodes
        if pools:
            handle.apply([node.manifest() for node in pools])
            wait_nodes_ready(handle, [n.name for n in pools])
        print(
            f"cluster {self.name} ready in {time.monotonic() - started:.1f}s "
            f"({len(pools)} nodes); kubeconfig: {self.kubeconfig}",
            file=out,
            flush=True,
        )
        return handle

    def component_pid(self, component: str) -> int | None:
        """The pid kwokctl recorded for one control-plane process (``kube-apiserver``, ``etcd``, ...)."""
        try:
            return int(self._pid_file(component).read_text().strip())
        except (OSError, ValueError):
            return None

    def restart_component(
        self,
        component: str,
        *,
        down_for: float = 0.0,
        grace: float = 10,
        timeout: float = 120,
        out: TextIO = sys.stderr,
    ) -> int:
        """Stop one control-plane process, leave it down ``down_for`` seconds, start it again.

        kwokctl has no per-component stop, but its binary runtime starts only the components
        whose recorded process is gone, so: end the process (SIGTERM, then SIGKILL), drop its
        pid file, and let ``kwokctl start cluster`` bring back exactly that one with the
        arguments it was created with. ``grace`` bounds the SIGTERM shutdown (kube-apiserver's
        own graceful shutdown can outlast 30s). Returns the new pid once the API server answers.
        """
        pid = self.component_pid(component)
        if pid is None:
            raise ClusterError(f"cluster {self.name}: no running {component} recorded")
        started = time.monotonic()
        _end_process(pid, grace)
        self._pid_file(component).unlink(missing_ok=True)
        if down_for > 0:
            time.sleep(down_for)
        self._kwokctl("start", "cluster")
        new_pid = self.component_pid(component)
        if new_pid is None or new_pid == pid:
            raise ClusterError(f"cluster {self.name}: kwokctl did not start {component} again")
        deadline = time.monotonic() + timeout
        while not self.handle.reachable():
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"cluster {self.name}: API server not ready {timeout:.0f}s after restarting {component}"
                )
            time.sleep(0.5)
        print(
            f"cluster {self.name}: {component} restarted (pid {pid} -> {new_pid}) in {time.monotonic() - started:.1f}s",
            file=out,
            flush=True,
        )
        return new_pid

    def _pid_file(self, component: str) -> Path:
        return self.workdir / "clusters" / self.name / "pids" / f"{component}.pid"

    def down(self, out: TextIO = sys.stderr) -> None:
        if not self.kubeconfig.parent.exists():
            print(f"cluster {self.name} is not running", file=out, flush=True)
            return
        self._kwokctl("delete", "cluster")
        print(f"cluster {self.name} deleted", file=out, flush=True)


def _alive(pid: int) -> bool:
    """Is `pid` a live process (a zombie nobody reaped yet counts as gone)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _end_process(pid: int, grace: float = 30) -> None:
    """SIGTERM `pid`, SIGKILL it if it is still there after `grace` seconds, wait until it is gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)
    raise ClusterError(f"process {pid} did not exit")


SERVING_PATHS = ("/readyz", "/api/v1", "/apis", "/openapi/v2", "/openapi/v3")
"""What `kubectl apply` reads before it writes: readiness, discovery and both OpenAPI documents."""


def wait_api_serving(handle: ClusterHandle, timeout: float = 60) -> None:
    """Until the API server answers discovery and OpenAPI: right after start-up `kubectl apply` can
    otherwise fail with "failed to download openapi"."""
    deadline = time.monotonic() + timeout
    pending = list(SERVING_PATHS)
    while pending and time.monotonic() < deadline:
        pending = [p for p in pending if handle.kubectl("get", "--raw", p, check=False).returncode != 0]
        if pending:
            time.sleep(0.3)
    if pending:
        raise ClusterError(f"API server not serving {pending} after {timeout:.0f}s")


def wait_nodes_ready(handle: ClusterHandle, names: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending and time.monotonic() < deadline:
        listing = json.loads(handle.kubectl("get", "nodes", "-o", "json").stdout)
        for node in listing["items"]:
            conditions = {c["type"]: c["status"] for c in node.get("status", {}).get("conditions", [])}
            if conditions.get("Ready") == "True":
                pending.discard(node["metadata"]["name"])
        if pending:
            time.sleep(0.5)
    if pending:
        raise ClusterError(f"nodes not Ready after {timeout:.0f}s: {sorted(pending)}")
