"""TagResource, UntagResource and ListTagsForResource on clusters, services, tasks and task definitions.

Where tags live:

* ECSCluster, ECSService, ECSTask: ``spec.tags``, the member CreateCluster / CreateService /
  RunTask take. A tag call applies the whole new list with the API's field manager
  (:mod:`..field_owners`). ``spec.tags`` is one atomic list to server-side apply (the CRDs give
  it no list-map keys), so it has one owner at a time: tagging an object whose tags kubectl
  applied makes ``ecs-api`` the list's owner, with kubectl's tags kept in it. What wins after
  that is kubectl's next apply of a manifest that has ``tags``: a client-side ``kubectl apply``
  sets every member its manifest names back to the manifest's value, so the list becomes the
  manifest's again (API-added tags dropped); ``kubectl apply --server-side`` conflicts with
  ``ecs-api`` on the list and needs ``--force-conflicts``, with the same result. A manifest
  without ``tags`` leaves the API's list alone. Tag through one of the two, not both.
* A task-definition revision: the JSON annotation ``ecs.operator.dev/tags`` on the revision's
  ControllerRevision (written by a guarded PUT, see :func:`_write_revision`), so tagging never
  makes a new revision (the TaskDefinition spec is untouched); until the annotation is
  written, the revision's tags are its spec's.
* A task of a service has no object of its own to hold tags: tag the service (propagateTags).

References: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TagResource.html,
API_UntagResource.html, API_ListTagsForResource.html (same directory).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...kube.errors import Conflict
from ...kube.resources import resource_for
from ...plan.cluster import cluster_reference
from ...vocabulary import ANNOTATION_ECSTASK, ANNOTATION_TAGS, API_FIELD_MANAGER
from ..arns import uid_id
from ..context import Call, Handler, Response
from ..errors import (
    AccessDeniedException,
    ClusterNotFoundException,
    ConflictException,
    InvalidParameterException,
    ResourceNotFoundException,
)
from ..field_owners import ATTEMPTS, apply_spec, backoff
from ..objects import Obj, find_cluster, find_service, is_deleting, revision_number, revisions_of
from ..tag_rules import check_keys, check_tags, merge_tags, remove_tags
from ..task_definition_view import revision_tags

__all__ = ["ACTIONS"]

NOT_FOUND = "The specified resource is not found."
_KINDS = ("cluster", "service", "task", "task-definition")


@dataclass
class _Target:
    obj: Obj
    kind: str  # one of _KINDS

    @property
    def is_revision(self) -> bool:
        return self.kind == "task-definition"


def _resolve(call: Call, arn: str) -> _Target:
    """The object behind an ECS ARN of this endpoint's region and account."""
    fields = arn.split(":", 5)
    if len(fields) != 6 or fields[0] != "arn" or fields[2] != "ecs":
        raise InvalidParameterException(f"Invalid resource ARN: {arn}")
    region, account, resource = fields[3], fields[4], fields[5]
    if region != call.arns.region:
        raise InvalidParameterException(f"The ARN {arn} is in region {region}; this endpoint is {call.arns.region}.")
    if account != call.arns.account:
        raise AccessDeniedException(f"The resource {arn} belongs to another account.")
    kind, _, path = resource.partition("/")
    if kind not in _KINDS or not path:
        raise InvalidParameterException(f"Resources of type '{kind}' can not be tagged here: {arn}")
    parts = path.split("/")
    if any(not p for p in parts):
        raise InvalidParameterException(f"Invalid resource ARN: {arn}")
    found: Obj | None = None
    if kind == "cluster":
        found = find_cluster(call, parts[0]) if len(parts) == 1 else None
    elif kind == "service":
        cluster = parts[0] if len(parts) == 2 else "default"
        found = find_service(call, cluster, parts[-1]) if len(parts) <= 2 else None
        if found is None and find_cluster(call, cluster) is None:
            raise ClusterNotFoundException()
    elif kind == "task":
        cluster = parts[0] if len(parts) == 2 else "default"
        found = _task(call, cluster, parts[-1]) if len(parts) <= 2 else None
    else:
        found = _revision(call, parts[0]) if len(parts) == 1 else None
    if found is None or is_deleting(found):
        raise ResourceNotFoundException(NOT_FOUND)
    return _Target(found, kind)


def _task(call: Call, cluster: str, task_id: str) -> Obj | None:
    """The ECSTask of a task id: a pod's uid (the id ECS shows, also kept in the ECSTask's status
    once the pod is gone), the ECSTask's own uid, or its name."""
    name: str | None = None
    for pod in call.caches.pods.in_namespace(call.namespace):
        meta = pod.get("metadata") or {}
        if uid_id(str(meta.get("uid") or "")) == task_id:
            name = (meta.get("annotations") or {}).get(ANNOTATION_ECSTASK)
            if not name:
                raise InvalidParameterException(
                    "This task belongs to a service; its tags are the service's (propagateTags): tag the service."
                )
            break
    for task in call.caches.tasks.in_namespace(call.namespace):
        meta = task["metadata"]
        if (name is not None and meta["name"] == name) or (
            name is None and (task_id in (uid_id(str(meta.get("uid") or "")), meta["name"]) or _records(task, task_id))
        ):
            return task if cluster_reference(task) == cluster else None
    return None


def _records(task: Obj, task_id: str) -> bool:
    """Does the ECSTask's status list a task with this id (its pod may be gone already)?"""
    records = (task.get("status") or {}).get("tasks") or []
    return any(str(r.get("taskArn") or "").rsplit("/", 1)[-1] == task_id for r in records if isinstance(r, dict))


def _revision(call: Call, reference: str) -> Obj | None:
    family, _, number = reference.rpartition(":")
    if not family or not number.isdigit():
        raise InvalidParameterException(f"A task definition ARN must name a revision (family:revision): {reference}")
    return next((r for r in revisions_of(call, family) if revision_number(r) == int(number)), None)


def _current(target: _Target) -> list[dict[str, str]]:
    if target.is_revision:
        return revision_tags(target.obj)
    return remove_tags((target.obj.get("spec") or {}).get("tags"), ())


def _write(call: Call, target: _Target, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    if target.is_revision:
        _write_revision(call, target.obj, change)
        return
    index = {"cluster": call.caches.clusters, "service": call.caches.services, "task": call.caches.tasks}[target.kind]
    apply_spec(
        call,
        target.obj,
        index,
        lambda current: {"tags": change(remove_tags((current.get("spec") or {}).get("tags"), ()))},
    )


def _write_revision(call: Call, revision: Obj, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    """The annotation, by a PUT of the revision as read (resourceVersion guarded).

    Not a patch: a ControllerRevision's ``data`` is immutable byte for byte, and a patch (merge,
    JSON or apply) re-encodes it, which the API server refuses for a revision created with other
    JSON spacing; a PUT of the object as read sends ``data`` back unchanged.
    """
    meta = revision["metadata"]
    path = resource_for("apps/v1", "ControllerRevision").path(meta["namespace"], meta["name"])
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(backoff(attempt))
        current = call.kube.request("GET", path)
        annotations = current.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[ANNOTATION_TAGS] = json.dumps(change(revision_tags(current)), separators=(",", ":"))
        try:
            written = call.kube.request("PUT", path, query={"fieldManager": API_FIELD_MANAGER}, body=current)
        except Conflict:
            continue
        call.caches.revisions.remember(written)
        return
    raise ConflictException("The task definition revision changed concurrently; retry the call.")


def tag_resource(call: Call) -> Response:
    arn = call.params.require("resourceArn")
    if call.body.get("tags") is None:
        raise InvalidParameterException("tags must be specified.")
    tags = check_tags(call.body["tags"])
    target = _resolve(call, arn)
    _write(call, target, lambda current: merge_tags(current, tags))
    return {}


def untag_resource(call: Call) -> Response:
    arn = call.params.require("resourceArn")
    if call.body.get("tagKeys") is None:
        raise InvalidParameterException("tagKeys must be specified.")
    keys = check_keys(call.body["tagKeys"])
    target = _resolve(call, arn)
    _write(call, target, lambda current: remove_tags(current, keys))
    return {}


def list_tags_for_resource(call: Call) -> Response:
    target = _resolve(call, call.params.require("resourceArn"))
    tags: list[dict[str, Any]] = _current(target)
    return {"tags": tags}


ACTIONS: dict[str, Handler] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
