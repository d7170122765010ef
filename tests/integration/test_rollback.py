"""A bad deploy rolls back as ECS runs it: tasks that crash seconds after they start, the circuit
breaker, COMPLETED only on a steady state, and the throttle for tasks that never start."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}


def _crash(after: str) -> dict[str, str]:
    """kwok: the containers run (and the task becomes healthy), then exit 1 after `after`."""
    return {"ecs.operator.dev/kwok-exit-code": "1", "ecs.operator.dev/kwok-exit-after": after}


def _status(cluster: ClusterHandle, namespace: str, name: str) -> dict[str, Any]:
    return get_json(cluster, "ecsservice", name, "-n", namespace).get("status") or {}


def _pods(cluster: ClusterHandle, namespace: str, name: str) -> list[dict[str, Any]]:
    return get_json(cluster, "pods", "-n", namespace, "-l", f"ecs.operator.dev/service={name}")["items"]


def _deployments(status: dict[str, Any], member: str = "deployments") -> list[tuple[str, int, str]]:
    return [(d["status"], d["taskDefinitionRevision"], d["rolloutState"]) for d in status.get(member) or []]


def _failed_deployment(status: dict[str, Any]) -> dict[str, Any]:
    """The rolled-back deployment: ACTIVE (FAILED) while its tasks drain, then in the history."""
    entries = [*(status.get("deployments") or []), *(status.get("deploymentHistory") or [])]
    return next(d for d in entries if d["taskDefinitionRevision"] == 2)


def _completed_on(cluster: ClusterHandle, namespace: str, name: str, revision: int, desired: int) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        status = _status(cluster, namespace, name)
        primary = (status.get("deployments") or [{}])[0]
        done = primary.get("taskDefinitionRevision") == revision and primary.get("rolloutState") == "COMPLETED"
        return status if done and status.get("runningCount") == desired else None

    return wait_for(check, timeout=120, message=f"{name} COMPLETED on revision {revision} with {desired} tasks")


def _rolled_back(cluster: ClusterHandle, namespace: str, name: str, desired: int) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        status = _status(cluster, namespace, name)
        deployments = _deployments(status)
        pods = [p for p in _pods(cluster, namespace, name) if not p["metadata"].get("deletionTimestamp")]
        revisions = {p["metadata"]["labels"]["ecs.operator.dev/revision"] for p in pods}
        back = (
            deployments == [("PRIMARY", 1, "COMPLETED")]  # one deployment: what services-stable waits for
            and ("INACTIVE", 2, "FAILED") in _deployments(status, "deploymentHistory")
            and status.get("runningCount") == desired
            and revisions == {"1"}
        )
        return status if back else None

    return wait_for(check, timeout=150, message=f"{name} rolled back to revision 1")


def _assert_rollback_story(cluster: ClusterHandle, namespace: str, name: str, desired: int) -> None:
    status = _rolled_back(cluster, namespace, name, desired)
    assert status["lastCompletedRevision"] == 1
    assert status["rollback"]["fromRevision"] == 2 and status["rollback"]["toRevision"] == 1
    failed = _failed_deployment(status)
    assert failed["circuitBreaker"]["status"] == "TRIGGERED"
    assert failed["circuitBreaker"]["failureCount"] >= failed["circuitBreaker"]["threshold"] == 3
    messages = [e["message"] for e in status["events"]]
    assert any(f"(deployment {failed['id']}) deployment failed: tasks failed to start." in m for m in messages)
    assert any("rolling back to deployment" in m for m in messages)
    assert not any(f"(deployment {failed['id']}) deployment completed." in m for m in messages)
    # Once rolled back, the failed deployment stops counting: its failedTasks stays where it ended.
    time.sleep(8)
    later = _status(cluster, namespace, name)
    again = _failed_deployment(later)
    assert again["failedTasks"] == failed["failedTasks"]
    assert _deployments(later)[:1] == [("PRIMARY", 1, "COMPLETED")]
    events = get_json(cluster, "events", "-n", namespace, "--field-selector", "involvedObject.kind=ECSService")
    by_message = {e["message"]: e["type"] for e in events["items"]}
    assert any("deployment failed" in m and t == "Warning" for m, t in by_message.items())


def test_a_revision_that_crashes_a_second_after_starting_rolls_back(cluster: ClusterHandle, namespace: str) -> None:
    """The most common failed deploy: every task of revision 2 is briefly RUNNING and healthy, then exits 1."""
    cluster.apply([task_definition("api")], "-n", namespace)
    config = {**BREAKER, "maximumPercent": 200, "minimumHealthyPercent": 100}
    service = ecs_service("api", "api", 4, propagateTags="TASK_DEFINITION", deploymentConfiguration=config)
    cluster.apply([service], "-n", namespace)
    _completed_on(cluster, namespace, "api", 1, 4)
    cluster.apply([task_definition("api", tags=_crash("1s"))], "-n", namespace)
    _assert_rollback_story(cluster, namespace, "api", 4)


def test_a_task_that_exits_five_seconds_after_becoming_ready_rolls_back(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("web")], "-n", namespace)
    config = {**BREAKER, "maximumPercent": 100, "minimumHealthyPercent": 50}
    service = ecs_service("web", "web", 6, propagateTags="TASK_DEFINITION", deploymentConfiguration=config)
    cluster.apply([service], "-n", namespace)
    _completed_on(cluster, namespace, "web", 1, 6)
    cluster.apply([task_definition("web", tags=_crash("5s"))], "-n", namespace)
    _assert_rollback_story(cluster, namespace, "web", 6)


def test_without_rollback_the_deployment_ends_failed_and_the_service_keeps_trying(
    cluster: ClusterHandle, namespace: str
) -> None:
    cluster.apply([task_definition("jobs")], "-n", namespace)
    config = {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    service = ecs_service("jobs", "jobs", 2, propagateTags="TASK_DEFINITION", deploymentConfiguration=config)
    cluster.apply([service], "-n", namespace)
    _completed_on(cluster, namespace, "jobs", 1, 2)
    cluster.apply([task_definition("jobs", tags=_crash("1s"))], "-n", namespace)

    def failed() -> dict[str, Any] | None:
        status = _status(cluster, namespace, "jobs")
        return status if _deployments(status)[:1] == [("PRIMARY", 2, "FAILED")] else None

    status = wait_for(failed, timeout=120, message="revision 2 FAILED")
    assert status.get("rollback") is None and status["lastCompletedRevision"] == 1
    # FAILED is final: the service keeps replacing the crashing tasks (as ECS does), the deployment
    # stays FAILED. What that costs: tasks launched per minute, printed for the closing note.
    seen: set[str] = set()
    start = time.monotonic()
    while time.monotonic() - start < 30:
        seen |= {p["metadata"]["name"] for p in _pods(cluster, namespace, "jobs")}
        assert _deployments(_status(cluster, namespace, "jobs"))[0] == ("PRIMARY", 2, "FAILED")
        time.sleep(1)
    per_minute = len(seen) * 60 / (time.monotonic() - start)
    print(f"\nwithout rollback: {len(seen)} tasks launched in 30 s ({per_minute:.0f}/min) for desiredCount 2")
    assert len(seen) > 2  # it keeps trying


def test_an_image_that_never_pulls_is_throttled_until_a_new_revision(cluster: ClusterHandle, namespace: str) -> None:
    pull_error = {"ecs.operator.dev/kwok-image-pull-error": "true"}
    cluster.apply([task_definition("img", image="registry.invalid/img:nope", tags=pull_error)], "-n", namespace)
    cluster.apply([ecs_service("img", "img", 1, propagateTags="TASK_DEFINITION")], "-n", namespace)
    launched: dict[str, float] = {}
    start = time.monotonic()
    throttle_seen_at = None
    while time.monotonic() - start < 75 and len(launched) < 6:
        for pod in _pods(cluster, namespace, "img"):
            launched.setdefault(pod["metadata"]["name"], time.monotonic() - start)
        messages = [e["message"] for e in _status(cluster, namespace, "img").get("events", [])]
        if throttle_seen_at is None and "(service img) is unable to consistently start tasks successfully." in messages:
            throttle_seen_at = time.monotonic() - start
        time.sleep(0.5)
    times = sorted(launched.values())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    print(f"\nlaunches at {[round(t, 1) for t in times]} s; gaps {[round(g, 1) for g in gaps]} s")
    assert throttle_seen_at is not None, "the throttle event never appeared"
    assert len(gaps) >= 4 and gaps[-1] > 2 * max(gaps[:2]) and gaps[-1] >= 9, gaps  # the interval grows
    status = _status(cluster, namespace, "img")
    messages = [e["message"] for e in status["events"]]
    assert messages.count("(service img) is unable to consistently start tasks successfully.") == 1
    assert status["throttle"]["failedStarts"] >= 3

    # A new revision returns the service to normal at once.
    cluster.apply([task_definition("img", image="nginx:1.27")], "-n", namespace)
    status = _completed_on(cluster, namespace, "img", 2, 1)
    assert status.get("throttle") is None
