"""Service auto scaling as a HorizontalPodAutoscaler aimed at the ECSService itself.

The HPA's ``scaleTargetRef`` is the ECSService (its CRD has a scale subresource on
``spec.desiredCount``), not the Deployment: the HPA writes desiredCount, the operator turns
desiredCount into replicas as it always does, so there is one owner of the number and nobody
fights. Application Auto Scaling terms map as follows (ECS_MAPPING.md, Auto scaling):

    minCapacity / maxCapacity            -> minReplicas / maxReplicas (minReplicas >= 1, see below)
    ECSServiceAverageCPUUtilization      -> Resource metric cpu, averageUtilization = targetValue
    ECSServiceAverageMemoryUtilization   -> Resource metric memory, averageUtilization = targetValue
    ALBRequestCountPerTarget             -> External metric RequestCountPerTarget for the target group
    customizedMetricSpecification        -> External metric of that name, dimensions as labels
    scaleOutCooldown / scaleInCooldown   -> behavior scaleUp / scaleDown stabilizationWindowSeconds
                                            (ECS's default 300s each; the longest of the policies)
    disableScaleIn (any policy)          -> behavior scaleDown selectPolicy Disabled
    no target tracking policy            -> both directions Disabled: the HPA only keeps
                                            desiredCount within the bounds
    scheduledActions                     -> the bounds in force now (see :func:`effective_bounds`)

External metrics need an adapter serving ``external.metrics.k8s.io`` (KEDA, a CloudWatch
adapter); that is reported as approximated. Scheduled actions are evaluated declaratively: the
bounds in force are those of the latest firing at or before ``now``, so the caller requeues at
``next_change`` and re-renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models.autoscaling import ServiceAutoScaling, TargetTrackingScalingPolicy
from ..vocabulary import API_VERSION, KIND_SERVICE, LABEL_CLUSTER, LABEL_SERVICE, prefixed
from . import names
from .meta import owner_reference, standard_labels
from .schedule import ScheduleError, last_firing, next_firing
from .warnings import RenderWarning

__all__ = [
    "AutoscalerRender",
    "DEFAULT_COOLDOWN_SECONDS",
    "ScalingBounds",
    "build_autoscaler",
    "effective_bounds",
]

DEFAULT_COOLDOWN_SECONDS = 300  # Application Auto Scaling's default for ECS services, both ways


@dataclass(frozen=True)
class ScalingBounds:
    """The capacity bounds in force at ``now`` and when they may change next."""

    min_capacity: int
    max_capacity: int
    action: str | None = None  # the scheduled action whose firing set them, if any
    fired_at: datetime | None = None
    next_change: datetime | None = None


@dataclass
class AutoscalerRender:
    hpa: dict[str, Any]
    bounds: ScalingBounds
    warnings: list[RenderWarning] = field(default_factory=list)

    def status(self) -> dict[str, Any]:
        """What the ECSService status reports under ``autoScaling``."""
        out: dict[str, Any] = {
            "horizontalPodAutoscaler": self.hpa["metadata"]["name"],
            "minCapacity": self.bounds.min_capacity,
            "maxCapacity": self.bounds.max_capacity,
        }
        if self.bounds.action:
            out["scheduledAction"] = self.bounds.action
            out["scheduledActionFiredAt"] = _iso(self.bounds.fired_at)
        if self.bounds.next_change:
            out["nextScheduledActionAt"] = _iso(self.bounds.next_change)
        return out


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _zone(name: str | None, path: str) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{path}: unknown time zone {name!r}") from None


def effective_bounds(scaling: ServiceAutoScaling, *, now: datetime, anchor: datetime) -> ScalingBounds:
    """minCapacity/maxCapacity after the scheduled actions that have fired by ``now``.

    Each firing of an action overwrites the bound(s) it sets, as Application Auto Scaling does to
    the scalable target; so the bound in force is the one from the latest firing that sets it
    (looking back to ``anchor``, the ECSService's creation). ``rate()`` counts from ``anchor``.
    Raises :class:`ScheduleError` for an expression a scaling schedule cannot use.
    """
    low, high = int(scaling.min_capacity), int(scaling.max_capacity)
    low_at: datetime | None = None
    high_at: datetime | None = None
    last_action: tuple[datetime, str] | None = None
    upcoming: datetime | None = None
    for index, action in enumerate(scaling.scheduled_actions or ()):
        path = f"autoScaling.scheduledActions[{index}].schedule"
        zone = _zone(action.timezone, f"autoScaling.scheduledActions[{index}].timezone")
        fired = last_firing(action.schedule, now=now, anchor=anchor, tz=zone, path=path)
        coming = next_firing(action.schedule, now=now, anchor=anchor, tz=zone, path=path)
        if coming is not None and (upcoming is None or coming < upcoming):
            upcoming = coming
        if fired is None:
            continue
        target = action.scalable_target_action
        if target.min_capacity is not None and (low_at is None or fired >= low_at):
            low, low_at = int(target.min_capacity), fired
        if target.max_capacity is not None and (high_at is None or fired >= high_at):
            high, high_at = int(target.max_capacity), fired
        name = action.scheduled_action_name or f"scheduledActions[{index}]"
        if last_action is None or fired >= last_action[0]:
            last_action = (fired, name)
    if low > high:  # an action moved one bound past the other: the newer one wins, as in AAS
        if (low_at or anchor) >= (high_at or anchor):
            high = low
        else:
            low = high
    return ScalingBounds(
        low, high, last_action[1] if last_action else None, last_action[0] if last_action else None, upcoming
    )


def _resource_metric(resource: str, target: float, path: str, warnings: list[RenderWarning]) -> dict[str, Any]:
    utilization = max(1, round(target))
    if utilization != target:
        warnings.append(
            RenderWarning(
                path, f"HPA utilization targets are whole percents; {target} is used as {utilization}", "approximated"
            )
        )
    return {
        "type": "Resource",
        "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": utilization}},
    }


def _quantity(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{round(value * 1000)}m"


def _external_metric(
    name: str, labels: Mapping[str, str], target: float, path: str, what: str, warnings: list[RenderWarning]
) -> dict[str, Any]:
    warnings.append(
        RenderWarning(
            path,
            f"{what} becomes the External metric {name!r}; the cluster needs an external "
            "metrics adapter (KEDA, a CloudWatch adapter) that serves it",
            "approximated",
        )
    )
    metric: dict[str, Any] = {"name": name}
    if labels:
        metric["selector"] = {"matchLabels": dict(labels)}
    # Target tracking holds the metric itself near the target (it is already per task or per
    # target), so the HPA compares the value, not a per-pod average of it.
    return {"type": "External", "external": {"metric": metric, "target": {"type": "Value", "value": _quantity(target)}}}


def _metric(policy: TargetTrackingScalingPolicy, index: int, warnings: list[RenderWarning]) -> dict[str, Any]:
    path = f"autoScaling.targetTrackingScalingPolicies[{index}]"
    predefined = policy.predefined_metric_specification
    if predefined is not None:
        kind = predefined.predefined_metric_type
        if kind == "ECSServiceAverageCPUUtilization":
            return _resource_metric("cpu", policy.target_value, f"{path}.targetValue", warnings)
        if kind == "ECSServiceAverageMemoryUtilization":
            return _resource_metric("memory", policy.target_value, f"{path}.targetValue", warnings)
        label = predefined.resource_label or ""
        target_group = label.split("/targetgroup/", 1)[-1] if "/targetgroup/" in label else label
        return _external_metric(
            "RequestCountPerTarget",
            {prefixed("target-group"): names.label_value(f"targetgroup/{target_group}")},
            policy.target_value,
            f"{path}.predefinedMetricSpecification",
            "ALBRequestCountPerTarget",
            warnings,
        )
    custom = policy.customized_metric_specification
    assert custom is not None, "a validated policy has exactly one metric specification"
    labels = {prefixed("metric-namespace"): names.label_value(custom.namespace)}
    for dimension in custom.dimensions or ():
        labels[names.label_value(dimension.name)] = names.label_value(dimension.value)
    if custom.statistic:
        labels[prefixed("statistic")] = custom.statistic
    return _external_metric(
        custom.metric_name,
        labels,
        policy.target_value,
        f"{path}.customizedMetricSpecification",
        f"metric {custom.namespace}/{custom.metric_name}",
        warnings,
    )


def _behavior(policies: list[TargetTrackingScalingPolicy], warnings: list[RenderWarning]) -> dict[str, Any]:
    if not policies:
        return {"scaleUp": {"selectPolicy": "Disabled"}, "scaleDown": {"selectPolicy": "Disabled"}}
    outs = [DEFAULT_COOLDOWN_SECONDS if p.scale_out_cooldown is None else int(p.scale_out_cooldown) for p in policies]
    ins = [DEFAULT_COOLDOWN_SECONDS if p.scale_in_cooldown is None else int(p.scale_in_cooldown) for p in policies]
    for values, member in ((outs, "scaleOutCooldown"), (ins, "scaleInCooldown")):
        if len(set(values)) > 1:
            warnings.append(
                RenderWarning(
                    f"autoScaling.targetTrackingScalingPolicies[*].{member}",
                    f"an HPA has one stabilization window per direction; the longest "
                    f"({max(values)}s) applies to every policy",
                    "approximated",
                )
            )
    scale_down: dict[str, Any] = {"stabilizationWindowSeconds": min(max(ins), 3600)}
    if any(p.disable_scale_in for p in policies):
        scale_down["selectPolicy"] = "Disabled"
    return {"scaleUp": {"stabilizationWindowSeconds": min(max(outs), 3600)}, "scaleDown": scale_down}


def build_autoscaler(
    owner: Mapping[str, Any], scaling: ServiceAutoScaling, *, cluster: str, now: datetime, anchor: datetime
) -> AutoscalerRender:
    """The HPA for an ECSService's ``autoScaling`` (a ServiceAutoScaling model) at ``now``."""
    name = owner["metadata"]["name"]
    warnings: list[RenderWarning] = []
    bounds = effective_bounds(scaling, now=now, anchor=anchor)
    low = bounds.min_capacity
    if low < 1:
        warnings.append(
            RenderWarning(
                "autoScaling.minCapacity",
                "an HPA cannot scale to zero without the HPAScaleToZero feature; minReplicas is 1",
                "approximated",
            )
        )
        low = 1
    high = max(bounds.max_capacity, low)
    policies = list(scaling.target_tracking_scaling_policies or ())
    spec: dict[str, Any] = {
        "scaleTargetRef": {
            "apiVersion": owner.get("apiVersion", API_VERSION),
            "kind": owner.get("kind", KIND_SERVICE),
            "name": name,
        },
        "minReplicas": low,
        "maxReplicas": high,
    }
    if policies:
        spec["metrics"] = [_metric(policy, i, warnings) for i, policy in enumerate(policies)]
    spec["behavior"] = _behavior(policies, warnings)
    annotations: dict[str, str] = {}
    for i, policy in enumerate(policies):
        predefined = policy.predefined_metric_specification
        if predefined is not None and predefined.resource_label:
            annotations[prefixed(f"resource-label.{i}")] = predefined.resource_label
    hpa: dict[str, Any] = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": name,
            "namespace": owner["metadata"]["namespace"],
            "labels": standard_labels(name, "autoscaler", {LABEL_CLUSTER: cluster, LABEL_SERVICE: name}),
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": spec,
    }
    if annotations:
        hpa["metadata"]["annotations"] = annotations
    return AutoscalerRender(hpa=hpa, bounds=bounds, warnings=warnings)
