"""API access keys: a Secret per key, kept in the API server's own namespace.

``ecs-operator api-key create --namespace team-a`` stores a key pair in a Secret labelled
``ecs.operator.dev/api-key=true`` in the keys namespace (``ecs-operator-system`` by default), so
the API server reads Secrets of one namespace only, never the cluster's. The Secret names the
namespace the key acts in, its "account": every object the key reads or writes lives there. The
key also names a ServiceAccount of that namespace, and the API server writes as that account
(impersonation), so the namespace's RBAC decides what the key may change. Deleting the Secret
revokes the key.
"""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..vocabulary import (
    ANNOTATION_API_NAMESPACE,
    ANNOTATION_API_SERVICE_ACCOUNT,
    LABEL_API_KEY,
    LABEL_MANAGED_BY,
    MANAGED_BY,
)

__all__ = [
    "ApiKey",
    "DEFAULT_SERVICE_ACCOUNT",
    "DEFAULT_KEYS_NAMESPACE",
    "new_key",
    "key_secret",
    "key_rbac",
    "key_from_secret",
    "secret_name",
]

DEFAULT_SERVICE_ACCOUNT = "ecs-api"
DEFAULT_KEYS_NAMESPACE = "ecs-operator-system"
_KEY_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class ApiKey:
    access_key_id: str
    secret_access_key: str
    namespace: str
    service_account: str

    @property
    def user(self) -> str:
        """The Kubernetes user the key acts as."""
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"


def new_key(namespace: str, service_account: str = DEFAULT_SERVICE_ACCOUNT) -> ApiKey:
    """A fresh key pair, shaped as AWS's: a 20-character id, a 40-character secret."""
    key_id = "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
    secret = base64.b64encode(secrets.token_bytes(30)).decode()
    return ApiKey(key_id, secret, namespace, service_account)


def secret_name(access_key_id: str) -> str:
    return f"ecs-api-key-{access_key_id.lower()}"


def key_secret(key: ApiKey, keys_namespace: str = DEFAULT_KEYS_NAMESPACE) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": secret_name(key.access_key_id),
            "namespace": keys_namespace,
            "labels": {LABEL_API_KEY: "true", LABEL_MANAGED_BY: MANAGED_BY},
            "annotations": {
                ANNOTATION_API_NAMESPACE: key.namespace,
                ANNOTATION_API_SERVICE_ACCOUNT: key.service_account,
            },
        },
        "stringData": {"accessKeyId": key.access_key_id, "secretAccessKey": key.secret_access_key},
    }


def key_from_secret(secret: Mapping[str, Any]) -> ApiKey | None:
    """The key a labelled Secret holds, or None when it is not a well-formed key."""
    meta = secret.get("metadata") or {}
    data = secret.get("data") or {}
    try:
        key_id = base64.b64decode(data["accessKeyId"]).decode()
        secret_key = base64.b64decode(data["secretAccessKey"]).decode()
    except (KeyError, ValueError, TypeError):
        return None
    annotations = meta.get("annotations") or {}
    namespace = annotations.get(ANNOTATION_API_NAMESPACE)
    if not namespace:
        return None
    account = annotations.get(ANNOTATION_API_SERVICE_ACCOUNT) or DEFAULT_SERVICE_ACCOUNT
    return ApiKey(key_id, secret_key, str(namespace), str(account))


def key_rbac(key: ApiKey) -> list[dict[str, Any]]:
    """The ServiceAccount a key acts as, and a Role that lets it do what the ECS API does in its namespace.

    Narrow this Role (or bind the account elsewhere) to give a key less: the API server
    writes as the account, so Kubernetes RBAC refuses what the Role does not grant.
    """
    labels = {LABEL_MANAGED_BY: MANAGED_BY}
    meta = {"name": key.service_account, "namespace": key.namespace, "labels": labels}
    rules = [
        {
            "apiGroups": ["ecs.operator.dev"],
            "resources": ["ecsclusters", "ecsservices", "ecstasks", "taskdefinitions"],
            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
        },
        {
            "apiGroups": ["apps"],
            "resources": ["controllerrevisions"],
            "verbs": ["get", "list", "create", "patch", "update"],
        },
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create", "patch"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "delete"]},
    ]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": dict(meta), "rules": rules},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": dict(meta),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": key.service_account},
            "subjects": [{"kind": "ServiceAccount", "name": key.service_account, "namespace": key.namespace}],
        },
    ]
