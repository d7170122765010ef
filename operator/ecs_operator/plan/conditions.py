"""Kubernetes conditions and the problem report every kind shares.

A problem (invalid spec, missing reference) becomes Ready/Progressing False and Degraded
True with the message, plus one Warning Event when the message is new; the object's running
tasks are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .types import Event, Plan, Problem, Reason, Severity

__all__ = ["condition", "iso", "problem_plan", "report"]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def condition(
    ctype: str, status: bool, reason: str, message: str, now: str, previous: Sequence[Mapping[str, Any]] = ()
) -> dict[str, str]:
    """A condition whose lastTransitionTime moves only when its status flips."""
    value = "True" if status else "False"
    since = now
    for old in previous:
        if old.get("type") == ctype and old.get("status") == value:
            since = old.get("lastTransitionTime", now)
    return {"type": ctype, "status": value, "reason": reason, "message": message, "lastTransitionTime": since}


def problem_plan(
    body: Mapping[str, Any], reason: Reason, message: str, now: datetime, *, requeue_after: float | None = None
) -> Plan:
    """Report a problem on the object: conditions, ``status.problem``, a Warning Event when new."""
    previous = body.get("status") or {}
    stamp = iso(now)
    old = previous.get("conditions", [])
    status = {
        "problem": message,
        "observedGeneration": body["metadata"].get("generation"),
        "conditions": [
            condition("Ready", False, reason.value, message, stamp, old),
            condition("Progressing", False, reason.value, message, stamp, old),
            condition("Degraded", True, reason.value, message, stamp, old),
        ],
    }
    events = [] if previous.get("problem") == message else [Event(reason, message, Severity.WARNING)]
    return Plan(status=status, events=events, requeue_after=requeue_after)


def report(body: Mapping[str, Any], problem: Problem, now: datetime) -> Plan:
    """The plan for a reconcile that stopped at ``problem``: report it, keep what still holds."""
    plan = problem_plan(body, problem.reason, problem.message, now, requeue_after=problem.retry_after)
    plan.patch = list(problem.patch)
    return plan
