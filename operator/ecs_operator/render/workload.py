"""ECSService -> Deployment (REPLICA) or DaemonSet (DAEMON) and a Service for its ports.

The rolling-update numbers are ECS's own arithmetic on desiredCount, as integers,
so a rollout never has fewer healthy or more total tasks than ECS would allow.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..vocabulary import (
    ANNOTATION_TASK_DEFINITION,
    LABEL_CLUSTER,
    LABEL_FAMILY,
    LABEL_PROVIDER,
    LABEL_REVISION,
    LABEL_SERVICE,
)
from .meta import owner_reference, standard_labels
from .warnings import RenderWarning

__all__ = [
    "RollingNumbers",
    "rolling_update",
    "ServiceWorkload",
    "build_workload",
    "build_port_service",
    "service_selector",
]

DEFAULT_MAXIMUM_PERCENT = 200
DEFAULT_MINIMUM_HEALTHY_PERCENT = 100
DAEMON_DEFAULT_MAXIMUM_PERCENT = 100
DAEMON_DEFAULT_MINIMUM_HEALTHY_PERCENT = 0


@dataclass(frozen=True)
class RollingNumbers:
    max_surge: int
    max_unavailable: int
    warnings: tuple[RenderWarning, ...] = ()


def rolling_update(desired: int, maximum_percent: int | None, minimum_healthy_percent: int | None) -> RollingNumbers:
    """maxSurge = floor(d*max/100) - d; maxUnavailable = d - ceil(d*min/100) (ECS_MAPPING.md)."""
    max_pct = DEFAULT_MAXIMUM_PERCENT if maximum_percent is None else maximum_percent
    min_pct = DEFAULT_MINIMUM_HEALTHY_PERCENT if minimum_healthy_percent is None else minimum_healthy_percent
    surge = max(0, (desired * max_pct) // 100 - desired)
    unavailable = max(0, desired - math.ceil(desired * min_pct / 100))
    warnings: tuple[RenderWarning, ...] = ()
    if surge == 0 and unavailable == 0:
        # Kubernetes rejects 0/0; ECS would be stuck the same way. Allow one task down.
        unavailable = 1
        warnings = (
            RenderWarning(
                "deploymentConfiguration",
                f"maximumPercent {max_pct} and minimumHealthyPercent {min_pct} leave no room to replace a task "
                f"at desiredCount {desired}; using maxUnavailable 1",
                "approximated",
            ),
        )
    return RollingNumbers(surge, unavailable, warnings)


def service_selector(name: str, provider: str | None = None) -> dict[str, str]:
    selector = {LABEL_SERVICE: name}
    if provider:
        selector[LABEL_PROVIDER] = provider
    return selector


@dataclass
class ServiceWorkload:
    workload: dict[str, Any]
    warnings: list[RenderWarning] = field(default_factory=list)


def build_workload(
    owner: Mapping[str, Any],
    *,
    cluster: str,
    family: str,
    revision: int,
    pod_template: Mapping[str, Any],
    desired_count: int,
    daemon: bool = False,
    maximum_percent: int | None = None,
    minimum_healthy_percent: int | None = None,
    pod_annotations: Mapping[str, str] | None = None,
    provider: str | None = None,
    name: str | None = None,
) -> ServiceWorkload:
    """The Deployment or DaemonSet running this service's tasks at `family:revision`."""
    service = owner["metadata"]["name"]
    workload_name = name or service
    selector = service_selector(service, provider)
    ecs_labels = {LABEL_CLUSTER: cluster, **selector}
    template = copy.deepcopy(dict(pod_template))
    meta = template.setdefault("metadata", {})
    meta["labels"] = {**meta.get("labels", {}), **ecs_labels, LABEL_FAMILY: family, LABEL_REVISION: str(revision)}
    if pod_annotations:
        meta["annotations"] = {**meta.get("annotations", {}), **pod_annotations}
    template.setdefault("spec", {})["restartPolicy"] = "Always"

    metadata = {
        "name": workload_name,
        "namespace": owner["metadata"]["namespace"],
        "labels": standard_labels(service, "service", ecs_labels),
        "annotations": {ANNOTATION_TASK_DEFINITION: f"{family}:{revision}"},
        "ownerReferences": [owner_reference(owner)],
    }
    warnings: list[RenderWarning] = []
    if daemon:
        numbers = rolling_update(
            1,
            DAEMON_DEFAULT_MAXIMUM_PERCENT if maximum_percent is None else maximum_percent,
            DAEMON_DEFAULT_MINIMUM_HEALTHY_PERCENT if minimum_healthy_percent is None else minimum_healthy_percent,
        )
        rolling = {"maxSurge": numbers.max_surge, "maxUnavailable": 0 if numbers.max_surge else 1}
        workload = {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": metadata,
            "spec": {
                "selector": {"matchLabels": selector},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling},
                "template": template,
            },
        }
    else:
        numbers = rolling_update(desired_count, maximum_percent, minimum_healthy_percent)
        warnings.extend(numbers.warnings)
        workload = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": metadata,
            "spec": {
                "replicas": desired_count,
                "revisionHistoryLimit": 5,
                "selector": {"matchLabels": selector},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": numbers.max_surge, "maxUnavailable": numbers.max_unavailable},
                },
                "template": template,
            },
        }
    return ServiceWorkload(workload, warnings)


def _container_ports(pod_template: Mapping[str, Any]) -> list[dict[str, Any]]:
    spec = pod_template.get("spec", {})
    sidecars = [c for c in spec.get("initContainers", []) if c.get("restartPolicy") == "Always"]
    ports: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for container in [*spec.get("containers", []), *sidecars]:
        for port in container.get("ports", []):
            key = (port["containerPort"], port.get("protocol", "TCP"))
            if key in seen:
                continue
            seen.add(key)
            ports.append({"container": container["name"], **port})
    return ports


def build_port_service(
    owner: Mapping[str, Any],
    *,
    cluster: str,
    pod_template: Mapping[str, Any],
    only: list[tuple[str, int]] | None = None,
) -> dict[str, Any] | None:
    """A ClusterIP Service exposing the task's container ports (never host ports).

    `only` limits it to (containerName, containerPort) pairs, as ECS loadBalancers do.
    None when the task exposes no port.
    """
    service = owner["metadata"]["name"]
    ports = []
    used_names: set[str] = set()
    for port in _container_ports(pod_template):
        if only is not None and (port["container"], port["containerPort"]) not in only:
            continue
        protocol = port.get("protocol", "TCP")
        name = port.get("name") or f"{protocol.lower()}-{port['containerPort']}"
        if name in used_names:
            name = f"{protocol.lower()}-{port['containerPort']}"
        used_names.add(name)
        entry: dict[str, Any] = {
            "name": name,
            "port": port["containerPort"],
            "targetPort": port["containerPort"],
            "protocol": protocol,
        }
        app_protocol = port.get("appProtocol")
        if app_protocol:
            entry["appProtocol"] = app_protocol
        ports.append(entry)
    if not ports:
        return None
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": service,
            "namespace": owner["metadata"]["namespace"],
            "labels": standard_labels(service, "service", {LABEL_CLUSTER: cluster, LABEL_SERVICE: service}),
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": {"type": "ClusterIP", "selector": service_selector(service), "ports": ports},
    }
