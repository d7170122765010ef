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
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

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
            input=input, capture_output=True, text=True, timeout=timeout, check=False,
        )
        if check and proc.returncode != 0:
            raise ClusterError(f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def apply(self, objects: list[dict], *args: str) -> subprocess.CompletedProcess[str]:
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
        proc = subprocess.run([str(binary), "--name", self.name, *args], env=self._env(),
                              capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise ClusterError(f"kwokctl {' '.join(args)} failed: {proc.stderr.strip()[-3000:]}")
        return proc

    def is_running(self) -> bool:
        return self.kubeconfig.is_file() and self.handle.reachable()

    def up(self, out: TextIO = sys.stderr, nodes: list[FakeNode] | None = None) -> ClusterHandle:
        """Build what is missing, start the cluster and its fake nodes; idempotent."""
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
                "create", "cluster",
                "--runtime", "binary",
                "--config", str(stages_path),
                "--kubeconfig", "",
                "--disable-qps-limits",
                "--etcd-binary", str(binaries / "etcd"),
                "--kube-apiserver-binary", str(binaries / "kube-apiserver"),
                "--kube-controller-manager-binary", str(binaries / "kube-controller-manager"),
                "--kube-scheduler-binary", str(binaries / "kube-scheduler"),
                "--kwok-controller-binary", str(binaries / "kwok"),
                "--wait", "120s",
            )
        handle = self.handle
        pools = default_node_pools() if nodes is None else nodes
        if pools:
            handle.apply([node.manifest() for node in pools])
            wait_nodes_ready(handle, [n.name for n in pools])
        print(f"cluster {self.name} ready in {time.monotonic() - started:.1f}s "
              f"({len(pools)} nodes); kubeconfig: {self.kubeconfig}", file=out, flush=True)
        return handle

    def down(self, out: TextIO = sys.stderr) -> None:
        if not self.kubeconfig.parent.exists():
            print(f"cluster {self.name} is not running", file=out, flush=True)
            return
        self._kwokctl("delete", "cluster")
        print(f"cluster {self.name} deleted", file=out, flush=True)


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
