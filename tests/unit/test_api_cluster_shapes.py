"""Cluster, container-instance and capacity-provider presenters against botocore's output shapes,
tag rules, partial server-side apply bodies and the DeleteCluster task guard.

(Named apart from tests/integration/test_api_clusters.py: test modules are imported by basename.)
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.api.actions.clusters import active_tasks
from ecs_operator.api.arns import Arns
from ecs_operator.api.cluster_view import (
    cluster_status,
    instance_attributes,
    present_capacity_provider,
    present_cluster,
    present_instance,
    statistics,
)
from ecs_operator.api.errors import InvalidParameterException, SerializationException
from ecs_operator.api.field_owners import _body, owned_spec_members
from ecs_operator.api.tag_rules import check_keys, check_tags, merge_tags, remove_tags
from ecs_operator.models import CapacityProviderProfile
from ecs_shapes import output_problems

ARNS = Arns()
PREFIX = "arn:aws:ecs:us-east-1:123456789012"

NODE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {
        "name": "ng-ondemand-a",
        "uid": "9ac62c8c-1eb2-4112-9cbf-4294e8491aa8",
        "resourceVersion": "267",
        "creationTimestamp": "2026-12-02T05:52:22Z",
        "labels": {
            "eks.amazonaws.com/nodegroup": "ng-ondemand",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": "ng-ondemand-a",
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "m5.xlarge",
            "topology.kubernetes.io/zone": "us-east-1a",
        },
    },
    "spec": {"providerID": "aws:///us-east-1a/i-0d00000000000000"},
    "status": {
        "nodeInfo": {"kubeletVersion": "v1.36.3", "containerRuntimeVersion": "containerd://2.1"},
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "lastHeartbeatTime": "2026-12-02T05:52:22Z",
                "lastTransitionTime": "2026-12-02T05:52:22Z",
            }
        ],
    },
}

ENTRY: dict[str, Any] = {
    "agentConnected": True,
    "attributes": {"node.kubernetes.io/instance-type": "m5.xlarge"},
    "capacityProviderName": "on-demand",
    "containerInstanceArn": "ng-ondemand-a",
    "ec2InstanceId": "i-0d00000000000000",
    "pendingTasksCount": 1,
    "registeredResources": {"CPU": 4014, "MEMORY": 15136},
    "remainingResources": {"CPU": 3758, "MEMORY": 14624},
    "runningTasksCount": 2,
    "status": "ACTIVE",
}

CLUSTER: dict[str, Any] = {
    "apiVersion": "ecs.operator.dev/v1alpha1",
    "kind": "ECSCluster",
    "metadata": {"name": "batch", "namespace": "demo", "uid": "f457ffa1", "resourceVersion": "383"},
    "spec": {
        "clusterName": "batch",
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
        "tags": [{"key": "team", "value": "data"}, {"key": "empty"}],
        "configuration": {"executeCommandConfiguration": {"logging": "DEFAULT"}},
        "serviceConnectDefaults": {"namespace": "internal"},
    },
    "status": {
        "activeServicesCount": 1,
        "registeredContainerInstancesCount": 8,
        "runningTasksCount": 2,
        "pendingTasksCount": 0,
        "status": "ACTIVE",
        "containerInstances": [ENTRY],
    },
}


def test_cluster_with_every_include_matches_the_describe_output_shape() -> None:
    stats = statistics([(True, "RUNNING"), (False, "PENDING")], [(False, False), (True, True)])
    shown = present_cluster(CLUSTER, ARNS, stats=stats)
    response = {"clusters": [shown], "failures": [{"arn": f"{PREFIX}:cluster/nope", "reason": "MISSING"}]}
    assert output_problems("DescribeClusters", response) == []
    assert shown["clusterArn"] == f"{PREFIX}:cluster/batch"
    assert (shown["registeredContainerInstancesCount"], shown["runningTasksCount"]) == (8, 2)
    assert shown["tags"] == [{"key": "team", "value": "data"}, {"key": "empty", "value": ""}]
    assert shown["settings"] == [{"name": "containerInsights", "value": "disabled"}]  # ECS's default
    assert shown["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    assert shown["serviceConnectDefaults"] == {"namespace": "internal"}
    assert shown["attachmentsStatus"] == "UPDATE_COMPLETE"
    counts = {s["name"]: s["value"] for s in shown["statistics"]}
    assert counts["runningFargateTasksCount"] == "1"
    assert counts["pendingEC2TasksCount"] == "1"
    assert counts["activeEC2ServiceCount"] == "1"
    assert counts["drainingFargateServiceCount"] == "1"


def test_cluster_without_include_has_only_what_ecs_always_sends() -> None:
    shown = present_cluster(CLUSTER, ARNS, include=())
    assert output_problems("CreateCluster", {"cluster": shown}) == []
    assert "settings" not in shown and "configuration" not in shown and "attachments" not in shown
    assert shown["tags"] == [] and shown["statistics"] == []


def test_cluster_without_status_yet_is_active_with_zero_counts() -> None:
    fresh = {**CLUSTER, "status": None, "spec": {"clusterName": "new"}}
    shown = present_cluster(fresh, ARNS)
    assert output_problems("CreateCluster", {"cluster": shown}) == []
    assert (shown["status"], shown["registeredContainerInstancesCount"], shown["activeServicesCount"]) == (
        "ACTIVE",
        0,
        0,
    )
    assert shown["capacityProviders"] == [] and shown["defaultCapacityProviderStrategy"] == []


@pytest.mark.parametrize(
    ("deleting", "written", "expected"),
    [
        (False, "ACTIVE", "ACTIVE"),
        (True, "ACTIVE", "DEPROVISIONING"),
        (True, "DEPROVISIONING", "DEPROVISIONING"),
        (True, "INACTIVE", "INACTIVE"),
        (False, None, "ACTIVE"),
    ],
)
def test_cluster_status_while_deleting(deleting: bool, written: str | None, expected: str) -> None:
    obj = copy.deepcopy(CLUSTER)
    obj["status"] = {"status": written} if written else {}
    if deleting:
        obj["metadata"]["deletionTimestamp"] = "2026-12-02T06:00:00Z"
    assert cluster_status(obj) == expected


def test_container_instance_matches_the_describe_output_shape() -> None:
    shown = present_instance(ENTRY, NODE, "batch", ARNS, ("TAGS", "CONTAINER_INSTANCE_HEALTH"))
    response = {"containerInstances": [shown], "failures": []}
    assert output_problems("DescribeContainerInstances", response) == []
    assert shown["containerInstanceArn"] == f"{PREFIX}:container-instance/batch/9ac62c8c1eb241129cbf4294e8491aa8"
    assert shown["ec2InstanceId"] == "i-0d00000000000000"
    cpu = next(r for r in shown["registeredResources"] if r["name"] == "CPU")
    assert (cpu["type"], cpu["integerValue"]) == ("INTEGER", 4014)
    memory = next(r for r in shown["remainingResources"] if r["name"] == "MEMORY")
    assert memory["integerValue"] == 14624
    assert (shown["runningTasksCount"], shown["pendingTasksCount"]) == (2, 1)
    assert shown["capacityProviderName"] == "on-demand"
    assert shown["versionInfo"]["agentVersion"] == "v1.36.3"
    assert shown["registeredAt"] == datetime(2026, 12, 2, 5, 52, 22, tzinfo=UTC).timestamp()
    assert shown["healthStatus"]["overallStatus"] == "OK"
    assert shown["version"] == 267


def test_a_cordoned_or_lost_node_shows_so() -> None:
    draining = present_instance({**ENTRY, "status": "DRAINING", "agentConnected": False}, NODE, "batch", ARNS)
    assert (draining["status"], draining["agentConnected"]) == ("DRAINING", False)
    unhealthy = copy.deepcopy(NODE)
    unhealthy["status"]["conditions"][0]["status"] = "Unknown"
    shown = present_instance(ENTRY, unhealthy, "batch", ARNS, ("CONTAINER_INSTANCE_HEALTH",))
    assert shown["healthStatus"]["overallStatus"] == "IMPAIRED"


def test_node_labels_become_ecs_attributes() -> None:
    attributes = {a["name"]: a["value"] for a in instance_attributes(NODE)}
    assert attributes["ecs.instance-type"] == "m5.xlarge"
    assert attributes["ecs.availability-zone"] == "us-east-1a"
    assert attributes["ecs.cpu-architecture"] == "x86_64"  # ECS's name for amd64
    assert attributes["ecs.os-type"] == "linux"
    assert attributes["ecs.instance-id"] == "i-0d00000000000000"
    assert attributes["eks.amazonaws.com/nodegroup"] == "ng-ondemand"  # custom attribute, as labelled
    assert "node.kubernetes.io/instance-type" not in attributes  # shown once, by its ECS name


def test_capacity_providers_match_the_describe_output_shape() -> None:
    fargate = present_capacity_provider(CapacityProviderProfile(name="FARGATE", type="FARGATE"), ARNS)
    spot = present_capacity_provider(
        CapacityProviderProfile(name="spot", type="MANAGED_NODEGROUP", nodegroup_name="ng-spot", capacity_type="SPOT"),
        ARNS,
        "batch",
    )
    selected = present_capacity_provider(
        CapacityProviderProfile(name="mine", type="SELF_MANAGED", node_selector={"pool": "a"}), ARNS
    )
    response = {"capacityProviders": [fargate, spot, selected], "failures": []}
    assert output_problems("DescribeCapacityProviders", response) == []
    assert (fargate["type"], fargate["capacityProviderArn"]) == ("FARGATE", f"{PREFIX}:capacity-provider/FARGATE")
    assert "autoScalingGroupProvider" not in fargate
    assert spot["autoScalingGroupProvider"]["autoScalingGroupArn"] == "ng-spot"
    assert selected["autoScalingGroupProvider"]["autoScalingGroupArn"] == "pool=a"


def test_tags_are_checked_as_ecs_does() -> None:
    assert check_tags([{"key": "a", "value": "b"}, {"key": "c"}]) == [
        {"key": "a", "value": "b"},
        {"key": "c", "value": ""},
    ]
    refused = [
        [{"key": "", "value": "x"}],
        [{"key": "k" * 129}],
        [{"key": "k", "value": "v" * 257}],
        [{"key": "AWS:owner", "value": "x"}],
        [{"key": "k", "value": "aws:x"}],
        [{"key": "k"}, {"key": "k"}],
        [{"key": f"k{i}"} for i in range(51)],
    ]
    for tags in refused:
        with pytest.raises(InvalidParameterException):
            check_tags(tags)
    for wrong in ("a=b", [1], [{"key": 1}], [{"key": "k", "value": 2}]):
        with pytest.raises(SerializationException):
            check_tags(wrong)
    assert len(check_tags([{"key": f"k{i}"} for i in range(50)])) == 50
    with pytest.raises(InvalidParameterException):
        check_keys(["aws:x"])
    with pytest.raises(SerializationException):
        check_keys("team")


def test_tags_merge_and_removal() -> None:
    current = [{"key": "team", "value": "a"}, {"key": "env", "value": "dev"}]
    assert merge_tags(current, [{"key": "env", "value": "prod"}, {"key": "new", "value": ""}]) == [
        {"key": "team", "value": "a"},
        {"key": "env", "value": "prod"},
        {"key": "new", "value": ""},
    ]
    assert remove_tags(current, ["team", "absent"]) == [{"key": "env", "value": "dev"}]
    with pytest.raises(InvalidParameterException):
        merge_tags([{"key": f"k{i}", "value": ""} for i in range(50)], [{"key": "one-more", "value": ""}])


def _with_managers(*entries: tuple[str, str, list[str]]) -> dict[str, Any]:
    obj = copy.deepcopy(CLUSTER)
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "fieldsV1": {"f:spec": {f"f:{f}": {} for f in fields}}}
        for m, op, fields in entries
    ]
    return obj


def test_partial_apply_keeps_what_the_api_owns_and_leaves_kubectl_alone() -> None:
    obj = _with_managers(
        ("ecs-api", "Apply", ["clusterName", "tags", "configuration"]),
        ("kubectl-client-side-apply", "Update", ["capacityProviders", "defaultCapacityProviderStrategy"]),
        ("ecs-api", "Update", ["serviceConnectDefaults"]),  # not an apply: nothing to keep
    )
    assert owned_spec_members(obj) == {"clusterName", "tags", "configuration"}
    body = _body(obj, {"settings": [{"name": "containerInsights", "value": "enabled"}], "configuration": None})
    assert body["metadata"] == {"name": "batch", "namespace": "demo", "resourceVersion": "383"}
    assert set(body["spec"]) == {"clusterName", "tags", "settings"}  # configuration dropped by None
    assert body["spec"]["tags"] == CLUSTER["spec"]["tags"]


def test_partial_apply_restates_the_metadata_the_api_owns() -> None:
    obj = _with_managers(("ecs-api", "Apply", ["serviceName"]))
    obj["metadata"]["annotations"] = {"ecs.operator.dev/client-token": "t-1", "kubectl.io/note": "theirs"}
    obj["metadata"]["managedFields"][0]["fieldsV1"]["f:metadata"] = {
        "f:annotations": {".": {}, "f:ecs.operator.dev/client-token": {}}
    }
    body = _body(obj, {"tags": []})
    assert body["metadata"]["annotations"] == {"ecs.operator.dev/client-token": "t-1"}
    assert body["spec"] == {"tags": []}  # serviceName is not in this spec: nothing to restate


def test_delete_cluster_counts_only_tasks_not_stopped() -> None:
    def task(name: str, *, states: list[str] | None = None, **spec: Any) -> dict[str, Any]:
        status = {"tasks": [{"lastStatus": s} for s in states]} if states is not None else {}
        return {"metadata": {"name": name}, "spec": spec, "status": status}

    tasks = [
        task("running", states=["RUNNING", "STOPPED"]),
        task("stopped", states=["STOPPED"]),
        task("launching"),
        task("scheduled", schedule="rate(1 hour)"),
        task("told-to-stop", desiredStatus="STOPPED"),
        {**task("going", states=["RUNNING"]), "metadata": {"name": "going", "deletionTimestamp": "x"}},
    ]
    assert [t["metadata"]["name"] for t in active_tasks(tasks)] == ["running", "launching"]
