"""ECSClusterSpec: the CreateCluster input, plus ``capacityProviderProfiles``.

On ECS a capacity provider is an Auto Scaling group or Fargate. On Kubernetes it is a kind of
node: a managed node group (on-demand or spot), self-managed nodes, or Fargate. A profile says
how to land a task on that kind of node (selectors, tolerations, scheduler, runtime class).
FARGATE and FARGATE_SPOT need no profile: they are known by name, as on ECS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final, Literal

from pydantic import Field, StrictBool

from .base import ECSModel
from .common import CapacityProviderStrategy, Tags
from .errors import Issue
from .scalars import EcsName
from .storage import EfsStorage

__all__ = [
    "CapacityProviderProfile",
    "CapacityProviderType",
    "ClusterConfiguration",
    "ClusterServiceConnectDefaults",
    "ClusterSetting",
    "ECSClusterSpec",
    "ExecuteCommandConfiguration",
    "ExecuteCommandLogConfiguration",
    "IMPLICIT_PROVIDERS",
    "ManagedStorageConfiguration",
]

CapacityProviderType = Literal["MANAGED_NODEGROUP", "SELF_MANAGED", "FARGATE", "FARGATE_SPOT"]
IMPLICIT_PROVIDERS: Final[tuple[str, ...]] = ("FARGATE", "FARGATE_SPOT")
"""Providers every cluster knows by name, as on ECS."""
_RESERVED_PREFIXES = ("aws", "ecs", "fargate")


class ClusterSetting(ECSModel):
    """Container Insights on or off (reported: metrics come from the cluster's own stack)."""

    name: Literal["containerInsights"]
    value: Literal["enhanced", "enabled", "disabled"]


class ExecuteCommandLogConfiguration(ECSModel):
    """Where ``execute-command`` sessions are logged."""

    cloud_watch_log_group_name: str | None = None
    cloud_watch_encryption_enabled: StrictBool | None = None
    s3_bucket_name: str | None = None
    s3_encryption_enabled: StrictBool | None = None
    s3_key_prefix: str | None = None


class ExecuteCommandConfiguration(ECSModel):
    """``execute-command`` settings (``kubectl exec`` needs none; reported)."""

    kms_key_id: str | None = None
    logging: Literal["NONE", "DEFAULT", "OVERRIDE"] | None = None
    log_configuration: ExecuteCommandLogConfiguration | None = None

    def problems(self) -> Iterator[Issue]:
        if self.log_configuration is not None and self.logging != "OVERRIDE":
            yield Issue("logConfiguration", "is only used when logging is OVERRIDE")


class ManagedStorageConfiguration(ECSModel):
    """KMS keys for managed storage."""

    kms_key_id: str | None = None
    fargate_ephemeral_storage_kms_key_id: str | None = None


class ClusterConfiguration(ECSModel):
    """Cluster-wide execute-command and storage settings."""

    execute_command_configuration: ExecuteCommandConfiguration | None = None
    managed_storage_configuration: ManagedStorageConfiguration | None = None


class ClusterServiceConnectDefaults(ECSModel):
    """The default Service Connect namespace of the cluster's services."""

    ecs_shape = "ClusterServiceConnectDefaultsRequest"
    namespace: str = Field(min_length=1)


class CapacityProviderProfile(ECSModel):
    """What a capacity provider is on Kubernetes: where and how its tasks are scheduled."""

    ecs_shape = ""
    name: EcsName
    type: CapacityProviderType
    nodegroup_name: str | None = Field(default=None, max_length=63)
    capacity_type: Literal["ON_DEMAND", "SPOT"] | None = None
    node_selector: dict[str, str] | None = None
    tolerations: list[dict[str, Any]] | None = None
    scheduler_name: str | None = Field(default=None, max_length=253)
    runtime_class_name: str | None = Field(default=None, max_length=253)
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None

    def problems(self) -> Iterator[Issue]:
        implicit = self.name in IMPLICIT_PROVIDERS
        if implicit and self.type != self.name:
            yield Issue("type", f"the {self.name} provider must have type {self.name}")
        # CreateCapacityProvider: "The name can't be prefixed with "aws", "ecs", or "fargate"."
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCapacityProvider.html
        if not implicit and self.name.lower().startswith(_RESERVED_PREFIXES):
            yield Issue("name", "a capacity provider name can't start with aws, ecs or fargate")
        if self.type != "MANAGED_NODEGROUP":
            for member, value in (("nodegroupName", self.nodegroup_name), ("capacityType", self.capacity_type)):
                if value is not None:
                    yield Issue(member, f"only applies to MANAGED_NODEGROUP providers, not {self.type}")


class ECSClusterSpec(ECSModel):
    """A cluster, exactly as CreateCluster takes it, plus what its capacity providers are."""

    ecs_shape = "CreateClusterRequest"
    is_document = True

    cluster_name: EcsName | None = None
    tags: Tags | None = None
    settings: list[ClusterSetting] | None = Field(default=None, max_length=1)
    configuration: ClusterConfiguration | None = None
    capacity_providers: list[EcsName] | None = Field(default=None, max_length=20)
    default_capacity_provider_strategy: CapacityProviderStrategy | None = None
    service_connect_defaults: ClusterServiceConnectDefaults | None = None
    capacity_provider_profiles: list[CapacityProviderProfile] | None = Field(default=None, max_length=20)
    efs_storage: EfsStorage | None = None

    def problems(self) -> Iterator[Issue]:
        yield from self._profile_problems()
        known = set(IMPLICIT_PROVIDERS) | {profile.name for profile in self.capacity_provider_profiles or ()}
        for index, name in enumerate(self.capacity_providers or ()):
            if name not in known:
                yield Issue(
                    f"capacityProviders[{index}]",
                    f"unknown capacity provider '{name}': describe it in capacityProviderProfiles "
                    "or use FARGATE / FARGATE_SPOT",
                )
        associated = set(self.capacity_providers or ())
        for index, item in enumerate(self.default_capacity_provider_strategy or ()):
            if item.capacity_provider not in associated:
                yield Issue(
                    f"defaultCapacityProviderStrategy[{index}].capacityProvider",
                    f"'{item.capacity_provider}' is not one of the cluster's capacityProviders",
                )

    def _profile_problems(self) -> Iterator[Issue]:
        seen: set[str] = set()
        for index, profile in enumerate(self.capacity_provider_profiles or ()):
            if profile.name in seen:
                yield Issue(f"capacityProviderProfiles[{index}].name", f"duplicate capacity provider '{profile.name}'")
            seen.add(profile.name)

    def provider(self, name: str) -> CapacityProviderProfile | None:
        """The profile of provider ``name``; FARGATE and FARGATE_SPOT have a default one."""
        for profile in self.capacity_provider_profiles or ():
            if profile.name == name:
                return profile
        if name in IMPLICIT_PROVIDERS:
            return CapacityProviderProfile(name=name, type=name)
        return None
