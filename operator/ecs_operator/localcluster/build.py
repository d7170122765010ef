"""Build the control-plane binaries from source through the Go module proxy, once.

Why from source: this project may only reach package registries, and the Go module
proxy serves every component we need. Each binary lands in :func:`versions.bin_dir`;
a binary already there is never rebuilt, so only the first run on a machine pays the
build (tens of minutes on two cores) and progress is printed while it runs.

helm (for the chart tests) is built the same way into :func:`versions.helm_bin_dir`,
separately, because nothing but those tests needs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .versions import PINNED, Versions, bin_dir, helm_bin_dir

KUBERNETES_COMMANDS = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
)
KWOK_COMMANDS = ("kwok", "kwokctl")
ALL_BINARIES = ("etcd", *KUBERNETES_COMMANDS, *KWOK_COMMANDS)


class BuildError(RuntimeError):
    """A component could not be built; the message carries the command and its output."""


@dataclass(frozen=True)
class Component:
    """One `go build` invocation producing one or more binaries."""

    name: str
    binaries: tuple[str, ...]
    prepare: Callable[[Path, Versions], list[str]]  # writes a module dir, returns build args


def _go(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(["go", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BuildError(f"`go {' '.join(args)}` in {cwd} failed:\n{proc.stderr[-4000:]}")
    return proc.stdout


def _ldflags_version(versions: Versions) -> str:
    major, minor, _ = versions.kubernetes.lstrip("v").split(".")
    pairs = []
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        pairs += [
            f"-X {pkg}.gitVersion={versions.kubernetes}",
            f"-X {pkg}.gitMajor={major}",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitTreeState=clean",
        ]
    return " ".join(["-s -w", *pairs])


def _staging_modules(work: Path, versions: Versions, env: dict[str, str]) -> list[str]:
    """Read k8s.io/kubernetes' own go.mod: every `./staging/...` replace is a staging module."""
    info = json.loads(_go(["mod", "download", "-json", f"k8s.io/kubernetes@{versions.kubernetes}"], work, env))
    modules = []
    for line in Path(info["GoMod"]).read_text().splitlines():
        parts = line.split()
        if "=>" in parts and parts[-1].startswith("./staging/"):
            modules.append(parts[0])
    if not modules:
        raise BuildError("found no staging modules in k8s.io/kubernetes go.mod")
    return modules


def _prepare_kubernetes(work: Path, versions: Versions) -> list[str]:
    env = _go_env()
    (work / "go.mod").write_text("module ecsoperator.local/kubernetes\n\ngo 1.26\n")
    lines = [
        "module ecsoperator.local/kubernetes",
        "",
        "go 1.26",
        "",
        f"require k8s.io/kubernetes {versions.kubernetes}",
        "",
        "replace (",
    ]
    for module in _staging_modules(work, versions, env):
        lines.append(f"\t{module} => {module} {versions.staging}")
    lines.append(")")
    (work / "go.mod").write_text("\n".join(lines) + "\n")
    (work / "doc.go").write_text("package kubernetes\n")
    return ["-ldflags", _ldflags_version(versions), *[f"k8s.io/kubernetes/cmd/{cmd}" for cmd in KUBERNETES_COMMANDS]]


def _prepare_etcd(work: Path, versions: Versions) -> list[str]:
    (work / "go.mod").write_text(
        f"module ecsoperator.local/etcd\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 {versions.etcd}\n"
    )
    (work / "main.go").write_text(
        "// Command etcd runs the etcd server from the published server module.\n"
        'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\n'
        "func main() { etcdmain.Main(os.Args) }\n"
    )
    return ["-ldflags", "-s -w", "-o", "etcd", "."]


def _prepare_kwok(work: Path, versions: Versions) -> list[str]:
    (work / "go.mod").write_text(
        f"module ecsoperator.local/kwok\n\ngo 1.26\n\nrequire sigs.k8s.io/kwok {versions.kwok}\n"
    )
    (work / "doc.go").write_text("package kwok\n")
    flags = f"-s -w -X sigs.k8s.io/kwok/pkg/consts.Version={versions.kwok}"
    return ["-ldflags", flags, *[f"sigs.k8s.io/kwok/cmd/{cmd}" for cmd in KWOK_COMMANDS]]


def _helm_kube_version(work: Path, versions: Versions, env: dict[str, str]) -> tuple[str, str]:
    """The Kubernetes version helm assumes without a cluster, read from its client-go (as helm's Makefile does)."""
    info = json.loads(_go(["mod", "download", "-json", f"helm.sh/helm/v3@{versions.helm}"], work, env))
    for line in Path(info["GoMod"]).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "k8s.io/client-go":
            _zero, minor, _patch = parts[1].lstrip("v").split(".")
            return "1", minor
    raise BuildError("found no k8s.io/client-go requirement in helm.sh/helm/v3 go.mod")


def _prepare_helm(work: Path, versions: Versions) -> list[str]:
    (work / "go.mod").write_text(
        f"module ecsoperator.local/helm\n\ngo 1.26\n\nrequire helm.sh/helm/v3 {versions.helm}\n"
    )
    (work / "doc.go").write_text("package helm\n")
    major, minor = _helm_kube_version(work, versions, _go_env())
    flags = ["-s -w", f"-X helm.sh/helm/v3/internal/version.version={versions.helm}"]
    flags += [
        f"-X helm.sh/helm/v3/pkg/{pkg}.k8sVersion{part}={value}"
        for pkg in ("lint/rules", "chartutil")
        for part, value in (("Major", major), ("Minor", minor))
    ]
    return ["-ldflags", " ".join(flags), "helm.sh/helm/v3/cmd/helm"]


COMPONENTS = (
    Component("etcd", ("etcd",), _prepare_etcd),
    Component("kwok", KWOK_COMMANDS, _prepare_kwok),
    Component("kubernetes", KUBERNETES_COMMANDS, _prepare_kubernetes),
)
HELM = Component("helm", ("helm",), _prepare_helm)


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CGO_ENABLED", "0")
    env.setdefault("GOFLAGS", "-mod=mod")
    env["GOFLAGS"] = env["GOFLAGS"] if "-mod=" in env["GOFLAGS"] else env["GOFLAGS"] + " -mod=mod"
    env.setdefault("GOTOOLCHAIN", "local")
    return env


def missing_binaries(versions: Versions = PINNED) -> list[str]:
    target = bin_dir(versions)
    return [name for name in ALL_BINARIES if not (target / name).is_file()]


class _Progress:
    """Print `component: Ns elapsed` every few seconds so a long build never looks hung."""

    def __init__(self, name: str, out: TextIO, every: float = 30.0) -> None:
        self.name, self.out, self.every = name, out, every
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            print(f"  building {self.name}: {self.elapsed():.0f}s elapsed", file=self.out, flush=True)

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __enter__(self) -> _Progress:
        print(f"  building {self.name} ...", file=self.out, flush=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def _require_go(what: str) -> None:
    if shutil.which("go") is None:
        raise BuildError(f"the Go toolchain is needed to build {what}; install Go >= 1.26")


def _build(component: Component, versions: Versions, target: Path, out: TextIO) -> None:
    """Build one component in a throwaway module and move its binaries into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"ecs-operator-{component.name}-") as tmp:
        work = Path(tmp)
        with _Progress(component.name, out) as progress:
            args = component.prepare(work, versions)
            outdir = work / "out"
            outdir.mkdir()
            if "-o" not in args:
                args = ["-o", str(outdir) + os.sep, *args]
            else:
                args = [str(outdir / a) if i and args[i - 1] == "-o" else a for i, a in enumerate(args)]
            _go(["build", "-trimpath", *args], work, _go_env())
            for name in component.binaries:
                # Move into place atomically: a half-written binary must never look cached.
                tmp_target = target / f".{name}.partial"
                shutil.copy2(outdir / name, tmp_target)
                os.replace(tmp_target, target / name)
            print(f"  built {component.name} in {progress.elapsed():.0f}s", file=out, flush=True)


def ensure_binaries(versions: Versions = PINNED, out: TextIO = sys.stderr) -> Path:
    """Build whatever is missing from the cache and return the bin directory."""
    target = bin_dir(versions)
    missing = set(missing_binaries(versions))
    if not missing:
        return target
    _require_go("the local control plane")
    total = time.monotonic()
    print(f"ecs-operator: building {', '.join(sorted(missing))} into {target}", file=out, flush=True)
    for component in COMPONENTS:
        if missing.intersection(component.binaries):
            _build(component, versions, target, out)
    print(f"ecs-operator: build finished in {time.monotonic() - total:.0f}s", file=out, flush=True)
    return target


def ensure_helm(versions: Versions = PINNED, out: TextIO = sys.stderr) -> Path:
    """Return the path of the pinned helm binary, building it first if the cache lacks it."""
    helm = helm_bin_dir(versions) / "helm"
    if not helm.is_file():
        _require_go("helm")
        print(f"ecs-operator: building helm {versions.helm} into {helm.parent}", file=out, flush=True)
        _build(HELM, versions, helm.parent, out)
    return helm


def main(argv: list[str] | None = None) -> None:
    """`python -m ecs_operator.localcluster.build [helm]`: the control plane, or helm alone."""
    if (sys.argv[1:] if argv is None else argv) == ["helm"]:
        print(ensure_helm())
        return
    ensure_binaries()
    print(bin_dir())


if __name__ == "__main__":
    main()
