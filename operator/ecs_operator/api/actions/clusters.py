"""ECS actions on clusters: an ECS cluster is an ECSCluster object of the caller's namespace.

CreateCluster applies the members it was given as the ECSCluster's spec (they are ECS's own
member names) with the API's field manager; DescribeClusters and ListClusters read the watch
cache and the status the operator writes; UpdateCluster, UpdateClusterSettings and
PutClusterCapacityProviders apply only their members over what the API already owns
(:mod:`..field_owners`), so fields kubectl applied survive. DeleteCluster answers ECS's refusals
before deleting anything, since a Kubernetes delete cannot be refused afterwards.

Capacity providers other than FARGATE and FARGATE_SPOT are node-type profiles
(``spec.capacityProviderProfiles``), which ECS's CreateCluster has no member for: they are
applied with kubectl, and PutClusterCapacityProviders can name the ones the
cluster's object describes.

References: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html,
API_DescribeClusters.html, API_ListClusters.html, API_UpdateCluster.html,
API_UpdateClusterSettings.html, API_PutClusterCapacityProviders.html, API_DeleteCluster.html
(same directory).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...models import SpecError, parse_cluster
from ...models.cluster import IMPLICIT_PROVIDERS
from ...plan.cluster import cluster_name, cluster_reference
from ...plan.lifecycle import last_status
from ...vocabulary import API_VERSION, KIND_CLUSTER, LABEL_CLUSTER, LABEL_PROVIDER
from ..arns import short_name
from ..cluster_view import CLUSTER_FIELDS, present_cluster, statistics
from ..context import Call, Handler, Response
from ..errors import (
    ClientException,
    ClusterContainsServicesException,
    ClusterContainsTasksException,
    ClusterNotFoundException,
    InvalidParameterException,
    ResourceInUseException,
)
from ..field_owners import apply_spec
from ..objects import Obj, apply, cluster_param, find_cluster, is_deleting, object_name, services_in
from ..paging import page
from ..tag_rules import check_tags

__all__ = ["ACTIONS", "validate_cluster_spec", "active_tasks"]

MAX_DESCRIBE = 100  # DescribeClusters takes at most 100 names
_LIST_MEMBERS = ("settings", "capacityProviders", "defaultCapacityProviderStrategy")
_OBJECT_MEMBERS = ("configuration", "serviceConnectDefaults")


def validate_cluster_spec(spec: Mapping[str, Any]) -> None:
    """The ECSCluster spec the models accept, or InvalidParameterException naming each member."""
    try:
        parse_cluster(dict(spec))
    except SpecError as exc:
        raise InvalidParameterException("; ".join(exc.messages)) from exc


def _members(call: Call, names: tuple[str, ...]) -> dict[str, Any]:
    """The request's members among ``names``, type-checked (SerializationException otherwise)."""
    given: dict[str, Any] = {}
    for name in names:
        if name not in call.params:
            continue
        if name == "tags":
            given[name] = check_tags(call.body[name])
        elif name == "capacityProviders":
            given[name] = call.params.strings(name)
        elif name in _LIST_MEMBERS:
            given[name] = call.params.objects(name)
        elif name in _OBJECT_MEMBERS:
            given[name] = call.params.object(name)
    return given


def _require(call: Call) -> Obj:
    """The cluster the call names, which must exist and not be on its way out."""
    name = cluster_param(call)
    found = find_cluster(call, name)
    if found is None or is_deleting(found):
        raise ClusterNotFoundException()
    return found


def _is_fargate(pod: Mapping[str, Any]) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return labels.get(LABEL_PROVIDER) in IMPLICIT_PROVIDERS


def _service_on_fargate(service: Mapping[str, Any]) -> bool:
    spec = service.get("spec") or {}
    strategy = spec.get("capacityProviderStrategy") or []
    return spec.get("launchType") == "FARGATE" or any(
        isinstance(i, Mapping) and i.get("capacityProvider") in IMPLICIT_PROVIDERS for i in strategy
    )


def _present(call: Call, obj: Obj, include: tuple[str, ...] = CLUSTER_FIELDS) -> dict[str, Any]:
    stats: list[dict[str, str]] = []
    if "STATISTICS" in include:
        name = cluster_name(obj)
        pods = call.caches.pods.select(
            call.namespace, lambda p: ((p.get("metadata") or {}).get("labels") or {}).get(LABEL_CLUSTER) == name
        )
        stats = statistics(
            ((_is_fargate(p), last_status(p)) for p in pods),
            ((_service_on_fargate(s), is_deleting(s)) for s in services_in(call, name)),
        )
    return present_cluster(obj, call.arns, include, stats)


def create_cluster(call: Call) -> Response:
    """Idempotent for a cluster that exists: ECS answers with it, unchanged."""
    name = call.params.string("clusterName") or "default"
    if not name.strip():
        raise InvalidParameterException("clusterName can not be blank.")
    spec = {"clusterName": name, **_members(call, ("tags", *_LIST_MEMBERS, *_OBJECT_MEMBERS))}
    validate_cluster_spec(spec)
    existing = find_cluster(call, name)
    if existing is not None:
        if is_deleting(existing):
            raise ClientException(f"Cluster {name} is being deleted (DEPROVISIONING); create it again once it is gone.")
        return {"cluster": _present(call, existing)}
    index = call.caches.clusters
    body = {
        "apiVersion": API_VERSION,
        "kind": KIND_CLUSTER,
        "metadata": {
            "name": object_name(name, index, call.namespace, same=lambda o: cluster_name(o) == name),
            "namespace": call.namespace,
        },
        "spec": spec,
    }
    return {"cluster": _present(call, apply(call, body, index))}


def describe_clusters(call: Call) -> Response:
    references = call.params.strings("clusters", most=MAX_DESCRIBE) or ["default"]
    include = tuple(_include(call))
    clusters, failures = [], []
    for reference in references:
        found = None
        if not reference.startswith("arn:") or call.arns.kind_of(reference) == "cluster":
            found = find_cluster(call, short_name(reference)) if short_name(reference) else None
        if found is None:
            arn = reference if reference.startswith("arn:") else call.arns.cluster(reference)
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        clusters.append(_present(call, found, include))
    return {"clusters": clusters, "failures": failures}


def _include(call: Call) -> list[str]:
    include = call.params.strings("include")
    for item in include:
        if item not in CLUSTER_FIELDS:
            raise InvalidParameterException(f"include must be one of: {', '.join(CLUSTER_FIELDS)}.")
    return include


def list_clusters(call: Call) -> Response:
    arns = {call.arns.cluster(cluster_name(c)) for c in call.caches.clusters.in_namespace(call.namespace)}
    chunk, token = page(sorted(arns), call.body, default=100, limit=100)
    answer: dict[str, Any] = {"clusterArns": chunk}
    if token:
        answer["nextToken"] = token
    return answer


def _update(call: Call, members: dict[str, Any]) -> Response:
    found = _require(call)
    validate_cluster_spec({**(found.get("spec") or {}), **members})
    updated = apply_spec(call, found, call.caches.clusters, lambda _: members)
    return {"cluster": _present(call, updated)}


def update_cluster(call: Call) -> Response:
    call.params.require("cluster")
    return _update(call, _members(call, ("settings", *_OBJECT_MEMBERS)))


def update_cluster_settings(call: Call) -> Response:
    call.params.require("cluster")
    if "settings" not in call.params:
        raise InvalidParameterException("settings must be specified.")
    return _update(call, _members(call, ("settings",)))


def put_cluster_capacity_providers(call: Call) -> Response:
    """Both lists replace the cluster's; a provider a service's strategy uses cannot be removed."""
    call.params.require("cluster")
    for member in ("capacityProviders", "defaultCapacityProviderStrategy"):
        if call.body.get(member) is None:
            raise InvalidParameterException(f"{member} must be specified.")
    members = _members(call, ("capacityProviders", "defaultCapacityProviderStrategy"))
    found = _require(call)
    kept = set(members["capacityProviders"])
    for service in services_in(call, cluster_name(found)):
        for item in (service.get("spec") or {}).get("capacityProviderStrategy") or []:
            provider = item.get("capacityProvider") if isinstance(item, Mapping) else None
            if provider and provider not in kept and not is_deleting(service):
                raise ResourceInUseException(
                    f"The specified capacity provider {provider} is in use and cannot be removed "
                    f"(service {(service.get('spec') or {}).get('serviceName') or service['metadata']['name']})."
                )
    validate_cluster_spec({**(found.get("spec") or {}), **members})
    updated = apply_spec(call, found, call.caches.clusters, lambda _: members)
    return {"cluster": _present(call, updated)}


def active_tasks(tasks: list[Obj]) -> list[Obj]:
    """ECSTasks with a task not yet STOPPED (one that has not started counts as active)."""
    active = []
    for task in tasks:
        if is_deleting(task):
            continue
        spec, status = task.get("spec") or {}, task.get("status") or {}
        states = [str(t.get("lastStatus")) for t in status.get("tasks") or [] if isinstance(t, Mapping)]
        if states:
            if any(s != "STOPPED" for s in states):
                active.append(task)
        elif (
            not spec.get("schedule")
            and spec.get("desiredStatus") != "STOPPED"
            and status.get("lastStatus") not in ("STOPPED", "SCHEDULED")
        ):
            active.append(task)
    return active


def delete_cluster(call: Call) -> Response:
    """Refused while ACTIVE services or running tasks remain, with ECS's own exceptions.

    ECS's third refusal, ClusterContainsContainerInstancesException, does not apply: container
    instances are the cluster's nodes, which outlive it. A stopped ECSTask still naming the
    cluster does not refuse the call (ECS forgets stopped tasks), but the operator holds the
    cluster DEPROVISIONING until that object is deleted, and the answer says so.
    """
    call.params.require("cluster")
    found = _require(call)
    name = cluster_name(found)
    services = [s for s in services_in(call, name) if not is_deleting(s)]
    if services:
        raise ClusterContainsServicesException("The Cluster cannot be deleted while Services are active.")
    tasks = call.caches.tasks.select(call.namespace, lambda t: cluster_reference(t) == name)
    if active_tasks(tasks):
        raise ClusterContainsTasksException("The Cluster cannot be deleted while Tasks are active.")
    meta = found["metadata"]
    call.kube.delete(API_VERSION, KIND_CLUSTER, call.namespace, meta["name"], uid=meta.get("uid"))
    after = call.kube.get_or_none(API_VERSION, KIND_CLUSTER, call.namespace, meta["name"])
    index = call.caches.clusters
    if after is not None and after["metadata"].get("uid") == meta.get("uid"):
        index.remember(after)
    else:
        index.forget(found)
        after = found
    shown = _present(call, after)
    held = [t for t in tasks if not is_deleting(t)]
    shown["status"] = "DEPROVISIONING" if held else "INACTIVE"
    return {"cluster": shown}


ACTIONS: dict[str, Handler] = {
    "CreateCluster": create_cluster,
    "DescribeClusters": describe_clusters,
    "ListClusters": list_clusters,
    "UpdateCluster": update_cluster,
    "UpdateClusterSettings": update_cluster_settings,
    "PutClusterCapacityProviders": put_cluster_capacity_providers,
    "DeleteCluster": delete_cluster,
}
