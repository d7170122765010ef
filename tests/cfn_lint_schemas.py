"""The CloudFormation resource schemas cfn-lint ships, without installing cfn-lint.

cfn-lint cannot live in the project venv (it needs aws-sam-translator -> boto3 -> botocore, which
pins python-dateutil<3 while kubernetes needs 4), yet its wheel carries the resource provider
schemas CloudFormation publishes. So we fetch the pinned wheel once with pip (no dependencies)
and read the AWS::ECS::* schemas out of the zip, as botocore_model.py does for botocore.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["CFN_LINT_VERSION", "load_resource_schema", "wheel_path"]

CFN_LINT_VERSION = "1.58.0"
_PROVIDERS = "cfnlint/data/schemas/providers/us-east-1.json"  # resource type -> schema file hash
_RESOURCES = "cfnlint/data/schemas/resources/{}.json"


def cache_dir() -> Path:
    """Where the wheel is kept: $ECS_OPERATOR_CACHE or ~/.cache/ecs-operator, under cfn-lint/."""
    root = os.environ.get("ECS_OPERATOR_CACHE") or str(Path.home() / ".cache" / "ecs-operator")
    return Path(root) / "cfn-lint"


def wheel_path() -> Path:
    """The pinned cfn-lint wheel, downloaded on first use."""
    directory = cache_dir()
    wheel = directory / f"cfn_lint-{CFN_LINT_VERSION}-py3-none-any.whl"
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
            f"cfn-lint=={CFN_LINT_VERSION}",
            "-d",
            str(directory),
        ],
        check=True,
    )
    if not wheel.is_file():
        raise FileNotFoundError(f"pip did not leave {wheel.name} in {directory}")
    return wheel


@cache
def load_resource_schema(type_name: str) -> dict[str, Any]:
    """The resource provider schema of ``type_name`` (``AWS::ECS::TaskDefinition``) as cfn-lint ships it."""
    with zipfile.ZipFile(wheel_path()) as archive:
        providers = json.loads(archive.read(_PROVIDERS))
        schema: dict[str, Any] = json.loads(archive.read(_RESOURCES.format(providers[type_name])))
    return schema
