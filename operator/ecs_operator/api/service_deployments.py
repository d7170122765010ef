"""A service's deployments as ECS's ``ServiceDeployment`` / ``ServiceDeploymentBrief`` shapes.

Read from the operator's ``status.deployments`` (PRIMARY and ACTIVE) and
``status.deploymentHistory`` (deployments that left, newest first), plus the deployment a
write not yet observed is about to start (service_view.py), for ListServiceDeployments and
DescribeServiceDeployments
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html).

How a rollout state reads as a service deployment status: a PRIMARY deployment IN_PROGRESS is
IN_PROGRESS (PENDING before the operator saw it); COMPLETED is SUCCESSFUL; FAILED is
ROLLBACK_IN_PROGRESS / ROLLBACK_SUCCESSFUL when the circuit breaker rolled back from it, else
STOPPED; an IN_PROGRESS deployment another one replaced is STOPPED.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .arns import Arns
from .service_view import FORCE_TOKEN, Wanted, epoch, pending_change, pending_deployment_id, service_of

__all__ = ["Record", "deployment_records", "present_brief", "present_deployment", "deployment_key"]

Record = dict[str, Any]


def deployment_key(deployment_id: str) -> str:
    """The id part of a service-deployment ARN: ``ecs-svc/123`` -> ``123``."""
    return deployment_id.rsplit("/", 1)[-1]


def _status(entry: Mapping[str, Any], service_status: Mapping[str, Any], completed: set[int]) -> tuple[str, str]:
    state = entry.get("rolloutState")
    reason = str(entry.get("rolloutStateReason") or "")
    if entry.get("pending"):
        return "PENDING", "ECS deployment is pending."
    if state == "COMPLETED":
        return "SUCCESSFUL", reason or "ECS deployment completed."
    if state == "FAILED":
        rollback = service_status.get("rollback") or {}
        if rollback.get("fromRevision") == entry.get("taskDefinitionRevision") and rollback.get("toRevision"):
            done = int(rollback["toRevision"]) in completed
            return ("ROLLBACK_SUCCESSFUL" if done else "ROLLBACK_IN_PROGRESS"), reason
        return "STOPPED", reason
    if entry.get("status") == "PRIMARY":
        return "IN_PROGRESS", reason or "ECS deployment in progress."
    return "STOPPED", "Superseded by a newer deployment."


def deployment_records(obj: Mapping[str, Any], wanted: Wanted | None) -> list[Record]:
    """Every deployment of the service the status remembers, newest first (a pending one on top)."""
    status = obj.get("status") or {}
    current = [dict(d) for d in status.get("deployments") or []]
    history = [dict(d) for d in status.get("deploymentHistory") or []]
    _, starting = pending_change(obj, wanted)
    records: list[Record] = []
    if starting:
        primary = next((d for d in current if d.get("status") == "PRIMARY"), None)
        revision = wanted.revision if wanted and wanted.revision else (primary or {}).get("taskDefinitionRevision")
        family = wanted.family if wanted else ""
        records.append(
            {
                "id": pending_deployment_id(obj),
                "status": "PRIMARY",
                "pending": True,
                "taskDefinition": f"{family}:{revision}"
                if family and revision
                else (primary or {}).get("taskDefinition"),
                "taskDefinitionRevision": revision,
                "desiredCount": (obj.get("spec") or {}).get("desiredCount"),
                "runningCount": 0,
                "pendingCount": 0,
                FORCE_TOKEN: None,
            }
        )
    seen: set[str] = set()
    for entry in [*sorted(current, key=lambda d: str(d.get("createdAt") or ""), reverse=True), *history]:
        ident = str(entry.get("id") or "")
        if ident and ident not in seen:
            seen.add(ident)
            records.append(entry)
    return records


def _revision(arns: Arns, entry: Mapping[str, Any], cluster: str, service: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": arns.service_revision(cluster, service, deployment_key(str(entry.get("id") or ""))),
        "requestedTaskCount": _int(entry.get("desiredCount")),
        "runningTaskCount": _int(entry.get("runningCount")),
        "pendingTaskCount": _int(entry.get("pendingCount")),
    }
    return out


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def present_brief(arns: Arns, obj: Mapping[str, Any], cluster: str, records: list[Record], i: int) -> dict[str, Any]:
    """The ``ServiceDeploymentBrief`` of ``records[i]``."""
    entry = records[i]
    service = service_of(obj)
    completed = {
        int(r["taskDefinitionRevision"])
        for r in records
        if r.get("rolloutState") == "COMPLETED" and isinstance(r.get("taskDefinitionRevision"), int)
    }
    state, reason = _status(entry, obj.get("status") or {}, completed)
    out: dict[str, Any] = {
        "serviceDeploymentArn": arns.service_deployment(cluster, service, deployment_key(str(entry.get("id") or ""))),
        "serviceArn": arns.service(cluster, service),
        "clusterArn": arns.cluster(cluster),
        "targetServiceRevisionArn": _revision(arns, entry, cluster, service)["arn"],
        "status": state,
        "statusReason": reason,
    }
    created = epoch(entry.get("createdAt"))
    if created is not None:
        out["createdAt"] = out["startedAt"] = created
    if state not in ("PENDING", "IN_PROGRESS", "ROLLBACK_IN_PROGRESS"):
        finished = epoch(entry.get("updatedAt"))
        if finished is not None:
            out["finishedAt"] = finished
    return out


def present_deployment(
    arns: Arns, obj: Mapping[str, Any], cluster: str, records: list[Record], i: int
) -> dict[str, Any]:
    """The ``ServiceDeployment`` of ``records[i]``: its target revision and the ones it replaces."""
    entry = records[i]
    service = service_of(obj)
    out = present_brief(arns, obj, cluster, records, i)
    out.pop("targetServiceRevisionArn", None)
    out["targetServiceRevision"] = _revision(arns, entry, cluster, service)
    out["sourceServiceRevisions"] = [_revision(arns, r, cluster, service) for r in records[i + 1 : i + 2]]
    updated = epoch(entry.get("updatedAt"))
    if updated is not None:
        out["updatedAt"] = updated
    if out["status"] == "STOPPED" and "finishedAt" in out:
        out["stoppedAt"] = out["finishedAt"]
    breaker = entry.get("circuitBreaker") or {}
    if breaker:
        out["deploymentCircuitBreaker"] = {
            "status": str(breaker.get("status") or "DISABLED"),
            "failureCount": _int(breaker.get("failureCount")),
            "threshold": _int(breaker.get("threshold")),
        }
    rollback = (obj.get("status") or {}).get("rollback") or {}
    if out["status"].startswith("ROLLBACK_") and rollback.get("toRevision"):
        target = next(
            (r for r in records if r.get("taskDefinitionRevision") == rollback["toRevision"] and r is not entry), None
        )
        back: dict[str, Any] = {"reason": str(entry.get("rolloutStateReason") or "circuit breaker")}
        if target is not None:
            back["serviceRevisionArn"] = _revision(arns, target, cluster, service)["arn"]
            started = epoch(target.get("createdAt"))
            if started is not None:
                back["startedAt"] = started
        out["rollback"] = back
    return out
