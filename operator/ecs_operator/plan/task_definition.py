"""plan_task_definition: every spec change registers a new immutable revision.

ECS task definition revisions are immutable and numbered per family, each registration the
next number (RegisterTaskDefinition,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html).
Revisions are ControllerRevisions owned by the TaskDefinition, so ``family:N`` keeps resolving
after the spec moves on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..render.revision import build_controller_revision, canonical_json
from ..vocabulary import LABEL_MANAGED_BY, MANAGED_BY, REVISION_LEDGER
from .conditions import condition, iso
from .types import Creation, Event, Patch, Plan, Reason, Severity

__all__ = [
    "MAX_LISTED_REVISIONS",
    "RevisionSeen",
    "family_of",
    "plan_task_definition",
    "plan_invalid_task_definition",
    "recorded_revision",
    "task_definition_ref",
]

MAX_LISTED_REVISIONS = 50


@dataclass(frozen=True)
class RevisionSeen:
    number: int
    spec: Mapping[str, Any]


def family_of(body: Mapping[str, Any]) -> str:
    """A TaskDefinition's family: spec.family, else the object's name."""
    return str((body.get("spec") or {}).get("family") or body["metadata"]["name"])


def task_definition_ref(obj: Mapping[str, Any]) -> str:
    """What an ECSService or ECSTask runs, ``family`` or ``family:N`` (a task-definition ARN stripped)."""
    ref = str((obj.get("spec") or {}).get("taskDefinition", ""))
    return ref.split(":task-definition/", 1)[-1] if ref.startswith("arn:") else ref


def plan_task_definition(
    body: Mapping[str, Any], revisions: Sequence[RevisionSeen], now: datetime, recorded: int = 0
) -> tuple[Plan, int | None]:
    """The revision to register (when the spec differs from the latest) and the status.

    ``recorded`` is the family's highest revision ever registered in the namespace (the ledger): a
    TaskDefinition deleted and applied again goes on from there. Returns the plan and the number
    it registers (None when the spec is the latest revision's).
    """
    spec = body.get("spec") or {}
    previous = body.get("status") or {}
    family = family_of(body)
    latest = max(revisions, key=lambda r: r.number) if revisions else None
    numbers = sorted(r.number for r in revisions)
    registered: int | None = None
    plan = Plan()
    if latest is None or canonical_json(latest.spec) != canonical_json(spec):
        # The ledger only matters for a family that starts again (no revision left): while revisions
        # exist the next number follows the latest, so two workers registering at once pick the
        # same name and one of them loses the create.
        registered = latest.number + 1 if latest else recorded + 1
        namespace = body["metadata"]["namespace"]
        plan.create.append(Creation(build_controller_revision(body, family, registered, spec), exists_ok=False))
        plan.create.append(Creation(_ledger(namespace, {}), exists_ok=True))
        plan.patch.append(Patch("v1", "ConfigMap", REVISION_LEDGER, {"data": {family: str(registered)}}))
        numbers.append(registered)
        message = f"registered {family}:{registered}"
        plan.events.append(Event(Reason.REVISION_REGISTERED, message))
    current = numbers[-1]
    stamp = iso(now)
    plan.status = {
        "family": family,
        "revision": current,
        "revisions": numbers[-MAX_LISTED_REVISIONS:],
        "status": "ACTIVE",
        "taskDefinitionArn": f"arn:aws:ecs:local:000000000000:task-definition/{family}:{current}",
        "registeredAt": stamp if registered is not None else previous.get("registeredAt"),
        "error": None,
        "observedGeneration": body["metadata"].get("generation"),
        "conditions": [
            condition(
                "Ready", True, "Registered", f"revision {current} registered", stamp, previous.get("conditions", [])
            )
        ],
    }
    return plan, registered


def _ledger(namespace: str, data: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": REVISION_LEDGER, "namespace": namespace, "labels": {LABEL_MANAGED_BY: MANAGED_BY}},
        "data": dict(data),
    }


def recorded_revision(ledger: Mapping[str, Any] | None, family: str) -> int:
    """The family's highest revision in the namespace's ledger (0 when none)."""
    raw = ((ledger or {}).get("data") or {}).get(family, "0")
    return int(raw) if str(raw).isdigit() else 0


def plan_invalid_task_definition(body: Mapping[str, Any], message: str, now: datetime) -> Plan:
    """A spec the models refuse registers nothing; the status says why (INVALID)."""
    previous = body.get("status") or {}
    status = {
        "family": family_of(body),
        "status": "INVALID",
        "error": message,
        "observedGeneration": body["metadata"].get("generation"),
        "conditions": [condition("Ready", False, "InvalidSpec", message, iso(now), previous.get("conditions", []))],
    }
    events = [] if previous.get("error") == message else [Event(Reason.INVALID_SPEC, message, Severity.WARNING)]
    return Plan(status=status, events=events)
