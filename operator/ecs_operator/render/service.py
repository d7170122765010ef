"""Everything one ECSService becomes, as a pure function of the service and its revision.

The handler resolves references (which revision, which cluster) and applies the
result; this module decides the objects. Features add their objects here, each from
its own module (workload.py, and later traffic, autoscaling, capacity providers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..models import ECSClusterSpec, ECSServiceSpec, TaskDefinitionSpec
from ..vocabulary import ANNOTATION_FORCE_DEPLOYMENT
from .autoscaling import AutoscalerRender, build_autoscaler
from .capacity import (
    CapacityProviderError,
    ProviderShare,
    apply_profile,
    effective_strategy,
    implicit_profile,
    provider_label,
    split_tasks,
)
from .placement import apply_placement
from .pod import PodTemplateResult, render_pod_template
from .tags import propagated_annotations
from .traffic import Traffic, render_traffic
from .warnings import RenderWarning
from .workload import build_workload, service_selector

__all__ = ["ServiceRender", "render_service", "force_token", "pod_force_token"]


def force_token(owner: Mapping[str, Any]) -> str:
    """The ECSService's forceNewDeployment token ("" when none): UpdateService sets a new one to
    roll new tasks of the same revision (API reference, UpdateService forceNewDeployment,
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html)."""
    return str(((owner.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_FORCE_DEPLOYMENT) or "")


def pod_force_token(pod: Mapping[str, Any]) -> str:
    """The token a task was started under: the pod template carries it, so a new token rolls the pods."""
    return str(((pod.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_FORCE_DEPLOYMENT) or "")


@dataclass
class ServiceRender:
    objects: list[dict[str, Any]]  # owned by the ECSService, applied in this order
    pod: PodTemplateResult
    warnings: list[RenderWarning] = field(default_factory=list)
    shares: list[ProviderShare] = field(default_factory=list)  # tasks per capacity provider
    workload_names: list[str] = field(default_factory=list)
    traffic: Traffic = field(default_factory=Traffic)  # Services, Ingress, ...: applied after `objects`
    autoscaler: AutoscalerRender | None = None  # the HPA when autoScaling is set


def render_service(
    owner: Mapping[str, Any],
    spec: ECSServiceSpec,
    td: TaskDefinitionSpec,
    *,
    family: str,
    revision: int,
    cluster: str,
    cluster_spec: ECSClusterSpec | None = None,
    node_labels: Sequence[Mapping[str, str]] = (),
    fargate_provisioner: str | None = None,
    now: datetime | None = None,
) -> ServiceRender:
    """`spec` is an ECSServiceSpec, `td` the TaskDefinitionSpec of `family:revision`, `cluster_spec`
    the ECSClusterSpec (capacity providers) or None.

    Raises CapacityProviderError for sizes or providers that cannot be honoured.
    """
    name = owner["metadata"]["name"]
    pod = render_pod_template(
        td,
        family=family,
        revision=revision,
        for_service=True,
        node_labels=node_labels,
        task_group=f"service:{spec.service_name or name}",
    )
    warnings = list(pod.warnings)
    template, placement_warnings = apply_placement(
        pod.template,
        task_constraints=td.placement_constraints,
        constraints=spec.placement_constraints,
        strategies=spec.placement_strategy,
        selector_labels=service_selector(name),
        node_labels=node_labels,
    )
    warnings.extend(placement_warnings)
    config = spec.deployment_configuration
    daemon = spec.scheduling_strategy == "DAEMON"
    desired = spec.desired_count if spec.desired_count is not None else 1
    strategy = effective_strategy(
        spec.capacity_provider_strategy,
        spec.launch_type,
        cluster_spec.default_capacity_provider_strategy if cluster_spec else None,
    )
    if daemon and strategy:
        warnings.append(
            RenderWarning(
                "capacityProviderStrategy",
                "DAEMON services run on every eligible node; the strategy is not used",
                "unsupported",
            )
        )
        strategy = []
    shares = split_tasks(desired, strategy)
    propagated = propagated_annotations(spec.propagate_tags, spec.tags, td.tags, warnings)
    token = force_token(owner)
    if token:
        propagated = {**propagated, ANNOTATION_FORCE_DEPLOYMENT: token}
    objects: list[dict[str, Any]] = []
    workload_names: list[str] = []
    for share in shares:
        share_template = template
        label = None
        if share.provider is not None:
            profile = cluster_spec.provider(share.provider) if cluster_spec else implicit_profile(share.provider)
            if profile is None:
                raise CapacityProviderError(
                    f"capacityProviderStrategy: capacity provider '{share.provider}' is not "
                    f"associated with cluster {cluster}"
                )
            share_template, profile_warnings = apply_profile(
                template,
                profile,
                cluster=cluster,
                task_cpu_units=td.cpu_units,
                task_memory_mib=td.memory_mib,
                fargate_provisioner=fargate_provisioner,
            )
            warnings.extend(profile_warnings)
            label = provider_label(share.provider)
        workload_name = name if len(shares) == 1 else f"{name}-{label}".lower()[:63].rstrip("-")
        workload = build_workload(
            owner,
            cluster=cluster,
            family=family,
            revision=revision,
            pod_template=share_template,
            desired_count=share.count,
            daemon=daemon,
            maximum_percent=config.maximum_percent if config else None,
            minimum_healthy_percent=config.minimum_healthy_percent if config else None,
            pod_annotations=propagated,
            provider=label,
            name=workload_name,
        )
        warnings.extend(workload.warnings)
        objects.append(workload.workload)
        workload_names.append(workload_name)
    traffic = render_traffic(owner, spec, td, template, cluster=cluster)  # Services, Ingress, policies
    warnings.extend(traffic.warnings)
    autoscaler = None
    if spec.auto_scaling is not None and not daemon:
        # Scheduled actions are evaluated at `now` (bounds in force); rate() counts from creation.
        created = owner["metadata"].get("creationTimestamp")
        anchor = (
            datetime.fromisoformat(created.replace("Z", "+00:00"))
            if created
            else now or datetime(1970, 1, 1, tzinfo=UTC)
        )
        autoscaler = build_autoscaler(owner, spec.auto_scaling, cluster=cluster, now=now or anchor, anchor=anchor)
        warnings.extend(autoscaler.warnings)
        objects.append(autoscaler.hpa)
    return ServiceRender(
        objects=objects,
        pod=pod,
        warnings=warnings,
        shares=shares,
        workload_names=workload_names,
        autoscaler=autoscaler,
        traffic=traffic,
    )
