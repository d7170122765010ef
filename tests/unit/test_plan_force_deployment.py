"""UpdateService forceNewDeployment in the operator: a new token is a new deployment of the same revision."""

from __future__ import annotations

from typing import Any

from ecs_operator.models import parse_service, parse_task_definition
from ecs_operator.plan.service_status import FORCE_TOKEN, ServiceObservation, compute_service_status
from ecs_operator.render.service import render_service
from ecs_operator.vocabulary import ANNOTATION_FORCE_DEPLOYMENT


def pod(name: str, token: str = "", *, ready: bool = True) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {"ecs.operator.dev/revision": "1"},
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "annotations": {ANNOTATION_FORCE_DEPLOYMENT: token} if token else {},
        },
        "spec": {"nodeName": "n1", "containers": [{"name": "app"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def observe(pods: list[dict[str, Any]], token: str, healthy: int, now: str) -> ServiceObservation:
    return ServiceObservation(
        service_name="web",
        uid="u",
        family="web",
        revision=1,
        desired=2,
        pods=pods,
        now=now,
        healthy=healthy,
        force_token=token,
    )


def test_a_new_token_starts_a_deployment_of_the_same_revision() -> None:
    steady, _ = compute_service_status(observe([pod("a"), pod("b")], "", 2, "2026-01-01T00:00:10Z"), {})
    assert [d["rolloutState"] for d in steady["deployments"]] == ["COMPLETED"]
    assert FORCE_TOKEN not in steady["deployments"][0]  # no token: statuses as before

    rolling, events = compute_service_status(
        observe([pod("a"), pod("b"), pod("c", "t1", ready=False)], "t1", 0, "2026-01-01T00:01:00Z"), steady
    )
    primary, active = rolling["deployments"]
    assert (primary["status"], primary["taskDefinition"], primary["rolloutState"]) == (
        "PRIMARY",
        "web:1",
        "IN_PROGRESS",
    )
    assert primary[FORCE_TOKEN] == "t1" and primary["id"] != steady["deployments"][0]["id"]
    assert (active["status"], active["id"], active["runningCount"]) == ("ACTIVE", steady["deployments"][0]["id"], 2)
    assert primary["runningCount"] == 0 and primary["pendingCount"] == 1
    assert not any("steady state" in e.message for e in events)

    done, events = compute_service_status(
        observe([pod("c", "t1"), pod("d", "t1")], "t1", 2, "2026-01-01T00:02:00Z"), rolling
    )
    assert [(d["status"], d["id"]) for d in done["deployments"]] == [("PRIMARY", primary["id"])]
    assert done["deployments"][0]["rolloutState"] == "COMPLETED"
    assert [h["id"] for h in done["deploymentHistory"]] == [active["id"]]
    assert f"(service web) (deployment {primary['id']}) deployment completed." in [e.message for e in events]
    assert "(service web) has reached a steady state." in [e.message for e in events]


def test_old_tasks_of_the_same_revision_keep_the_deployment_in_progress() -> None:
    steady, _ = compute_service_status(observe([pod("a"), pod("b")], "", 2, "2026-01-01T00:00:10Z"), {})
    # New tasks healthy, but one old task still running: not a steady state yet.
    status, _ = compute_service_status(
        observe([pod("a"), pod("c", "t1"), pod("d", "t1")], "t1", 2, "2026-01-01T00:01:00Z"), steady
    )
    assert [d["status"] for d in status["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert status["deployments"][0]["rolloutState"] == "IN_PROGRESS"


def test_the_token_is_rendered_into_the_pod_template() -> None:
    owner = {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "ECSService",
        "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "annotations": {}},
    }
    td = parse_task_definition(
        {"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 512}]}
    )
    spec = parse_service({"taskDefinition": "web", "desiredCount": 2})

    def template(body: dict[str, Any]) -> dict[str, Any]:
        rendered = render_service(body, spec, td, family="web", revision=1, cluster="default")
        deployment = next(o for o in rendered.objects if o["kind"] == "Deployment")
        result: dict[str, Any] = deployment["spec"]["template"]
        return result

    plain = template(owner)
    assert ANNOTATION_FORCE_DEPLOYMENT not in (plain["metadata"].get("annotations") or {})
    forced = template({**owner, "metadata": {**owner["metadata"], "annotations": {ANNOTATION_FORCE_DEPLOYMENT: "t1"}}})
    assert forced["metadata"]["annotations"][ANNOTATION_FORCE_DEPLOYMENT] == "t1"
    assert forced["spec"] == plain["spec"]  # same revision: only the token differs
