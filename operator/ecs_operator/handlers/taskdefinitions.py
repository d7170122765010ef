"""TaskDefinition: every spec change registers a new immutable revision.

Revisions are ControllerRevisions owned by the TaskDefinition (`<name>-<N>`), so
`family:N` keeps resolving after the spec moves on. A new revision re-reconciles the
ECSServices that follow the family's latest revision.
"""

from __future__ import annotations

from typing import Any

import kopf

from ..kube import Conflict, NotFound
from ..kube.events import post_event
from ..kube.lookups import list_revisions, services_following
from ..models import SpecError, parse_task_definition
from ..render.meta import API_VERSION, GROUP, LABEL_FAMILY, LABEL_TASK_DEFINITION
from ..render.revision import build_controller_revision, canonical_json
from ..render.service_status import condition
from . import cache
from .errors import kopf_errors
from .reporting import iso, write_status
from .runtime import Reconciler, kube

__all__ = ["reconcile_task_definition", "task_definitions"]

MAX_LISTED_REVISIONS = 50


def reconcile_task_definition(namespace: str, name: str) -> float | None:
    client = kube()
    try:
        body = client.get(API_VERSION, "TaskDefinition", namespace, name)
    except NotFound:
        return None
    if body["metadata"].get("deletionTimestamp"):
        return None
    spec: dict[str, Any] = body.get("spec") or {}
    previous = body.get("status") or {}
    family = str(spec.get("family") or name)
    now = iso()
    try:
        parse_task_definition(spec)
    except SpecError as exc:
        message = str(exc)
        if previous.get("error") != message:
            post_event(client, body, reason="InvalidSpec", message=message, warning=True)
        write_status(
            body,
            {
                "family": family,
                "status": "INVALID",
                "error": message,
                "observedGeneration": body["metadata"].get("generation"),
                "conditions": [condition("Ready", False, "InvalidSpec", message, now, previous.get("conditions", []))],
            },
        )
        raise

    revisions = list_revisions(client, namespace, name)
    latest = revisions[-1] if revisions else None
    created = False
    if latest is None or canonical_json(latest.spec) != canonical_json(spec):
        number = latest.number + 1 if latest else 1
        try:
            client.create(build_controller_revision(body, family, number, spec))
            created = True
        except Conflict:  # another worker registered it first: read again next time
            return 0.2
        revisions = list_revisions(client, namespace, name)
    numbers = [r.number for r in revisions]
    current = numbers[-1]
    write_status(
        body,
        {
            "family": family,
            "revision": current,
            "revisions": numbers[-MAX_LISTED_REVISIONS:],
            "status": "ACTIVE",
            "taskDefinitionArn": f"arn:aws:ecs:local:000000000000:task-definition/{family}:{current}",
            "registeredAt": previous.get("registeredAt") if not created else now,
            "error": None,
            "observedGeneration": body["metadata"].get("generation"),
            "conditions": [
                condition(
                    "Ready", True, "Registered", f"revision {current} registered", now, previous.get("conditions", [])
                )
            ],
        },
    )
    if created:
        post_event(client, body, reason="RevisionRegistered", message=f"registered {family}:{current}")
        _notify_services(namespace, family)
    return None


def _notify_services(namespace: str, family: str) -> None:
    from .services import services  # services import us for look-ups; import late to avoid a cycle

    for service in services_following(kube(), namespace, family):
        services.later(namespace, service, 0)


task_definitions = Reconciler("TaskDefinition", reconcile_task_definition)


@kopf.on.resume(GROUP, "v1alpha1", "taskdefinitions", backoff=5)
@kopf.on.create(GROUP, "v1alpha1", "taskdefinitions", backoff=5)
@kopf.on.update(GROUP, "v1alpha1", "taskdefinitions", field="spec", backoff=5)
@kopf_errors
def task_definition_changed(namespace: str, name: str, **_: Any) -> None:
    task_definitions.run(namespace, name, raise_errors=True)


@kopf.on.event(GROUP, "v1alpha1", "taskdefinitions")
async def task_definition_seen(event: dict[str, Any], body: kopf.Body, **_: Any) -> None:
    cache.task_definitions.observe(event.get("type"), body)


@kopf.on.event("apps", "v1", "controllerrevisions", labels={LABEL_TASK_DEFINITION: kopf.PRESENT})
def revision_seen(event: dict[str, Any], body: kopf.Body, namespace: str, labels: dict[str, str], **_: Any) -> None:
    """A new revision: services following its family roll to it (DESIGN.md reconciliation rules)."""
    cache.revisions.observe(event.get("type"), body)
    if event.get("type") == "ADDED" and labels.get(LABEL_FAMILY):
        _notify_services(namespace, labels[LABEL_FAMILY])
