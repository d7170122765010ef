"""Which revision a service or task runs once revisions are deregistered (INACTIVE) or deleted.

ECS: a bare family is the latest ACTIVE revision; INACTIVE and DELETE_IN_PROGRESS revisions keep
running where they run, but no new service or task may start on them
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterTaskDefinition.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteTaskDefinitions.html).
"""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.kube.lookups import _revision
from ecs_operator.plan import Problem, Reason, Revision
from ecs_operator.plan.resolve import resolve_revision, running_revisions
from ecs_operator.vocabulary import ANNOTATION_REVISION_STATUS

SPEC: dict[str, Any] = {"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 128}]}
ACT, INA, DEL = "ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"


def revisions(*statuses: str) -> list[Revision]:
    return [Revision(n, {**SPEC}, f"web-{n}", status) for n, status in enumerate(statuses, start=1)]


def runs(*numbers: int) -> dict[str, Any]:
    """A service status running ``numbers`` (the first is PRIMARY)."""
    deployments = [{"taskDefinition": f"web:{n}", "taskDefinitionRevision": n} for n in numbers]
    return {"taskDefinition": f"web:{numbers[0]}", "deployments": deployments}


@pytest.mark.parametrize(
    ("statuses", "pinned", "previous", "expected"),
    [
        # bare family: the latest ACTIVE revision
        ((ACT, ACT, ACT), None, None, 3),
        ((ACT, ACT, INA), None, None, 2),
        ((ACT, INA, DEL), None, None, 1),
        ((ACT, ACT, DEL), None, runs(1), 2),
        # ... unless the service already runs a newer one deregistered since: it stays on it
        ((ACT, ACT, INA), None, runs(3), 3),
        ((INA, INA), None, runs(2), 2),
        ((ACT, ACT, INA, ACT), None, runs(3), 4),  # a newer ACTIVE revision moves it on
        # pinned: ACTIVE always; INACTIVE / DELETE_IN_PROGRESS only where it already runs
        ((ACT, INA), 2, runs(2), 2),
        ((ACT, INA), 2, runs(1, 2), 2),  # still in deployments[] while the rollout drains it
        ((ACT, DEL), 2, runs(2), 2),
        ((ACT, INA), 1, None, 1),
        ((INA, ACT), 1, {"taskDefinition": "web:1"}, 1),  # a task's status
        ((INA, ACT), 1, {"taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/web:1"}, 1),
    ],
)
def test_revision_chosen(
    statuses: tuple[str, ...], pinned: int | None, previous: dict[str, Any] | None, expected: int
) -> None:
    assert resolve_revision("web", pinned, revisions(*statuses), "team", previous).revision == expected


@pytest.mark.parametrize(
    ("statuses", "pinned", "previous", "reason", "words"),
    [
        ((INA, INA), None, None, Reason.TASK_DEFINITION_INACTIVE, "no ACTIVE revision"),
        ((INA, DEL), None, None, Reason.TASK_DEFINITION_INACTIVE, "no ACTIVE revision"),
        ((ACT, INA), 2, None, Reason.TASK_DEFINITION_INACTIVE, "web:2 is INACTIVE"),
        ((ACT, INA), 2, runs(1), Reason.TASK_DEFINITION_INACTIVE, "new services and tasks cannot use it"),
        ((ACT, DEL), 2, {}, Reason.TASK_DEFINITION_INACTIVE, "web:2 is DELETE_IN_PROGRESS"),
        ((ACT, INA), 2, {"taskDefinition": "other:2"}, Reason.TASK_DEFINITION_INACTIVE, "INACTIVE"),  # other family
        ((), None, None, Reason.TASK_DEFINITION_NOT_FOUND, "not found"),
        ((ACT,), 5, None, Reason.TASK_DEFINITION_NOT_FOUND, "revision 5 not found"),
    ],
)
def test_revision_refused(
    statuses: tuple[str, ...], pinned: int | None, previous: dict[str, Any] | None, reason: Reason, words: str
) -> None:
    with pytest.raises(Problem) as caught:
        resolve_revision("web", pinned, revisions(*statuses), "team", previous)
    assert caught.value.reason is reason
    assert words in caught.value.message


def test_a_pinned_inactive_revision_waits_for_a_change_not_a_timer() -> None:
    """Only a new spec helps (no revision becomes ACTIVE again), so the Problem does not retry."""
    with pytest.raises(Problem) as caught:
        resolve_revision("web", 2, revisions(ACT, INA), "team", None)
    assert caught.value.retry_after is None


def test_rollback_target_is_kept_even_when_deregistered() -> None:
    status = {**runs(2, 1), "rollback": {"fromRevision": 2, "toRevision": 1}}
    assert resolve_revision("web", None, revisions(INA, ACT), "team", status).revision == 1


def test_running_revisions_read_off_status() -> None:
    assert running_revisions("web", runs(3, 2)) == {2, 3}
    assert running_revisions("web", {"taskDefinition": "web"}) == frozenset()
    assert running_revisions("web", {"taskDefinition": "web:x", "deployments": ["junk"]}) == frozenset()
    assert running_revisions("web", None) == frozenset()


def test_lookups_read_the_status_annotation() -> None:
    item: dict[str, Any] = {
        "metadata": {"name": "web-2", "annotations": {ANNOTATION_REVISION_STATUS: INA}},
        "revision": 2,
    }
    item["data"] = {"spec": SPEC}
    assert _revision(item) == Revision(2, SPEC, "web-2", INA)
    item["metadata"]["annotations"] = {}
    assert _revision(item).active
