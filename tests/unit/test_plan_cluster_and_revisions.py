"""TaskDefinition revision registration, reference/revision/cluster resolution, and the ECSCluster status plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecs_operator.models import parse_cluster
from ecs_operator.plan import (
    Problem,
    Reason,
    Revision,
    RevisionSeen,
    Severity,
    plan_cluster,
    plan_invalid_cluster,
    plan_invalid_task_definition,
    plan_task_definition,
)
from ecs_operator.plan.cluster import plan_cluster_deletion
from ecs_operator.plan.resolve import MISSING_RETRY_SECONDS, cluster_spec_of, reference, resolve_revision
from ecs_operator.plan.task_definition import recorded_revision
from ecs_operator.vocabulary import LABEL_CLUSTER

# RegisterTaskDefinition: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
# CreateService taskDefinition: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
# DescribeClusters: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Cluster.html

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)

Obj = dict[str, Any]

TD_V1: Obj = {"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.26", "memory": 256}]}
TD_V2: Obj = {"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "memory": 256}]}


def td_body(spec: Obj, status: Obj | None = None) -> Obj:
    out: Obj = {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "TaskDefinition",
        "metadata": {"name": "web", "namespace": "shop", "uid": "uid-td", "generation": 3},
        "spec": spec,
    }
    if status is not None:
        out["status"] = status
    return out


# -- plan_task_definition ------------------------------------------------------------------------


def test_a_recreated_family_continues_its_numbering() -> None:
    """ECS never reuses a family's revision numbers: the namespace's ledger remembers the highest."""
    plan, registered = plan_task_definition(td_body(TD_V1), [], NOW, recorded=7)
    assert registered == 8
    assert plan.status is not None and plan.status["revision"] == 8 and plan.status["revisions"] == [8]
    assert plan.patch[0].body == {"data": {"web": "8"}}
    assert recorded_revision({"data": {"web": "7", "api": "x"}}, "web") == 7
    assert recorded_revision({"data": {"api": "x"}}, "api") == 0 and recorded_revision(None, "web") == 0


def test_first_registration_is_revision_1() -> None:
    plan, registered = plan_task_definition(td_body(TD_V1), [], NOW)
    assert registered == 1
    creation, ledger = plan.create
    assert creation.exists_ok is False  # a taken name means another worker registered it: start over
    assert (ledger.obj["kind"], ledger.obj["metadata"]["name"], ledger.exists_ok) == (
        "ConfigMap",
        "ecs-operator-task-definition-revisions",
        True,
    )
    assert [(p.kind, p.name, p.body) for p in plan.patch] == [
        ("ConfigMap", "ecs-operator-task-definition-revisions", {"data": {"web": "1"}})
    ]
    obj = creation.obj
    assert (obj["kind"], obj["metadata"]["name"], obj["revision"]) == ("ControllerRevision", "web-1", 1)
    assert obj["data"]["spec"] == TD_V1
    assert obj["metadata"]["ownerReferences"][0]["uid"] == "uid-td"
    assert [(e.reason, e.message, e.severity) for e in plan.events] == [
        (Reason.REVISION_REGISTERED, "registered web:1", Severity.NORMAL)
    ]
    assert plan.status is not None
    assert (plan.status["revision"], plan.status["revisions"], plan.status["status"]) == (1, [1], "ACTIVE")
    assert plan.status["taskDefinitionArn"] == "arn:aws:ecs:local:000000000000:task-definition/web:1"
    assert plan.status["registeredAt"] == "2026-03-04T10:30:00Z"


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(TD_V2, id="same"),
        # Key order is not a change: revisions compare canonical JSON.
        pytest.param({"containerDefinitions": TD_V2["containerDefinitions"], "family": "web"}, id="reordered-keys"),
    ],
)
def test_unchanged_spec_registers_nothing(spec: Obj) -> None:
    previous = {"registeredAt": "2026-03-01T00:00:00Z", "revision": 2}
    seen = [RevisionSeen(1, TD_V1), RevisionSeen(2, TD_V2)]
    plan, registered = plan_task_definition(td_body(spec, previous), seen, NOW)
    assert registered is None
    assert plan.create == [] and plan.events == []
    assert plan.status is not None
    assert (plan.status["revision"], plan.status["revisions"]) == (2, [1, 2])
    assert plan.status["registeredAt"] == "2026-03-01T00:00:00Z"  # not moved by a no-op reconcile


def test_changed_spec_registers_latest_plus_one() -> None:
    # ECS numbers revisions per family: each registration is the next number, older ones stay.
    changed = {**TD_V2, "cpu": "256"}
    seen = [RevisionSeen(2, TD_V2), RevisionSeen(1, TD_V1)]  # in any order
    plan, registered = plan_task_definition(td_body(changed), seen, NOW)
    assert registered == 3
    assert [c.obj["metadata"]["name"] for c in plan.create] == ["web-3", "ecs-operator-task-definition-revisions"]
    assert [e.message for e in plan.events] == ["registered web:3"]
    assert plan.status is not None
    assert (plan.status["revision"], plan.status["revisions"]) == (3, [1, 2, 3])


def test_numbers_continue_after_deleted_revisions() -> None:
    # Deleted revisions leave gaps; numbers are never reused.
    seen = [RevisionSeen(1, TD_V1), RevisionSeen(4, TD_V2)]
    plan, registered = plan_task_definition(td_body(TD_V1), seen, NOW)
    assert registered == 5
    assert plan.status is not None and plan.status["revisions"] == [1, 4, 5]


def test_going_back_to_an_old_spec_is_a_new_revision() -> None:
    seen = [RevisionSeen(1, TD_V1), RevisionSeen(2, TD_V2)]
    _, registered = plan_task_definition(td_body(TD_V1), seen, NOW)
    assert registered == 3  # compared with the latest only: revisions are immutable, never reused


def test_status_lists_the_last_50_revisions() -> None:
    seen = [RevisionSeen(n, {**TD_V1, "cpu": str(n)}) for n in range(1, 61)]
    plan, registered = plan_task_definition(td_body(TD_V2), seen, NOW)
    assert registered == 61
    assert plan.status is not None and plan.status["revisions"] == list(range(12, 62))


@pytest.mark.parametrize(("previous_error", "announced"), [(None, True), ("other", True), ("bad spec", False)])
def test_invalid_task_definition_event_only_when_the_message_is_new(
    previous_error: str | None, announced: bool
) -> None:
    plan = plan_invalid_task_definition(td_body({"family": "web"}, {"error": previous_error}), "bad spec", NOW)
    assert plan.create == []
    assert plan.status is not None
    assert (plan.status["status"], plan.status["error"], plan.status["family"]) == ("INVALID", "bad spec", "web")
    assert plan.status["conditions"][0]["status"] == "False"
    expected = [(Reason.INVALID_SPEC, "bad spec", Severity.WARNING)] if announced else []
    assert [(e.reason, e.message, e.severity) for e in plan.events] == expected


# -- reference / resolve_revision ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("web", ("web", None)),
        ("web:3", ("web", 3)),
        (" web:3 ", ("web", 3)),
        ("arn:aws:ecs:us-east-1:123456789012:task-definition/web:7", ("web", 7)),
        ("arn:aws:ecs:us-east-1:123456789012:task-definition/web", ("web", None)),
    ],
)
def test_reference(ref: str, expected: tuple[str, int | None]) -> None:
    assert reference(ref) == expected


@pytest.mark.parametrize("ref", ["web:0", "web:-1", "web:latest", "web:"])
def test_bad_reference_is_an_invalid_spec(ref: str) -> None:
    # ECS revisions start at 1.
    with pytest.raises(Problem) as caught:
        reference(ref)
    assert caught.value.reason is Reason.INVALID_SPEC
    assert caught.value.retry_after is None  # only an edit of the object helps
    assert "revision must be a positive integer" in caught.value.message


REVISIONS = [Revision(1, TD_V1, "web-1"), Revision(2, TD_V2, "web-2")]
ROLLED_BACK = {"rollback": {"fromRevision": 2, "toRevision": 1}}


@pytest.mark.parametrize(
    ("pinned", "revisions", "previous", "expected"),
    [
        pytest.param(1, REVISIONS, None, 1, id="pinned-present"),
        pytest.param(None, REVISIONS, None, 2, id="latest"),
        pytest.param(None, list(reversed(REVISIONS)), None, 2, id="latest-any-order"),
        pytest.param(None, REVISIONS, ROLLED_BACK, 1, id="circuit-breaker-rolled-back"),
        pytest.param(2, REVISIONS, ROLLED_BACK, 1, id="pinned-rolled-back"),
        pytest.param(None, REVISIONS, {"rollback": {"fromRevision": 2, "toRevision": 9}}, 2, id="target-gone"),
        pytest.param(None, [*REVISIONS, Revision(3, TD_V1)], ROLLED_BACK, 3, id="newer-rolls-forward"),
        pytest.param(None, REVISIONS, {}, 2, id="no-rollback"),
    ],
)
def test_resolve_revision(pinned: int | None, revisions: list[Revision], previous: Obj | None, expected: int) -> None:
    resolved = resolve_revision("web", pinned, revisions, "shop", previous)
    assert (resolved.family, resolved.revision) == ("web", expected)
    wanted_image = {1: "nginx:1.26", 2: "nginx:1.27", 3: "nginx:1.26"}[expected]
    assert resolved.spec.container_definitions[0].image == wanted_image


@pytest.mark.parametrize(
    ("pinned", "revisions", "message"),
    [
        pytest.param(
            5, REVISIONS, "taskDefinition: TaskDefinition web revision 5 not found in namespace shop", id="pin"
        ),
        pytest.param(None, [], "taskDefinition: TaskDefinition web not found in namespace shop", id="no-revisions"),
        pytest.param(1, [], "taskDefinition: TaskDefinition web revision 1 not found in namespace shop", id="pin-none"),
    ],
)
def test_missing_revision_is_retried(pinned: int | None, revisions: list[Revision], message: str) -> None:
    with pytest.raises(Problem) as caught:
        resolve_revision("web", pinned, revisions, "shop")
    problem = caught.value
    assert (problem.reason, problem.message) == (Reason.TASK_DEFINITION_NOT_FOUND, message)
    assert problem.retry_after == MISSING_RETRY_SECONDS  # it may be registered any moment


def test_invalid_revision_spec_is_a_problem_with_retry() -> None:
    broken = [Revision(1, {"family": "web", "containerDefinitions": [{"name": "web"}]})]
    with pytest.raises(Problem) as caught:
        resolve_revision("web", None, broken, "shop")
    problem = caught.value
    assert problem.reason is Reason.TASK_DEFINITION_INVALID
    assert problem.message.startswith("taskDefinition web:1 is invalid: ")
    assert "containerDefinitions[0].image" in problem.message
    assert problem.retry_after == MISSING_RETRY_SECONDS


# -- cluster_spec_of -----------------------------------------------------------------------------


def test_missing_cluster_is_a_problem_with_retry() -> None:
    with pytest.raises(Problem) as caught:
        cluster_spec_of(None, "prod", "shop")
    problem = caught.value
    assert (problem.reason, problem.message) == (
        Reason.CLUSTER_NOT_FOUND,
        "cluster: ECSCluster prod not found in namespace shop",
    )
    assert problem.retry_after == MISSING_RETRY_SECONDS


def test_invalid_cluster_spec_is_a_problem() -> None:
    with pytest.raises(Problem) as caught:
        cluster_spec_of({"spec": {"capacityProviders": "spot"}}, "prod", "shop")
    assert caught.value.message.startswith("cluster: ECSCluster prod is invalid: ")
    assert "capacityProviders" in caught.value.message


def test_found_cluster_spec_is_parsed() -> None:
    spec = cluster_spec_of({"spec": {"capacityProviders": ["FARGATE_SPOT"]}}, "prod", "shop")
    assert spec.capacity_providers == ["FARGATE_SPOT"]
    assert cluster_spec_of({}, "default", "shop").capacity_providers is None


# -- plan_cluster --------------------------------------------------------------------------------


def cluster_body(status: Obj | None = None, spec: Obj | None = None) -> Obj:
    out: Obj = {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "ECSCluster",
        "metadata": {"name": "prod", "namespace": "shop", "uid": "uid-prod", "generation": 1},
        "spec": spec or {},
    }
    if status is not None:
        out["status"] = status
    return out


NODE = {
    "metadata": {"name": "n1", "labels": {}},
    "spec": {},
    "status": {"allocatable": {"cpu": "2", "memory": "4Gi"}, "conditions": [{"type": "Ready", "status": "True"}]},
}


def cluster_pod(name: str, *, ready: bool = True, cluster: str = "prod") -> Obj:
    return {
        "metadata": {"name": name, "namespace": "shop", "labels": {LABEL_CLUSTER: cluster}},
        "spec": {"nodeName": "n1", "containers": [{"name": "app", "resources": {"requests": {"cpu": "500m"}}}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def test_cluster_counts_are_written_then_left_alone() -> None:
    pods = [cluster_pod("a"), cluster_pod("b", ready=False), cluster_pod("c", cluster="staging")]
    first = plan_cluster(cluster_body(), parse_cluster({}), [NODE], pods, 2, NOW)
    assert first.status is not None
    counts = {
        k: first.status[k] for k in ("registeredContainerInstancesCount", "runningTasksCount", "pendingTasksCount")
    }
    assert counts == {"registeredContainerInstancesCount": 1, "runningTasksCount": 1, "pendingTasksCount": 1}
    assert first.status["activeServicesCount"] == 2 and first.status["problem"] is None
    assert first.requeue_after == 30.0
    # All three pods use the node's CPU; only this cluster's count as its tasks.
    assert first.status["containerInstances"][0]["remainingResources"]["CPU"] == 2048 - 3 * 512

    later = NOW + timedelta(minutes=5)
    same = plan_cluster(cluster_body(first.status), parse_cluster({}), [NODE], pods, 2, later)
    assert same.status is None and same.events == [] and same.requeue_after == 30.0

    more = plan_cluster(cluster_body(first.status), parse_cluster({}), [NODE], [*pods, cluster_pod("d")], 2, later)
    assert more.status is not None and more.status["runningTasksCount"] == 2
    services = plan_cluster(cluster_body(first.status), parse_cluster({}), [NODE], pods, 3, later)
    assert services.status is not None and services.status["activeServicesCount"] == 3


def test_cluster_recovering_from_an_invalid_spec_clears_the_problem() -> None:
    invalid = plan_invalid_cluster(cluster_body(), "capacityProviders: must be a list", NOW)
    assert invalid.status is not None
    plan = plan_cluster(cluster_body(invalid.status), parse_cluster({}), [NODE], [], 0, NOW)
    assert plan.status is not None
    assert (plan.status["problem"], plan.status["status"]) == (None, "ACTIVE")
    assert plan.status["conditions"][0]["status"] == "True"


@pytest.mark.parametrize(("previous_problem", "announced"), [(None, True), ("other", True), ("bad", False)])
def test_invalid_cluster(previous_problem: str | None, announced: bool) -> None:
    plan = plan_invalid_cluster(cluster_body({"problem": previous_problem}), "bad", NOW)
    assert plan.status is not None
    assert (plan.status["status"], plan.status["problem"]) == ("INACTIVE", "bad")
    [ready] = plan.status["conditions"]
    assert (ready["type"], ready["status"], ready["reason"], ready["message"]) == (
        "Ready",
        "False",
        "InvalidSpec",
        "bad",
    )
    expected = [(Reason.INVALID_SPEC, "bad", Severity.WARNING)] if announced else []
    assert [(e.reason, e.message, e.severity) for e in plan.events] == expected
    assert plan.requeue_after is None  # only an edit of the object helps


# -- DeleteCluster guard -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("services", "tasks", "may_go", "exceptions"),
    [
        pytest.param([], [], True, [], id="empty"),
        pytest.param(["web"], [], False, ["ClusterContainsServicesException"], id="services"),
        pytest.param([], ["etl"], False, ["ClusterContainsTasksException"], id="tasks"),
        pytest.param(
            ["b", "a"], ["t"], False, ["ClusterContainsServicesException", "ClusterContainsTasksException"], id="both"
        ),
    ],
)
def test_a_cluster_is_held_while_it_has_services_or_tasks(
    services: list[str], tasks: list[str], may_go: bool, exceptions: list[str]
) -> None:
    # ECS DeleteCluster refuses a cluster with services or tasks (API reference, DeleteCluster errors).
    body = {"metadata": {"name": "prod", "namespace": "shop", "uid": "u"}, "spec": {}, "status": {}}
    plan, empty = plan_cluster_deletion(body, services, tasks, NOW)
    assert empty is may_go
    assert plan.status is not None
    if may_go:
        assert plan.status["status"] == "INACTIVE" and plan.events == []
        return
    assert plan.status["status"] == "DEPROVISIONING"
    assert [part.split(":")[0] for part in plan.status["problem"].split("; ")] == exceptions
    assert [(e.reason, e.severity) for e in plan.events] == [(Reason.CLUSTER_NOT_EMPTY, Severity.WARNING)]
    if services:
        assert f"({len(services)}: {', '.join(sorted(services))})" in plan.status["problem"]
    again, _ = plan_cluster_deletion({**body, "status": plan.status}, services, tasks, NOW)
    assert again.events == []  # reported once
