"""The operator's Kubernetes vocabulary, spelled once: API group and version, kinds, labels, annotations.

Every layer reads these names (models for the CRDs, render for manifests, plan for decisions,
kube and handlers for look-ups), so they live in a module that imports nothing. A label or
annotation key written as a string literal anywhere else is a bug waiting to drift.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "GROUP",
    "VERSION",
    "API_VERSION",
    "MANAGED_BY",
    "FIELD_MANAGER",
    "FINALIZER",
    "KIND_CLUSTER",
    "KIND_TASK_DEFINITION",
    "KIND_SERVICE",
    "KIND_TASK",
    "PLURALS",
    "prefixed",
    "LABEL_SERVICE",
    "LABEL_TASK",
    "LABEL_CLUSTER",
    "LABEL_FAMILY",
    "LABEL_REVISION",
    "LABEL_TASK_DEFINITION",
    "LABEL_PROVIDER",
    "LABEL_TASK_INDEX",
    "LABEL_GROUP",
    "LABEL_INSTANCE_ID",
    "LABEL_UNSATISFIABLE",
    "LABEL_NODE_TYPE",
    "LABEL_FARGATE_TASK",
    "LABEL_FILE_SYSTEM",
    "LABEL_DOCKER_VOLUME",
    "ANNOTATION_ESSENTIAL_CONTAINERS",
    "ANNOTATION_NETWORK_MODE",
    "ANNOTATION_COMPATIBILITIES",
    "ANNOTATION_ECSTASK",
    "ANNOTATION_STARTED_BY",
    "ANNOTATION_REFERENCE_ID",
    "ANNOTATION_SCHEDULE_EXPRESSION",
    "ANNOTATION_PROVIDER_NAME",
    "ANNOTATION_TASK_DEFINITION",
    "ANNOTATION_FARGATE_POD_UID",
    "ANNOTATION_SOURCE",
    "ANNOTATION_REGISTRY",
    "ANNOTATION_TARGET_GROUP",
    "ANNOTATION_SERVICE_CONNECT_NAMESPACE",
    "SCHEDULING_GATE_RESOURCES",
    "REVISION_LEDGER",
    "LABEL_MANAGED_BY",
    "LABEL_NAME",
    "LABEL_COMPONENT",
    "LABEL_PART_OF",
]

GROUP: Final = "ecs.operator.dev"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
MANAGED_BY: Final = "ecs-operator"
FIELD_MANAGER: Final = "ecs-operator"
FINALIZER: Final = f"{GROUP}/finalizer"
API_FIELD_MANAGER: Final = "ecs-api"
"""Server-side-apply field manager of the ECS API server: its writes and kubectl's are told apart."""

KIND_CLUSTER: Final = "ECSCluster"
KIND_TASK_DEFINITION: Final = "TaskDefinition"
KIND_SERVICE: Final = "ECSService"
KIND_TASK: Final = "ECSTask"
PLURALS: Final = {
    KIND_CLUSTER: "ecsclusters",
    KIND_TASK_DEFINITION: "taskdefinitions",
    KIND_SERVICE: "ecsservices",
    KIND_TASK: "ecstasks",
}


def prefixed(name: str) -> str:
    """``ecs.operator.dev/<name>``: a label or annotation key of ours."""
    return f"{GROUP}/{name}"


# -- labels: children are found again by these, never by listing everything ---------------------
LABEL_SERVICE: Final = prefixed("service")
LABEL_TASK: Final = prefixed("task")
LABEL_CLUSTER: Final = prefixed("cluster")
LABEL_FAMILY: Final = prefixed("family")
LABEL_REVISION: Final = prefixed("revision")
LABEL_TASK_DEFINITION: Final = prefixed("task-definition")
LABEL_PROVIDER: Final = prefixed("capacity-provider")
LABEL_TASK_INDEX: Final = prefixed("task-index")
LABEL_GROUP: Final = prefixed("group")
LABEL_INSTANCE_ID: Final = prefixed("instance-id")
LABEL_UNSATISFIABLE: Final = prefixed("unsatisfiable")
LABEL_NODE_TYPE: Final = prefixed("node-type")
LABEL_FARGATE_TASK: Final = prefixed("fargate-task")
LABEL_FILE_SYSTEM: Final = prefixed("efs-file-system")
LABEL_DOCKER_VOLUME: Final = prefixed("docker-volume")
LABEL_API_KEY: Final = prefixed("api-key")

LABEL_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
LABEL_NAME: Final = "app.kubernetes.io/name"
LABEL_COMPONENT: Final = "app.kubernetes.io/component"
LABEL_PART_OF: Final = "app.kubernetes.io/part-of"

# -- annotations: what the task lifecycle reads back off a pod, and provenance ------------------
ANNOTATION_ESSENTIAL_CONTAINERS: Final = prefixed("essential-containers")
ANNOTATION_NETWORK_MODE: Final = prefixed("network-mode")
ANNOTATION_COMPATIBILITIES: Final = prefixed("requires-compatibilities")
ANNOTATION_ECSTASK: Final = prefixed("ecstask")
ANNOTATION_STARTED_BY: Final = prefixed("started-by")
ANNOTATION_REFERENCE_ID: Final = prefixed("reference-id")
ANNOTATION_SCHEDULE_EXPRESSION: Final = prefixed("schedule-expression")
ANNOTATION_PROVIDER_NAME: Final = prefixed("capacity-provider-name")
ANNOTATION_TASK_DEFINITION: Final = prefixed("task-definition")
ANNOTATION_FARGATE_POD_UID: Final = prefixed("fargate-pod-uid")
ANNOTATION_SOURCE: Final = prefixed("source")
ANNOTATION_REGISTRY: Final = prefixed("registry-arn")
ANNOTATION_TARGET_GROUP: Final = prefixed("target-group-arn")
ANNOTATION_SERVICE_CONNECT_NAMESPACE: Final = prefixed("service-connect-namespace")
ANNOTATION_REVISION_STATUS: Final = prefixed("revision-status")  # on a revision: INACTIVE, DELETE_IN_PROGRESS
ANNOTATION_DEREGISTERED_AT: Final = prefixed("deregistered-at")
ANNOTATION_FORCE_DEPLOYMENT: Final = prefixed("force-new-deployment")  # UpdateService forceNewDeployment token
ANNOTATION_CLIENT_TOKEN: Final = prefixed("client-token")  # CreateService / RunTask idempotency
ANNOTATION_API_SERVICE_ACCOUNT: Final = prefixed("service-account")  # on an API key: who it acts as
ANNOTATION_API_NAMESPACE: Final = prefixed("account-namespace")  # on an API key: where it acts
ANNOTATION_STOP_TASK_PREFIX: Final = prefixed("stop-task.")
"""On an ECSTask: StopTask of one of its tasks. The key ends with the task id, the value is the reason."""
ANNOTATION_TAGS: Final = prefixed("tags")  # on a revision: its ECS tags as a JSON list (tagging is not a new revision)

SCHEDULING_GATE_RESOURCES: Final = prefixed("task-resources")

REVISION_LEDGER: Final = "ecs-operator-task-definition-revisions"
"""ConfigMap (one per namespace, owned by nothing) recording each family's highest revision number,
so a family deleted and created again continues its numbering, as ECS never reuses one."""
