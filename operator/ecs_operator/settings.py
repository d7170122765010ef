"""Operator settings: every environment variable the operator reads, read once, typed.

`Settings.from_environ()` is called at start-up and the result travels in the operator
context; nothing else in the operator reads the environment. README.md ("Configuration")
lists the same variables with their defaults; a unit test keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

__all__ = ["Settings", "ENVIRONMENT", "LOCAL_FARGATE", "LOCAL_WEBHOOK_CONFIGURATION", "WEBHOOK_PORT"]

_N = TypeVar("_N", int, float)

LOCAL_FARGATE = "kwok"
"""The provisioner value that plays EKS's Fargate scheduler with kwok nodes (the local cluster)."""

LOCAL_WEBHOOK_CONFIGURATION = "ecs-operator-local.ecs.operator.dev"
"""The ValidatingWebhookConfiguration kopf manages on the local cluster (one name: last writer wins)."""

WEBHOOK_PORT = 9443
"""The admission webhook's port in a pod (deploy/webhook's Service targets it)."""

ENVIRONMENT: dict[str, str] = {
    "kubeconfig": "KUBECONFIG",
    "in_cluster": "KUBERNETES_SERVICE_HOST",
    "reconcile_workers": "ECS_OPERATOR_RECONCILE_WORKERS",
    "kopf_workers": "ECS_OPERATOR_WORKERS",
    "fargate_provisioner": "ECS_OPERATOR_FARGATE_PROVISIONER",
    "stopped_task_retention": "ECS_OPERATOR_STOPPED_TASK_RETENTION",
    "webhook": "ECS_OPERATOR_WEBHOOK",
    "webhook_address": "ECS_OPERATOR_WEBHOOK_ADDRESS",
    "webhook_port": "ECS_OPERATOR_WEBHOOK_PORT",
    "webhook_cert_dir": "ECS_OPERATOR_WEBHOOK_CERT_DIR",
    "webhook_configuration": "ECS_OPERATOR_WEBHOOK_CONFIGURATION",
    "watch_timeout": "ECS_OPERATOR_WATCH_TIMEOUT",
}
"""Settings field -> the environment variable it is read from."""


@dataclass(frozen=True)
class Settings:
    """What can be tuned without a code change; defaults are what a production install wants."""

    kubeconfig: str | None = None  # first entry of KUBECONFIG; None: ~/.kube/config or in-cluster
    in_cluster: bool = False  # KUBERNETES_SERVICE_HOST is set: running in a pod
    reconcile_workers: int = 8  # threads that run deferred reconciles
    kopf_workers: int = 16  # kopf's executor threads for synchronous handlers
    fargate_provisioner: str | None = None  # "kwok": the operator binds Fargate tasks to kwok nodes
    stopped_task_retention: float = 3600.0  # seconds a stopped task stays in status (ECS keeps ~1 hour)
    webhook: bool | None = None  # serve the validating webhook; None: only against the local cluster
    webhook_address: str | None = None  # where it listens; None: 0.0.0.0 (127.0.0.1 on the local cluster)
    webhook_port: int | None = None  # None: 9443 (a free port on the local cluster); 0: a free port
    webhook_cert_dir: str | None = None  # tls.crt + tls.key (cert-manager's Secret); None: self-signed
    webhook_configuration: str | None = None  # the configuration kopf keeps up to date; None: deploy/'s own
    watch_timeout: int = 60  # seconds (whole: timeoutSeconds) the API server keeps a watch of kopf open

    @property
    def watch_client_timeout(self) -> float:
        """How long kopf waits on one watch request before it gives up on it (90 s by default)."""
        return self.watch_timeout * 1.5

    @property
    def local_fargate(self) -> bool:
        return self.fargate_provisioner == LOCAL_FARGATE

    @property
    def webhook_enabled(self) -> bool:
        return self.webhook is True

    def with_local_webhook(self) -> Settings:
        """Against the local cluster: the webhook on 127.0.0.1 (a free port), its configuration managed.

        The local kube-apiserver runs on this machine, so it reaches the operator's loopback
        address; several operators on one cluster each get their own port.
        """
        if self.webhook is False:
            return self
        return replace(
            self,
            webhook=True,
            webhook_address=self.webhook_address or "127.0.0.1",
            webhook_port=0 if self.webhook_port is None else self.webhook_port,
            webhook_configuration=self.webhook_configuration or LOCAL_WEBHOOK_CONFIGURATION,
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the variables once; a malformed number falls back to the default (and says so)."""
        env = os.environ if environ is None else environ
        defaults = cls()
        kubeconfig = (env.get("KUBECONFIG") or "").split(os.pathsep)[0] or None
        return cls(
            kubeconfig=kubeconfig,
            in_cluster=bool(env.get(ENVIRONMENT["in_cluster"])),
            reconcile_workers=max(1, _number(env, "reconcile_workers", int, defaults.reconcile_workers)),
            kopf_workers=max(1, _number(env, "kopf_workers", int, defaults.kopf_workers)),
            fargate_provisioner=env.get(ENVIRONMENT["fargate_provisioner"]) or None,
            stopped_task_retention=max(
                0.0, _number(env, "stopped_task_retention", float, defaults.stopped_task_retention)
            ),
            webhook=_switch(env, "webhook"),
            webhook_address=env.get(ENVIRONMENT["webhook_address"]) or None,
            webhook_port=_optional_int(env, "webhook_port"),
            webhook_cert_dir=env.get(ENVIRONMENT["webhook_cert_dir"]) or None,
            webhook_configuration=env.get(ENVIRONMENT["webhook_configuration"]) or None,
            watch_timeout=max(1, _number(env, "watch_timeout", int, defaults.watch_timeout)),
        )


def _number(env: Mapping[str, str], field: str, kind: type[_N], default: _N) -> _N:
    raw = env.get(ENVIRONMENT[field])
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        return default


def _optional_int(env: Mapping[str, str], field: str) -> int | None:
    raw = env.get(ENVIRONMENT[field])
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def _switch(env: Mapping[str, str], field: str) -> bool | None:
    """on/true/1/yes, off/false/0/no; anything else (or unset): None, the default."""
    raw = (env.get(ENVIRONMENT[field]) or "").strip().lower()
    if raw in ("on", "true", "1", "yes"):
        return True
    if raw in ("off", "false", "0", "no"):
        return False
    return None
