"""ECSTaskSpec: the RunTask input, plus ``schedule`` and ``desiredStatus``.

A standalone task runs its task definition ``count`` times to completion (one-off jobs, batch,
ETL): a Pod per task, or a Job. With ``schedule`` it becomes an ECS scheduled task (a CronJob);
``desiredStatus: STOPPED`` stops it the way StopTask does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from .autoscaling import Timezone
from .base import ECSModel
from .common import (
    CapacityProviderStrategy,
    EnvironmentFile,
    EphemeralStorage,
    KeyValuePair,
    LaunchType,
    NetworkConfiguration,
    PlacementConstraints,
    PlacementStrategies,
    PropagateTags,
    ResourceRequirement,
    Tags,
)
from .ebs import TaskVolumeConfiguration
from .errors import Issue
from .references import (
    ClusterReference,
    TaskDefinitionRef,
    TaskDefinitionReference,
    cluster_name,
    parse_task_definition_ref,
)
from .scalars import ClientToken64, ContainerName, NonNegativeInt, PositiveInt, TaskCount, TextPattern
from .schedule import ScheduleExpression
from .units import TaskCpu, TaskMemory, parse_cpu_units, parse_memory_mib

__all__ = ["ContainerOverride", "DesiredStatus", "ECSTaskSpec", "InferenceAcceleratorOverride", "TaskOverride"]

DesiredStatus = Literal["RUNNING", "STOPPED"]
StartedBy = Annotated[
    str,
    TextPattern(r"^[a-zA-Z0-9_/-]{1,128}$", "must be up to 128 letters, digits, hyphens, slashes or underscores", 128),
]


class ContainerOverride(ECSModel):
    """Per-run changes to one container of the task definition."""

    name: ContainerName
    command: list[str] | None = None
    environment: list[KeyValuePair] | None = None
    environment_files: list[EnvironmentFile] | None = Field(default=None, max_length=10)
    cpu: NonNegativeInt | None = None
    memory: PositiveInt | None = None
    memory_reservation: PositiveInt | None = None
    resource_requirements: list[ResourceRequirement] | None = Field(default=None, max_length=10)

    def problems(self) -> Iterator[Issue]:
        # As in the container definition: memory must be greater than memoryReservation (API_ContainerOverride).
        if self.memory is not None and self.memory_reservation is not None and self.memory_reservation >= self.memory:
            yield Issue("memoryReservation", f"must be less than memory ({self.memory})")


class InferenceAcceleratorOverride(ECSModel):
    """Per-run accelerator change (reported)."""

    device_name: str | None = None
    device_type: str | None = None


class TaskOverride(ECSModel):
    """Per-run changes to the task definition."""

    container_overrides: list[ContainerOverride] | None = Field(default=None, max_length=10)
    cpu: TaskCpu | None = None
    inference_accelerator_overrides: list[InferenceAcceleratorOverride] | None = None
    execution_role_arn: str | None = None
    memory: TaskMemory | None = None
    task_role_arn: str | None = None
    ephemeral_storage: EphemeralStorage | None = None

    def problems(self) -> Iterator[Issue]:
        seen: set[str] = set()
        for index, override in enumerate(self.container_overrides or ()):
            if override.name in seen:
                yield Issue(f"containerOverrides[{index}].name", f"container '{override.name}' is overridden twice")
            seen.add(override.name)

    @property
    def cpu_units(self) -> int | None:
        """Overridden task cpu in CPU units."""
        return None if self.cpu is None else parse_cpu_units(self.cpu)

    @property
    def memory_mib(self) -> int | None:
        """Overridden task memory in MiB."""
        return None if self.memory is None else parse_memory_mib(self.memory)


class ECSTaskSpec(ECSModel):
    """A standalone task, exactly as RunTask takes it, plus ``schedule`` and ``desiredStatus``."""

    ecs_shape = "RunTaskRequest"
    is_document = True

    capacity_provider_strategy: CapacityProviderStrategy | None = None
    cluster: ClusterReference | None = None
    count: TaskCount | None = None
    enable_ecs_managed_tags: StrictBool | None = Field(default=None, alias="enableECSManagedTags")
    enable_execute_command: StrictBool | None = None
    group: str | None = Field(default=None, max_length=255)
    launch_type: LaunchType | None = None
    network_configuration: NetworkConfiguration | None = None
    overrides: TaskOverride | None = None
    placement_constraints: PlacementConstraints | None = None
    placement_strategy: PlacementStrategies | None = None
    platform_version: str | None = None
    propagate_tags: PropagateTags | None = None
    reference_id: str | None = Field(default=None, max_length=1024)
    started_by: StartedBy | None = None
    tags: Tags | None = None
    task_definition: TaskDefinitionReference
    # "Up to 64 characters ... in the range of 33-126, inclusive"
    # (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html): accepted, not kept.
    client_token: ClientToken64 | None = Field(default=None, exclude=True)
    volume_configurations: list[TaskVolumeConfiguration] | None = Field(default=None, max_length=10)
    schedule: ScheduleExpression | None = None
    timezone: Timezone | None = None
    desired_status: DesiredStatus = "RUNNING"

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html: launchType "If a
        # launchType is specified, the capacityProviderStrategy parameter must be omitted"; propagateTags
        # "An error will be received if you specify the SERVICE option when running a task". timezone is
        # this operator's (schedule) extension.
        if self.launch_type is not None and self.capacity_provider_strategy is not None:
            yield Issue("launchType", "cannot be given together with capacityProviderStrategy")
        if self.propagate_tags == "SERVICE":
            yield Issue("propagateTags", "SERVICE is not valid when running a task (use TASK_DEFINITION or NONE)")
        if self.timezone is not None and self.schedule is None:
            yield Issue("timezone", "only applies to a scheduled task (give schedule too)")

    @property
    def task_count(self) -> int:
        """How many tasks to run (ECS's default is 1)."""
        return 1 if self.count is None else self.count

    @property
    def cluster_name(self) -> str:
        """The cluster's name (from a name or an ARN); ECS's default cluster is ``default``."""
        return "default" if self.cluster is None else cluster_name(self.cluster)

    @property
    def task_definition_ref(self) -> TaskDefinitionRef:
        """The task definition as (family, revision or None for the latest)."""
        return parse_task_definition_ref(self.task_definition)
