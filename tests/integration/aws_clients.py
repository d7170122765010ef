"""The real AWS clients, installed outside the project venv, pointed at the ECS API under test.

botocore pins python-dateutil<3 and kubernetes needs >=3, so the AWS CLI v1 and boto3 live in
their own virtualenv, and the JavaScript SDK v3 ECS client in its own npm prefix; both are
cached under $ECS_OPERATOR_CACHE (or ~/.cache/ecs-operator) in aws-clients/ and installed on
first use. A file lock makes the install safe when two pytest processes race, and a marker
file written last makes it idempotent (a half-finished install is redone).

Every client runs with the endpoint and key of an :class:`EcsClient` (``AWS_ENDPOINT_URL_ECS``,
keys, region) and with empty config and credentials files, so nothing under ~/.aws interferes.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AWSCLI_VERSION = "1.46.3"
BOTO3_VERSION = "1.44.8"
BOTOCORE_VERSION = "1.44.8"  # the same as tests/botocore_model.py reads the model from
JS_SDK_VERSION = "3.1164.0"
NODE = os.environ.get("ECS_OPERATOR_NODE", "/usr/bin/node")

_PYTHON_MARKER = f"installed-awscli-{AWSCLI_VERSION}-boto3-{BOTO3_VERSION}"
_NODE_MARKER = f"installed-client-ecs-{JS_SDK_VERSION}"


def cache_root() -> Path:
    root = os.environ.get("ECS_OPERATOR_CACHE") or str(Path.home() / ".cache" / "ecs-operator")
    return Path(root) / "aws-clients"


@contextmanager
def _locked(name: str) -> Iterator[None]:
    """An exclusive lock file under the cache: the second pytest process waits for the first."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def python_env() -> Path:
    """The virtualenv with awscli and boto3 (pinned), created on first use."""
    venv = cache_root() / "python"
    if (venv / _PYTHON_MARKER).is_file():
        return venv
    with _locked("python"):
        if (venv / _PYTHON_MARKER).is_file():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"awscli=={AWSCLI_VERSION}",
                f"boto3=={BOTO3_VERSION}",
                f"botocore=={BOTOCORE_VERSION}",
            ],
            check=True,
        )
        (venv / _PYTHON_MARKER).write_text("")
    return venv


def node_prefix() -> Path:
    """The npm prefix with @aws-sdk/client-ecs (pinned), installed on first use."""
    prefix = cache_root() / "node"
    if (prefix / _NODE_MARKER).is_file():
        return prefix
    with _locked("node"):
        if (prefix / _NODE_MARKER).is_file():
            return prefix
        shutil.rmtree(prefix, ignore_errors=True)
        prefix.mkdir(parents=True)
        (prefix / "package.json").write_text(json.dumps({"name": "ecs-operator-aws-clients", "private": True}))
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                "--silent",
                "--no-save",
                f"@aws-sdk/client-ecs@{JS_SDK_VERSION}",
            ],
            check=True,
        )
        (prefix / _NODE_MARKER).write_text("")
    return prefix


class ClientFailed(AssertionError):
    """A client exited non-zero; carries what it printed."""

    def __init__(self, argv: list[str], proc: subprocess.CompletedProcess[str]) -> None:
        super().__init__(f"{' '.join(argv)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr


@dataclass
class AwsClients:
    """The AWS CLI, boto3 and the JavaScript SDK, each run with ``env`` (from EcsClient.env())."""

    env: dict[str, str]
    workdir: Path

    def environment(self) -> dict[str, str]:
        """A clean environment: only PATH/HOME from ours, the endpoint and key, empty ~/.aws files."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "aws-config"
        credentials = self.workdir / "aws-credentials"
        config.touch()
        credentials.touch()
        base = {k: v for k in ("PATH", "HOME", "LANG", "TMPDIR") if (v := os.environ.get(k)) is not None}
        return {
            **base,
            **self.env,
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
        }

    def _run(
        self, argv: list[str], check: bool, timeout: float, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            argv,
            env=self.environment(),
            cwd=self.workdir,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise ClientFailed(argv, proc)
        return proc

    def aws_cli(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`aws ARGS --output json`, as a finished process."""
        argv = [str(python_env() / "bin" / "aws"), *args, "--output", "json"]
        return self._run(argv, check, timeout)

    def aws(self, *args: str, timeout: float = 300) -> Any:
        """`aws ARGS`: its printed JSON, parsed (None when it printed nothing, as waiters do)."""
        out = self.aws_cli(*args, timeout=timeout).stdout.strip()
        return json.loads(out) if out else None

    def python(
        self, script: str | Path, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """A Python script (source text or a file) run by the venv that has boto3."""
        if isinstance(script, Path):
            argv = [str(python_env() / "bin" / "python"), str(script), *args]
        else:
            argv = [str(python_env() / "bin" / "python"), "-c", script, *args]
        return self._run(argv, check, timeout)

    def node(self, script: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """A CommonJS script for Node with @aws-sdk/client-ecs on its module path."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        path = self.workdir / "script.cjs"
        path.write_text(script)
        env_path = str(node_prefix() / "node_modules")
        argv = [NODE, str(path)]
        proc = subprocess.run(
            argv,
            env={**self.environment(), "NODE_PATH": env_path},
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise ClientFailed(argv, proc)
        return proc
