"""How a service replaces its tasks: rolling update percentages, circuit breaker, alarms, and
the blue/green, linear and canary strategies with their lifecycle hooks.

The rolling update is what maps onto a Deployment (maxSurge/maxUnavailable from maximumPercent and
minimumHealthyPercent); the other strategies are accepted and reported by render.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool

from .base import ECSModel
from .errors import Issue
from .scalars import IntOrString, NonNegativeInt, Percent

__all__ = [
    "CanaryConfiguration",
    "DEFAULT_MAXIMUM_PERCENT",
    "DEFAULT_MINIMUM_HEALTHY_PERCENT",
    "DeploymentAlarms",
    "DeploymentCircuitBreaker",
    "DeploymentConfiguration",
    "DeploymentController",
    "DeploymentEarlySuccessCriteria",
    "DeploymentLifecycleHook",
    "DeploymentLifecycleHookTimeoutConfiguration",
    "LinearConfiguration",
    "ThresholdConfiguration",
]

DEFAULT_MAXIMUM_PERCENT = 200
DEFAULT_MINIMUM_HEALTHY_PERCENT = 100

LifecycleStage = Literal[
    "RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT",
]  # fmt: skip


class ThresholdConfiguration(ECSModel):
    """How many failed tasks trip the circuit breaker."""

    type: Literal["COUNT", "BOUNDED_PERCENT", "UNBOUNDED_PERCENT"]
    value: NonNegativeInt


class DeploymentCircuitBreaker(ECSModel):
    """Stop (and optionally roll back) a deployment whose tasks keep failing."""

    enable: StrictBool
    rollback: StrictBool
    reset_on_healthy_task: StrictBool | None = None
    threshold_configuration: ThresholdConfiguration | None = None


class DeploymentAlarms(ECSModel):
    """CloudWatch alarms that fail a deployment (reported: no CloudWatch on Kubernetes)."""

    alarm_names: list[str]
    rollback: StrictBool
    enable: StrictBool


class DeploymentLifecycleHookTimeoutConfiguration(ECSModel):
    """How long a hook may take and what happens after."""

    timeout_in_minutes: Annotated[int, IntOrString(ge=1, le=20160, unit="minutes")] | None = None
    action: Literal["ROLLBACK", "CONTINUE"] | None = None


class DeploymentLifecycleHook(ECSModel):
    """A Lambda function or pause run at stages of a blue/green, linear or canary deployment."""

    target_type: Literal["AWS_LAMBDA", "PAUSE"] | None = None
    hook_target_arn: str | None = None
    role_arn: str | None = None
    lifecycle_stages: list[LifecycleStage] | None = None
    hook_details: Any = None
    timeout_configuration: DeploymentLifecycleHookTimeoutConfiguration | None = None


class LinearConfiguration(ECSModel):
    """Shift traffic in equal steps."""

    step_percent: float | None = Field(default=None, ge=3.0, le=100.0)
    step_bake_time_in_minutes: NonNegativeInt | None = None


class CanaryConfiguration(ECSModel):
    """Shift a small share of traffic first."""

    canary_percent: float | None = Field(default=None, ge=0.1, le=100.0)
    canary_bake_time_in_minutes: NonNegativeInt | None = None


class DeploymentEarlySuccessCriteria(ECSModel):
    """Finish a deployment early once enough new tasks are healthy."""

    enable: StrictBool
    healthy_percent: Percent | None = None
    source_service_revision_cleanup: Literal["BLOCKING", "DEFERRED"] | None = None


class DeploymentConfiguration(ECSModel):
    """Rolling update bounds (percent of desiredCount) and deployment safety nets."""

    deployment_circuit_breaker: DeploymentCircuitBreaker | None = None
    maximum_percent: NonNegativeInt = DEFAULT_MAXIMUM_PERCENT
    minimum_healthy_percent: Percent = DEFAULT_MINIMUM_HEALTHY_PERCENT
    alarms: DeploymentAlarms | None = None
    strategy: Literal["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"] | None = None
    bake_time_in_minutes: Annotated[int, IntOrString(ge=0, le=1440, unit="minutes")] | None = None
    lifecycle_hooks: list[DeploymentLifecycleHook] | None = Field(default=None, max_length=20)
    linear_configuration: LinearConfiguration | None = None
    canary_configuration: CanaryConfiguration | None = None
    early_success_criteria: DeploymentEarlySuccessCriteria | None = None

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html: the percents
        # bound one rolling step (minimum healthy below
        # the maximum); linearConfiguration / canaryConfiguration belong to the LINEAR / CANARY strategies.
        if self.minimum_healthy_percent > self.maximum_percent:
            yield Issue(
                "minimumHealthyPercent",
                f"must not exceed maximumPercent ({self.maximum_percent}), got {self.minimum_healthy_percent}",
            )
        if self.linear_configuration is not None and self.strategy != "LINEAR":
            yield Issue("linearConfiguration", "needs strategy LINEAR")
        if self.canary_configuration is not None and self.strategy != "CANARY":
            yield Issue("canaryConfiguration", "needs strategy CANARY")


class DeploymentController(ECSModel):
    """Who deploys: ECS itself (rolling), CodeDeploy, or an external controller."""

    type: Literal["ECS", "CODE_DEPLOY", "EXTERNAL"]
