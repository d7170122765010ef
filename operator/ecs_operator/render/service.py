"""Everything one ECSService becomes, as a pure function of the service and its revision.

The handler resolves references (which revision, which cluster) and applies the
result; this module decides the objects. Features add their objects here, each from
its own module (workload.py, and later traffic, autoscaling, capacity providers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .pod import PodTemplateResult, render_pod_template
from .warnings import RenderWarning
from .workload import build_port_service, build_workload

__all__ = ["ServiceRender", "render_service", "propagated_annotations"]


@dataclass
class ServiceRender:
    objects: list[dict[str, Any]]  # owned by the ECSService, applied in this order
    pod: PodTemplateResult
    warnings: list[RenderWarning] = field(default_factory=list)


def _tags(items: Any) -> dict[str, str]:
    return {t.key: t.value for t in items or [] if getattr(t, "key", None)}


def propagated_annotations(propagate_tags: str | None, service_tags: Any, td_tags: Any) -> dict[str, str]:
    """ECS propagateTags: TASK_DEFINITION or SERVICE tags become pod annotations."""
    if propagate_tags == "TASK_DEFINITION":
        return _tags(td_tags)
    if propagate_tags == "SERVICE":
        return _tags(service_tags)
    return {}


def render_service(
    owner: Mapping[str, Any],
    spec: Any,
    td: Any,
    *,
    family: str,
    revision: int,
    cluster: str,
    node_labels: Sequence[Mapping[str, str]] = (),
) -> ServiceRender:
    """`spec` is an ECSServiceSpec, `td` the TaskDefinitionSpec of `family:revision`."""
    pod = render_pod_template(td, family=family, revision=revision, for_service=True,
                              node_labels=node_labels, task_group=f"service:{spec.service_name or owner['metadata']['name']}")
    warnings = list(pod.warnings)
    config = spec.deployment_configuration
    daemon = spec.scheduling_strategy == "DAEMON"
    workload = build_workload(
        owner,
        cluster=cluster,
        family=family,
        revision=revision,
        pod_template=pod.template,
        desired_count=spec.desired_count if spec.desired_count is not None else 1,
        daemon=daemon,
        maximum_percent=config.maximum_percent if config else None,
        minimum_healthy_percent=config.minimum_healthy_percent if config else None,
        pod_annotations=propagated_annotations(spec.propagate_tags, spec.tags, td.tags),
    )
    warnings.extend(workload.warnings)
    objects = [workload.workload]
    port_service = build_port_service(owner, cluster=cluster, pod_template=pod.template)
    if port_service is not None:
        objects.append(port_service)
    return ServiceRender(objects=objects, pod=pod, warnings=warnings)
