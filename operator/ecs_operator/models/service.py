"""ECSServiceSpec: the CreateService input, plus ``autoScaling``.

A service keeps ``desiredCount`` copies of a task definition running (REPLICA, a Deployment) or
one per node (DAEMON, a DaemonSet), replaces them with rolling updates bounded by the deployment
configuration, and exposes them through load balancers, service discovery or Service Connect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from .autoscaling import ServiceAutoScaling
from .base import ECSModel
from .common import (
    CapacityProviderStrategy,
    LaunchType,
    NetworkConfiguration,
    PlacementConstraints,
    PlacementStrategies,
    PropagateTags,
    Tags,
)
from .deployment import DeploymentConfiguration, DeploymentController
from .ebs import ServiceVolumeConfiguration
from .errors import Issue
from .references import (
    ClusterReference,
    TaskDefinitionRef,
    TaskDefinitionReference,
    cluster_name,
    parse_task_definition_ref,
)
from .scalars import ClientToken36, ContainerName, EcsName, IntOrString, NonNegativeInt, PortNumber, ReplicaCount
from .service_connect import ServiceConnectConfiguration
from .traffic import DnsLabel, ServiceIngress, traffic_problems

__all__ = [
    "AdvancedConfiguration",
    "ECSServiceSpec",
    "GatewayConnector",
    "GatewayConnectorDeregistrationDelay",
    "GatewayConnectorFilters",
    "GatewayConnectorHealthCheck",
    "GatewayConnectorHealthCheckMatcher",
    "LoadBalancer",
    "MetricConfiguration",
    "MonitoringConfiguration",
    "SchedulingStrategy",
    "ServiceRegistry",
    "VpcLatticeAdvancedConfiguration",
    "VpcLatticeConfiguration",
]

SchedulingStrategy = Literal["REPLICA", "DAEMON"]
DAEMON_DEFAULT_PERCENTS = (100, 0)
"""ECS's defaults for a DAEMON service: replace in place, one node at a time."""


class AdvancedConfiguration(ECSModel):
    """Blue/green target group and listener rules of a load balancer."""

    alternate_target_group_arn: str | None = None
    production_listener_rule: str | None = None
    test_listener_rule: str | None = None
    role_arn: str | None = None


class LoadBalancer(ECSModel):
    """Register ``containerName:containerPort`` of every task with a load balancer."""

    target_group_arn: str | None = None
    load_balancer_name: str | None = None
    container_name: ContainerName
    container_port: PortNumber
    advanced_configuration: AdvancedConfiguration | None = None


class ServiceRegistry(ECSModel):
    """Cloud Map service discovery; rendered as a headless Service."""

    registry_arn: str | None = None
    port: PortNumber | None = None
    container_name: ContainerName | None = None
    container_port: PortNumber | None = None


class VpcLatticeAdvancedConfiguration(ECSModel):
    """Blue/green target group and listener rules for VPC Lattice."""

    alternate_target_group_arn: str | None = None
    production_listener_rule: str | None = None
    test_listener_rule: str | None = None


class VpcLatticeConfiguration(ECSModel):
    """Register a named port with a VPC Lattice target group (reported)."""

    role_arn: str = Field(min_length=1)
    target_group_arn: str = Field(min_length=1)
    port_name: str = Field(min_length=1, max_length=64)
    advanced_configuration: VpcLatticeAdvancedConfiguration | None = None


class GatewayConnectorHealthCheckMatcher(ECSModel):
    """Status codes that count as healthy."""

    http_code: str | None = None
    grpc_code: str | None = None


class GatewayConnectorHealthCheck(ECSModel):
    """Health check a gateway runs against the service."""

    health_check_protocol: Literal["HTTP", "HTTPS"] | None = None
    health_check_port: PortNumber | None = None
    health_check_path: str | None = None
    health_check_timeout_seconds: NonNegativeInt | None = None
    health_check_interval_seconds: NonNegativeInt | None = None
    healthy_threshold_count: NonNegativeInt | None = None
    unhealthy_threshold_count: NonNegativeInt | None = None
    matcher: GatewayConnectorHealthCheckMatcher | None = None


class GatewayConnectorFilters(ECSModel):
    """Which gateways (public, private) may reach the port."""

    access_types: list[Literal["PUBLIC", "PRIVATE"]] | None = None


class GatewayConnectorDeregistrationDelay(ECSModel):
    """How long a gateway drains a stopping task."""

    timeout_seconds: Annotated[int, IntOrString(ge=0, le=3600, unit="seconds")] | None = None


class GatewayConnector(ECSModel):
    """Expose a named port through an API gateway (rendered as an Ingress when asked)."""

    port_name: str = Field(min_length=1, max_length=64)
    health_check: GatewayConnectorHealthCheck | None = None
    filters: GatewayConnectorFilters | None = None
    deregistration_delay: GatewayConnectorDeregistrationDelay | None = None


class MetricConfiguration(ECSModel):
    """Extra service metrics at a resolution (reported)."""

    metric_names: list[Annotated[str, Field(min_length=1, max_length=255)]]
    resolution_seconds: Annotated[int, IntOrString(ge=20, le=60, unit="seconds")]


class MonitoringConfiguration(ECSModel):
    """Service-level metric settings."""

    metric_configurations: list[MetricConfiguration] | None = Field(default=None, max_length=10)


class ECSServiceSpec(ECSModel):
    """A long-running service, exactly as CreateService takes it, plus ``autoScaling``."""

    ecs_shape = "CreateServiceRequest"
    is_document = True

    cluster: ClusterReference | None = None
    service_name: EcsName | None = None
    task_definition: TaskDefinitionReference
    availability_zone_rebalancing: Literal["ENABLED", "DISABLED"] | None = None
    load_balancers: list[LoadBalancer] | None = Field(default=None, max_length=5)
    service_registries: list[ServiceRegistry] | None = Field(default=None, max_length=10)
    desired_count: ReplicaCount | None = None
    # ECS's idempotency token: "Up to 36 ASCII characters in the range of 33-126 (inclusive)"
    # (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html). Accepted and
    # not kept: applying an object of one name is idempotent already (the ECS API keeps it as an annotation).
    client_token: ClientToken36 | None = Field(default=None, exclude=True)
    launch_type: LaunchType | None = None
    capacity_provider_strategy: CapacityProviderStrategy | None = None
    platform_version: str | None = None
    role: str | None = None
    deployment_configuration: DeploymentConfiguration | None = None
    placement_constraints: PlacementConstraints | None = None
    placement_strategy: PlacementStrategies | None = None
    network_configuration: NetworkConfiguration | None = None
    health_check_grace_period_seconds: Annotated[int, IntOrString(ge=0, le=2147483647, unit="seconds")] | None = None
    scheduling_strategy: SchedulingStrategy | None = None
    deployment_controller: DeploymentController | None = None
    tags: Tags | None = None
    enable_ecs_managed_tags: StrictBool | None = Field(default=None, alias="enableECSManagedTags")
    propagate_tags: PropagateTags | None = None
    enable_execute_command: StrictBool | None = None
    service_connect_configuration: ServiceConnectConfiguration | None = None
    volume_configurations: list[ServiceVolumeConfiguration] | None = Field(default=None, max_length=10)
    vpc_lattice_configurations: list[VpcLatticeConfiguration] | None = None
    gateway_connectors: list[GatewayConnector] | None = Field(default=None, max_length=10)
    monitoring: MonitoringConfiguration | None = None
    auto_scaling: ServiceAutoScaling | None = None
    ingress: ServiceIngress | None = None
    service_discovery_name: DnsLabel | None = None

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html: "If a
        # capacityProviderStrategy is specified, the launchType parameter
        # must be omitted"; desiredCount "is required if schedulingStrategy is REPLICA or isn't specified".
        if self.launch_type is not None and self.capacity_provider_strategy is not None:
            yield Issue("launchType", "cannot be given together with capacityProviderStrategy")
        if self.is_daemon:
            yield from self._daemon_problems()
        elif self.desired_count is None:
            yield Issue("desiredCount", "is required when schedulingStrategy is REPLICA (the default)")
        yield from traffic_problems(self)
        # desiredCount outside autoScaling's minCapacity..maxCapacity is not an error: as with
        # Application Auto Scaling, the autoscaler moves it into range (the HPA owns the count).

    def _daemon_problems(self) -> Iterator[Issue]:
        # CreateService.schedulingStrategy: "Tasks using the Fargate launch type or the CODE_DEPLOY or
        # EXTERNAL deployment controller types don't support the DAEMON scheduling strategy"; "task
        # placement strategies are not supported with the DAEMON scheduling strategy" (placementStrategy).
        if self.launch_type == "FARGATE":
            yield Issue("launchType", "the DAEMON scheduling strategy does not support FARGATE")
        if self.placement_strategy:
            yield Issue("placementStrategy", "is not supported with the DAEMON scheduling strategy")
        if self.auto_scaling is not None:
            yield Issue("autoScaling", "a DAEMON service runs one task per node and cannot be scaled")
        if self.deployment_controller is not None and self.deployment_controller.type != "ECS":
            yield Issue(
                "deploymentController.type", "the DAEMON scheduling strategy needs the ECS deployment controller"
            )

    @property
    def is_daemon(self) -> bool:
        """One task per node (a DaemonSet) rather than desiredCount replicas."""
        return self.scheduling_strategy == "DAEMON"

    @property
    def cluster_name(self) -> str:
        """The cluster's name (from a name or an ARN); ECS's default cluster is ``default``."""
        return "default" if self.cluster is None else cluster_name(self.cluster)

    @property
    def task_definition_ref(self) -> TaskDefinitionRef:
        """The task definition as (family, revision or None for the latest)."""
        return parse_task_definition_ref(self.task_definition)

    def deployment_percents(self) -> tuple[int, int]:
        """``(maximumPercent, minimumHealthyPercent)`` with ECS's defaults for the strategy."""
        config = self.deployment_configuration
        daemon_max, daemon_min = DAEMON_DEFAULT_PERCENTS
        if config is None:
            config = DeploymentConfiguration()
        maximum = config.maximum_percent
        minimum = config.minimum_healthy_percent
        if self.is_daemon:
            maximum = maximum if config.is_set("maximum_percent") else daemon_max
            minimum = minimum if config.is_set("minimum_healthy_percent") else daemon_min
        return maximum, minimum
