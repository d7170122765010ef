"""Shapes several ECS inputs share: tags, key/value pairs, secrets, logging, placement,
capacity provider strategies, awsvpc network configuration, ephemeral storage.

They live together because task definitions, services, tasks and clusters all use them with
the same rules, and a fix to one rule should reach every caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .base import ECSModel
from .errors import Issue, SpecError
from .scalars import EcsName, EcsString, IntOrString, PositiveInt

__all__ = [
    "AssignPublicIp",
    "AwsVpcConfiguration",
    "CapacityProviderStrategy",
    "CapacityProviderStrategyItem",
    "EnvironmentFile",
    "EphemeralStorage",
    "KeyValuePair",
    "LaunchType",
    "LogConfiguration",
    "LogDriver",
    "NetworkConfiguration",
    "NvidiaMpsAllocation",
    "PlacementConstraint",
    "PlacementConstraints",
    "PlacementStrategies",
    "PlacementStrategy",
    "PropagateTags",
    "ResourceRequirement",
    "Secret",
    "SharingStrategy",
    "Tag",
    "Tags",
]

LaunchType = Literal["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]
PropagateTags = Literal["TASK_DEFINITION", "SERVICE", "NONE"]
AssignPublicIp = Literal["ENABLED", "DISABLED"]
LogDriver = Literal["json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens"]


class Tag(ECSModel):
    """A resource tag; rendered as a label or annotation."""

    key: str = Field(min_length=1, max_length=128)
    value: str | None = Field(default=None, max_length=256)


Tags = Annotated[list[Tag], Field(max_length=50)]
"""ECS allows at most 50 tags per resource."""


class KeyValuePair(ECSModel):
    """An environment variable (or proxy property): name and value."""

    name: str = Field(min_length=1)
    value: EcsString | None = None


class EnvironmentFile(ECSModel):
    """An S3 object of ``VAR=value`` lines; rendered as a ConfigMap the user provides."""

    value: str = Field(min_length=1)
    type: Literal["s3"]


class Secret(ECSModel):
    """An environment variable (or log option) read from SSM or Secrets Manager."""

    name: str = Field(min_length=1)
    value_from: str = Field(min_length=1)


class NvidiaMpsAllocation(ECSModel):
    """GPU memory and compute share under NVIDIA MPS."""

    memory: PositiveInt
    max_compute_percent: Annotated[int, IntOrString(ge=1, le=100)] | None = None


class SharingStrategy(ECSModel):
    """How a GPU is shared between containers."""

    nvidia_mps: NvidiaMpsAllocation | None = None


class ResourceRequirement(ECSModel):
    """GPUs (``type: GPU, value: "1"``) or accelerators for a container."""

    value: EcsString | None = None
    type: Literal["GPU", "InferenceAccelerator", "NeuronDevice"]
    sharing_strategy: SharingStrategy | None = None

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ResourceRequirement.html: for GPU, value is
        # "the number of physical GPUs".
        if self.value is None:
            # ECS lets a GPU requirement name a sharingStrategy instead of a count; GPU sharing
            # has no Kubernetes equivalent here, so a count is needed in every case.
            why = (
                "; GPU sharing (sharingStrategy) cannot be honoured, give the number of GPUs"
                if self.type == "GPU" and self.sharing_strategy is not None
                else ""
            )
            yield Issue("value", f"is required{why}")
        elif self.type == "GPU" and not self.value.isdigit():
            yield Issue("value", f"the number of GPUs must be a whole number, got {self.value!r}")


class LogConfiguration(ECSModel):
    """Log driver settings; log shipping is a node agent's job on Kubernetes (reported)."""

    log_driver: LogDriver
    options: dict[str, str] | None = None
    secret_options: list[Secret] | None = None


class CapacityProviderStrategyItem(ECSModel):
    """One provider of a strategy: ``base`` tasks first, then the rest split by ``weight``."""

    capacity_provider: EcsName
    weight: Annotated[int, IntOrString(ge=0, le=1000)] | None = None
    base: Annotated[int, IntOrString(ge=0, le=100000)] | None = None


def _check_strategy(items: list[CapacityProviderStrategyItem]) -> list[CapacityProviderStrategyItem]:
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html: "Only one
    # capacity provider in a capacity provider strategy
    # can have a base defined"; "at least one capacity provider must have a weight greater than zero".
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.capacity_provider in seen:
            issues.append(Issue(f"[{index}].capacityProvider", f"'{item.capacity_provider}' is listed twice"))
        seen.setdefault(item.capacity_provider, index)
    with_base = [index for index, item in enumerate(items) if item.base]
    for index in with_base[1:]:
        issues.append(Issue(f"[{index}].base", "only one capacity provider in a strategy can have a base defined"))
    if len(items) > 1 and not any(item.weight for item in items):
        issues.append(Issue("", "at least one capacity provider must have a weight greater than zero"))
    if issues:
        raise SpecError(issues)
    return items


CapacityProviderStrategy = Annotated[
    list[CapacityProviderStrategyItem], Field(max_length=20), AfterValidator(_check_strategy)
]
"""ECS allows up to 20 providers in a strategy, one of which may have a base."""


class PlacementConstraint(ECSModel):
    """``distinctInstance`` (one task per node) or ``memberOf`` (a cluster query expression)."""

    type: Literal["distinctInstance", "memberOf"] | None = None
    expression: str | None = Field(default=None, max_length=2000)

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PlacementConstraint.html: the expression is
        # for memberOf ("The expression can have a
        # maximum length of 2000 characters. You can't specify an expression if the constraint type is
        # distinctInstance").
        if self.type == "memberOf" and not self.expression:
            yield Issue("expression", "is required when type is memberOf")
        if self.type == "distinctInstance" and self.expression:
            yield Issue("expression", "cannot be given when type is distinctInstance")


PlacementConstraints = Annotated[list[PlacementConstraint], Field(max_length=10)]
"""ECS allows up to 10 constraints per task or service."""


class PlacementStrategy(ECSModel):
    """``spread`` over a field, ``binpack`` on cpu or memory, or ``random``."""

    type: Literal["random", "spread", "binpack"] | None = None
    field: str | None = Field(default=None, max_length=255)

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PlacementStrategy.html: binpack's field is cpu
        # or memory, spread's an instance attribute;
        # "This field is not valid for the random placement strategy".
        if self.type == "binpack" and self.field not in ("cpu", "memory"):
            yield Issue("field", f"binpack needs field cpu or memory, got {self.field!r}")
        if self.type == "spread" and not self.field:
            yield Issue("field", "spread needs a field (instanceId, host or attribute:<name>)")
        if self.type == "random" and self.field:
            yield Issue("field", "random takes no field")


PlacementStrategies = Annotated[list[PlacementStrategy], Field(max_length=5)]
"""ECS allows up to 5 strategy rules per task or service."""


class AwsVpcConfiguration(ECSModel):
    """Subnets and security groups of an awsvpc task; reported (pods use the cluster network)."""

    subnets: list[str] = Field(max_length=16)
    security_groups: list[str] | None = Field(default=None, max_length=5)
    assign_public_ip: AssignPublicIp | None = None


class NetworkConfiguration(ECSModel):
    """Network settings of a service or task."""

    awsvpc_configuration: AwsVpcConfiguration | None = None


class EphemeralStorage(ECSModel):
    """Task scratch space; rendered as ephemeral-storage requests and limits."""

    size_in_gib: Annotated[int, IntOrString(ge=21, le=200, unit="GiB")] = Field(alias="sizeInGiB")
