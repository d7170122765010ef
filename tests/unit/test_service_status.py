"""ECS service status bookkeeping: deployments[], rollouts, circuit breaker, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ecs_operator.plan.lifecycle import last_status, task_stop
from ecs_operator.plan.service_status import (
    ServiceObservation,
    compute_service_status,
    failure_threshold,
    target_revision,
)


def pod(
    name: str,
    revision: int,
    *,
    ready: bool = True,
    phase: str = "Running",
    node: str = "n1",
    created: str = "2026-01-01T00:00:00Z",
    statuses: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {"ecs.operator.dev/revision": str(revision)},
            "creationTimestamp": created,
            "annotations": annotations or {},
        },
        "spec": {"nodeName": node, "containers": [{"name": "app"}, {"name": "sidecar"}]},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": statuses or [],
        },
    }


def observe(revision: int, pods: list[dict[str, Any]], desired: int = 2, **kw: Any) -> ServiceObservation:
    """Ready pods of the revision count as healthy for the steady-state window unless told otherwise."""
    kw.setdefault("healthy", sum(1 for p in pods if _revision(p) == revision and last_status(p) == "RUNNING"))
    return ServiceObservation(
        service_name="web",
        uid="u",
        family="web",
        revision=revision,
        desired=desired,
        pods=pods,
        now=kw.pop("now", "2026-01-01T00:00:10Z"),
        **kw,
    )


def _revision(pod: dict[str, Any]) -> int:
    return int(pod["metadata"]["labels"]["ecs.operator.dev/revision"])


def test_threshold_is_clamped() -> None:
    # API reference, ServiceDeploymentCircuitBreaker.threshold: 0.5 x desired, minimum 3, maximum 200.
    assert [failure_threshold(d) for d in (1, 4, 6, 20, 21, 100, 1000)] == [3, 3, 3, 10, 11, 50, 200]


def test_first_rollout_completes_and_reports_steady_state() -> None:
    status, events = compute_service_status(observe(1, [pod("a", 1), pod("b", 1)]), {})
    assert status["runningCount"] == 2 and status["pendingCount"] == 0
    assert [d["status"] for d in status["deployments"]] == ["PRIMARY"]
    assert status["deployments"][0]["rolloutState"] == "COMPLETED"
    assert [e.message for e in events] == [
        f"(service web) (deployment {status['deployments'][0]['id']}) deployment completed.",
        "(service web) has reached a steady state.",
    ]
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Ready": "True",
        "Progressing": "False",
        "Degraded": "False",
    }
    again, more = compute_service_status(observe(1, [pod("a", 1), pod("b", 1)]), status)
    assert more == []  # steady state is announced once per transition
    assert again["events"] == status["events"]


def test_new_revision_is_primary_and_old_one_active() -> None:
    first, _ = compute_service_status(observe(1, [pod("a", 1), pod("b", 1)]), {})
    status, _ = compute_service_status(observe(2, [pod("a", 1), pod("b", 1), pod("c", 2, ready=False)]), first)
    primary, active = status["deployments"]
    assert (primary["status"], primary["taskDefinitionRevision"], primary["rolloutState"]) == (
        "PRIMARY",
        2,
        "IN_PROGRESS",
    )
    assert (active["status"], active["taskDefinitionRevision"], active["runningCount"]) == ("ACTIVE", 1, 2)
    assert active["id"] == first["deployments"][0]["id"]
    assert status["pendingCount"] == 1


def test_circuit_breaker_trips_and_chooses_rollback() -> None:
    first, _ = compute_service_status(observe(1, [pod("a", 1), pod("b", 1)]), {})
    status, _ = compute_service_status(
        observe(2, [pod("a", 1), pod("b", 1)], circuit_breaker=True, rollback=True, failed_starts=2), first
    )
    assert status["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    status, events = compute_service_status(
        observe(2, [pod("a", 1), pod("b", 1)], circuit_breaker=True, rollback=True, failed_starts=1), status
    )
    assert status["deployments"][0]["rolloutState"] == "FAILED"
    assert any("deployment failed: tasks failed to start." in e.message for e in events)
    assert status["rollback"] == {"fromRevision": 2, "toRevision": 1}
    assert target_revision(2, status) == 1
    assert target_revision(3, status) == 3  # a newer revision rolls forward again
    back, events = compute_service_status(
        observe(1, [pod("a", 1), pod("b", 1)], circuit_breaker=True, rollback=True), status
    )
    assert back["deployments"][0]["rolloutState"] == "COMPLETED"
    assert any("rolling back to deployment" in e.message for e in events)


def test_last_status_mapping() -> None:
    assert last_status(pod("a", 1)) == "RUNNING"
    assert last_status(pod("a", 1, ready=False)) == "ACTIVATING"
    assert last_status(pod("a", 1, phase="Pending", ready=False)) == "PENDING"
    assert last_status(pod("a", 1, phase="Pending", node="", ready=False)) == "PROVISIONING"
    assert last_status(pod("a", 1, phase="Failed")) == "STOPPED"


def test_task_failure_rules() -> None:
    now = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
    exited = {"name": "app", "state": {"terminated": {"exitCode": 2}}}
    side = {"name": "sidecar", "state": {"terminated": {"exitCode": 1}}}
    essential = {"ecs.operator.dev/essential-containers": "app"}
    failure = task_stop(pod("a", 1, statuses=[exited], annotations=essential), now=now, start_timeout=None)
    assert failure is not None and failure.stop_code == "EssentialContainerExited" and failure.exit_code == 2
    assert task_stop(pod("a", 1, statuses=[side], annotations=essential), now=now, start_timeout=None) is None
    slow = pod("a", 1, ready=False, created=(now - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert task_stop(slow, now=now, start_timeout=60) is None
    late = task_stop(slow, now=now, start_timeout=10)
    assert late is not None and late.stop_code == "TaskFailedToStart"


def test_idle_reconcile_changes_nothing() -> None:
    first, _ = compute_service_status(observe(1, [pod("a", 1), pod("b", 1)]), {})
    later, _ = compute_service_status(observe(1, [pod("a", 1), pod("b", 1)], now="2026-01-01T01:00:00Z"), first)
    assert later == first
