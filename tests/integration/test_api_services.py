"""ECS service actions through the ECS API, operator running: create, update, force a deployment,
describe, list, delete; the same objects through kubectl."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml
from ecs_api import ACCOUNT, REGION, EcsClient
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_shapes import output_problems

pytestmark = pytest.mark.usefixtures("operator")

ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}"


def _ok(ecs: EcsClient, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A call that must succeed, with an answer botocore's output shape accepts."""
    answer = ecs.ok(action, body)
    assert output_problems(action, answer) == [], (action, answer)
    return answer


def _td_arn(family: str, revision: int) -> str:
    return f"{ARN}:task-definition/{family}:{revision}"


def _register(cluster: ClusterHandle, namespace: str, family: str, image: str = "nginx:1.27") -> None:
    cluster.apply([task_definition(family, image=image)], "-n", namespace)


def _create(ecs: EcsClient, body: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    """CreateService, retried while the revision a kubectl apply registers is not yet known."""

    def attempt() -> dict[str, Any] | None:
        answer = ecs.call("CreateService", body)
        if answer.status == 400 and answer.body.get("message") == "TaskDefinition not found.":
            return None
        assert answer.status == 200, answer.body
        assert output_problems("CreateService", answer.body) == [], answer.body
        return answer.body["service"]

    result: dict[str, Any] = wait_for(attempt, timeout=timeout, message="the revision to be registered")
    return result


def _describe(ecs: EcsClient, name: str, cluster: str = "default") -> dict[str, Any]:
    body = _ok(ecs, "DescribeServices", {"cluster": cluster, "services": [name]})
    assert not body["failures"], body
    service: dict[str, Any] = body["services"][0]
    return service


def _stable(service: dict[str, Any]) -> bool:
    """botocore's services-stable acceptor."""
    return len(service["deployments"]) == 1 and service["runningCount"] == service["desiredCount"]


def _wait_stable(ecs: EcsClient, name: str, cluster: str = "default", timeout: float = 120) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        service = _describe(ecs, name, cluster)
        return service if _stable(service) else None

    result: dict[str, Any] = wait_for(check, timeout=timeout, interval=1, message=f"service {name} stable")
    return result


def _pods(cluster: ClusterHandle, namespace: str, service: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = get_json(
        cluster, "pods", "-n", namespace, "-l", f"ecs.operator.dev/service={service}"
    )["items"]
    return items


def test_create_service_pins_the_revision_and_becomes_stable(cluster: ClusterHandle, ecs: EcsClient) -> None:
    _register(cluster, ecs.namespace, "web")
    created = _create(ecs, {"serviceName": "web", "taskDefinition": "web", "desiredCount": 2})
    assert created["serviceArn"] == f"{ARN}:service/default/web"
    assert created["clusterArn"] == f"{ARN}:cluster/default"
    assert created["taskDefinition"] == _td_arn("web", 1)
    assert created["status"] == "ACTIVE"
    assert created["desiredCount"] == 2 and created["runningCount"] == 0
    assert not _stable(created)  # the waiter never sees the state before the operator acted
    assert created["deployments"][0]["status"] == "PRIMARY"
    assert created["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    spec = get_json(cluster, "ecsservice", "web", "-n", ecs.namespace)["spec"]
    assert spec["taskDefinition"] == "web:1"  # ECS pins a bare family at call time

    service = _wait_stable(ecs, "web")
    assert service["runningCount"] == 2
    deployment = service["deployments"][0]
    assert deployment["taskDefinition"] == _td_arn("web", 1)
    assert deployment["rolloutState"] in ("IN_PROGRESS", "COMPLETED")
    assert isinstance(deployment["createdAt"], float | int)
    assert service["events"] and all(isinstance(e["createdAt"], float | int) for e in service["events"])

    _register(cluster, ecs.namespace, "web", image="nginx:1.28")  # a new revision: the service stays pinned
    time.sleep(3)
    assert _describe(ecs, "web")["taskDefinition"] == _td_arn("web", 1)


def test_update_task_definition_shows_two_deployments_then_one(cluster: ClusterHandle, ecs: EcsClient) -> None:
    _register(cluster, ecs.namespace, "app")
    _create(ecs, {"serviceName": "app", "taskDefinition": "app:1", "desiredCount": 2})
    _wait_stable(ecs, "app")
    _register(cluster, ecs.namespace, "app", image="nginx:1.28")
    wait_for(
        lambda: ecs.call("UpdateService", {"service": "app", "taskDefinition": "app:2"}).status == 200,
        timeout=30,
        message="UpdateService to app:2",
    )
    service = _describe(ecs, "app")
    assert len(service["deployments"]) == 2, service["deployments"]
    primary, old = service["deployments"]
    assert (primary["status"], primary["taskDefinition"]) == ("PRIMARY", _td_arn("app", 2))
    assert (old["status"], old["taskDefinition"]) == ("ACTIVE", _td_arn("app", 1))
    assert service["taskDefinition"] == _td_arn("app", 2)

    service = _wait_stable(ecs, "app")
    assert service["deployments"][0]["taskDefinition"] == _td_arn("app", 2)
    assert {p["metadata"]["labels"]["ecs.operator.dev/revision"] for p in _pods(cluster, ecs.namespace, "app")} == {"2"}

    def completed() -> list[dict[str, Any]] | None:
        listed = _ok(ecs, "ListServiceDeployments", {"service": "app"})["serviceDeployments"]
        return listed if len(listed) >= 2 and listed[0]["status"] == "SUCCESSFUL" else None

    listed = wait_for(completed, timeout=60, interval=1, message="the second deployment SUCCESSFUL")
    assert all(d["serviceDeploymentArn"].startswith(f"{ARN}:service-deployment/default/app/") for d in listed)
    described = _ok(ecs, "DescribeServiceDeployments", {"serviceDeploymentArns": [listed[0]["serviceDeploymentArn"]]})
    assert not described["failures"]
    assert described["serviceDeployments"][0]["status"] == "SUCCESSFUL"
    assert described["serviceDeployments"][0]["targetServiceRevision"]["requestedTaskCount"] == 2
    missing = f"{ARN}:service-deployment/default/app/0000"
    assert _ok(ecs, "DescribeServiceDeployments", {"serviceDeploymentArns": [missing]})["failures"] == [
        {"arn": missing, "reason": "MISSING"}
    ]


def test_force_new_deployment_replaces_the_tasks(cluster: ClusterHandle, ecs: EcsClient) -> None:
    _register(cluster, ecs.namespace, "api")
    _create(ecs, {"serviceName": "api", "taskDefinition": "api", "desiredCount": 2})
    _wait_stable(ecs, "api")
    before = {p["metadata"]["uid"] for p in _pods(cluster, ecs.namespace, "api")}
    assert len(before) == 2

    answer = _ok(ecs, "UpdateService", {"service": "api", "forceNewDeployment": True})
    assert len(answer["service"]["deployments"]) == 2  # the new PRIMARY beside the old, at once
    assert not _stable(_describe(ecs, "api"))

    seen_two = wait_for(
        lambda: (
            len(
                (get_json(cluster, "ecsservice", "api", "-n", ecs.namespace).get("status") or {}).get("deployments")
                or []
            )
            == 2
        ),
        timeout=60,
        interval=0.3,
        message="the operator's status to show two deployments",
    )
    assert seen_two
    service = _wait_stable(ecs, "api")
    after = {
        p["metadata"]["uid"] for p in _pods(cluster, ecs.namespace, "api") if not p["metadata"].get("deletionTimestamp")
    }
    assert len(after) == 2 and not after & before
    status = get_json(cluster, "ecsservice", "api", "-n", ecs.namespace)["status"]
    assert len(status["deployments"]) == 1
    assert status["deployments"][0]["taskDefinition"] == "api:1"  # the same revision, a new deployment
    assert service["deployments"][0]["taskDefinition"] == _td_arn("api", 1)
    assert status["deploymentHistory"], "the replaced deployment went to the history"


def test_same_service_name_in_two_clusters(cluster: ClusterHandle, ecs: EcsClient) -> None:
    for name in ("blue", "green"):
        cluster.apply(
            [
                {
                    "apiVersion": "ecs.operator.dev/v1alpha1",
                    "kind": "ECSCluster",
                    "metadata": {"name": name},
                    "spec": {"clusterName": name},
                }
            ],
            "-n",
            ecs.namespace,
        )
    _register(cluster, ecs.namespace, "web")
    wait_for(lambda: ecs.call("ListServices", {"cluster": "green"}).status == 200, timeout=30, message="clusters")
    a = _create(ecs, {"cluster": "blue", "serviceName": "web", "taskDefinition": "web", "desiredCount": 1})
    b = _create(ecs, {"cluster": "green", "serviceName": "web", "taskDefinition": "web", "desiredCount": 0})
    assert a["serviceArn"] == f"{ARN}:service/blue/web"
    assert b["serviceArn"] == f"{ARN}:service/green/web"
    objects = get_json(cluster, "ecsservices", "-n", ecs.namespace)["items"]
    assert len(objects) == 2 and {o["spec"]["cluster"] for o in objects} == {"blue", "green"}
    assert _describe(ecs, "web", "blue")["desiredCount"] == 1
    assert _describe(ecs, "web", "green")["desiredCount"] == 0
    by_arn = _ok(ecs, "DescribeServices", {"services": [b["serviceArn"]]})  # an ARN's own cluster wins
    assert by_arn["services"][0]["clusterArn"] == f"{ARN}:cluster/green"
    assert _ok(ecs, "ListServices", {"cluster": "blue"})["serviceArns"] == [a["serviceArn"]]
    _ok(ecs, "UpdateService", {"cluster": "green", "service": "web", "desiredCount": 1})
    assert _describe(ecs, "web", "blue")["desiredCount"] == 1
    assert _describe(ecs, "web", "green")["desiredCount"] == 1
    assert ecs.call("DescribeServices", {"cluster": "nope", "services": ["web"]}).error == "ClusterNotFoundException"


def test_kubectl_and_api_show_the_same_services(cluster: ClusterHandle, ecs: EcsClient) -> None:
    _register(cluster, ecs.namespace, "web")
    cluster.apply([ecs_service("by-kubectl", "web", 1)], "-n", ecs.namespace)
    service = wait_for(
        lambda: _ok(ecs, "DescribeServices", {"services": ["by-kubectl"]})["services"],
        timeout=30,
        message="the kubectl service in DescribeServices",
    )[0]
    assert service["serviceArn"] == f"{ARN}:service/default/by-kubectl"
    service = _wait_stable(ecs, "by-kubectl")
    assert service["taskDefinition"] == _td_arn("web", 1)

    _create(
        ecs,
        {"serviceName": "by-api", "taskDefinition": "web", "desiredCount": 0, "tags": [{"key": "team", "value": "a"}]},
    )
    obj = get_json(cluster, "ecsservice", "by-api", "-n", ecs.namespace)
    assert obj["spec"]["serviceName"] == "by-api" and obj["spec"]["desiredCount"] == 0
    listed = _ok(ecs, "ListServices")["serviceArns"]
    assert sorted(listed) == [f"{ARN}:service/default/by-api", f"{ARN}:service/default/by-kubectl"]
    tagged = _ok(ecs, "DescribeServices", {"services": ["by-api"], "include": ["TAGS"]})["services"][0]
    assert tagged["tags"] == [{"key": "team", "value": "a"}]
    assert "tags" not in _describe(ecs, "by-api")

    odd = _create(ecs, {"serviceName": "Web_Api", "taskDefinition": "web:1", "desiredCount": 0})
    assert odd["serviceArn"] == f"{ARN}:service/default/Web_Api"
    assert _describe(ecs, odd["serviceArn"])["serviceName"] == "Web_Api"
    names = {
        o["metadata"]["name"]: o["spec"].get("serviceName")
        for o in get_json(cluster, "ecsservices", "-n", ecs.namespace)["items"]
    }
    assert names["web-api"] == "Web_Api"  # a DNS-label object name; ECS's name kept in the spec


def test_update_service_and_kubectl_apply_both_hold(cluster: ClusterHandle, ecs: EcsClient) -> None:
    """Server-side apply: ecs-api and kubectl each own the fields they last set (docs/ecs-api.md)."""
    _register(cluster, ecs.namespace, "web")
    manifest = ecs_service("shared", "web", 1)
    cluster.apply([manifest], "-n", ecs.namespace, "--server-side")
    wait_for(
        lambda: ecs.call("DescribeServices", {"services": ["shared"]}).body.get("services"),
        timeout=30,
        message="the service in the API cache",
    )
    _ok(ecs, "UpdateService", {"service": "shared", "desiredCount": 3})  # desiredCount moves to ecs-api
    # kubectl still stating desiredCount 1 is told that ecs-api owns it now, and changes nothing:
    clash = cluster.kubectl(
        "apply", "--server-side", "-n", ecs.namespace, "-f", "-", input=yaml.safe_dump(manifest), check=False
    )
    assert clash.returncode != 0 and "ecs-api" in clash.stderr + clash.stdout
    # The manifest without desiredCount (as with an autoscaler): kubectl's change and the API's both hold.
    del manifest["spec"]["desiredCount"]
    manifest["spec"]["healthCheckGracePeriodSeconds"] = 30
    cluster.apply([manifest], "-n", ecs.namespace, "--server-side")
    spec = get_json(cluster, "ecsservice", "shared", "-n", ecs.namespace)["spec"]
    assert spec["desiredCount"] == 3 and spec["healthCheckGracePeriodSeconds"] == 30
    _ok(ecs, "UpdateService", {"service": "shared", "deploymentConfiguration": {"maximumPercent": 150}})
    spec = get_json(cluster, "ecsservice", "shared", "-n", ecs.namespace)["spec"]
    assert spec["desiredCount"] == 3, "an UpdateService of another member keeps what ecs-api set before"
    assert spec["healthCheckGracePeriodSeconds"] == 30 and spec["taskDefinition"] == "web"
    assert spec["deploymentConfiguration"] == {"maximumPercent": 150}
    service = _describe(ecs, "shared")
    assert service["desiredCount"] == 3 and service["healthCheckGracePeriodSeconds"] == 30
    # Both set the same field: the later write wins (here a forced kubectl apply).
    manifest["spec"]["desiredCount"] = 2
    cluster.apply([manifest], "-n", ecs.namespace, "--server-side", "--force-conflicts")
    assert _describe(ecs, "shared")["desiredCount"] == 2


def test_create_is_idempotent_with_a_client_token(cluster: ClusterHandle, ecs: EcsClient) -> None:
    _register(cluster, ecs.namespace, "web")
    body = {"serviceName": "once", "taskDefinition": "web", "desiredCount": 0, "clientToken": "tok-1"}
    first = _create(ecs, body)
    again = _ok(ecs, "CreateService", body)["service"]
    assert again["serviceArn"] == first["serviceArn"]
    assert len(get_json(cluster, "ecsservices", "-n", ecs.namespace)["items"]) == 1
    for other in ({**body, "clientToken": None}, {**body, "desiredCount": 2}, {**body, "clientToken": "tok-2"}):
        answer = ecs.call("CreateService", {k: v for k, v in other.items() if v is not None})
        assert answer.error == "InvalidParameterException", answer.body
        assert answer.body["message"] == "Creation of service was not idempotent."


def test_delete_service_needs_force_then_drains_to_inactive(cluster: ClusterHandle, ecs: EcsClient) -> None:
    _register(cluster, ecs.namespace, "web")
    _create(ecs, {"serviceName": "gone", "taskDefinition": "web", "desiredCount": 1})
    _wait_stable(ecs, "gone")
    refused = ecs.call("DeleteService", {"service": "gone"})
    assert refused.error == "InvalidParameterException"
    assert refused.body["message"] == "The service cannot be stopped while it is scaled above 0."
    deleted = _ok(ecs, "DeleteService", {"service": "gone", "force": True})["service"]
    assert deleted["status"] == "DRAINING"
    assert ecs.call("UpdateService", {"service": "gone", "desiredCount": 2}).error == "ServiceNotActiveException"

    def inactive() -> dict[str, Any] | None:
        body = _ok(ecs, "DescribeServices", {"services": ["gone"]})
        assert not body["failures"], body  # never MISSING: services-inactive would fail
        service: dict[str, Any] = body["services"][0]
        assert service["status"] in ("DRAINING", "INACTIVE")
        return service if service["status"] == "INACTIVE" else None

    wait_for(inactive, timeout=90, interval=1, message="the service INACTIVE")
    assert get_json(cluster, "ecsservices", "-n", ecs.namespace)["items"] == []
    assert _ok(ecs, "ListServices")["serviceArns"] == []
    assert ecs.call("DeleteService", {"service": "never"}).error == "ServiceNotFoundException"


def test_list_services_pages(cluster: ClusterHandle, ecs: EcsClient) -> None:
    cluster.apply([ecs_service(f"svc-{i:02d}", "web", 0) for i in range(12)], "-n", ecs.namespace)
    wait_for(
        lambda: len(_ok(ecs, "ListServices", {"maxResults": 100})["serviceArns"]) == 12,
        timeout=30,
        message="12 services listed",
    )
    first = _ok(ecs, "ListServices")
    assert len(first["serviceArns"]) == 10 and first["nextToken"]
    second = _ok(ecs, "ListServices", {"nextToken": first["nextToken"]})
    assert len(second["serviceArns"]) == 2 and "nextToken" not in second
    assert len(set(first["serviceArns"]) | set(second["serviceArns"])) == 12
    assert _ok(ecs, "ListServices", {"schedulingStrategy": "DAEMON"})["serviceArns"] == []
    assert len(_ok(ecs, "ListServices", {"launchType": "EC2", "maxResults": 100})["serviceArns"]) == 12
    assert ecs.call("ListServices", {"maxResults": 101}).error == "InvalidParameterException"
    names = [f"svc-{i:02d}" for i in range(11)]
    assert ecs.call("DescribeServices", {"services": names}).error == "InvalidParameterException"
    body = _ok(ecs, "DescribeServices", {"services": [*names[:9], "nope"]})
    assert len(body["services"]) == 9
    assert body["failures"] == [{"arn": f"{ARN}:service/default/nope", "reason": "MISSING"}]


BAD_BODIES: list[tuple[str, Any]] = [
    ("CreateService", {}),
    ("CreateService", {"serviceName": "x"}),
    ("CreateService", {"serviceName": "x", "taskDefinition": "nope"}),
    ("CreateService", {"serviceName": "x", "taskDefinition": "nope:abc", "desiredCount": 1}),
    ("CreateService", {"serviceName": "x", "taskDefinition": "web", "desiredCount": "two"}),
    ("CreateService", {"serviceName": "x", "taskDefinition": "web", "desiredCount": -1}),
    ("CreateService", {"serviceName": "bad name!", "taskDefinition": "web", "desiredCount": 1}),
    ("CreateService", {"serviceName": "x", "taskDefinition": "web", "desiredCount": 1, "loadBalancers": "lb"}),
    (
        "CreateService",
        {
            "serviceName": "x",
            "taskDefinition": "web",
            "desiredCount": 1,
            "deploymentConfiguration": {"maximumPercent": "a"},
        },
    ),
    ("CreateService", {"serviceName": "x", "taskDefinition": "web", "desiredCount": 1, "cluster": "missing"}),
    ("CreateService", {"serviceName": "x", "taskDefinition": "web", "desiredCount": 1, "bogus": 1}),
    ("CreateService", {"serviceName": "x", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:cluster/web"}),
    ("UpdateService", {}),
    ("UpdateService", {"service": "missing"}),
    ("UpdateService", {"service": "x", "desiredCount": []}),
    ("UpdateService", {"service": "x", "forceNewDeployment": "yes"}),
    ("DescribeServices", {}),
    ("DescribeServices", {"services": "web"}),
    ("DescribeServices", {"services": [1]}),
    ("DescribeServices", {"services": ["web"], "include": ["NOPE"]}),
    ("ListServices", {"nextToken": "garbage"}),
    ("ListServices", {"launchType": "BOAT"}),
    ("ListServices", {"maxResults": 0}),
    ("DeleteService", {}),
    ("DeleteService", {"service": "missing", "force": "yes"}),
    ("ListServiceDeployments", {}),
    ("ListServiceDeployments", {"service": "missing"}),
    ("ListServiceDeployments", {"service": "x", "createdAt": {"after": "yesterday"}}),
    ("ListServiceDeployments", {"service": "x", "status": ["DONE"]}),
    ("DescribeServiceDeployments", {}),
    ("DescribeServiceDeployments", {"serviceDeploymentArns": ["not-an-arn"]}),
    ("DescribeServiceDeployments", {"serviceDeploymentArns": [f"s{i}" for i in range(21)]}),
]


def test_bad_input_is_never_a_server_error(cluster: ClusterHandle, ecs: EcsClient) -> None:
    _register(cluster, ecs.namespace, "web")
    for action, body in BAD_BODIES:
        answer = ecs.call(action, body)
        assert answer.status < 500, (action, body, answer.body)
        if (
            action != "DescribeServiceDeployments"
            or "serviceDeploymentArns" not in body
            or len(body["serviceDeploymentArns"]) > 20
        ):
            assert answer.status == 400, (action, body, answer.body)
            assert answer.body["message"], (action, body)
    unknown = {"serviceName": "x", "taskDefinition": "nope", "desiredCount": 1}
    assert ecs.call("CreateService", unknown).error == "ClientException"
    assert ecs.call("CreateService", {**unknown, "taskDefinition": "web:9"}).error == "ClientException"
    assert ecs.call("CreateService", {**unknown, "cluster": "missing"}).error == "ClusterNotFoundException"
    assert ecs.call("UpdateService", {"service": "missing"}).error == "ServiceNotFoundException"
    assert ecs.call("CreateService", {**unknown, "desiredCount": "two"}).error == "SerializationException"
    message = ecs.call("CreateService", {**unknown, "taskDefinition": "web", "desiredCount": -1}).body["message"]
    assert "desiredCount" in message
