"""Amazon EBS volumes that ECS creates when a service or task starts (``configuredAtLaunch``).

A volume in the task definition marked ``configuredAtLaunch`` gets its size and type from the
service or RunTask input; rendered as a generic ephemeral volume (a PVC per task).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from .base import ECSModel
from .common import PropagateTags, Tags
from .scalars import ContainerName, PositiveInt

__all__ = [
    "EBSTagSpecification",
    "FilesystemType",
    "ServiceManagedEBSVolumeConfiguration",
    "ServiceVolumeConfiguration",
    "TaskManagedEBSVolumeConfiguration",
    "TaskManagedEBSVolumeTerminationPolicy",
    "TaskVolumeConfiguration",
]

FilesystemType = Literal["ext3", "ext4", "xfs", "ntfs"]


class EBSTagSpecification(ECSModel):
    """Tags for the created volume."""

    resource_type: Literal["volume"]
    tags: Tags | None = None
    propagate_tags: PropagateTags | None = None


class _ManagedEBSVolume(ECSModel):
    """Members the service and task flavours share."""

    encrypted: StrictBool | None = None
    kms_key_id: str | None = None
    volume_type: str | None = Field(default=None, max_length=32)
    size_in_gib: PositiveInt | None = Field(default=None, alias="sizeInGiB")
    snapshot_id: str | None = None
    volume_initialization_rate: PositiveInt | None = None
    iops: PositiveInt | None = None
    throughput: PositiveInt | None = None
    tag_specifications: list[EBSTagSpecification] | None = None
    role_arn: str = Field(min_length=1)


class ServiceManagedEBSVolumeConfiguration(_ManagedEBSVolume):
    """A volume per task of a service."""

    filesystem_type: FilesystemType | None = None


class TaskManagedEBSVolumeTerminationPolicy(ECSModel):
    """Whether the volume goes when the task stops."""

    delete_on_termination: StrictBool


class TaskManagedEBSVolumeConfiguration(_ManagedEBSVolume):
    """A volume for a task started by RunTask."""

    termination_policy: TaskManagedEBSVolumeTerminationPolicy | None = None
    filesystem_type: FilesystemType | None = None


class ServiceVolumeConfiguration(ECSModel):
    """Launch-time settings of the task definition volume called ``name``."""

    name: ContainerName
    managed_ebs_volume: ServiceManagedEBSVolumeConfiguration | None = Field(default=None, alias="managedEBSVolume")


class TaskVolumeConfiguration(ECSModel):
    """Launch-time settings of the task definition volume called ``name``."""

    name: ContainerName
    managed_ebs_volume: TaskManagedEBSVolumeConfiguration | None = Field(default=None, alias="managedEBSVolume")
