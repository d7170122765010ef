"""Where each kind we touch lives in the API: a static table, so no discovery round-trips.

Adding a kind the operator manages means adding one row here (and one RBAC rule in deploy/).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from ..vocabulary import API_VERSION, GROUP, VERSION

__all__ = ["Resource", "resource_for", "GROUP", "VERSION", "ECS_API_VERSION"]

ECS_API_VERSION = API_VERSION


@dataclass(frozen=True)
class Resource:
    api_version: str
    kind: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        parts = [base]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{quote(namespace)}")
        parts.append(self.plural)
        if name:
            parts.append(quote(name))
        if sub:
            parts.append(sub)
        return "/".join(parts)


_TABLE = [
    Resource("v1", "Pod", "pods"),
    Resource("v1", "Service", "services"),
    Resource("v1", "ServiceAccount", "serviceaccounts"),
    Resource("v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    Resource("v1", "PersistentVolume", "persistentvolumes", namespaced=False),
    Resource("v1", "Secret", "secrets"),
    Resource("v1", "ConfigMap", "configmaps"),
    Resource("v1", "Event", "events"),
    Resource("v1", "Node", "nodes", namespaced=False),
    Resource("v1", "Namespace", "namespaces", namespaced=False),
    Resource("apps/v1", "Deployment", "deployments"),
    Resource("apps/v1", "DaemonSet", "daemonsets"),
    Resource("apps/v1", "ReplicaSet", "replicasets"),
    Resource("apps/v1", "ControllerRevision", "controllerrevisions"),
    Resource("batch/v1", "Job", "jobs"),
    Resource("batch/v1", "CronJob", "cronjobs"),
    Resource("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    Resource("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
    Resource("networking.k8s.io/v1", "Ingress", "ingresses"),
    Resource("discovery.k8s.io/v1", "EndpointSlice", "endpointslices"),
    Resource("coordination.k8s.io/v1", "Lease", "leases"),
    Resource("rbac.authorization.k8s.io/v1", "Role", "roles"),
    Resource("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    Resource("storage.k8s.io/v1", "StorageClass", "storageclasses", namespaced=False),
    Resource("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "targetgroupbindings"),
    Resource("vpcresources.k8s.aws/v1beta1", "SecurityGroupPolicy", "securitygrouppolicies"),
    Resource("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", namespaced=False),
    Resource(ECS_API_VERSION, "ECSCluster", "ecsclusters"),
    Resource(ECS_API_VERSION, "TaskDefinition", "taskdefinitions"),
    Resource(ECS_API_VERSION, "ECSService", "ecsservices"),
    Resource(ECS_API_VERSION, "ECSTask", "ecstasks"),
]
_BY_KIND = {(r.api_version, r.kind): r for r in _TABLE}


def resource_for(api_version: str, kind: str) -> Resource:
    try:
        return _BY_KIND[(api_version, kind)]
    except KeyError:
        raise KeyError(f"ecs-operator does not manage {api_version} {kind}; add it to kube/resources.py") from None
