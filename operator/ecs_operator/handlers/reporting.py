"""What every handler tells users the same way: the time, status writes, and problems.

A problem (invalid spec, missing reference) becomes Ready/Progressing False and Degraded
True with the message, plus one Kubernetes Event when the message is new; the object's
running tasks are left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..kube.events import post_event
from ..render.meta import API_VERSION
from ..render.service_status import condition
from .runtime import kube

__all__ = ["utcnow", "iso", "write_status", "report_problem"]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime | None = None) -> str:
    return (moment or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_status(body: dict[str, Any], status: dict[str, Any]) -> None:
    """Merge-patch the status subresource of an ECS object (None values remove members)."""
    meta = body["metadata"]
    kube().patch(API_VERSION, body["kind"], meta["namespace"], meta["name"], {"status": status}, subresource="status")


def report_problem(body: dict[str, Any], reason: str, message: str) -> None:
    previous = body.get("status") or {}
    stamp = iso()
    old = previous.get("conditions", [])
    if previous.get("problem") != message:
        post_event(kube(), body, reason=reason, message=message, warning=True)
    write_status(
        body,
        {
            "problem": message,
            "observedGeneration": body["metadata"].get("generation"),
            "conditions": [
                condition("Ready", False, reason, message, stamp, old),
                condition("Progressing", False, reason, message, stamp, old),
                condition("Degraded", True, reason, message, stamp, old),
            ],
        },
    )
