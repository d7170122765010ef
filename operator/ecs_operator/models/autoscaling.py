"""Service auto scaling, in Application Auto Scaling's terms (camelCased).

On AWS this is a scalable target plus policies registered with another service; here it sits
on the ECSService as ``autoScaling`` and renders as a HorizontalPodAutoscaler aimed at the
service's scale subresource. Target tracking maps to HPA metrics, cooldowns to stabilization
windows, disableScaleIn to a disabled scale-down policy.

Its rules are Application Auto Scaling's: a scalable target's minCapacity may not exceed its
maxCapacity (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html),
a target tracking policy takes one metric specification and ALBRequestCountPerTarget needs a
resourceLabel (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html),
and policy names are unique per target.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from .base import ECSModel
from .errors import Issue
from .scalars import NonNegativeInt, TextPattern
from .schedule import ScalingSchedule

__all__ = [
    "CustomizedMetricSpecification",
    "MetricDimension",
    "PredefinedMetricSpecification",
    "PredefinedMetricType",
    "ScalableTargetAction",
    "ScheduledAction",
    "ServiceAutoScaling",
    "TargetTrackingScalingPolicy",
]

PredefinedMetricType = Literal[
    "ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget"
]
Statistic = Literal["Average", "Minimum", "Maximum", "SampleCount", "Sum"]
Timezone = Annotated[
    str,
    TextPattern(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$", "must be an IANA time zone such as Europe/Lisbon", 64),
]


class PredefinedMetricSpecification(ECSModel):
    """Average CPU or memory use of the service's tasks, or ALB requests per target."""

    ecs_shape = ""
    predefined_metric_type: PredefinedMetricType
    resource_label: str | None = Field(default=None, max_length=1023)

    def problems(self) -> Iterator[Issue]:
        if self.predefined_metric_type == "ALBRequestCountPerTarget" and not self.resource_label:
            yield Issue(
                "resourceLabel", "is required for ALBRequestCountPerTarget (app/<lb>/<id>/targetgroup/<tg>/<id>)"
            )


class MetricDimension(ECSModel):
    """A CloudWatch metric dimension."""

    ecs_shape = ""
    name: str = Field(min_length=1)
    value: str


class CustomizedMetricSpecification(ECSModel):
    """Any metric (rendered as an HPA External metric with the same name and dimensions)."""

    ecs_shape = ""
    metric_name: str = Field(min_length=1)
    namespace: str = Field(min_length=1)
    dimensions: list[MetricDimension] | None = None
    statistic: Statistic | None = None
    unit: str | None = None


class TargetTrackingScalingPolicy(ECSModel):
    """Keep a metric near ``targetValue`` by changing desiredCount."""

    ecs_shape = ""
    policy_name: str | None = Field(default=None, min_length=1, max_length=256)
    target_value: float = Field(gt=0)
    predefined_metric_specification: PredefinedMetricSpecification | None = None
    customized_metric_specification: CustomizedMetricSpecification | None = None
    scale_in_cooldown: NonNegativeInt | None = None
    scale_out_cooldown: NonNegativeInt | None = None
    disable_scale_in: StrictBool | None = None

    def problems(self) -> Iterator[Issue]:
        given = (self.predefined_metric_specification is not None) + (self.customized_metric_specification is not None)
        if given != 1:
            yield Issue("", "give exactly one of predefinedMetricSpecification and customizedMetricSpecification")


class ScalableTargetAction(ECSModel):
    """New capacity bounds applied at a scheduled time."""

    ecs_shape = ""
    min_capacity: NonNegativeInt | None = None
    max_capacity: NonNegativeInt | None = None

    def problems(self) -> Iterator[Issue]:
        if self.min_capacity is None and self.max_capacity is None:
            yield Issue("", "give minCapacity, maxCapacity or both")
        elif self.min_capacity is not None and self.max_capacity is not None and self.min_capacity > self.max_capacity:
            yield Issue("minCapacity", f"must not exceed maxCapacity ({self.max_capacity})")


class ScheduledAction(ECSModel):
    """Change the capacity bounds on a schedule."""

    ecs_shape = ""
    scheduled_action_name: str | None = Field(default=None, min_length=1, max_length=256)
    schedule: ScalingSchedule
    scalable_target_action: ScalableTargetAction
    timezone: Timezone | None = None


class ServiceAutoScaling(ECSModel):
    """Scalable target bounds plus the policies and schedules that move desiredCount."""

    ecs_shape = ""
    min_capacity: NonNegativeInt
    max_capacity: NonNegativeInt
    target_tracking_scaling_policies: list[TargetTrackingScalingPolicy] | None = Field(default=None, max_length=10)
    scheduled_actions: list[ScheduledAction] | None = Field(default=None, max_length=50)

    def problems(self) -> Iterator[Issue]:
        if self.min_capacity > self.max_capacity:
            yield Issue("minCapacity", f"must not exceed maxCapacity ({self.max_capacity}), got {self.min_capacity}")
        if self.max_capacity < 1:
            yield Issue("maxCapacity", "must be at least 1")
        seen: set[str] = set()
        for index, policy in enumerate(self.target_tracking_scaling_policies or ()):
            if policy.policy_name in seen:
                yield Issue(
                    f"targetTrackingScalingPolicies[{index}].policyName",
                    f"duplicate policy name '{policy.policy_name}'",
                )
            if policy.policy_name:
                seen.add(policy.policy_name)
