"""The one place where control-plane versions are pinned.

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

    @property
    def staging(self) -> str:
        """Published version of the k8s.io/* staging modules matching `kubernetes`."""
        _major, minor, patch = self.kubernetes.lstrip("v").split(".")
        return f"v0.{minor}.{patch}"

    @property
    def key(self) -> str:
        return f"k8s-{self.kubernetes}_etcd-{self.etcd}_kwok-{self.kwok}"


PINNED = Versions(kubernetes="v1.36.3", etcd="v3.6.16", kwok="v0.8.0")


def cache_root() -> Path:
    """Cache outside the repository; ECS_OPERATOR_CACHE overrides it (CI caches keep it)."""
    base = os.environ.get("ECS_OPERATOR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ecs-operator"
    )
    return Path(base)


def bin_dir(versions: Versions = PINNED) -> Path:
    return cache_root() / versions.key / "bin"
