"""Pydantic models of the ECS inputs the operator accepts, and their validation.

Pure: no I/O, no Kubernetes client. Field names are ECS's own (botocore's ECS model is the
source of truth), so documents written for ECS validate unchanged; every problem is reported as
a :class:`SpecError` whose issues name the field path. :mod:`.crd` turns the same models into
the CustomResourceDefinitions.
"""

from .cluster import IMPLICIT_PROVIDERS, CapacityProviderProfile, ECSClusterSpec
from .container import ContainerDefinition, HealthCheck, PortMapping, parse_user
from .deployment import DeploymentConfiguration
from .errors import Issue, SpecError
from .extensions import EXTENSION_MEMBERS
from .fargate import FARGATE_SIZES, fargate_size_problem
from .parsing import parse_cluster, parse_service, parse_task, parse_task_definition, validate_spec
from .references import TaskDefinitionRef, parse_task_definition_ref
from .schedule import AtSchedule, CronSchedule, RateSchedule, parse_schedule
from .service import ECSServiceSpec
from .task import ECSTaskSpec, TaskOverride
from .task_definition import READ_ONLY_MEMBERS, TaskDefinitionSpec
from .units import parse_cpu_units, parse_memory_mib
from .unsupported import UNSUPPORTED_MEMBERS
from .volumes import Volume

__all__ = [
    "AtSchedule",
    "CapacityProviderProfile",
    "ContainerDefinition",
    "CronSchedule",
    "DeploymentConfiguration",
    "ECSClusterSpec",
    "ECSServiceSpec",
    "ECSTaskSpec",
    "EXTENSION_MEMBERS",
    "FARGATE_SIZES",
    "HealthCheck",
    "IMPLICIT_PROVIDERS",
    "Issue",
    "PortMapping",
    "READ_ONLY_MEMBERS",
    "RateSchedule",
    "SpecError",
    "TaskDefinitionRef",
    "TaskDefinitionSpec",
    "TaskOverride",
    "UNSUPPORTED_MEMBERS",
    "Volume",
    "fargate_size_problem",
    "parse_cluster",
    "parse_cpu_units",
    "parse_memory_mib",
    "parse_schedule",
    "parse_service",
    "parse_task",
    "parse_task_definition",
    "parse_task_definition_ref",
    "parse_user",
    "validate_spec",
]
