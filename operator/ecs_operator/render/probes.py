"""ECS container health checks as Kubernetes exec probes.

An ECS ``healthCheck`` is Docker's: a command run every ``interval`` seconds, ``timeout`` each,
``retries`` consecutive failures make the container UNHEALTHY, and failures during ``startPeriod``
do not count. Kubernetes splits that one idea in three probes:

* readiness, always: an unhealthy task receives no load balancer traffic in ECS either;
* liveness, only for essential containers of services: ECS replaces a service task whose
  essential container is UNHEALTHY; standalone tasks are never stopped for health, so no liveness;
* startup, when there is a ``startPeriod`` (failures during it must not count), when the
  container is the target of a ``HEALTHY`` dependency (a native sidecar only counts as started
  once its startup probe succeeds, which is what gates the containers after it), or when
  ``startTimeout`` bounds how long it may take to become healthy.

``["CMD", arg...]`` runs the arguments directly; ``["CMD-SHELL", "text"]`` runs the text with
``/bin/sh -c``, as Docker does. ECS also registers a command whose first element is neither (vendor
task definitions write ``["/healthcheck"]``): the whole list is run as the exec form, with a warning;
``["NONE"]`` (Docker's HEALTHCHECK NONE) gives no probes, with a warning. ECS defaults: interval 30,
timeout 5, retries 3, startPeriod off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..models import HealthCheck
from .warnings import RenderWarning

__all__ = ["DEFAULT_INTERVAL", "DEFAULT_RETRIES", "DEFAULT_TIMEOUT", "exec_command", "render_probes"]

DEFAULT_INTERVAL = 30
DEFAULT_TIMEOUT = 5
DEFAULT_RETRIES = 3


def exec_command(command: Sequence[str], *, path: str) -> tuple[list[str] | None, list[RenderWarning]]:
    """The exec probe command for an ECS health check command (``None`` for ``NONE``)."""
    if not command:
        return None, [RenderWarning(path, "empty health check command; no probes", "unsupported")]
    head, rest = command[0], list(command[1:])
    if head == "CMD":
        return rest, []
    if head == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(rest)], []
    if head == "NONE":
        return None, [
            RenderWarning(path, "health check NONE disables the image's health check; no probes", "approximated")
        ]
    # ECS passes other commands to Docker as-is, which runs them like CMD.
    return list(command), [
        RenderWarning(path, f"command does not start with CMD or CMD-SHELL; {head!r} is run directly", "approximated")
    ]


def render_probes(
    health_check: HealthCheck | Mapping[str, Any] | None,
    *,
    path: str,
    essential: bool,
    for_service: bool,
    startup_required: bool = False,
    start_timeout: int | None = None,
) -> tuple[dict[str, dict[str, Any]], list[RenderWarning]]:
    """Probes (``readinessProbe``, ``livenessProbe``, ``startupProbe`` keys) for one container.

    ``health_check`` is the ECS healthCheck (model or mapping) or ``None``; ``path`` is the ECS
    path of the container, for warnings.
    """
    if health_check is None:
        return {}, []
    command, warnings = exec_command(list(_get(health_check, "command") or ()), path=f"{path}.healthCheck.command")
    if command is None:
        return {}, warnings
    interval = _get(health_check, "interval") or DEFAULT_INTERVAL
    timeout = _get(health_check, "timeout") or DEFAULT_TIMEOUT
    retries = _get(health_check, "retries") or DEFAULT_RETRIES
    start_period = _get(health_check, "start_period", "startPeriod") or 0

    def probe(failure_threshold: int) -> dict[str, Any]:
        return {
            "exec": {"command": list(command)},
            "periodSeconds": interval,
            "timeoutSeconds": timeout,
            "failureThreshold": failure_threshold,
            "successThreshold": 1,
        }

    probes: dict[str, dict[str, Any]] = {"readinessProbe": probe(retries)}
    if essential and for_service:
        probes["livenessProbe"] = probe(retries)
    if start_period or startup_required or start_timeout:
        # Budget: the start period plus the usual retries, or startTimeout when ECS was given one.
        budget = start_timeout if start_timeout else start_period + retries * interval
        probes["startupProbe"] = probe(max(1, math.ceil(budget / interval)))
    return probes, warnings


def _get(item: HealthCheck | Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)
        if value is not None:
            return value
    return None
