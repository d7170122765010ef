"""The response-shape checker itself: good responses pass, each kind of departure is named with its path."""

from __future__ import annotations

import copy
from typing import Any

from ecs_shapes import input_shape, output_problems

ARN = "arn:aws:ecs:us-east-1:123456789012"

GOOD_SERVICES: dict[str, Any] = {
    "services": [
        {
            "serviceArn": f"{ARN}:service/c/web",
            "serviceName": "web",
            "clusterArn": f"{ARN}:cluster/c",
            "status": "ACTIVE",
            "desiredCount": 2,
            "runningCount": 2,
            "pendingCount": 0,
            "launchType": "FARGATE",
            "taskDefinition": f"{ARN}:task-definition/web:3",
            "deploymentConfiguration": {
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            },
            "deployments": [
                {
                    "id": "ecs-svc/123",
                    "status": "PRIMARY",
                    "taskDefinition": f"{ARN}:task-definition/web:3",
                    "desiredCount": 2,
                    "runningCount": 2,
                    "createdAt": 1767225600.123,
                    "updatedAt": 1767225610,
                    "rolloutState": "COMPLETED",
                }
            ],
            "events": [{"id": "e1", "createdAt": 1767225610.5, "message": "(service web) has reached a steady state."}],
            "createdAt": 1767225600,
            "tags": [{"key": "team", "value": "a"}],
        }
    ],
    "failures": [{"arn": f"{ARN}:service/c/gone", "reason": "MISSING"}],
}


def _broken(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(GOOD_SERVICES)
    service = body["services"][0]
    for key, value in changes.items():
        if value is _DROP:
            del service[key]
        else:
            service[key] = value
    return body


_DROP = object()


def test_a_conforming_response_has_no_problems() -> None:
    assert output_problems("DescribeServices", GOOD_SERVICES) == []
    assert output_problems("ListServices", {"serviceArns": [f"{ARN}:service/c/web"], "nextToken": "x"}) == []
    assert output_problems("ListServices", {"serviceArns": []}) == []


def test_unknown_member_is_named_with_its_path() -> None:
    assert output_problems("DescribeServices", _broken(replicas=3)) == ["services[0].replicas: not a member of Service"]


def test_wrong_scalar_types() -> None:
    problems = output_problems("DescribeServices", _broken(desiredCount="2", createdAt="2026-01-01T00:00:00Z"))
    assert len(problems) == 2
    assert any(p.startswith("services[0].desiredCount: expected an integer") for p in problems)
    assert any(p.startswith("services[0].createdAt: expected a timestamp") for p in problems)


def test_booleans_are_not_integers_and_integers_are_not_booleans() -> None:
    assert output_problems("DescribeServices", _broken(desiredCount=True)) != []
    body = _broken()
    body["services"][0]["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"] = 1
    assert output_problems("DescribeServices", body) == [
        "services[0].deploymentConfiguration.deploymentCircuitBreaker.enable: expected a boolean (Boolean), got int 1"
    ]


def test_enum_values_come_from_the_model() -> None:
    problems = output_problems("DescribeServices", _broken(launchType="KUBERNETES"))
    assert len(problems) == 1 and problems[0].startswith(
        "services[0].launchType: 'KUBERNETES' is not one of LaunchType"
    )
    assert "'FARGATE'" in problems[0]
    body = _broken()
    body["services"][0]["deployments"][0]["rolloutState"] = "DONE"
    assert output_problems("DescribeServices", body)[0].startswith("services[0].deployments[0].rolloutState:")


def test_optional_members_may_be_left_out() -> None:
    body = _broken()
    body["services"][0]["deployments"][0].pop("id")  # Deployment has no required members in the model
    assert output_problems("DescribeServices", body) == []
    task_definition = {
        "taskDefinition": {
            "family": "web",
            "revision": 1,
            "containerDefinitions": [{"name": "web", "portMappings": [{"containerPort": 80}]}],
        },
        "tags": [{"value": "no key"}],  # Tag.key is optional in the model
    }
    assert output_problems("RegisterTaskDefinition", task_definition) == []
    task_definition["taskDefinition"]["containerDefinitions"][0]["environment"] = [{"name": "A", "value": 1}]
    assert output_problems("RegisterTaskDefinition", task_definition) == [
        "taskDefinition.containerDefinitions[0].environment[0].value: expected a string (String), got int 1"
    ]


def test_required_members_are_reported_deep_inside() -> None:
    body = _broken()
    del body["services"][0]["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"]
    assert output_problems("DescribeServices", body) == [
        "services[0].deploymentConfiguration.deploymentCircuitBreaker.rollback: "
        "required member of DeploymentCircuitBreaker missing"
    ]
    task_definition = {"taskDefinition": {"containerDefinitions": [{"name": "a", "healthCheck": {"interval": 5}}]}}
    assert output_problems("DescribeTaskDefinition", task_definition) == [
        "taskDefinition.containerDefinitions[0].healthCheck.command: required member of HealthCheck missing"
    ]


def test_containers_of_the_wrong_kind() -> None:
    assert output_problems("ListServices", {"serviceArns": "arn"}) == [
        "serviceArns: expected a list (StringList), got str"
    ]
    assert output_problems("DescribeServices", {"services": [["not", "an", "object"]]}) == [
        "services[0]: expected an object (Service), got list"
    ]
    assert output_problems("DescribeServices", []) == [
        "<root>: expected an object (DescribeServicesResponse), got list"
    ]


def test_nulls_are_reported() -> None:
    assert output_problems("ListServices", {"serviceArns": [], "nextToken": None}) == [
        "nextToken: null (members are left out, never null)"
    ]


def test_maps_check_keys_and_values() -> None:
    body = {"taskDefinition": {"containerDefinitions": [{"name": "a", "dockerLabels": {"k": 1}}]}}
    assert output_problems("DescribeTaskDefinition", body) == [
        "taskDefinition.containerDefinitions[0].dockerLabels['k']: expected a string (String), got int 1"
    ]


def test_input_shapes_are_found() -> None:
    assert input_shape("CreateService") == "CreateServiceRequest"
