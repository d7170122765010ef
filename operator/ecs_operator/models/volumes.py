"""Task definition volumes: bind mounts, Docker volumes, EFS and FSx for Windows.

Each volume names at most one source. EFS is the important one: a file system every task can
share, rendered as a ReadWriteMany PVC that outlives services. The authorization rules are ECS's
(an access point or IAM needs transit encryption; an access point fixes the root directory).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, StrictBool

from .base import ECSModel, unsupported_field
from .errors import Issue
from .scalars import ContainerName, PortNumber
from .unsupported import reason

__all__ = [
    "DockerVolumeConfiguration",
    "EFSAuthorizationConfig",
    "EFSVolumeConfiguration",
    "FSxWindowsFileServerAuthorizationConfig",
    "FSxWindowsFileServerVolumeConfiguration",
    "HostVolumeProperties",
    "Volume",
]

Enabled = Literal["ENABLED", "DISABLED"]


class HostVolumeProperties(ECSModel):
    """A bind mount of ``sourcePath`` (hostPath), or scratch space when it is absent (emptyDir)."""

    source_path: str | None = None


class DockerVolumeConfiguration(ECSModel):
    """A Docker volume: per task (emptyDir) or ``shared`` (a PVC)."""

    scope: Literal["task", "shared"] | None = None
    autoprovision: StrictBool | None = None
    driver: str | None = None
    driver_opts: dict[str, str] | None = None
    labels: dict[str, str] | None = None

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DockerVolumeConfiguration.html: autoprovision
        # "is only used if the scope is shared".
        if self.autoprovision and self.scope != "shared":
            yield Issue("autoprovision", "is only supported when scope is shared")


class EFSAuthorizationConfig(ECSModel):
    """Mount through an access point and/or with the task's IAM role."""

    access_point_id: str | None = None
    iam: Enabled | None = None


class EFSVolumeConfiguration(ECSModel):
    """An EFS file system (or a directory / access point of it) shared by every task."""

    file_system_id: str = Field(min_length=1, max_length=128)
    root_directory: str | None = Field(default=None, max_length=4096)
    transit_encryption: Enabled | None = None
    transit_encryption_port: PortNumber | None = None
    authorization_config: EFSAuthorizationConfig | None = None

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EFSVolumeConfiguration.html and
        # API_EFSAuthorizationConfig.html: an access point or IAM
        # authorization needs transit encryption ENABLED; with an access point, rootDirectory "must either
        # be omitted or set to /"; transitEncryptionPort is the port of encrypted transit.
        auth = self.authorization_config
        encrypted = self.transit_encryption == "ENABLED"
        if auth is not None and auth.access_point_id and not encrypted:
            yield Issue("transitEncryption", "must be ENABLED when authorizationConfig.accessPointId is given")
        if auth is not None and auth.iam == "ENABLED" and not encrypted:
            yield Issue("transitEncryption", "must be ENABLED when authorizationConfig.iam is ENABLED")
        if auth is not None and auth.access_point_id and self.root_directory not in (None, "", "/"):
            yield Issue(
                "rootDirectory", "must be omitted or '/' when an access point is used (the access point sets it)"
            )
        if self.transit_encryption_port is not None and not encrypted:
            yield Issue("transitEncryptionPort", "needs transitEncryption ENABLED")


class FSxWindowsFileServerAuthorizationConfig(ECSModel):
    """Domain credentials for an FSx for Windows share."""

    credentials_parameter: str = Field(min_length=1)
    domain: str = Field(min_length=1)


class FSxWindowsFileServerVolumeConfiguration(ECSModel):
    """An FSx for Windows File Server share (reported: Windows-only)."""

    file_system_id: str = Field(min_length=1)
    root_directory: str = Field(min_length=1)
    authorization_config: FSxWindowsFileServerAuthorizationConfig


_SOURCES = (
    ("host", "host"),
    ("docker_volume_configuration", "dockerVolumeConfiguration"),
    ("efs_volume_configuration", "efsVolumeConfiguration"),
    ("fsx_windows_file_server_volume_configuration", "fsxWindowsFileServerVolumeConfiguration"),
)


class Volume(ECSModel):
    """A named task volume that containers mount through mountPoints."""

    name: ContainerName
    host: HostVolumeProperties | None = None
    docker_volume_configuration: DockerVolumeConfiguration | None = None
    efs_volume_configuration: EFSVolumeConfiguration | None = None
    s3files_volume_configuration: dict[str, Any] | None = unsupported_field(
        reason("Volume.s3filesVolumeConfiguration"), alias="s3filesVolumeConfiguration"
    )
    fsx_windows_file_server_volume_configuration: FSxWindowsFileServerVolumeConfiguration | None = None
    configured_at_launch: StrictBool | None = None

    def problems(self) -> Iterator[Issue]:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Volume.html: a volume has one source (host,
        # Docker, EFS, FSx), and configuredAtLaunch
        # means the source comes with CreateService / RunTask instead.
        given = [alias for attribute, alias in _SOURCES if getattr(self, attribute) is not None]
        if len(given) > 1:
            yield Issue(given[1], f"a volume takes one source; {given[0]} is already given")
        if self.configured_at_launch and given:
            yield Issue("configuredAtLaunch", f"a volume configured at launch takes no {given[0]}")

    @property
    def source(self) -> str:
        """Which source the volume uses: host, dockerVolumeConfiguration, ..., or 'host' (scratch) by default."""
        for attribute, alias in _SOURCES:
            if getattr(self, attribute) is not None:
                return alias
        return "configuredAtLaunch" if self.configured_at_launch else "host"
