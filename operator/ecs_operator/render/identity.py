"""Task roles as ServiceAccounts (IAM Roles for Service Accounts).

A task's ``taskRoleArn`` is the identity its containers call AWS with. On EKS that is IRSA: a
ServiceAccount annotated ``eks.amazonaws.com/role-arn`` whose pods get web-identity credentials
for the role. There is one ServiceAccount per role and namespace (name from
:func:`names.service_account_name`), shared by every service and task that uses the role.

Ownership: every ECSService / ECSTask using the account is one of its owners (non-controller
ownerReferences). Each owner applies the account with its *own* field manager
(:func:`owner_field_manager`), so server-side apply merges the ownerReferences list (keyed by
uid) instead of one owner replacing the others'. When the last owner is deleted, garbage
collection deletes the account; an owner that moves to another role gives up its reference.

``executionRoleArn`` has no counterpart: image pulls and secret reads use the node's and the
operator's identity (reported by :mod:`.pod`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .meta import owner_reference, standard_labels

__all__ = ["ROLE_ARN_ANNOTATION", "COMPONENT", "build_service_account", "owner_field_manager"]

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
COMPONENT = "task-role"


def owner_field_manager(owner: Mapping[str, Any]) -> str:
    """The field manager one owner applies shared objects with: ``ecs-operator/<kind>/<uid>``."""
    return f"ecs-operator/{str(owner['kind']).lower()}/{owner['metadata']['uid']}"


def build_service_account(owner: Mapping[str, Any], name: str, role_arn: str) -> dict[str, Any]:
    """The ServiceAccount ``name`` for ``role_arn``, as ``owner`` states it (one ownerReference).

    No cluster label: owners in different ECSClusters share the account.
    """
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": name,
            "namespace": owner["metadata"]["namespace"],
            "labels": standard_labels(name, COMPONENT),
            "annotations": {ROLE_ARN_ANNOTATION: role_arn},
            "ownerReferences": [owner_reference(owner, controller=False)],
        },
    }
