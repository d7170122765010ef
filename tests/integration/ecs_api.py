"""The ECS API server as its own process (`ecs-operator api`), and a signed client for it.

Tests reach it the way users do: over HTTP, signed with SigV4 by a key that
`ecs-operator api-key create --namespace NS` printed. :class:`EcsClient` signs with the
project's own signer (for protocol-level tests); the AWS CLI, boto3 and the JavaScript SDK
are driven by tests/integration/aws_clients.py against the same endpoint.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ecs_operator.api.keys import DEFAULT_KEYS_NAMESPACE, key_rbac, key_secret, new_key
from ecs_operator.api.sigv4 import Credentials, SignedRequest, sign
from ecs_operator.kube import Kube, connect

TARGET = "AmazonEC2ContainerServiceV20141113"
REGION = "us-east-1"
ACCOUNT = "123456789012"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiProcess:
    """`ecs-operator api --port P` against a kubeconfig, logging to a file."""

    def __init__(self, kubeconfig: Path, log_path: Path, *extra: str) -> None:
        self.kubeconfig = kubeconfig
        self.log_path = log_path
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ecs_operator.cli", "api", "--port", str(self.port), *extra],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"ecs-operator api exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"ecs-operator api not healthy after {timeout}s:\n{self.log_tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/healthz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def create_key(kubeconfig: Path, namespace: str, *, via_cli: bool = False) -> Credentials:
    """A key for ``namespace``: what `ecs-operator api-key create --namespace NS` stores.

    In-process by default (one per test; a CLI process costs a second of start-up each);
    ``via_cli`` runs the command and parses its two output lines, as users do.
    """
    if not via_cli:
        kube = _kube_for(str(kubeconfig))
        key = new_key(namespace)
        keys_home = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": DEFAULT_KEYS_NAMESPACE}}
        for obj in [keys_home, *key_rbac(key), key_secret(key)]:
            kube.apply(obj)
        return Credentials(key.access_key_id, key.secret_access_key)
    out = subprocess.run(
        [sys.executable, "-m", "ecs_operator.cli", "api-key", "create", "--namespace", namespace],
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = out.strip().splitlines()
    assert len(lines) == 2, out
    values = dict(line.split("=", 1) for line in lines)
    assert set(values) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, out
    return Credentials(values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"])


@functools.cache
def _kube_for(kubeconfig: str) -> Kube:
    return connect(kubeconfig)


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        return self.body.get("__type") if self.status >= 400 else None


@dataclass
class EcsClient:
    """Signed ECS calls, one HTTP request each; `call` returns the status and the decoded body."""

    endpoint: str
    credentials: Credentials
    namespace: str
    region: str = REGION

    def env(self) -> dict[str, str]:
        """Environment variables that point AWS tooling at this endpoint with this key."""
        return {
            "AWS_ACCESS_KEY_ID": self.credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.credentials.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL_ECS": self.endpoint,
        }

    def raw(self, action: str, payload: bytes, headers: dict[str, str] | None = None, signed: bool = True) -> Answer:
        host = self.endpoint.split("://", 1)[1]
        base = {"Host": host, "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{TARGET}.{action}"}
        base.update(headers or {})
        if signed:
            base.update(
                sign(SignedRequest("POST", "/", "", base, payload), self.credentials, self.region, datetime.now(UTC))
            )
        request = urllib.request.Request(f"{self.endpoint}/", data=payload, headers=base, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return Answer(r.status, json.loads(r.read() or b"{}"), dict(r.headers))
        except urllib.error.HTTPError as exc:
            text = exc.read()
            try:
                return Answer(exc.code, json.loads(text), dict(exc.headers))
            except ValueError:
                return Answer(exc.code, {"__type": "?", "message": text.decode(errors="replace")})

    def call(self, action: str, body: dict[str, Any] | None = None) -> Answer:
        return self.raw(action, json.dumps(body or {}).encode())

    def ok(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The answer of a call that must succeed."""
        answer = self.call(action, body)
        assert answer.status == 200, f"{action} -> {answer.status} {answer.body}"
        return answer.body
