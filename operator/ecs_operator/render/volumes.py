"""Task definition volumes and container mounts as pod volumes and volumeMounts.

* ``host.sourcePath`` is a bind mount: ``hostPath`` (no type check, like Docker's ``-v``).
* ``host: {}`` or no source: scratch space that lives as long as the task: ``emptyDir``.
* ``dockerVolumeConfiguration`` scope ``task``: ``emptyDir`` (a ``local`` volume with
  ``type: tmpfs`` is memory-backed). Scope ``shared``: a PVC named after the volume, created
  by the operator when ``autoprovision`` is true, expected to exist otherwise.
* ``efsVolumeConfiguration``: a PVC per file system (+ root directory / access point), see
  :func:`names.efs_claim_name`; the operator creates it and never deletes it with a service.
* FSx for Windows and volumes ``configuredAtLaunch`` have no source here: ``emptyDir`` with
  a warning, so the pod stays valid and the user is told the data is not there.

``volumesFrom`` copies every mount of the source container (and of its own ``volumesFrom``),
read-only when either side says so, as Docker's ``--volumes-from`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models import ContainerDefinition, Volume
from ..models.volumes import DockerVolumeConfiguration, EFSVolumeConfiguration
from . import names
from .names import EfsClaim
from .warnings import RenderWarning

__all__ = ["DockerVolumeClaim", "VolumePlan", "container_mounts", "render_volumes"]


@dataclass(frozen=True)
class DockerVolumeClaim:
    """A PVC standing in for a ``shared`` Docker volume; ``autoprovision`` says who creates it."""

    volume_name: str
    claim_name: str
    autoprovision: bool


@dataclass
class VolumePlan:
    """Pod volumes plus what the operator must provide for them."""

    volumes: list[dict[str, Any]] = field(default_factory=list)
    k8s_names: dict[str, str] = field(default_factory=dict)  # ECS volume name -> pod volume name
    efs_claims: list[EfsClaim] = field(default_factory=list)
    docker_volume_claims: list[DockerVolumeClaim] = field(default_factory=list)
    warnings: list[RenderWarning] = field(default_factory=list)


def render_volumes(volumes: Sequence[Volume], *, path: str = "volumes") -> VolumePlan:
    """Pod volumes for the task definition's ``volumes`` (Volume models), in the same order."""
    plan = VolumePlan()
    pod_names = names.unique_names([v.name for v in volumes])
    for index, (volume, pod_name) in enumerate(zip(volumes, pod_names, strict=True)):
        where = f"{path}[{index}]"
        plan.k8s_names[volume.name] = pod_name
        plan.volumes.append({"name": pod_name, **_source(volume, where, plan)})
    return plan


def _source(volume: Volume, where: str, plan: VolumePlan) -> dict[str, Any]:
    if volume.efs_volume_configuration is not None:
        return _efs(volume.efs_volume_configuration, f"{where}.efsVolumeConfiguration", plan)
    if volume.docker_volume_configuration is not None:
        return _docker(volume.name, volume.docker_volume_configuration, f"{where}.dockerVolumeConfiguration", plan)
    if volume.fsx_windows_file_server_volume_configuration is not None:
        plan.warnings.append(
            RenderWarning(
                f"{where}.fsxWindowsFileServerVolumeConfiguration",
                "FSx for Windows File Server shares are Windows-only SMB mounts with no Kubernetes equivalent here; "
                "mounted as an empty directory",
                "unsupported",
            )
        )
        return {"emptyDir": {}}
    if volume.configured_at_launch:
        plan.warnings.append(
            RenderWarning(
                f"{where}.configuredAtLaunch",
                "the volume is supplied when a service or task is launched (volumeConfigurations); "
                "the pod template has an empty directory in its place",
                "approximated",
            )
        )
        return {"emptyDir": {}}
    if volume.host is not None and volume.host.source_path:
        return {"hostPath": {"path": volume.host.source_path}}
    return {"emptyDir": {}}


def _efs(config: EFSVolumeConfiguration, where: str, plan: VolumePlan) -> dict[str, Any]:
    auth = config.authorization_config
    claim = names.efs_claim(
        config.file_system_id,
        config.root_directory,
        auth.access_point_id if auth is not None else None,
    )
    if claim not in plan.efs_claims:
        plan.efs_claims.append(claim)
    if config.transit_encryption == "ENABLED" or (auth is not None and auth.iam == "ENABLED"):
        plan.warnings.append(
            RenderWarning(
                where,
                "transit encryption and IAM authorization are properties of the EFS storage class and CSI driver "
                f"behind PVC {claim.claim_name}, not of the pod",
                "approximated",
            )
        )
    return {"persistentVolumeClaim": {"claimName": claim.claim_name}}


def _docker(volume_name: str, config: DockerVolumeConfiguration, where: str, plan: VolumePlan) -> dict[str, Any]:
    driver = config.driver or "local"
    options = dict(config.driver_opts or {})
    if driver != "local":
        plan.warnings.append(
            RenderWarning(
                f"{where}.driver",
                f"Docker volume driver {driver!r} is not available on Kubernetes nodes",
                "unsupported",
            )
        )
    if config.labels:
        plan.warnings.append(
            RenderWarning(
                f"{where}.labels", "Docker volume labels have no place on a Kubernetes volume; ignored", "unsupported"
            )
        )
    if config.scope == "shared":
        claim = names.docker_volume_claim_name(volume_name)
        docker_claim = DockerVolumeClaim(volume_name, claim, bool(config.autoprovision))
        if docker_claim not in plan.docker_volume_claims:
            plan.docker_volume_claims.append(docker_claim)
        if options:
            plan.warnings.append(
                RenderWarning(
                    f"{where}.driverOpts",
                    f"driver options are decided by the storage class of PVC {claim}",
                    "approximated",
                )
            )
        return {"persistentVolumeClaim": {"claimName": claim}}
    if driver == "local" and options.get("type") == "tmpfs":
        rest = {k: v for k, v in options.items() if k not in ("type", "device")}
        if rest:
            plan.warnings.append(
                RenderWarning(
                    f"{where}.driverOpts", f"tmpfs options {sorted(rest)} are not supported by emptyDir", "unsupported"
                )
            )
        return {"emptyDir": {"medium": "Memory"}}
    if options:
        plan.warnings.append(
            RenderWarning(f"{where}.driverOpts", "driver options have no emptyDir equivalent; ignored", "unsupported")
        )
    return {"emptyDir": {}}


def container_mounts(
    index: int,
    containers: Sequence[ContainerDefinition],
    volume_names: dict[str, str],
    *,
    path: str = "containerDefinitions",
) -> tuple[list[dict[str, Any]], list[RenderWarning]]:
    """volumeMounts for container ``index``: its mountPoints, then those copied by volumesFrom.

    A mount path given twice keeps the first (the container's own mount wins over a copied one).
    """
    warnings: list[RenderWarning] = []
    by_name = {c.name: i for i, c in enumerate(containers)}
    mounts: list[dict[str, Any]] = []
    seen_paths: dict[str, dict[str, Any]] = {}

    def add(mount: dict[str, Any], where: str) -> None:
        earlier = seen_paths.get(mount["mountPath"])
        if earlier is None:
            seen_paths[mount["mountPath"]] = mount
            mounts.append(mount)
        elif earlier != mount:
            warnings.append(
                RenderWarning(
                    where,
                    f"{mount['mountPath']} is already mounted from volume {earlier['name']}; this mount is skipped",
                    "unsupported",
                )
            )

    def collect(i: int, force_read_only: bool, visiting: tuple[int, ...], where: str) -> None:
        container = containers[i]
        for m, point in enumerate(container.mount_points or ()):
            volume = volume_names.get(point.source_volume)
            at = f"{path}[{i}].mountPoints[{m}]"
            if volume is None:
                warnings.append(
                    RenderWarning(at, f"no volume named {point.source_volume!r}; mount skipped", "unsupported")
                )
                continue
            mount: dict[str, Any] = {"name": volume, "mountPath": point.container_path}
            if point.read_only or force_read_only:
                mount["readOnly"] = True
            add(mount, at if i == index else where)
        for f, source in enumerate(container.volumes_from or ()):
            at = f"{path}[{i}].volumesFrom[{f}]"
            j = by_name.get(source.source_container)
            if j is None:
                warnings.append(
                    RenderWarning(
                        at, f"no container named {source.source_container!r}; volumesFrom skipped", "unsupported"
                    )
                )
                continue
            if j in visiting:
                continue  # a cycle of volumesFrom adds nothing new
            collect(j, force_read_only or bool(source.read_only), (*visiting, j), at if i == index else where)

    collect(index, False, (index,), f"{path}[{index}]")
    return mounts, warnings
