"""ECS actions on container instances (a cluster's nodes) and capacity providers (node-type profiles).

The container instances are the ones the ECSCluster status lists (plan/cluster_status.py says
which nodes belong to a cluster); until the operator has written that status they are counted
here the same way from the node and pod caches. An instance's id is its node's uid without
dashes, so it is stable for the node's life; the id, the full ARN or the node name all find it.

References: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListContainerInstances.html,
API_DescribeContainerInstances.html, API_DescribeCapacityProviders.html (same directory).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...models import CapacityProviderProfile, ECSClusterSpec, SpecError, parse_cluster
from ...models.cluster import IMPLICIT_PROVIDERS
from ...plan.cluster import cluster_name
from ...plan.cluster_status import compute_cluster_status
from ..arns import short_name
from ..cluster_view import present_capacity_provider, present_instance
from ..context import Call, Handler, Response
from ..errors import ClusterNotFoundException, InvalidParameterException
from ..instance_filter import instance_filter, matches
from ..objects import Obj, cluster_param, find_cluster, is_deleting
from ..paging import page

__all__ = ["ACTIONS", "container_instances"]

INSTANCE_STATES = ("ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED")
INSTANCE_FIELDS = ("TAGS", "CONTAINER_INSTANCE_HEALTH")
MAX_DESCRIBE = 100


def _cluster(call: Call) -> Obj:
    found = find_cluster(call, cluster_param(call))
    if found is None or is_deleting(found):
        raise ClusterNotFoundException()
    return found


def _spec(obj: Obj) -> ECSClusterSpec | None:
    try:
        return parse_cluster(obj.get("spec") or {})
    except SpecError:
        return None


def container_instances(call: Call, obj: Obj) -> list[tuple[str, dict[str, Any]]]:
    """The cluster's ContainerInstance shapes with their node names, by ARN order."""
    name = cluster_name(obj)
    status = obj.get("status") or {}
    entries = status.get("containerInstances")
    if not isinstance(entries, list):  # not counted by the operator yet: count as it would
        nodes = call.caches.nodes.all()
        entries = compute_cluster_status(name, _spec(obj), nodes, call.caches.pods.all(), 0, namespace=call.namespace)[
            "containerInstances"
        ]
    instances = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        node = call.caches.nodes.get("", str(entry.get("containerInstanceArn") or ""))
        node_name = str(entry.get("containerInstanceArn") or "")
        instances.append((node_name, present_instance(entry, node, name, call.arns, INSTANCE_FIELDS)))
    return sorted(instances, key=lambda i: str(i[1]["containerInstanceArn"]))


def list_container_instances(call: Call) -> Response:
    """``status`` narrows to one state (without it every instance is listed: none is INACTIVE);
    ``filter`` is a cluster query language expression (:mod:`..instance_filter`)."""
    obj = _cluster(call)
    wanted = call.params.enum("status", INSTANCE_STATES)
    expression = call.params.string("filter")
    chosen = instance_filter(expression) if expression and expression.strip() else None
    arns = [
        i["containerInstanceArn"]
        for _, i in container_instances(call, obj)
        if wanted in (None, i["status"]) and (chosen is None or matches(chosen, i))
    ]
    chunk, token = page(arns, call.body, default=100, limit=100)
    answer: dict[str, Any] = {"containerInstanceArns": chunk}
    if token:
        answer["nextToken"] = token
    return answer


def describe_container_instances(call: Call) -> Response:
    obj = _cluster(call)
    name = cluster_name(obj)
    references = call.params.strings("containerInstances", required=True, most=MAX_DESCRIBE)
    include = set(call.params.strings("include"))
    for item in include:
        if item not in INSTANCE_FIELDS:
            raise InvalidParameterException(f"include must be one of: {', '.join(INSTANCE_FIELDS)}.")
    by_reference: dict[str, dict[str, Any]] = {}
    for node_name, instance in container_instances(call, obj):
        arn = instance["containerInstanceArn"]
        for key in (arn, short_name(arn), node_name, instance["ec2InstanceId"]):
            if key:
                by_reference.setdefault(key, instance)
    found: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    for reference in references:
        match = by_reference.get(reference)
        if match is None and reference.startswith("arn:") and len(call.arns.parts(reference)) == 2:
            cluster_of = call.arns.parts(reference)[0]
            match = by_reference.get(short_name(reference)) if cluster_of == name else None
        if match is None:
            arn = reference if reference.startswith("arn:") else call.arns.container_instance(name, reference)
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        shown = {k: v for k, v in match.items() if k not in ("tags", "healthStatus") or _wanted(k, include)}
        found.append(shown)
    return {"containerInstances": found, "failures": failures}


def _wanted(member: str, include: set[str]) -> bool:
    return (member == "tags" and "TAGS" in include) or (
        member == "healthStatus" and "CONTAINER_INSTANCE_HEALTH" in include
    )


def _profiles(spec: ECSClusterSpec | None) -> list[CapacityProviderProfile]:
    if spec is None:
        return []
    return [p for p in spec.capacity_provider_profiles or () if p.name not in IMPLICIT_PROVIDERS]


def describe_capacity_providers(call: Call) -> Response:
    """FARGATE and FARGATE_SPOT always exist; the others are the clusters' node-type profiles
    (one cluster's when ``cluster`` is given, else every cluster of the namespace)."""
    clusters: list[Obj]
    if "cluster" in call.params:
        clusters = [_cluster(call)]
    else:
        clusters = [c for c in call.caches.clusters.in_namespace(call.namespace) if not is_deleting(c)]
    providers: dict[str, dict[str, Any]] = {
        name: present_capacity_provider(CapacityProviderProfile(name=name, type=name), call.arns)
        for name in IMPLICIT_PROVIDERS
    }
    for obj in sorted(clusters, key=lambda c: c["metadata"]["name"]):
        for profile in _profiles(_spec(obj)):
            providers.setdefault(profile.name, present_capacity_provider(profile, call.arns, cluster_name(obj)))
    include = call.params.strings("include")
    for item in include:
        if item != "TAGS":
            raise InvalidParameterException("include must be one of: TAGS.")
    references = call.params.strings("capacityProviders")
    failures = []
    if references:
        chosen = []
        for reference in references:
            name = short_name(reference)
            if name in providers:
                chosen.append(name)
            else:
                arn = reference if reference.startswith("arn:") else call.arns.capacity_provider(reference)
                failures.append({"arn": arn, "reason": "MISSING"})
    else:
        chosen = list(providers)
    chunk, token = page(chosen, call.body, default=10, limit=10)
    answer: dict[str, Any] = {"capacityProviders": [providers[n] for n in chunk], "failures": failures}
    if token:
        answer["nextToken"] = token
    return answer


ACTIONS: dict[str, Handler] = {
    "ListContainerInstances": list_container_instances,
    "DescribeContainerInstances": describe_container_instances,
    "DescribeCapacityProviders": describe_capacity_providers,
}
