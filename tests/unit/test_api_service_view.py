"""The Service presenter and service deployments against botocore's output shapes, including what a
write not yet observed by the operator looks like (so `aws ecs wait services-stable` waits)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from ecs_operator.api.applied_intent import owned_intent
from ecs_operator.api.arns import Arns
from ecs_operator.api.service_deployments import deployment_records, present_brief, present_deployment
from ecs_operator.api.service_view import Wanted, present_service
from ecs_operator.api.tombstones import Tombstones
from ecs_operator.vocabulary import ANNOTATION_FORCE_DEPLOYMENT
from ecs_shapes import output_problems

ARNS = Arns()
ARN = ARNS.prefix

# A live status as the operator writes it (/tmp/shapes/ecsservice.json, trimmed).
STEADY: dict[str, Any] = {
    "apiVersion": "ecs.operator.dev/v1alpha1",
    "kind": "ECSService",
    "metadata": {
        "name": "webserver",
        "namespace": "demo",
        "uid": "c18fc383-2467-4abc-98e4-2b1b6a64343c",
        "generation": 1,
        "creationTimestamp": "2026-12-02T05:25:22Z",
    },
    "spec": {
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 50,
        },
        "desiredCount": 2,
        "taskDefinition": "webserver",
        "healthCheckGracePeriodSeconds": "60",
        "tags": [{"key": "team", "value": "web"}],
    },
    "status": {
        "cluster": "default",
        "deployments": [
            {
                "circuitBreaker": {"failureCount": 0, "status": "MONITORING_COMPLETE", "threshold": 3},
                "createdAt": "2026-12-02T05:25:22Z",
                "desiredCount": 2,
                "failedTasks": 0,
                "healthyTasks": 2,
                "id": "ecs-svc/1339140989018616213",
                "pendingCount": 0,
                "rolloutState": "COMPLETED",
                "rolloutStateReason": "ECS deployment completed.",
                "runningCount": 2,
                "status": "PRIMARY",
                "taskDefinition": "webserver:1",
                "taskDefinitionRevision": 1,
                "updatedAt": "2026-12-02T05:25:33Z",
            }
        ],
        "desiredCount": 2,
        "events": [
            {"createdAt": "2026-12-02T05:25:22Z", "id": "103498412170", "message": "(service webserver) has started"},
            {
                "createdAt": "2026-12-02T05:25:33Z",
                "id": "108162606779",
                "message": "(service webserver) has reached a steady state.",
            },
        ],
        "lastCompletedRevision": 1,
        "observedGeneration": 1,
        "pendingCount": 0,
        "runningCount": 2,
        "serviceName": "webserver",
        "status": "ACTIVE",
        "taskDefinition": "webserver:1",
    },
}


def stable(service: dict[str, Any]) -> bool:
    """botocore's services-stable acceptor."""
    return len(service["deployments"]) == 1 and service["runningCount"] == service["desiredCount"]


PINNED = Wanted("webserver", 1)


def describe(obj: dict[str, Any], wanted: Wanted | None = PINNED, **kw: Any) -> dict[str, Any]:
    service = present_service(obj, ARNS, wanted=wanted, **kw)
    assert output_problems("DescribeServices", {"services": [service], "failures": []}) == []
    return service


def test_a_steady_service_in_ecs_shape() -> None:
    service = describe(STEADY)
    assert service["serviceArn"] == f"{ARN}:service/default/webserver"
    assert service["clusterArn"] == f"{ARN}:cluster/default"
    assert service["taskDefinition"] == f"{ARN}:task-definition/webserver:1"
    assert service["status"] == "ACTIVE" and stable(service)
    assert service["healthCheckGracePeriodSeconds"] == 60  # the model's type, not the string written
    assert service["createdAt"] == datetime(2026, 12, 2, 5, 25, 22, tzinfo=UTC).timestamp()
    (deployment,) = service["deployments"]
    assert deployment["taskDefinition"] == f"{ARN}:task-definition/webserver:1"
    assert (deployment["rolloutState"], deployment["launchType"]) == ("COMPLETED", "EC2")
    assert isinstance(deployment["updatedAt"], float)
    assert [e["id"] for e in service["events"]] == ["108162606779", "103498412170"]  # newest first
    assert service["deploymentConfiguration"]["maximumPercent"] == 200
    assert "tags" not in service
    assert service["currentServiceDeployment"] == f"{ARN}:service-deployment/default/webserver/1339140989018616213"
    assert describe(STEADY, include_tags=True)["tags"] == [{"key": "team", "value": "web"}]


def test_a_desired_count_not_yet_observed_is_not_stable() -> None:
    obj = copy.deepcopy(STEADY)
    obj["metadata"]["generation"] = 2
    obj["spec"]["desiredCount"] = 3
    service = describe(obj)
    assert service["desiredCount"] == 3 and service["deployments"][0]["desiredCount"] == 3
    assert len(service["deployments"]) == 1 and not stable(service)


def test_a_new_revision_not_yet_observed_is_a_new_primary_deployment() -> None:
    obj = copy.deepcopy(STEADY)
    obj["metadata"]["generation"] = 2
    obj["spec"]["taskDefinition"] = "webserver:2"
    service = describe(obj, Wanted("webserver", 2))
    primary, old = service["deployments"]
    assert (primary["status"], primary["rolloutState"], primary["runningCount"]) == ("PRIMARY", "IN_PROGRESS", 0)
    assert primary["taskDefinition"] == f"{ARN}:task-definition/webserver:2"
    assert (old["status"], old["taskDefinition"]) == ("ACTIVE", f"{ARN}:task-definition/webserver:1")
    assert service["taskDefinition"] == f"{ARN}:task-definition/webserver:2"
    assert not stable(service)
    observed = copy.deepcopy(obj)
    observed["status"]["observedGeneration"] = 2
    observed["status"]["deployments"][0].update(taskDefinition="webserver:2", taskDefinitionRevision=2)
    assert stable(describe(observed, Wanted("webserver", 2)))


def test_a_force_token_not_yet_rolled_is_a_new_deployment_of_the_same_revision() -> None:
    obj = copy.deepcopy(STEADY)
    obj["metadata"]["annotations"] = {ANNOTATION_FORCE_DEPLOYMENT: "t1"}
    service = describe(obj)
    assert [d["status"] for d in service["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert {d["taskDefinition"] for d in service["deployments"]} == {f"{ARN}:task-definition/webserver:1"}
    assert not stable(service)
    obj["status"]["deployments"][0]["forceToken"] = "t1"  # the operator rolled it
    assert stable(describe(obj))


def test_a_service_the_operator_has_not_seen_has_one_pending_deployment() -> None:
    obj = copy.deepcopy(STEADY)
    del obj["status"]
    obj["metadata"]["managedFields"] = [{"manager": "ecs-api", "time": "2026-12-02T05:30:00Z"}]
    service = describe(obj)
    (deployment,) = service["deployments"]
    assert (deployment["status"], deployment["rolloutState"]) == ("PRIMARY", "IN_PROGRESS")
    assert deployment["createdAt"] == datetime(2026, 12, 2, 5, 30, tzinfo=UTC).timestamp()
    assert (service["desiredCount"], service["runningCount"]) == (2, 0) and not stable(service)
    assert service["events"] == []


def test_a_service_being_deleted_is_draining_and_overrides_win() -> None:
    obj = copy.deepcopy(STEADY)
    obj["metadata"]["deletionTimestamp"] = "2026-12-02T06:00:00Z"
    assert describe(obj)["status"] == "DRAINING"
    assert describe(obj, status_override="INACTIVE")["status"] == "INACTIVE"


def test_capacity_provider_strategy_replaces_the_launch_type() -> None:
    obj = copy.deepcopy(STEADY)
    obj["spec"]["capacityProviderStrategy"] = [{"capacityProvider": "FARGATE", "weight": 1}]
    service = describe(obj)
    assert "launchType" not in service and service["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE"
    assert "launchType" not in service["deployments"][0]


def _rolled_back() -> dict[str, Any]:
    """Revision 2 failed and the circuit breaker rolled back to revision 1, which completed."""
    obj = copy.deepcopy(STEADY)
    status = obj["status"]
    status["rollback"] = {"fromRevision": 2, "toRevision": 1, "announced": True}
    status["deployments"] = [
        {**status["deployments"][0], "id": "ecs-svc/3", "createdAt": "2026-12-02T05:40:00Z"},
    ]
    status["deploymentHistory"] = [
        {
            "id": "ecs-svc/2",
            "status": "INACTIVE",
            "taskDefinition": "webserver:2",
            "taskDefinitionRevision": 2,
            "rolloutState": "FAILED",
            "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
            "createdAt": "2026-12-02T05:30:00Z",
            "updatedAt": "2026-12-02T05:39:00Z",
            "desiredCount": 0,
            "runningCount": 0,
            "pendingCount": 0,
        },
        {
            "id": "ecs-svc/1",
            "status": "INACTIVE",
            "taskDefinition": "webserver:1",
            "taskDefinitionRevision": 1,
            "rolloutState": "COMPLETED",
            "createdAt": "2026-12-02T05:25:22Z",
            "updatedAt": "2026-12-02T05:31:00Z",
        },
    ]
    return obj


def test_service_deployments_in_ecs_shape() -> None:
    obj = _rolled_back()
    records = deployment_records(obj, Wanted("webserver", 1))
    briefs = [present_brief(ARNS, obj, "default", records, i) for i in range(len(records))]
    assert output_problems("ListServiceDeployments", {"serviceDeployments": briefs}) == []
    assert [b["status"] for b in briefs] == ["SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "SUCCESSFUL"]
    assert briefs[0]["serviceDeploymentArn"] == f"{ARN}:service-deployment/default/webserver/3"
    full = [present_deployment(ARNS, obj, "default", records, i) for i in range(len(records))]
    assert output_problems("DescribeServiceDeployments", {"serviceDeployments": full, "failures": []}) == []
    assert full[1]["rollback"]["serviceRevisionArn"] == f"{ARN}:service-revision/default/webserver/3"
    assert full[0]["targetServiceRevision"]["requestedTaskCount"] == 2
    assert full[0]["sourceServiceRevisions"][0]["arn"].endswith("/webserver/2")
    assert full[0]["deploymentCircuitBreaker"] == {"status": "MONITORING_COMPLETE", "failureCount": 0, "threshold": 3}


def test_a_deployment_about_to_start_is_pending() -> None:
    obj = copy.deepcopy(STEADY)
    obj["metadata"]["annotations"] = {ANNOTATION_FORCE_DEPLOYMENT: "t1"}
    records = deployment_records(obj, Wanted("webserver", 1))
    briefs = [present_brief(ARNS, obj, "default", records, i) for i in range(len(records))]
    assert [b["status"] for b in briefs] == ["PENDING", "SUCCESSFUL"]
    assert output_problems("ListServiceDeployments", {"serviceDeployments": briefs}) == []


def test_owned_intent_reads_back_what_ecs_api_applied() -> None:
    obj = copy.deepcopy(STEADY)
    obj["metadata"]["annotations"] = {ANNOTATION_FORCE_DEPLOYMENT: "t1", "other": "x"}
    obj["metadata"]["managedFields"] = [
        {
            "manager": "ecs-api",
            "operation": "Apply",
            "fieldsV1": {
                "f:metadata": {"f:annotations": {f"f:{ANNOTATION_FORCE_DEPLOYMENT}": {}}},
                "f:spec": {"f:desiredCount": {}, "f:deploymentConfiguration": {"f:maximumPercent": {}}},
            },
        },
        {"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {"f:taskDefinition": {}}}},
        {"manager": "ecs-api", "operation": "Update", "fieldsV1": {"f:spec": {"f:tags": {}}}},
    ]
    assert owned_intent(obj, "ecs-api") == {
        "metadata": {"annotations": {ANNOTATION_FORCE_DEPLOYMENT: "t1"}},
        "spec": {"desiredCount": 2, "deploymentConfiguration": {"maximumPercent": 200}},
    }
    assert owned_intent(obj, "nobody") == {}


def test_tombstones_expire_and_are_bounded() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    stones = Tombstones(keep_seconds=60, most=2)
    stones.bury("ns", "default", "a", {"status": "INACTIVE"}, now)
    assert stones.find("ns", "default", "a", now + timedelta(seconds=59)) == {"status": "INACTIVE"}
    assert stones.find("ns", "other", "a", now) is None
    assert stones.find("ns", "default", "a", now + timedelta(seconds=61)) is None
    for name in ("b", "c", "d"):
        stones.bury("ns", "default", name, {"status": "INACTIVE"}, now)
    assert stones.find("ns", "default", "b", now) is None  # the oldest went first
    stones.forget("ns", "default", "d")
    assert stones.find("ns", "default", "d", now) is None
    assert stones.find("ns", "default", "c", now) is not None
