"""TaskDefinitionSpec: the whole RegisterTaskDefinition input.

A ``describe-task-definition`` body can be pasted as the spec: the members ECS adds when it
registers a revision (``taskDefinitionArn``, ``revision``, ``status``, ...) are read-only, so they
are accepted and dropped here rather than rejected. The task-wide rules are in
:mod:`.task_definition_rules`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final, Literal

from pydantic import Field, StrictBool, model_validator

from .base import ECSModel
from .common import EphemeralStorage, KeyValuePair, Tags
from .container import ContainerDefinition
from .errors import Issue
from .scalars import EcsName
from .task_definition_rules import task_definition_problems
from .units import TaskCpu, TaskMemory, parse_cpu_units, parse_memory_mib
from .volumes import Volume

__all__ = [
    "Compatibility",
    "InferenceAccelerator",
    "NetworkMode",
    "ProxyConfiguration",
    "READ_ONLY_MEMBERS",
    "RuntimePlatform",
    "TaskDefinitionPlacementConstraint",
    "TaskDefinitionSpec",
    "TrustedExecutionConfiguration",
]

NetworkMode = Literal["bridge", "host", "awsvpc", "none"]
Compatibility = Literal["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]
OSFamily = Literal[
    "WINDOWS_SERVER_2019_FULL", "WINDOWS_SERVER_2019_CORE", "WINDOWS_SERVER_2016_FULL",
    "WINDOWS_SERVER_2004_CORE", "WINDOWS_SERVER_2022_CORE", "WINDOWS_SERVER_2022_FULL",
    "WINDOWS_SERVER_2025_CORE", "WINDOWS_SERVER_2025_FULL", "WINDOWS_SERVER_20H2_CORE", "LINUX",
]  # fmt: skip

READ_ONLY_MEMBERS: Final[tuple[str, ...]] = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "deregisteredAt",
    "deleteRequestedAt",
    "registeredBy",
)
"""Members of ECS's TaskDefinition output that RegisterTaskDefinition does not take: ignored."""


class TaskDefinitionPlacementConstraint(ECSModel):
    """A ``memberOf`` cluster query every task of the definition must satisfy."""

    type: Literal["memberOf"] | None = None
    expression: str | None = Field(default=None, max_length=2000)


class ProxyConfiguration(ECSModel):
    """App Mesh proxy settings (no Kubernetes equivalent; reported)."""

    type: Literal["APPMESH"] | None = None
    container_name: EcsName
    properties: list[KeyValuePair] | None = None


class InferenceAccelerator(ECSModel):
    """An Elastic Inference accelerator (retired by AWS; reported)."""

    device_name: str = Field(min_length=1)
    device_type: str = Field(min_length=1)


class RuntimePlatform(ECSModel):
    """CPU architecture and OS; rendered as kubernetes.io/arch and kubernetes.io/os selectors."""

    cpu_architecture: Literal["X86_64", "ARM64"] | None = None
    operating_system_family: OSFamily | None = None


class TrustedExecutionConfiguration(ECSModel):
    """Sandbox isolation for the task; mapped to a RuntimeClass where one exists."""

    isolation_mode: Literal["SHARED", "ISOLATED_SANDBOX", "CONFIDENTIAL_SANDBOX"]
    attestation_policy: str | None = None


class TaskDefinitionSpec(ECSModel):
    """One revision of a task definition family, exactly as RegisterTaskDefinition takes it."""

    ecs_shape = "RegisterTaskDefinitionRequest"
    is_document = True

    family: EcsName
    task_role_arn: str | None = Field(default=None, max_length=2048)
    execution_role_arn: str | None = Field(default=None, max_length=2048)
    network_mode: NetworkMode | None = None
    container_definitions: list[ContainerDefinition] = Field(min_length=1, max_length=10)
    volumes: list[Volume] | None = Field(default=None, max_length=100)
    placement_constraints: list[TaskDefinitionPlacementConstraint] | None = Field(default=None, max_length=10)
    requires_compatibilities: list[Compatibility] | None = Field(default=None, max_length=4)
    cpu: TaskCpu | None = None
    memory: TaskMemory | None = None
    tags: Tags | None = None
    pid_mode: Literal["host", "task"] | None = None
    ipc_mode: Literal["host", "task", "none"] | None = None
    proxy_configuration: ProxyConfiguration | None = None
    inference_accelerators: list[InferenceAccelerator] | None = None
    ephemeral_storage: EphemeralStorage | None = None
    runtime_platform: RuntimePlatform | None = None
    enable_fault_injection: StrictBool | None = None
    trusted_execution_configuration: TrustedExecutionConfiguration | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if key not in READ_ONLY_MEMBERS}
        return data

    def problems(self) -> Iterator[Issue]:
        return task_definition_problems(self)

    @property
    def cpu_units(self) -> int | None:
        """Task cpu in CPU units (1024 per vCPU), or None when not given."""
        return None if self.cpu is None else parse_cpu_units(self.cpu)

    @property
    def memory_mib(self) -> int | None:
        """Task memory in MiB, or None when not given."""
        return None if self.memory is None else parse_memory_mib(self.memory)

    @property
    def is_fargate(self) -> bool:
        """Whether the definition asks for Fargate compatibility."""
        return "FARGATE" in (self.requires_compatibilities or ())

    @property
    def effective_network_mode(self) -> NetworkMode:
        """ECS's default for Linux is bridge (Fargate must say awsvpc explicitly)."""
        return self.network_mode or "bridge"

    def container(self, name: str) -> ContainerDefinition | None:
        """The container called ``name``, if any."""
        return next((c for c in self.container_definitions if c.name == name), None)

    def volume(self, name: str) -> Volume | None:
        """The volume called ``name``, if any."""
        return next((v for v in self.volumes or () if v.name == name), None)
