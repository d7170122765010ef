"""TagResource, UntagResource and ListTagsForResource on clusters, services and task-definition revisions."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from ecs_api import ACCOUNT, REGION, EcsClient
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_shapes import output_problems

PREFIX = f"arn:aws:ecs:{REGION}:{ACCOUNT}"


def _ok(ecs: EcsClient, action: str, body: dict | None = None) -> dict:
    """A call that must succeed, with an answer botocore's output shape accepts."""
    answer = ecs.ok(action, body)
    assert output_problems(action, answer) == [], (action, answer)
    return answer


def _apply(cluster: ClusterHandle, namespace: str, *objects: dict) -> None:
    items = {"apiVersion": "v1", "kind": "List", "items": list(objects)}
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(items))


def _tags(ecs: EcsClient, arn: str) -> dict[str, str]:
    return {t["key"]: t["value"] for t in _ok(ecs, "ListTagsForResource", {"resourceArn": arn})["tags"]}


def test_cluster_tags_round_trip(ecs: EcsClient, cluster: ClusterHandle, namespace: str) -> None:
    arn = _ok(ecs, "CreateCluster", {"clusterName": "tagged", "tags": [{"key": "team", "value": "a"}]})["cluster"][
        "clusterArn"
    ]
    assert _tags(ecs, arn) == {"team": "a"}
    assert (
        _ok(
            ecs,
            "TagResource",
            {"resourceArn": arn, "tags": [{"key": "env", "value": "prod"}, {"key": "team", "value": "b"}]},
        )
        == {}
    )
    assert _tags(ecs, arn) == {"team": "b", "env": "prod"}
    described = _ok(ecs, "DescribeClusters", {"clusters": ["tagged"], "include": ["TAGS"]})["clusters"][0]
    assert {t["key"]: t["value"] for t in described["tags"]} == {"team": "b", "env": "prod"}
    assert _ok(ecs, "UntagResource", {"resourceArn": arn, "tagKeys": ["team", "never-there"]}) == {}
    assert _tags(ecs, arn) == {"env": "prod"}
    assert get_json(cluster, "ecscluster", "tagged", "-n", namespace)["spec"]["tags"] == [
        {"key": "env", "value": "prod"}
    ]
    # Tagging leaves the cluster's other members alone.
    assert get_json(cluster, "ecscluster", "tagged", "-n", namespace)["spec"]["clusterName"] == "tagged"


def test_tags_of_a_kubectl_service(ecs: EcsClient, operator, cluster: ClusterHandle, namespace: str) -> None:
    _ok(ecs, "CreateCluster", {"clusterName": "apps"})
    service = ecs_service("web", "web", desired=0, cluster="apps", tags=[{"key": "owner", "value": "kubectl"}])
    _apply(cluster, namespace, task_definition("web"), service)
    arn = f"{PREFIX}:service/apps/web"
    wait_for(
        lambda: ecs.call("ListTagsForResource", {"resourceArn": arn}).status == 200,
        timeout=30,
        message="the service through the API",
    )
    assert _tags(ecs, arn) == {"owner": "kubectl"}
    _ok(ecs, "TagResource", {"resourceArn": arn, "tags": [{"key": "env", "value": "prod"}]})
    assert _tags(ecs, arn) == {"owner": "kubectl", "env": "prod"}
    obj = get_json(cluster, "ecsservice", "web", "-n", namespace)
    assert obj["spec"]["tags"] == [{"key": "owner", "value": "kubectl"}, {"key": "env", "value": "prod"}]
    assert obj["spec"]["desiredCount"] == 0 and obj["spec"]["taskDefinition"] == "web", "other members untouched"
    _ok(ecs, "UntagResource", {"resourceArn": arn, "tagKeys": ["owner"]})
    assert _tags(ecs, arn) == {"env": "prod"}
    # kubectl applies its manifest again: the manifest names tags, so its list wins (documented
    # in api/actions/tags.py); the API's tags were on the object until then.
    _apply(cluster, namespace, service)
    assert get_json(cluster, "ecsservice", "web", "-n", namespace)["spec"]["tags"] == [
        {"key": "owner", "value": "kubectl"}
    ]
    wait_for(lambda: _tags(ecs, arn) == {"owner": "kubectl"}, timeout=15, message="the API to see kubectl's tags")
    assert (
        ecs.call("ListTagsForResource", {"resourceArn": f"{PREFIX}:service/apps/nope"}).error
        == "ResourceNotFoundException"
    )


def test_tags_of_a_task_definition_revision(ecs: EcsClient, operator, cluster: ClusterHandle, namespace: str) -> None:
    _apply(cluster, namespace, task_definition("batch", tags={"origin": "manifest"}))
    selector = "ecs.operator.dev/family=batch,ecs.operator.dev/revision=1"
    revision = wait_for(
        lambda: (get_json(cluster, "controllerrevisions", "-n", namespace, "-l", selector)["items"] or [None])[0],
        timeout=60,
        message="revision 1 of batch",
    )
    arn = f"{PREFIX}:task-definition/batch:1"
    wait_for(
        lambda: ecs.call("ListTagsForResource", {"resourceArn": arn}).status == 200,
        timeout=30,
        message="the revision through the API",
    )
    assert _tags(ecs, arn) == {"origin": "manifest"}
    _ok(ecs, "TagResource", {"resourceArn": arn, "tags": [{"key": "cost-center", "value": "42"}]})
    assert _tags(ecs, arn) == {"origin": "manifest", "cost-center": "42"}
    name = revision["metadata"]["name"]
    annotation = get_json(cluster, "controllerrevision", name, "-n", namespace)["metadata"]["annotations"][
        "ecs.operator.dev/tags"
    ]
    assert json.loads(annotation) == [{"key": "origin", "value": "manifest"}, {"key": "cost-center", "value": "42"}]
    _ok(ecs, "UntagResource", {"resourceArn": arn, "tagKeys": ["origin"]})
    assert _tags(ecs, arn) == {"cost-center": "42"}
    time.sleep(3)  # give the operator time to (wrongly) register a new revision
    revisions = get_json(cluster, "controllerrevisions", "-n", namespace, "-l", "ecs.operator.dev/family=batch")[
        "items"
    ]
    assert len(revisions) == 1, "tagging must never make a new revision"
    assert (
        ecs.call("ListTagsForResource", {"resourceArn": f"{PREFIX}:task-definition/batch:7"}).error
        == "ResourceNotFoundException"
    )


def test_bad_tag_calls_are_client_errors(ecs: EcsClient, namespace: str) -> None:
    arn = _ok(ecs, "CreateCluster", {"clusterName": "strict"})["cluster"]["clusterArn"]
    cases = [
        (
            "TagResource",
            {"resourceArn": arn, "tags": [{"key": f"k{i}", "value": "v"} for i in range(51)]},
            "InvalidParameterException",
        ),
        (
            "TagResource",
            {"resourceArn": arn, "tags": [{"key": "aws:owner", "value": "x"}]},
            "InvalidParameterException",
        ),
        ("TagResource", {"resourceArn": arn, "tags": [{"key": "", "value": "x"}]}, "InvalidParameterException"),
        ("TagResource", {"resourceArn": arn, "tags": [{"key": "k" * 129, "value": "x"}]}, "InvalidParameterException"),
        ("TagResource", {"resourceArn": arn, "tags": [{"key": "k", "value": "v" * 257}]}, "InvalidParameterException"),
        ("TagResource", {"resourceArn": arn, "tags": [{"key": 1, "value": "x"}]}, "SerializationException"),
        ("TagResource", {"resourceArn": arn, "tags": {"key": "k"}}, "SerializationException"),
        ("TagResource", {"resourceArn": arn}, "InvalidParameterException"),
        ("TagResource", {"tags": []}, "InvalidParameterException"),
        ("TagResource", {"resourceArn": "not-an-arn", "tags": []}, "InvalidParameterException"),
        (
            "TagResource",
            {"resourceArn": f"{PREFIX}:cluster/nope", "tags": [{"key": "a", "value": "b"}]},
            "ResourceNotFoundException",
        ),
        ("UntagResource", {"resourceArn": arn}, "InvalidParameterException"),
        ("UntagResource", {"resourceArn": arn, "tagKeys": "team"}, "SerializationException"),
        ("ListTagsForResource", {}, "InvalidParameterException"),
        (
            "ListTagsForResource",
            {"resourceArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/strict"},
            "InvalidParameterException",
        ),
        (
            "ListTagsForResource",
            {"resourceArn": "arn:aws:ecs:us-east-1:999999999999:cluster/strict"},
            "AccessDeniedException",
        ),
        ("ListTagsForResource", {"resourceArn": f"{PREFIX}:task-definition/batch"}, "InvalidParameterException"),
        (
            "ListTagsForResource",
            {"resourceArn": f"{PREFIX}:container-instance/strict/abc"},
            "InvalidParameterException",
        ),
        (
            "ListTagsForResource",
            {"resourceArn": f"{PREFIX}:task/strict/0123456789abcdef0123456789abcdef"},
            "ResourceNotFoundException",
        ),
        ("ListTagsForResource", {"resourceArn": f"{PREFIX}:service/nowhere/web"}, "ClusterNotFoundException"),
    ]
    for action, body, expected in cases:
        answer = ecs.call(action, body)
        assert (answer.status, answer.error) == (400, expected), (action, body, answer.body)
    # 50 tags is the limit, not over it; a call that would pass 50 is refused and changes nothing.
    _ok(ecs, "TagResource", {"resourceArn": arn, "tags": [{"key": f"k{i}", "value": "v"} for i in range(50)]})
    over = ecs.call("TagResource", {"resourceArn": arn, "tags": [{"key": "one-more", "value": "v"}]})
    assert (over.status, over.error) == (400, "InvalidParameterException")
    assert len(_tags(ecs, arn)) == 50


def test_tags_of_a_standalone_task(ecs: EcsClient, operator, cluster: ClusterHandle, namespace: str) -> None:
    _ok(ecs, "CreateCluster", {"clusterName": "jobs"})
    task = {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "ECSTask",
        "metadata": {"name": "once"},
        "spec": {"cluster": "jobs", "taskDefinition": "sleeper", "tags": [{"key": "run", "value": "1"}]},
    }
    _apply(cluster, namespace, task_definition("sleeper", image="busybox:1.36"), task)

    def task_arn() -> str | None:
        records = (get_json(cluster, "ecstask", "once", "-n", namespace).get("status") or {}).get("tasks") or []
        return records[0].get("taskArn") if records else None

    # The operator's status has the task's id (its pod's uid); the API names it in its own region and account.
    task_id = wait_for(task_arn, timeout=60, message="the ECSTask's task ARN").rsplit("/", 1)[-1]
    arn = f"{PREFIX}:task/jobs/{task_id}"
    wait_for(
        lambda: ecs.call("ListTagsForResource", {"resourceArn": arn}).status == 200, timeout=30, message="the task"
    )
    assert _tags(ecs, arn) == {"run": "1"}
    _ok(ecs, "TagResource", {"resourceArn": arn, "tags": [{"key": "owner", "value": "api"}]})
    assert _tags(ecs, arn) == {"run": "1", "owner": "api"}
    assert get_json(cluster, "ecstask", "once", "-n", namespace)["spec"]["tags"] == [
        {"key": "run", "value": "1"},
        {"key": "owner", "value": "api"},
    ]
    # The same task under another cluster's ARN is not found.
    elsewhere = arn.replace(":task/jobs/", ":task/other/")
    assert ecs.call("ListTagsForResource", {"resourceArn": elsewhere}).error == "ResourceNotFoundException"


def test_tagging_an_api_created_service_keeps_what_the_api_set(
    ecs: EcsClient, cluster: ClusterHandle, namespace: str
) -> None:
    _ok(ecs, "CreateCluster", {"clusterName": "api-made"})
    _apply(cluster, namespace, task_definition("web"))
    wait_for(
        lambda: ecs.call("DescribeTaskDefinition", {"taskDefinition": "web"}).status == 200,
        timeout=60,
        message="the task definition through the API",
    )
    body = {
        "cluster": "api-made",
        "serviceName": "web",
        "taskDefinition": "web",
        "desiredCount": 0,
        "clientToken": "tok-1",
    }
    arn = _ok(ecs, "CreateService", body)["service"]["serviceArn"]
    _ok(ecs, "TagResource", {"resourceArn": arn, "tags": [{"key": "env", "value": "prod"}]})
    obj = get_json(cluster, "ecsservices", "-n", namespace)["items"][0]
    assert obj["spec"]["tags"] == [{"key": "env", "value": "prod"}]
    assert obj["metadata"]["annotations"]["ecs.operator.dev/client-token"] == "tok-1"
    assert obj["spec"]["desiredCount"] == 0 and obj["spec"]["serviceName"] == "web"
    # The create is still idempotent for its token after tagging.
    assert _ok(ecs, "CreateService", body)["service"]["serviceArn"] == arn


def test_concurrent_tag_calls_lose_nothing(ecs: EcsClient, namespace: str) -> None:
    arn = _ok(ecs, "CreateCluster", {"clusterName": "busy-tags"})["cluster"]["clusterArn"]
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda i: ecs.call("TagResource", {"resourceArn": arn, "tags": [{"key": f"k{i}", "value": str(i)}]}),
                range(12),
            )
        )
    assert [a.status for a in answers] == [200] * 12, [a.body for a in answers if a.status != 200]
    assert _tags(ecs, arn) == {f"k{i}": str(i) for i in range(12)}
