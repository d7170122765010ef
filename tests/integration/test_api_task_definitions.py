"""Task definitions through the ECS API, on the real control plane, beside kubectl.

RegisterTaskDefinition answers a revision that DescribeTaskDefinition and ``family:N`` resolve
at once; kubectl sees the TaskDefinition and its ControllerRevisions, and a kubectl-applied one
is seen through the API. Deregistering and deleting follow ECS's states
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterTaskDefinition.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteTaskDefinitions.html).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from ecs_api import EcsClient
from kube_helpers import admission_webhook_expected, get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

ROOT = Path(__file__).resolve().parents[2]
READ_ONLY = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "deregisteredAt",
    "deleteRequestedAt",
    "registeredBy",
)


def webserver_spec() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "examples/webserver/taskdefinition.yaml").read_text())["spec"])


def simple(family: str, image: str = "nginx:1.27", **extra: Any) -> dict[str, Any]:
    return {"family": family, "containerDefinitions": [{"name": "web", "image": image, "memory": 128}], **extra}


def describe(ecs: EcsClient, reference: str, **extra: Any) -> dict[str, Any]:
    return ecs.ok("DescribeTaskDefinition", {"taskDefinition": reference, **extra})


def revisions_in(cluster: ClusterHandle, namespace: str, family: str) -> list[int]:
    items = get_json(cluster, "controllerrevisions", "-n", namespace, "-l", f"ecs.operator.dev/family={family}")
    return sorted(int(i["revision"]) for i in items["items"])


def test_register_the_example_and_describe_it_at_once(ecs: EcsClient, cluster: ClusterHandle, namespace: str) -> None:
    answer = ecs.ok("RegisterTaskDefinition", webserver_spec())
    registered = answer["taskDefinition"]
    assert registered["revision"] == 1 and registered["status"] == "ACTIVE"
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/webserver:1"
    assert registered["taskDefinitionArn"] == arn
    for reference in ("webserver", "webserver:1", arn):
        body = describe(ecs, reference)["taskDefinition"]
        assert body["taskDefinitionArn"] == arn, reference
    container = registered["containerDefinitions"][0]
    assert (container["memory"], container["cpu"]) == (100, 99)  # ECS's integers, though the file says "100"
    assert (registered["cpu"], registered["memory"]) == ("256", "512")
    assert registered["compatibilities"] == ["EC2", "FARGATE"]
    assert isinstance(registered["registeredAt"], (int, float)) and abs(registered["registeredAt"] - time.time()) < 120
    # kubectl sees the same object and its revision
    td = get_json(cluster, "taskdefinition", "webserver", "-n", namespace)
    assert td["spec"]["containerDefinitions"][0]["image"] == "nginx"
    assert revisions_in(cluster, namespace, "webserver") == [1]


def test_register_from_a_describe_output(ecs: EcsClient) -> None:
    """The CI deploy step: describe, strip the read-only members, register again."""
    first = ecs.ok("RegisterTaskDefinition", webserver_spec())["taskDefinition"]
    body = {k: v for k, v in first.items() if k not in READ_ONLY}
    body["containerDefinitions"][0]["image"] = "nginx:1.27"
    second = ecs.ok("RegisterTaskDefinition", body)["taskDefinition"]
    assert second["revision"] == 2
    assert second["containerDefinitions"][0]["image"] == "nginx:1.27"
    assert {k: v for k, v in second.items() if k not in READ_ONLY and k != "containerDefinitions"} == {
        k: v for k, v in first.items() if k not in READ_ONLY and k != "containerDefinitions"
    }


def test_two_registrations_are_two_revisions_also_with_the_operator(
    ecs: EcsClient, operator: Any, cluster: ClusterHandle, namespace: str
) -> None:
    assert ecs.ok("RegisterTaskDefinition", simple("shop", "nginx:1.26"))["taskDefinition"]["revision"] == 1
    assert ecs.ok("RegisterTaskDefinition", simple("shop", "nginx:1.27"))["taskDefinition"]["revision"] == 2
    assert describe(ecs, "shop")["taskDefinition"]["revision"] == 2
    one = describe(ecs, "shop:1")["taskDefinition"]
    assert (one["revision"], one["containerDefinitions"][0]["image"]) == (1, "nginx:1.26")
    # the same spec again is still a new revision, as in ECS
    assert ecs.ok("RegisterTaskDefinition", simple("shop", "nginx:1.27"))["taskDefinition"]["revision"] == 3
    # the operator reconciles the same CR and registers nothing more of its own
    wait_for(
        lambda: (get_json(cluster, "td", "shop", "-n", namespace).get("status") or {}).get("revision") == 3,
        timeout=60,
        message="operator status revision 3",
    )
    time.sleep(2)
    assert revisions_in(cluster, namespace, "shop") == [1, 2, 3]
    td = get_json(cluster, "td", "shop", "-n", namespace)
    assert td["spec"] == simple("shop", "nginx:1.27")  # replaced wholesale, not merged


def test_a_kubectl_applied_task_definition_is_seen_through_the_api(
    ecs: EcsClient, operator: Any, cluster: ClusterHandle, namespace: str
) -> None:
    manifest = task_definition("kubeweb", image="nginx:1.25")
    manifest["spec"]["containerDefinitions"][0]["memory"] = "256"  # a string, as manifests may have it
    cluster.apply([manifest], "-n", namespace)
    answer = wait_for(
        lambda: ecs.call("DescribeTaskDefinition", {"taskDefinition": "kubeweb"}).status == 200 or None,
        timeout=60,
        message="kubectl revision visible through the API",
    )
    assert answer
    body = describe(ecs, "kubeweb")["taskDefinition"]
    assert body["revision"] == 1 and body["containerDefinitions"][0]["memory"] == 256
    # an API registration continues the kubectl family
    assert ecs.ok("RegisterTaskDefinition", simple("kubeweb"))["taskDefinition"]["revision"] == 2
    assert get_json(cluster, "td", "kubeweb", "-n", namespace)["spec"] == simple("kubeweb")


def test_registered_tags_are_the_revisions_and_tagging_adds_no_revision(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str
) -> None:
    tags = [{"key": "team", "value": "shop"}]
    answer = ecs.ok("RegisterTaskDefinition", {**simple("tagged"), "tags": tags})
    assert answer["tags"] == tags
    assert describe(ecs, "tagged", include=["TAGS"])["tags"] == tags
    assert "tags" not in describe(ecs, "tagged")
    # in the spec, as a manifest has them: propagateTags TASK_DEFINITION reads the revision's spec
    assert get_json(cluster, "td", "tagged", "-n", namespace)["spec"]["tags"] == tags
    arn = answer["taskDefinition"]["taskDefinitionArn"]
    ecs.ok("TagResource", {"resourceArn": arn, "tags": [{"key": "env", "value": "prod"}]})
    assert {t["key"] for t in describe(ecs, "tagged", include=["TAGS"])["tags"]} == {"team", "env"}
    assert describe(ecs, "tagged")["taskDefinition"]["revision"] == 1


def test_deregister_and_delete(ecs: EcsClient, cluster: ClusterHandle, namespace: str) -> None:
    for image in ("nginx:1.25", "nginx:1.26"):
        ecs.ok("RegisterTaskDefinition", simple("life", image))
    gone = ecs.ok("DeregisterTaskDefinition", {"taskDefinition": "life:2"})["taskDefinition"]
    assert gone["status"] == "INACTIVE" and isinstance(gone["deregisteredAt"], (int, float))
    assert describe(ecs, "life")["taskDefinition"]["revision"] == 1  # the latest ACTIVE one
    assert describe(ecs, "life:2")["taskDefinition"]["status"] == "INACTIVE"
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/life:{}"
    listed = ecs.ok("ListTaskDefinitions", {"familyPrefix": "life"})["taskDefinitionArns"]
    assert listed == [arn.format(1)]
    assert ecs.ok("ListTaskDefinitions", {"familyPrefix": "life", "status": "INACTIVE"})["taskDefinitionArns"] == [
        arn.format(2)
    ]
    # a bare family cannot be deregistered; ACTIVE revisions cannot be deleted
    assert ecs.call("DeregisterTaskDefinition", {"taskDefinition": "life"}).error == "ClientException"
    answer = ecs.ok("DeleteTaskDefinitions", {"taskDefinitions": ["life:1", "life:2", "life:9"]})
    assert [t["taskDefinitionArn"] for t in answer["taskDefinitions"]] == [arn.format(2)]
    assert answer["taskDefinitions"][0]["status"] == "DELETE_IN_PROGRESS"
    assert sorted(f["arn"] for f in answer["failures"]) == [arn.format(1), arn.format(9)]
    assert ecs.ok("ListTaskDefinitions", {"familyPrefix": "life", "status": "INACTIVE"})["taskDefinitionArns"] == []
    assert ecs.ok("ListTaskDefinitions", {"familyPrefix": "life", "status": "DELETE_IN_PROGRESS"})[
        "taskDefinitionArns"
    ] == [arn.format(2)]
    assert describe(ecs, "life:2")["taskDefinition"]["status"] == "DELETE_IN_PROGRESS"
    # the ControllerRevision stays (the operator would otherwise register the CR's spec again)
    assert revisions_in(cluster, namespace, "life") == [1, 2]
    # deregister the last ACTIVE one: the family is INACTIVE and a bare family resolves to nothing
    ecs.ok("DeregisterTaskDefinition", {"taskDefinition": arn.format(1)})
    assert ecs.call("DescribeTaskDefinition", {"taskDefinition": "life"}).body["message"] == (
        "Unable to describe task definition."
    )
    assert "life" in ecs.ok("ListTaskDefinitionFamilies", {"status": "INACTIVE"})["families"]
    assert "life" not in ecs.ok("ListTaskDefinitionFamilies", {"status": "ACTIVE"})["families"]
    # numbering goes on
    assert ecs.ok("RegisterTaskDefinition", simple("life"))["taskDefinition"]["revision"] == 3


def test_a_deregistered_revision_starts_no_new_service(
    ecs: EcsClient, operator: Any, cluster: ClusterHandle, namespace: str
) -> None:
    ecs.ok("RegisterTaskDefinition", simple("old"))
    ecs.ok("DeregisterTaskDefinition", {"taskDefinition": "old:1"})
    refusal = ecs.call("CreateService", {"serviceName": "api-late", "taskDefinition": "old:1", "desiredCount": 1})
    assert refusal.error == "ClientException" and "INACTIVE" in refusal.body["message"], refusal.body
    if admission_webhook_expected():  # the webhook refuses it at apply, with the message status would show
        manifest = yaml.safe_dump(ecs_service("late", "old:1", desired=1))
        applied = cluster.kubectl("apply", "-n", namespace, "-f", "-", input=manifest, check=False)
        assert applied.returncode != 0 and "INACTIVE" in applied.stderr and "old:1" in applied.stderr
        return
    cluster.apply([ecs_service("late", "old:1", desired=1)], "-n", namespace)

    def refused() -> str | None:
        status = get_json(cluster, "ecsservice", "late", "-n", namespace).get("status") or {}
        text = str(status)
        return text if "INACTIVE" in text else None

    text = wait_for(refused, timeout=60, message="service status naming the INACTIVE revision")
    assert "old:1" in text
    pods = get_json(cluster, "pods", "-n", namespace, "-l", "ecs.operator.dev/service=late")["items"]
    assert pods == []


def test_list_pages_walk_everything_in_order(ecs: EcsClient) -> None:
    for family in ("pa", "pb"):
        for n in range(3):
            ecs.ok("RegisterTaskDefinition", simple(family, f"nginx:1.{20 + n}"))
    for _ in range(8):  # revisions 4..11 of pa: 10 must sort after 9, not after 1
        ecs.ok("RegisterTaskDefinition", simple("pa"))
    seen: list[str] = []
    token = None
    while True:
        body = {"maxResults": 1, **({"nextToken": token} if token else {})}
        page = ecs.ok("ListTaskDefinitions", body)
        assert len(page["taskDefinitionArns"]) <= 1
        seen.extend(page["taskDefinitionArns"])
        token = page.get("nextToken")
        if not token:
            break
    names = [a.rsplit("/", 1)[1] for a in seen]
    assert names == [f"pa:{n}" for n in range(1, 12)] + ["pb:1", "pb:2", "pb:3"]
    down = ecs.ok("ListTaskDefinitions", {"sort": "DESC", "maxResults": 100})["taskDefinitionArns"]
    assert down == list(reversed(seen))
    families = ecs.ok("ListTaskDefinitionFamilies", {"maxResults": 1})
    assert families["families"] == ["pa"] and families["nextToken"]
    rest = ecs.ok("ListTaskDefinitionFamilies", {"maxResults": 1, "nextToken": families["nextToken"]})
    assert rest["families"] == ["pb"]
    assert ecs.ok("ListTaskDefinitionFamilies", {"familyPrefix": "pb"})["families"] == ["pb"]
    assert ecs.call("ListTaskDefinitions", {"maxResults": 101}).error == "InvalidParameterException"


@pytest.mark.parametrize(
    ("body", "member"),
    [
        ({**simple("bad"), "bogus": 1}, "bogus"),
        ({"family": "bad"}, "containerDefinitions"),
        ({**simple("bad"), "containerDefinitions": "web"}, "containerDefinitions"),
        ({"family": "bad", "containerDefinitions": [{"name": "web", "image": "x", "memory": {"a": 1}}]}, "memory"),
        (
            {
                **simple("bad"),
                "requiresCompatibilities": ["FARGATE"],
                "networkMode": "awsvpc",
                "cpu": "256",
                "memory": "4096",
            },
            "memory",
        ),  # a Fargate cpu / memory pair that does not exist
        ({**simple("bad"), "family": "no spaces allowed"}, "family"),
        ({"taskDefinition": simple("bad")}, "taskDefinition"),
    ],
)
def test_bad_input_is_a_400_naming_the_member(ecs: EcsClient, body: dict[str, Any], member: str) -> None:
    answer = ecs.call("RegisterTaskDefinition", body)
    assert answer.status == 400, answer.body
    assert answer.error in ("ClientException", "InvalidParameterException", "SerializationException")
    assert member in answer.body["message"]
    assert ecs.call("DescribeTaskDefinition", {"taskDefinition": "bad"}).error == "ClientException"


def test_bad_references_are_client_errors(ecs: EcsClient) -> None:
    for reference in ("nothing", "nothing:1", "nothing:x", "arn:aws:ecs:us-east-1:123456789012:cluster/x", ""):
        answer = ecs.call("DescribeTaskDefinition", {"taskDefinition": reference})
        assert answer.status == 400 and answer.error in ("ClientException", "InvalidParameterException"), reference
    assert ecs.call("DescribeTaskDefinition", {}).error == "InvalidParameterException"
    assert ecs.call("DescribeTaskDefinition", {"taskDefinition": "x", "include": ["NOPE"]}).status == 400
    assert ecs.call("DeleteTaskDefinitions", {"taskDefinitions": []}).status == 400
    assert ecs.call("DeleteTaskDefinitions", {"taskDefinitions": [f"x:{n}" for n in range(1, 12)]}).status == 400


def test_a_running_service_keeps_its_deregistered_revision(
    ecs: EcsClient, operator: Any, cluster: ClusterHandle, namespace: str
) -> None:
    """ECS: existing services keep an INACTIVE revision and can still scale."""
    ecs.ok("RegisterTaskDefinition", simple("keep"))
    cluster.apply([ecs_service("keeper", "keep:1", desired=1)], "-n", namespace)

    def running(count: int) -> dict[str, Any] | None:
        status = get_json(cluster, "ecsservice", "keeper", "-n", namespace).get("status") or {}
        return status if status.get("runningCount") == count else None

    wait_for(lambda: running(1), timeout=90, message="keeper running 1 task")
    ecs.ok("DeregisterTaskDefinition", {"taskDefinition": "keep:1"})
    cluster.kubectl("scale", "ecsservice", "keeper", "--replicas=2", "-n", namespace)
    status = wait_for(lambda: running(2), timeout=90, message="keeper scaled to 2 on its INACTIVE revision")
    assert status["taskDefinition"] == "keep:1"
    assert "INACTIVE" not in str(status.get("conditions"))
