"""Claims standing in for EFS file systems and shared Docker volumes, and the volumes behind them.

EFS is the one kind of task storage that outlives every task and is shared by every task that
names it, in every zone. Its stand-in is one ReadWriteMany PersistentVolumeClaim per
(fileSystemId, rootDirectory, accessPointId) and namespace, named by
:func:`names.efs_claim_name`, shared by every ECSService and ECSTask that mounts it.

**Data is never deleted with a service.** The claims carry no ownerReferences, so garbage
collection never removes them, and the operator never deletes a claim: it is removed only when
a user deletes it (``kubectl delete pvc efs-fs-12345678``). Static PersistentVolumes created by
the operator use the ``Retain`` reclaim policy, so even deleting the claim leaves the data (for
EFS the data lives in EFS anyway). A claim that already exists is used as it is: pre-create one
with the expected name to point tasks at storage of your own.

What backs the claim is the ECSCluster's ``efsStorage`` (:class:`models.storage.EfsStorage`):
a storage class (``DYNAMIC``), or a PersistentVolume the operator creates and pre-binds to the
claim through ``claimRef`` (``STATIC_CSI``: the EFS CSI driver, volumeHandle
``fs-id[:path][::fsap-id]``; ``STATIC_HOST_PATH``: a host directory). Pre-binding leaves the
binding itself to Kubernetes' PersistentVolume controller.

A ``shared`` Docker volume lives on one container instance in ECS, shared by the tasks on that
instance. Its stand-in claim is bound to a hostPath PersistentVolume: every node has its own
directory, exactly the Docker ``local`` driver's behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..models.storage import EfsStorage
from ..vocabulary import (
    ANNOTATION_SOURCE,
    LABEL_COMPONENT,
    LABEL_DOCKER_VOLUME,
    LABEL_FILE_SYSTEM,
    LABEL_MANAGED_BY,
    LABEL_PART_OF,
    MANAGED_BY,
)
from . import names
from .names import EfsClaim
from .volumes import DockerVolumeClaim

__all__ = [
    "ANNOTATION_SOURCE",
    "DEFAULT_CAPACITY",
    "DEFAULT_HOST_PATH_ROOT",
    "DOCKER_VOLUME_ROOT",
    "EFS_CSI_DRIVER",
    "LABEL_DOCKER_VOLUME",
    "LABEL_FILE_SYSTEM",
    "StoragePlan",
    "build_claim",
    "build_docker_volume",
    "build_efs_volume",
    "docker_claim_manifest",
    "efs_claim_manifest",
    "efs_volume_handle",
    "storage_plan",
    "volume_name",
]

EFS_CSI_DRIVER = "efs.csi.aws.com"
DEFAULT_CAPACITY = "5Gi"  # EFS is elastic; claims need a size, binding only compares it
DEFAULT_HOST_PATH_ROOT = "/var/lib/ecs-operator/efs"
DOCKER_VOLUME_ROOT = "/var/lib/ecs-operator/docker-volumes"


@dataclass(frozen=True)
class StoragePlan:
    """How claims of one cluster are backed (resolved from ``efsStorage`` and the cluster's classes)."""

    provisioning: str = "STATIC_CSI"  # DYNAMIC | STATIC_CSI | STATIC_HOST_PATH
    storage_class_name: str | None = None
    capacity: str = DEFAULT_CAPACITY
    host_path_root: str = DEFAULT_HOST_PATH_ROOT

    @property
    def static(self) -> bool:
        return self.provisioning != "DYNAMIC"


def storage_plan(config: EfsStorage | None, *, default_class: str | None) -> StoragePlan:
    """Resolve an ``EfsStorage`` (or None) given the cluster's default StorageClass (or None)."""
    if config is None:
        config = EfsStorage()
    provisioning: str | None = config.provisioning
    class_name = config.storage_class_name
    if provisioning is None:
        provisioning = "DYNAMIC" if (class_name or default_class) else "STATIC_CSI"
    return StoragePlan(
        provisioning=provisioning,
        storage_class_name=class_name,
        capacity=config.capacity or DEFAULT_CAPACITY,
        host_path_root=(config.host_path_root or DEFAULT_HOST_PATH_ROOT).rstrip("/") or "/",
    )


def efs_volume_handle(claim: EfsClaim) -> str:
    """The EFS CSI driver's volumeHandle: ``fs-id``, ``fs-id:/dir``, ``fs-id::fsap-id``."""
    handle = claim.file_system_id
    if claim.root_directory:
        handle += f":{claim.root_directory}"
    if claim.access_point_id:
        handle += ("" if claim.root_directory else ":") + f":{claim.access_point_id}"
    return handle


def volume_name(namespace: str, claim_name: str) -> str:
    """PersistentVolumes are cluster-wide: the namespace is part of the name (hashed when long)."""
    return names.dns_label(f"ecs-{namespace}-{claim_name}", max_length=names.NAME_MAX)


def _labels(extra: dict[str, str]) -> dict[str, str]:
    return {
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_PART_OF: MANAGED_BY,
        LABEL_COMPONENT: "storage",
        **extra,
    }


def _efs_labels(claim: EfsClaim) -> dict[str, str]:
    return _labels({LABEL_FILE_SYSTEM: names.label_value(claim.file_system_id)})


def build_claim(
    namespace: str, claim_name: str, *, labels: dict[str, str], source: str, plan: StoragePlan
) -> dict[str, Any]:
    """A ReadWriteMany claim: pre-bound to its static volume, or asking ``plan``'s class."""
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": plan.capacity}},
    }
    if plan.static:
        spec["storageClassName"] = plan.storage_class_name or ""  # "": never dynamically provisioned
        spec["volumeName"] = volume_name(namespace, claim_name)
    elif plan.storage_class_name:
        spec["storageClassName"] = plan.storage_class_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": claim_name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {ANNOTATION_SOURCE: source},
        },
        "spec": spec,
    }


def efs_claim_manifest(namespace: str, claim: EfsClaim, plan: StoragePlan) -> dict[str, Any]:
    return build_claim(
        namespace, claim.claim_name, labels=_efs_labels(claim), source=efs_volume_handle(claim), plan=plan
    )


def _static_volume(
    namespace: str, claim_name: str, *, labels: dict[str, str], source: dict[str, Any], plan: StoragePlan
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": volume_name(namespace, claim_name), "labels": labels},
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "capacity": {"storage": plan.capacity},
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": plan.storage_class_name or "",
            "volumeMode": "Filesystem",
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": namespace,
                "name": claim_name,
            },
            **source,
        },
    }


def build_efs_volume(namespace: str, claim: EfsClaim, plan: StoragePlan) -> dict[str, Any] | None:
    """The static PersistentVolume behind an EFS claim; None for ``DYNAMIC``."""
    if not plan.static:
        return None
    if plan.provisioning == "STATIC_HOST_PATH":
        path = f"{plan.host_path_root.rstrip('/')}/{claim.file_system_id}"
        if claim.access_point_id:
            path += f"/{claim.access_point_id}"
        if claim.root_directory:
            path += claim.root_directory
        source: dict[str, Any] = {"hostPath": {"path": path, "type": "DirectoryOrCreate"}}
    else:
        source = {"csi": {"driver": EFS_CSI_DRIVER, "volumeHandle": efs_volume_handle(claim)}}
    return _static_volume(namespace, claim.claim_name, labels=_efs_labels(claim), source=source, plan=plan)


DOCKER_PLAN = StoragePlan(provisioning="STATIC_HOST_PATH", capacity="1Gi", host_path_root=DOCKER_VOLUME_ROOT)


def docker_claim_manifest(namespace: str, claim: DockerVolumeClaim) -> dict[str, Any]:
    labels = _labels({LABEL_DOCKER_VOLUME: names.label_value(claim.volume_name)})
    return build_claim(
        namespace, claim.claim_name, labels=labels, source=f"docker volume {claim.volume_name}", plan=DOCKER_PLAN
    )


def build_docker_volume(namespace: str, claim: DockerVolumeClaim) -> dict[str, Any]:
    """A node-local hostPath volume per namespace and Docker volume name (Docker's local driver)."""
    labels = _labels({LABEL_DOCKER_VOLUME: names.label_value(claim.volume_name)})
    path = f"{DOCKER_VOLUME_ROOT}/{namespace}/{claim.claim_name}"
    return _static_volume(
        namespace,
        claim.claim_name,
        labels=labels,
        source={"hostPath": {"path": path, "type": "DirectoryOrCreate"}},
        plan=DOCKER_PLAN,
    )
