"""ContainerDefinition and the shapes nested in it, member for member as in the ECS API.

Rules that need only one container (memoryReservation below memory, numeric user, health check
ranges, port mapping forms) are checked here; rules that need the whole task definition
(references between containers, network mode, Fargate) are in :mod:`.task_definition_rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from .base import ECSModel
from .common import EnvironmentFile, KeyValuePair, LogConfiguration, ResourceRequirement, Secret
from .errors import Issue
from .scalars import (
    ContainerName,
    EcsInt,
    HealthCheckInterval,
    HealthCheckRetries,
    HealthCheckStartPeriod,
    HealthCheckTimeout,
    IntOrString,
    NonNegativeInt,
    PortNumber,
    PositiveInt,
    TextPattern,
)

__all__ = [
    "ContainerCondition",
    "ContainerDefinition",
    "ContainerDependency",
    "ContainerRestartPolicy",
    "Device",
    "FirelensConfiguration",
    "HealthCheck",
    "HostEntry",
    "KernelCapabilities",
    "LinuxParameters",
    "MountPoint",
    "PortMapping",
    "RepositoryCredentials",
    "SystemControl",
    "Tmpfs",
    "Ulimit",
    "UlimitName",
    "VolumeFrom",
    "parse_user",
]

ContainerCondition = Literal["START", "COMPLETE", "SUCCESS", "HEALTHY"]
UlimitName = Literal[
    "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc",
    "rss", "rtprio", "rttime", "sigpending", "stack",
]  # fmt: skip

_PORT_RANGE = re.compile(r"^(\d+)-(\d+)$")
_USER = re.compile(r"^(\d+)(?::(\d+))?$")
DOCKER_MIN_MEMORY_MIB = 6
"""Docker 20.10+ reserves 6 MiB per container; ECS says not to go below it."""


class RepositoryCredentials(ECSModel):
    """Private registry credentials (a Secrets Manager ARN); rendered as an imagePullSecret."""

    credentials_parameter: str = Field(min_length=1)


class PortMapping(ECSModel):
    """A container port (or range) and, in bridge or host mode, the host port."""

    container_port: PortNumber | None = None
    host_port: PortNumber | None = None
    protocol: Literal["tcp", "udp"] | None = None
    name: (
        Annotated[
            str,
            TextPattern(
                r"^[a-z0-9_][a-z0-9_-]{0,63}$",
                "must be up to 64 lowercase letters, digits, underscores or hyphens, not starting with a hyphen",
                64,
            ),
        ]
        | None
    ) = None
    app_protocol: Literal["http", "http2", "grpc"] | None = None
    container_port_range: str | None = Field(default=None, max_length=11)

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html: a mapping without
        # containerPort is refused ("Invalid 'containerPort' setting for container"); containerPortRange
        # replaces it, takes no hostPort, first < last, 1-65535.
        if self.container_port is None and self.container_port_range is None:
            yield Issue("containerPort", "is required (or give containerPortRange)")
        if self.container_port is not None and self.container_port_range is not None:
            yield Issue("containerPortRange", "cannot be given together with containerPort")
        if self.container_port_range is not None:
            yield from self._range_problems(self.container_port_range)

    def _range_problems(self, text: str) -> Iterator[Issue]:
        match = _PORT_RANGE.match(text)
        if match is None:
            yield Issue("containerPortRange", f"must look like 8000-8010, got {text!r}")
            return
        first, last = int(match[1]), int(match[2])
        if not 1 <= first < last <= 65535:
            yield Issue("containerPortRange", "the first port must be less than the last, both between 1 and 65535")
        if self.host_port is not None:
            yield Issue("hostPort", "leave hostPort empty when containerPortRange is given")

    @property
    def ports(self) -> range:
        """Every container port this mapping covers."""
        if self.container_port_range is not None:
            first, last = self.container_port_range.split("-")
            return range(int(first), int(last) + 1)
        port = self.container_port or 0
        return range(port, port + 1)


class ContainerRestartPolicy(ECSModel):
    """Restart the container in place on exit (except the ignored exit codes)."""

    enabled: StrictBool
    ignored_exit_codes: list[EcsInt] | None = Field(default=None, max_length=50)
    restart_attempt_period: Annotated[int, IntOrString(ge=60, le=1800, unit="seconds")] | None = None


class MountPoint(ECSModel):
    """A task volume mounted into the container."""

    source_volume: ContainerName
    container_path: str = Field(min_length=1)
    read_only: StrictBool | None = None


class VolumeFrom(ECSModel):
    """Mount every volume of another container of the task."""

    source_container: ContainerName
    read_only: StrictBool | None = None


class KernelCapabilities(ECSModel):
    """Linux capabilities to add or drop, without the ``CAP_`` prefix."""

    add: list[str] | None = None
    drop: list[str] | None = None

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_KernelCapabilities.html lists the names, upper
        # case without CAP_ (and ALL).
        for member, names in (("add", self.add), ("drop", self.drop)):
            for index, name in enumerate(names or ()):
                if not re.fullmatch(r"[A-Z_]+", name):
                    yield Issue(f"{member}[{index}]", f"must be a capability name like NET_ADMIN or ALL, got {name!r}")


class Device(ECSModel):
    """A host device exposed to the container (reported: not portable to Kubernetes)."""

    host_path: str = Field(min_length=1)
    container_path: str | None = None
    permissions: list[Literal["read", "write", "mknod"]] | None = None


class Tmpfs(ECSModel):
    """A tmpfs mount; rendered as a memory-backed emptyDir with a size limit."""

    container_path: str = Field(min_length=1)
    size: PositiveInt
    mount_options: list[str] | None = None


class LinuxParameters(ECSModel):
    """Linux-specific settings of a container."""

    capabilities: KernelCapabilities | None = None
    devices: list[Device] | None = None
    init_process_enabled: StrictBool | None = None
    shared_memory_size: PositiveInt | None = None
    tmpfs: list[Tmpfs] | None = Field(default=None, max_length=100)
    max_swap: NonNegativeInt | None = None
    swappiness: Annotated[int, IntOrString(ge=0, le=100)] | None = None


class ContainerDependency(ECSModel):
    """Start this container only once ``containerName`` reached ``condition``."""

    container_name: ContainerName
    condition: ContainerCondition


class HostEntry(ECSModel):
    """An /etc/hosts line; rendered as a pod hostAlias."""

    hostname: str = Field(min_length=1)
    ip_address: str = Field(min_length=1)


class Ulimit(ECSModel):
    """A resource limit for the container process (reported: set by the node runtime)."""

    name: UlimitName
    soft_limit: EcsInt
    hard_limit: EcsInt

    def problems(self) -> Iterator[Issue]:
        # Docker refuses a soft limit above the hard one when it creates the container (setrlimit's rule);
        # ECS would only fail the task at launch.
        if self.soft_limit > self.hard_limit:
            yield Issue("softLimit", f"must not exceed hardLimit ({self.hard_limit})")


class HealthCheck(ECSModel):
    """A command-based health check; rendered as exec probes."""

    # Ranges as https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html documents them.

    command: list[str] = Field(min_length=1)
    interval: HealthCheckInterval | None = None
    timeout: HealthCheckTimeout | None = None
    retries: HealthCheckRetries | None = None
    start_period: HealthCheckStartPeriod | None = None

    def problems(self) -> Iterator[Issue]:
        # The API reference asks for CMD or CMD-SHELL first (API_HealthCheck.html), but RegisterTaskDefinition
        # accepts any first element and vendor task definitions rely on it (["/healthcheck"]): such a command
        # is run as the exec form, and ["NONE"] (Docker's HEALTHCHECK NONE) disables the check; the renderer
        # warns for both (render/probes.py). CMD and CMD-SHELL alone have nothing to run: no probe can be made.
        if self.command[0] in ("CMD", "CMD-SHELL") and len(self.command) < 2:
            yield Issue("command", f"{self.command[0]} needs the command to run after it")

    @property
    def interval_seconds(self) -> int:
        """ECS's default interval is 30 seconds."""
        return 30 if self.interval is None else self.interval

    @property
    def timeout_seconds(self) -> int:
        """ECS's default timeout is 5 seconds."""
        return 5 if self.timeout is None else self.timeout

    @property
    def retry_count(self) -> int:
        """ECS's default is 3 retries."""
        return 3 if self.retries is None else self.retries


class SystemControl(ECSModel):
    """A namespaced kernel parameter; rendered as a pod sysctl."""

    namespace: str | None = None
    value: str | None = None


class FirelensConfiguration(ECSModel):
    """FireLens log router settings (kept as annotations, reported)."""

    type: Literal["fluentd", "fluentbit"]
    options: dict[str, str] | None = None


class ContainerDefinition(ECSModel):
    """One container of a task, with every member ECS's ContainerDefinition has."""

    name: ContainerName
    image: str = Field(min_length=1, max_length=4096)
    repository_credentials: RepositoryCredentials | None = None
    cpu: NonNegativeInt | None = None
    memory: PositiveInt | None = None
    memory_reservation: PositiveInt | None = None
    links: list[str] | None = None
    port_mappings: list[PortMapping] | None = Field(default=None, max_length=100)
    essential: StrictBool = True
    restart_policy: ContainerRestartPolicy | None = None
    entry_point: list[str] | None = None
    command: list[str] | None = None
    environment: list[KeyValuePair] | None = None
    environment_files: list[EnvironmentFile] | None = Field(default=None, max_length=10)
    mount_points: list[MountPoint] | None = None
    volumes_from: list[VolumeFrom] | None = None
    linux_parameters: LinuxParameters | None = None
    secrets: list[Secret] | None = None
    depends_on: list[ContainerDependency] | None = None
    start_timeout: Annotated[int, IntOrString(ge=2, unit="seconds")] | None = None
    stop_timeout: Annotated[int, IntOrString(ge=0, unit="seconds")] | None = None
    version_consistency: Literal["enabled", "disabled"] | None = None
    hostname: str | None = None
    # ECS takes user, user:group, uid, uid:gid, user:gid or uid:group (API_ContainerDefinition.html#ECS-Type-
    # ContainerDefinition-user); names are accepted and the renderer warns (runAsUser takes numbers).
    user: (
        Annotated[
            str,
            TextPattern(
                r"^[^:\s]+(:[^:\s]+)?$",
                "must be user, user:group, uid, uid:gid, user:gid or uid:group",
                255,
            ),
        ]
        | None
    ) = None
    working_directory: str | None = None
    disable_networking: StrictBool | None = None
    privileged: StrictBool | None = None
    readonly_root_filesystem: StrictBool | None = None
    dns_servers: list[str] | None = None
    dns_search_domains: list[str] | None = None
    extra_hosts: list[HostEntry] | None = None
    docker_security_options: list[str] | None = None
    interactive: StrictBool | None = None
    pseudo_terminal: StrictBool | None = None
    docker_labels: dict[str, str] | None = None
    ulimits: list[Ulimit] | None = Field(default=None, max_length=15)
    log_configuration: LogConfiguration | None = None
    health_check: HealthCheck | None = None
    system_controls: list[SystemControl] | None = None
    resource_requirements: list[ResourceRequirement] | None = Field(default=None, max_length=10)
    firelens_configuration: FirelensConfiguration | None = None
    credential_specs: list[str] | None = None

    def problems(self) -> Iterator[Issue]:
        yield from self._memory_problems()

    def _memory_problems(self) -> Iterator[Issue]:
        # ContainerDefinition.memory (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/
        # API_ContainerDefinition.html): "The Docker 20.10.0 or later daemon reserves a minimum of 6 MiB
        # ... don't specify less than 6 MiB"; "If you specify both, memory must be greater than
        # memoryReservation".
        for member, value in (("memory", self.memory), ("memoryReservation", self.memory_reservation)):
            if value is not None and value < DOCKER_MIN_MEMORY_MIB:
                yield Issue(member, f"must be at least {DOCKER_MIN_MEMORY_MIB} MiB (Docker's minimum), got {value}")
        if self.memory is not None and self.memory_reservation is not None and self.memory_reservation >= self.memory:
            yield Issue("memoryReservation", f"must be less than memory ({self.memory})")

    @property
    def reserved_memory_mib(self) -> int:
        """What ECS subtracts from the node: memoryReservation, else memory, else 0."""
        return self.memory_reservation or self.memory or 0

    @property
    def run_as(self) -> tuple[int, int | None] | None:
        """``(uid, gid)`` from ``user``, or None when no user is set."""
        return None if self.user is None else parse_user(self.user)

    @property
    def gpu_count(self) -> int:
        """GPUs requested through resourceRequirements."""
        return sum(int(item.value or 0) for item in self.resource_requirements or () if item.type == "GPU")


def parse_user(user: str) -> tuple[int, int | None] | None:
    """``"1000:1000"`` -> (1000, 1000); ``"1000"`` -> (1000, None); a user name -> None."""
    match = _USER.match(user)
    if match is None:
        return None
    return int(match[1]), int(match[2]) if match[2] is not None else None
