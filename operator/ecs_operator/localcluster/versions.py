"""The one place where control-plane (and helm) versions are pinned.

Changing a version changes the cache directory, so old binaries are never mixed
with new ones and nothing already built is rebuilt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Versions:
    kubernetes: str  # k8s.io/kubernetes tag; staging modules use v0.<minor>.<patch>
    etcd: str  # go.etcd.io/etcd/server/v3 tag
    kwok: str  # sigs.k8s.io/kwok tag
    helm: str  # helm.sh/helm/v3 tag; only the chart tests need it, so it has its own cache dir

    @property
    def staging(self) -> str:
        """Published version of the k8s.io/* staging modules matching `kubernetes`."""
        _major, minor, patch = self.kubernetes.lstrip("v").split(".")
        return f"v0.{minor}.{patch}"

    @property
    def key(self) -> str:
        return f"k8s-{self.kubernetes}_etcd-{self.etcd}_kwok-{self.kwok}"

    @property
    def helm_key(self) -> str:
        return f"helm-{self.helm}"


PINNED = Versions(kubernetes="v1.36.3", etcd="v3.6.16", kwok="v0.8.0", helm="v3.22.0")


def cache_root() -> Path:
    """Cache outside the repository; ECS_OPERATOR_CACHE overrides it (CI caches keep it)."""
    base = os.environ.get("ECS_OPERATOR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ecs-operator"
    )
    return Path(base)


def bin_dir(versions: Versions = PINNED) -> Path:
    return cache_root() / versions.key / "bin"


def helm_bin_dir(versions: Versions = PINNED) -> Path:
    """Apart from bin_dir: bumping helm must not invalidate the (much slower) control-plane build."""
    return cache_root() / versions.helm_key / "bin"
