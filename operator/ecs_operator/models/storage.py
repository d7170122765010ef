"""EfsStorage: how a cluster's EFS volumes become PersistentVolumes (an operator extension).

ECS mounts an EFS file system by id. Kubernetes mounts claims, and what backs a claim is the
cluster's business, so the ECSCluster says it:

* ``DYNAMIC``: the claim names ``storageClassName`` (or none: the cluster's default class) and a
  provisioner creates the volume (the EFS CSI driver's access-point provisioning on EKS, any RWX
  class elsewhere).
* ``STATIC_CSI``: the operator creates a PersistentVolume for the EFS CSI driver
  (``efs.csi.aws.com``, volumeHandle ``fs-id[:path][::fsap-id]``) bound to the claim: the very
  file system, directory and access point the task definition names.
* ``STATIC_HOST_PATH``: a hostPath volume under ``hostPathRoot`` (local clusters and tests).

Without ``provisioning`` the operator uses ``DYNAMIC`` when a storage class is named or the
cluster has a default class, else ``STATIC_CSI``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from .base import ECSModel
from .errors import Issue
from .scalars import TextPattern

__all__ = ["EfsProvisioning", "EfsStorage"]

EfsProvisioning = Literal["DYNAMIC", "STATIC_CSI", "STATIC_HOST_PATH"]
Quantity = Annotated[
    str,
    TextPattern(
        r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$", "must be a Kubernetes quantity such as 5Gi", 32
    ),
]


class EfsStorage(ECSModel):
    """What backs the ReadWriteMany claim standing in for each EFS file system."""

    ecs_shape = ""
    storage_class_name: str | None = Field(default=None, min_length=1, max_length=253)
    provisioning: EfsProvisioning | None = None
    capacity: Quantity | None = None
    host_path_root: str | None = Field(default=None, pattern=r"^/", max_length=1024)

    def problems(self) -> Iterator[Issue]:
        if self.host_path_root is not None and self.provisioning != "STATIC_HOST_PATH":
            yield Issue("hostPathRoot", "is only used when provisioning is STATIC_HOST_PATH")
