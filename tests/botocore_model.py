"""botocore's ECS service model, without installing botocore.

botocore cannot live in the project venv (it pins python-dateutil<3, kubernetes 37
needs >=3), yet its ECS model is the source of truth for member names, types and enums.
So we fetch the pinned wheel once with pip and read the model file out of the zip.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["BOTOCORE_VERSION", "cache_dir", "load_ecs_model", "wheel_path"]

BOTOCORE_VERSION = "1.44.8"
_MODEL_MEMBER = "botocore/data/ecs/2014-11-13/service-2.json.gz"


def cache_dir() -> Path:
    """Where the wheel is kept: $ECS_OPERATOR_CACHE or ~/.cache/ecs-operator, under botocore/."""
    root = os.environ.get("ECS_OPERATOR_CACHE") or str(Path.home() / ".cache" / "ecs-operator")
    return Path(root) / "botocore"


def wheel_path() -> Path:
    """Return the pinned botocore wheel, downloading it on first use."""
    directory = cache_dir()
    wheel = directory / f"botocore-{BOTOCORE_VERSION}-py3-none-any.whl"
    if wheel.is_file():
        return wheel
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            f"botocore=={BOTOCORE_VERSION}",
            "-d",
            str(directory),
        ],
        check=True,
    )
    if not wheel.is_file():
        raise FileNotFoundError(f"pip did not leave {wheel.name} in {directory}")
    return wheel


@cache
def load_ecs_model() -> dict[str, Any]:
    """The parsed `service-2.json` of ECS (API version 2014-11-13)."""
    with zipfile.ZipFile(wheel_path()) as archive:
        compressed = archive.read(_MODEL_MEMBER)
    model: dict[str, Any] = json.loads(gzip.decompress(compressed))
    return model
