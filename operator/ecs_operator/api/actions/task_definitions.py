"""ECS actions on task definitions: register, describe, list, deregister, delete.

A family is one TaskDefinition custom resource; each revision is a ControllerRevision it owns
(plan/task_definition.py). RegisterTaskDefinition replaces the CR's spec wholesale and creates
the next revision itself, so the number it answers resolves at once in DescribeTaskDefinition
and ``family:N`` (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html).
The operator reconciles the same CR and may create that revision first; a revision of the same
number and the same canonical spec is then ours, one with another spec means the number is taken.

Deregistering and deleting mark the revision (annotations) and never delete it: the operator
would register the CR's spec again if its latest revision disappeared
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterTaskDefinition.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteTaskDefinitions.html).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping
from typing import Any

from ...kube.errors import Conflict
from ...models import SpecError, parse_task_definition
from ...models.task_definition import READ_ONLY_MEMBERS
from ...plan.conditions import iso
from ...plan.task_definition import family_of, recorded_revision
from ...render.revision import build_controller_revision, canonical_json, parse_reference
from ...vocabulary import (
    ANNOTATION_DEREGISTERED_AT,
    ANNOTATION_REVISION_STATUS,
    ANNOTATION_TAGS,
    API_VERSION,
    KIND_TASK_DEFINITION,
    LABEL_MANAGED_BY,
    LABEL_TASK_DEFINITION,
    MANAGED_BY,
    REVISION_LEDGER,
)
from ..context import Call, Handler, Response
from ..errors import ClientException, InvalidParameterException
from ..objects import find_task_definition, object_name, revisions_of
from ..paging import page
from ..task_definition_view import (
    ACTIVE,
    DELETE_IN_PROGRESS,
    INACTIVE,
    STATUSES,
    describe_revision,
    latest_active,
    revision_family,
    revision_number,
    revision_status,
    revision_tags,
    tags_annotation,
)

__all__ = ["ACTIONS", "find_revision", "resolve_task_definition"]

Obj = dict[str, Any]

_NOT_FOUND = "Unable to describe task definition."
_ATTEMPTS = 5
_MAX_NUMBER_TRIES = 20


# -- look-ups shared with services and tasks -------------------------------------------------------


def find_revision(call: Call, reference: str) -> Obj | None:
    """The ControllerRevision ``family``, ``family:N`` or an ARN names (a bare family: the latest
    ACTIVE revision; DELETE_IN_PROGRESS is never one), from the watch cache."""
    family, number = _parse(reference)
    revisions = revisions_of(call, family)
    if number is None:
        found = latest_active(revisions)
        return dict(found) if found is not None else None
    return next((r for r in revisions if revision_number(r) == number), None)


def resolve_task_definition(call: Call, reference: str) -> tuple[str, int, str]:
    """(family, revision, status) for CreateService / RunTask, or ClientException when nothing matches."""
    found = find_revision(call, reference)
    if found is None:
        raise ClientException(_NOT_FOUND)
    return revision_family(found), revision_number(found), revision_status(found)


def _parse(reference: str) -> tuple[str, int | None]:
    if not reference.strip():
        raise ClientException("Task Definition can not be blank.")
    if reference.startswith("arn:") and ":task-definition/" not in reference:
        raise ClientException(f"Invalid task definition ARN: {reference}")
    try:
        family, number = parse_reference(reference)
    except ValueError as exc:
        raise ClientException(f"Invalid revision number. Number: {reference.rpartition(':')[2]}") from exc
    if not family:
        raise ClientException("Task Definition can not be blank.")
    return family, number


def _describe(call: Call, revision: Mapping[str, Any]) -> Obj:
    return describe_revision(revision, call.arns)


# -- RegisterTaskDefinition -----------------------------------------------------------------------


def register_task_definition(call: Call) -> Response:
    request = dict(call.body)
    for member in ("taskDefinition", "apiVersion", "kind", "spec", "metadata"):
        if member in request:
            raise InvalidParameterException(f'Unknown parameter in input: "{member}".')
    try:
        parsed = parse_task_definition(request)
    except SpecError as exc:
        raise ClientException("; ".join(exc.messages)) from exc
    tags = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in parsed.tags or ()]
    # The tags stay in the spec, as a manifest has them: propagateTags TASK_DEFINITION reads the
    # revision's spec. TagResource later writes the revision's annotation instead (no new revision).
    spec = {k: v for k, v in request.items() if k not in READ_ONLY_MEMBERS}
    family = parsed.family
    owner = _write_spec(call, family, spec)
    revision = _create_revision(call, owner, family, [])
    response: Response = {"taskDefinition": _describe(call, revision)}
    if tags:
        response["tags"] = tags
    return response


def _write_spec(call: Call, family: str, spec: Obj) -> Obj:
    """The family's TaskDefinition with exactly ``spec``: created, or its spec replaced (not merged)."""
    for _ in range(_ATTEMPTS):
        existing = find_task_definition(call, family)
        if existing is None:
            name = object_name(
                family, call.caches.task_definitions, call.namespace, same=lambda o: family_of(o) == family
            )
            body = {
                "apiVersion": API_VERSION,
                "kind": KIND_TASK_DEFINITION,
                "metadata": {"name": name, "namespace": call.namespace},
                "spec": spec,
            }
            try:
                created = call.kube.create(body)
            except Conflict:
                fresh = call.kube.get_or_none(API_VERSION, KIND_TASK_DEFINITION, call.namespace, name)
                if fresh is not None:
                    call.caches.task_definitions.remember(fresh)
                continue
            call.caches.task_definitions.remember(created)
            return created
        current = call.kube.get(API_VERSION, KIND_TASK_DEFINITION, call.namespace, existing["metadata"]["name"])
        call.caches.task_definitions.remember(current)
        if family_of(current) != family:
            continue
        replaced = copy.deepcopy(current)
        replaced.pop("status", None)
        replaced["spec"] = spec
        try:
            written = call.kube.replace(replaced)
        except Conflict:
            continue
        call.caches.task_definitions.remember(written)
        return written
    raise ClientException(f"Task definition family {family} is being changed concurrently; retry the call.")


def _create_revision(call: Call, owner: Obj, family: str, tags: list[dict[str, Any]]) -> Obj:
    """Revision N+1 of the family holding the owner's stored spec (the operator may have made it)."""
    spec = owner.get("spec") or {}
    name = owner["metadata"]["name"]
    existing = call.kube.list("apps/v1", "ControllerRevision", call.namespace, labels={LABEL_TASK_DEFINITION: name})
    numbers = [revision_number(r) for r in existing]
    ledger = call.kube.get_or_none("v1", "ConfigMap", call.namespace, REVISION_LEDGER)
    number = max(numbers) if numbers else recorded_revision(ledger, family)
    wanted = canonical_json(spec)
    taken = {revision_number(r): r for r in existing}
    for _ in range(_MAX_NUMBER_TRIES):
        number += 1
        if number in taken:
            continue
        body = build_controller_revision(owner, family, number, spec)
        if tags:
            body["metadata"]["annotations"][ANNOTATION_TAGS] = tags_annotation(tags)
        try:
            revision = call.kube.create(body)
        except Conflict:
            theirs = call.kube.get_or_none("apps/v1", "ControllerRevision", call.namespace, body["metadata"]["name"])
            if theirs is None or canonical_json((theirs.get("data") or {}).get("spec") or {}) != wanted:
                continue
            revision = _claim(call, theirs, tags)
        call.caches.revisions.remember(revision)
        _record(call, ledger, family, number)
        return revision
    raise ClientException(f"Could not register a new revision of {family}; retry the call.")


def _claim(call: Call, revision: Obj, tags: list[dict[str, Any]]) -> Obj:
    """The operator made our revision first: it carries no tags yet."""
    if not tags:
        return revision
    return _annotate(call, revision["metadata"]["name"], {ANNOTATION_TAGS: tags_annotation(tags)})


def _annotate(call: Call, name: str, annotations: Mapping[str, str]) -> Obj:
    """Add annotations to a ControllerRevision by a whole-object PUT, retried on Conflict.

    Not a merge patch: the API server re-encodes ``data`` when it applies a patch, the bytes no
    longer equal the stored ones and it refuses the change as one to an immutable field. A PUT of
    the object as read sends ``data`` as it was created (the same JSON encoder made both).
    """
    for _ in range(_ATTEMPTS):
        current = call.kube.get("apps/v1", "ControllerRevision", call.namespace, name)
        meta = current["metadata"]
        meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
        try:
            return call.kube.replace(current)
        except Conflict:
            continue
    raise ClientException(f"Task definition revision {name} is being changed concurrently; retry the call.")


def _record(call: Call, ledger: Obj | None, family: str, number: int) -> None:
    """The namespace's ledger keeps the family's highest number, so a re-created family goes on."""
    if ledger is None:
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": REVISION_LEDGER,
                "namespace": call.namespace,
                "labels": {LABEL_MANAGED_BY: MANAGED_BY},
            },
            "data": {},
        }
        with contextlib.suppress(Conflict):  # made by the operator meanwhile
            call.kube.create(body)
    elif recorded_revision(ledger, family) >= number:
        return
    call.kube.patch("v1", "ConfigMap", call.namespace, REVISION_LEDGER, {"data": {family: str(number)}})


# -- DescribeTaskDefinition -----------------------------------------------------------------------


def describe_task_definition(call: Call) -> Response:
    reference = call.params.require("taskDefinition")
    include = call.params.strings("include")
    for item in include:
        if item != "TAGS":
            raise InvalidParameterException(f"include must be one of: TAGS (got {item}).")
    found = find_revision(call, reference)
    if found is None:
        raise ClientException(_NOT_FOUND)
    response: Response = {"taskDefinition": _describe(call, found)}
    if "TAGS" in include:
        response["tags"] = revision_tags(found)
    return response


# -- ListTaskDefinitions / ListTaskDefinitionFamilies ---------------------------------------------


def _all_revisions(call: Call) -> list[Obj]:
    return call.caches.revisions.in_namespace(call.namespace)


def list_task_definitions(call: Call) -> Response:
    """ARNs sorted by family, then revision as a number (ASC), or the reverse (DESC)."""
    family = call.params.string("familyPrefix")
    status = call.params.enum("status", STATUSES, default=ACTIVE)
    order = call.params.enum("sort", ("ASC", "DESC"), default="ASC")
    by_key: dict[str, str] = {}
    for revision in _all_revisions(call):
        name = revision_family(revision)
        number = revision_number(revision)
        if not name or number < 1 or revision_status(revision) != status:
            continue
        if family is not None and name != family:
            continue
        by_key[f"{name}\x00{number:012d}"] = call.arns.task_definition(name, number)
    keys, token = page(list(by_key), call.params.body, default=100, limit=100, reverse=order == "DESC")
    response: Response = {"taskDefinitionArns": [by_key[k] for k in keys]}
    if token:
        response["nextToken"] = token
    return response


def list_task_definition_families(call: Call) -> Response:
    """Families with an ACTIVE revision (ACTIVE), with none (INACTIVE), or every one (ALL, the default)."""
    prefix = call.params.string("familyPrefix") or ""
    status = call.params.enum("status", ("ACTIVE", "INACTIVE", "ALL"), default="ALL")
    active: set[str] = set()
    seen: set[str] = set()
    for revision in _all_revisions(call):
        name = revision_family(revision)
        if not name or not name.startswith(prefix):
            continue
        seen.add(name)
        if revision_status(revision) == ACTIVE:
            active.add(name)
    wanted = {"ACTIVE": active, "INACTIVE": seen - active, "ALL": seen}[status or "ALL"]
    keys, token = page(sorted(wanted), call.params.body, default=100, limit=100)
    response: Response = {"families": keys}
    if token:
        response["nextToken"] = token
    return response


# -- DeregisterTaskDefinition / DeleteTaskDefinitions ---------------------------------------------


def _pinned(call: Call, reference: str) -> Obj | None:
    family, number = _parse(reference)
    if number is None:
        raise ClientException("The task definition must include a revision: family:revision or its full ARN.")
    return find_revision(call, f"{family}:{number}")


def _mark(call: Call, revision: Obj, status: str) -> Obj:
    annotations = {ANNOTATION_REVISION_STATUS: status}
    if not (revision["metadata"].get("annotations") or {}).get(ANNOTATION_DEREGISTERED_AT):
        annotations[ANNOTATION_DEREGISTERED_AT] = iso(call.now)
    marked = _annotate(call, revision["metadata"]["name"], annotations)
    call.caches.revisions.remember(marked)
    return marked


def deregister_task_definition(call: Call) -> Response:
    """The revision becomes INACTIVE; services and tasks that run it keep running."""
    found = _pinned(call, call.params.require("taskDefinition"))
    if found is None:
        raise ClientException("The specified task definition does not exist.")
    if revision_status(found) == ACTIVE:
        found = _mark(call, found, INACTIVE)
    return {"taskDefinition": _describe(call, found)}


def delete_task_definitions(call: Call) -> Response:
    """INACTIVE revisions become DELETE_IN_PROGRESS; an ACTIVE or unknown one is a failure."""
    references = call.params.strings("taskDefinitions", required=True, most=10)
    deleted: list[Obj] = []
    failures: list[Obj] = []
    for reference in references:
        try:
            found = _pinned(call, reference)
        except ClientException as exc:
            failures.append({"arn": reference, "reason": "INVALID_PARAMETER", "detail": exc.message})
            continue
        if found is None:
            family, number = _parse(reference)
            arn = call.arns.task_definition(family, number or 0)
            failures.append(
                {"arn": arn, "reason": "MISSING", "detail": "The specified task definition does not exist."}
            )
            continue
        status = revision_status(found)
        if status == ACTIVE:
            arn = call.arns.task_definition(revision_family(found), revision_number(found))
            detail = "The specified task definition is still in ACTIVE status. Deregister it first."
            failures.append({"arn": arn, "reason": "The task definition is ACTIVE.", "detail": detail})
            continue
        if status == INACTIVE:
            found = _mark(call, found, DELETE_IN_PROGRESS)
        deleted.append(_describe(call, found))
    return {"taskDefinitions": deleted, "failures": failures}


ACTIONS: dict[str, Handler] = {
    "RegisterTaskDefinition": register_task_definition,
    "DescribeTaskDefinition": describe_task_definition,
    "ListTaskDefinitions": list_task_definitions,
    "ListTaskDefinitionFamilies": list_task_definition_families,
    "DeregisterTaskDefinition": deregister_task_definition,
    "DeleteTaskDefinitions": delete_task_definitions,
}
