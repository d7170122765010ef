"""Clusters, container instances and capacity providers through the ECS API, on a real API server.

Each test signs its calls with a key confined to its own namespace; the operator writes the
cluster status (counts, container instances) that DescribeClusters and the container-instance
calls report.
"""

from __future__ import annotations

import json

from ecs_api import ACCOUNT, REGION, EcsClient
from kube_helpers import get_json, wait_for
from manifests import API, ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_shapes import output_problems

PREFIX = f"arn:aws:ecs:{REGION}:{ACCOUNT}"


def _ok(ecs: EcsClient, action: str, body: dict | None = None) -> dict:
    """A call that must succeed, with an answer botocore's output shape accepts."""
    answer = ecs.ok(action, body)
    assert output_problems(action, answer) == [], (action, answer)
    return answer


def _describe(ecs: EcsClient, name: str, *include: str) -> dict | None:
    body = _ok(ecs, "DescribeClusters", {"clusters": [name], "include": list(include)})
    return body["clusters"][0] if body["clusters"] else None


def _apply(cluster: ClusterHandle, namespace: str, *objects: dict) -> None:
    cluster.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}),
    )


def test_cluster_lifecycle_through_the_api(ecs: EcsClient, operator, cluster: ClusterHandle, namespace: str) -> None:
    created = _ok(
        ecs,
        "CreateCluster",
        {
            "clusterName": "prod",
            "tags": [{"key": "team", "value": "payments"}],
            "settings": [{"name": "containerInsights", "value": "enabled"}],
        },
    )["cluster"]
    assert created["clusterArn"] == f"{PREFIX}:cluster/prod"
    assert (created["clusterName"], created["status"]) == ("prod", "ACTIVE")
    assert created["tags"] == [{"key": "team", "value": "payments"}]
    again = _ok(ecs, "CreateCluster", {"clusterName": "prod"})["cluster"]
    assert again["clusterArn"] == created["clusterArn"]
    assert again["tags"] == created["tags"], "CreateCluster of an existing cluster must leave it as it is"
    # API-created: an ordinary custom resource.
    obj = get_json(cluster, "ecscluster", "prod", "-n", namespace)
    assert obj["spec"]["clusterName"] == "prod"
    assert obj["spec"]["settings"] == [{"name": "containerInsights", "value": "enabled"}]

    full = _ok(
        ecs,
        "DescribeClusters",
        {
            "clusters": ["prod", f"{PREFIX}:cluster/nope"],
            "include": ["TAGS", "SETTINGS", "CONFIGURATIONS", "STATISTICS", "ATTACHMENTS"],
        },
    )
    assert [c["clusterName"] for c in full["clusters"]] == ["prod"]
    assert full["failures"] == [{"arn": f"{PREFIX}:cluster/nope", "reason": "MISSING"}]
    shown = full["clusters"][0]
    assert shown["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert {s["name"] for s in shown["statistics"]} >= {
        "runningEC2TasksCount",
        "runningFargateTasksCount",
        "activeEC2ServiceCount",
    }
    assert all(isinstance(s["value"], str) for s in shown["statistics"])
    assert shown["attachments"] == []
    plain = _describe(ecs, "prod")
    assert plain is not None and "settings" not in plain and plain["tags"] == [] and plain["statistics"] == []

    # The operator's count reaches the API: every node is a container instance of a cluster
    # without capacity providers.
    counted = wait_for(
        lambda: (_describe(ecs, "prod") or {}).get("registeredContainerInstancesCount"),
        timeout=60,
        message="container instances counted",
    )
    assert counted >= 1

    _ok(ecs, "CreateCluster", {"clusterName": "dev"})
    first = _ok(ecs, "ListClusters", {"maxResults": 1})
    assert len(first["clusterArns"]) == 1 and first["nextToken"]
    second = _ok(ecs, "ListClusters", {"maxResults": 1, "nextToken": first["nextToken"]})
    assert sorted(first["clusterArns"] + second["clusterArns"]) == [f"{PREFIX}:cluster/dev", f"{PREFIX}:cluster/prod"]
    assert "nextToken" not in second

    updated = _ok(
        ecs,
        "UpdateClusterSettings",
        {"cluster": "prod", "settings": [{"name": "containerInsights", "value": "disabled"}]},
    )["cluster"]
    assert updated["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert updated["tags"] == [{"key": "team", "value": "payments"}], "an update must not drop members it does not name"
    configured = _ok(
        ecs,
        "UpdateCluster",
        {"cluster": f"{PREFIX}:cluster/prod", "configuration": {"executeCommandConfiguration": {"logging": "DEFAULT"}}},
    )["cluster"]
    assert configured["configuration"] == {"executeCommandConfiguration": {"logging": "DEFAULT"}}
    assert configured["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    providers = _ok(
        ecs,
        "PutClusterCapacityProviders",
        {
            "cluster": "prod",
            "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
            "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
        },
    )["cluster"]
    assert providers["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert providers["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    obj = get_json(cluster, "ecscluster", "prod", "-n", namespace)
    assert obj["spec"]["tags"] == [{"key": "team", "value": "payments"}]
    assert obj["spec"]["configuration"] == {"executeCommandConfiguration": {"logging": "DEFAULT"}}
    assert obj["spec"]["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]

    deleted = _ok(ecs, "DeleteCluster", {"cluster": "prod"})["cluster"]
    assert (deleted["clusterArn"], deleted["status"]) == (f"{PREFIX}:cluster/prod", "INACTIVE")
    wait_for(
        lambda: (
            _ok(ecs, "DescribeClusters", {"clusters": ["prod"]})["failures"]
            == [{"arn": f"{PREFIX}:cluster/prod", "reason": "MISSING"}]
        ),
        timeout=60,
        message="the deleted cluster to be gone",
    )
    assert ecs.call("DeleteCluster", {"cluster": "prod"}).error == "ClusterNotFoundException"
    assert _ok(ecs, "ListClusters")["clusterArns"] == [f"{PREFIX}:cluster/dev"]


def test_delete_refused_while_a_service_is_active(
    ecs: EcsClient, operator, cluster: ClusterHandle, namespace: str
) -> None:
    _ok(ecs, "CreateCluster", {"clusterName": "busy"})
    _apply(cluster, namespace, task_definition("web"), ecs_service("web", "web", desired=1, cluster="busy"))
    wait_for(
        lambda: (_describe(ecs, "busy") or {}).get("activeServicesCount") == 1,
        timeout=60,
        message="the service counted",
    )
    refused = ecs.call("DeleteCluster", {"cluster": "busy"})
    assert (refused.status, refused.error) == (400, "ClusterContainsServicesException"), refused.body
    assert "Services are active" in refused.body["message"]
    assert get_json(cluster, "ecscluster", "busy", "-n", namespace)["metadata"].get("deletionTimestamp") is None
    cluster.kubectl("delete", "ecsservice", "web", "-n", namespace, "--wait=true", "--timeout=60s")
    wait_for(
        lambda: ecs.call("DeleteCluster", {"cluster": "busy"}).status == 200,
        timeout=30,
        message="DeleteCluster once the service is gone",
    )


def test_kubectl_cluster_and_api_updates_hold_together(
    ecs: EcsClient, operator, cluster: ClusterHandle, namespace: str
) -> None:
    manifest = {
        "apiVersion": API,
        "kind": "ECSCluster",
        "metadata": {"name": "kube-object"},
        "spec": {"clusterName": "kube-made", "tags": [{"key": "owner", "value": "kubectl"}]},
    }
    _apply(cluster, namespace, manifest)
    shown = wait_for(
        lambda: _describe(ecs, "kube-made", "TAGS"), timeout=30, message="the kubectl-applied cluster through the API"
    )
    assert shown["clusterArn"] == f"{PREFIX}:cluster/kube-made"
    assert shown["tags"] == [{"key": "owner", "value": "kubectl"}]
    assert f"{PREFIX}:cluster/kube-made" in _ok(ecs, "ListClusters")["clusterArns"]
    _ok(
        ecs,
        "UpdateClusterSettings",
        {"cluster": "kube-made", "settings": [{"name": "containerInsights", "value": "enhanced"}]},
    )
    obj = get_json(cluster, "ecscluster", "kube-object", "-n", namespace)
    assert obj["spec"]["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert obj["spec"]["tags"] == [{"key": "owner", "value": "kubectl"}], "kubectl's member survives an API update"
    # kubectl applies its manifest again: the API's member survives too.
    _apply(cluster, namespace, manifest)
    obj = get_json(cluster, "ecscluster", "kube-object", "-n", namespace, "--show-managed-fields")
    assert obj["spec"]["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    managers = {e["manager"] for e in obj["metadata"]["managedFields"]}
    assert "ecs-api" in managers


def test_container_instances_are_the_nodes(ecs: EcsClient, operator, cluster: ClusterHandle, namespace: str) -> None:
    _ok(ecs, "CreateCluster", {"clusterName": "nodes"})
    listed = wait_for(
        lambda: _ok(ecs, "ListContainerInstances", {"cluster": "nodes"})["containerInstanceArns"],
        timeout=60,
        message="container instances",
    )
    nodes = {n["metadata"]["name"]: n for n in get_json(cluster, "nodes")["items"]}
    assert all(a.startswith(f"{PREFIX}:container-instance/nodes/") for a in listed)
    ids = {a.rsplit("/", 1)[-1] for a in listed}
    assert ids <= {n["metadata"]["uid"].replace("-", "") for n in nodes.values()}
    assert _ok(ecs, "ListContainerInstances", {"cluster": "nodes"})["containerInstanceArns"] == listed, "ids are stable"

    paged = _ok(ecs, "ListContainerInstances", {"cluster": "nodes", "maxResults": 2})
    assert len(paged["containerInstanceArns"]) == min(2, len(listed))
    if len(listed) > 2:
        rest = _ok(
            ecs, "ListContainerInstances", {"cluster": "nodes", "maxResults": 100, "nextToken": paged["nextToken"]}
        )
        assert paged["containerInstanceArns"] + rest["containerInstanceArns"] == listed

    m5 = _ok(ecs, "ListContainerInstances", {"cluster": "nodes", "filter": "attribute:ecs.instance-type == m5.xlarge"})
    expected = sorted(
        f"{PREFIX}:container-instance/nodes/{n['metadata']['uid'].replace('-', '')}"
        for n in nodes.values()
        if n["metadata"]["labels"].get("node.kubernetes.io/instance-type") == "m5.xlarge"
    )
    assert m5["containerInstanceArns"] == expected and expected

    node = nodes["ng-ondemand-a"]
    node_arn = f"{PREFIX}:container-instance/nodes/{node['metadata']['uid'].replace('-', '')}"
    assert node_arn in listed
    answer = _ok(
        ecs,
        "DescribeContainerInstances",
        {
            "cluster": "nodes",
            "containerInstances": [node_arn, node_arn.rsplit("/", 1)[-1], "ng-ondemand-a", "no-such-node"],
            "include": ["CONTAINER_INSTANCE_HEALTH"],
        },
    )
    assert [i["containerInstanceArn"] for i in answer["containerInstances"]] == [node_arn] * 3
    assert answer["failures"] == [{"arn": f"{PREFIX}:container-instance/nodes/no-such-node", "reason": "MISSING"}]
    instance = answer["containerInstances"][0]
    assert instance["ec2InstanceId"] == node["spec"]["providerID"].rsplit("/", 1)[-1]
    assert (instance["status"], instance["agentConnected"]) == ("ACTIVE", True)
    cpu = next(r for r in instance["registeredResources"] if r["name"] == "CPU")
    assert cpu["type"] == "INTEGER" and cpu["integerValue"] > 0
    attributes = {a["name"]: a.get("value") for a in instance["attributes"]}
    assert attributes["ecs.instance-type"] == "m5.xlarge"
    assert attributes["ecs.availability-zone"] == "us-east-1a"
    assert instance["healthStatus"]["overallStatus"] == "OK"
    assert isinstance(instance["registeredAt"], (int, float))

    cluster.kubectl("cordon", "ng-spot-b")
    try:
        spot = nodes["ng-spot-b"]["metadata"]["uid"].replace("-", "")
        draining = wait_for(
            lambda: _ok(ecs, "ListContainerInstances", {"cluster": "nodes", "status": "DRAINING"})[
                "containerInstanceArns"
            ],
            timeout=60,
            message="the cordoned node DRAINING",
        )
        assert draining == [f"{PREFIX}:container-instance/nodes/{spot}"]
        active = _ok(ecs, "ListContainerInstances", {"cluster": "nodes", "status": "ACTIVE"})["containerInstanceArns"]
        assert draining[0] not in active
    finally:
        cluster.kubectl("uncordon", "ng-spot-b")


def test_capacity_providers(ecs: EcsClient, operator, cluster: ClusterHandle, namespace: str) -> None:
    profiles = {
        "apiVersion": API,
        "kind": "ECSCluster",
        "metadata": {"name": "mixed"},
        "spec": {
            "capacityProviders": ["FARGATE", "spot-nodes"],
            "capacityProviderProfiles": [
                {"name": "spot-nodes", "type": "MANAGED_NODEGROUP", "nodegroupName": "ng-spot", "capacityType": "SPOT"}
            ],
        },
    }
    _apply(cluster, namespace, profiles)
    wait_for(lambda: _describe(ecs, "mixed"), timeout=30, message="the cluster through the API")
    every = _ok(ecs, "DescribeCapacityProviders", {"cluster": "mixed"})
    by_name = {p["name"]: p for p in every["capacityProviders"]}
    assert set(by_name) == {"FARGATE", "FARGATE_SPOT", "spot-nodes"}
    assert by_name["FARGATE"]["type"] == "FARGATE" and by_name["FARGATE"]["status"] == "ACTIVE"
    assert by_name["spot-nodes"]["capacityProviderArn"] == f"{PREFIX}:capacity-provider/spot-nodes"
    assert by_name["spot-nodes"]["autoScalingGroupProvider"]["autoScalingGroupArn"] == "ng-spot"
    some = _ok(ecs, "DescribeCapacityProviders", {"capacityProviders": ["FARGATE_SPOT", "nope"]})
    assert [p["name"] for p in some["capacityProviders"]] == ["FARGATE_SPOT"]
    assert some["failures"] == [{"arn": f"{PREFIX}:capacity-provider/nope", "reason": "MISSING"}]
    # The spot profile's nodes are the cluster's container instances, with their provider.
    listed = wait_for(
        lambda: _ok(ecs, "ListContainerInstances", {"cluster": "mixed"})["containerInstanceArns"],
        timeout=60,
        message="spot instances",
    )
    described = _ok(ecs, "DescribeContainerInstances", {"cluster": "mixed", "containerInstances": listed})[
        "containerInstances"
    ]
    assert {i["capacityProviderName"] for i in described} == {"spot-nodes"}
    # A provider a service uses cannot be removed.
    _apply(
        cluster,
        namespace,
        task_definition("web"),
        ecs_service(
            "web",
            "web",
            desired=0,
            cluster="mixed",
            capacityProviderStrategy=[{"capacityProvider": "spot-nodes", "weight": 1}],
        ),
    )

    def refused() -> bool:
        answer = ecs.call(
            "PutClusterCapacityProviders",
            {"cluster": "mixed", "capacityProviders": ["FARGATE"], "defaultCapacityProviderStrategy": []},
        )
        return answer.error == "ResourceInUseException"

    wait_for(refused, timeout=30, message="ResourceInUseException")
    assert get_json(cluster, "ecscluster", "mixed", "-n", namespace)["spec"]["capacityProviders"] == [
        "FARGATE",
        "spot-nodes",
    ]


def test_bad_input_is_a_client_error(ecs: EcsClient, namespace: str) -> None:
    _ok(ecs, "CreateCluster", {"clusterName": "good"})
    cases = [
        ("CreateCluster", {"clusterName": 5}, "SerializationException"),
        ("CreateCluster", {"clusterName": "bad name!"}, "InvalidParameterException"),
        ("CreateCluster", {"clusterName": "   "}, "InvalidParameterException"),
        (
            "CreateCluster",
            {"clusterName": "x", "tags": [{"key": f"k{i}", "value": "v"} for i in range(51)]},
            "InvalidParameterException",
        ),
        ("CreateCluster", {"clusterName": "x", "tags": "a=b"}, "SerializationException"),
        (
            "CreateCluster",
            {"clusterName": "x", "settings": [{"name": "nope", "value": "enabled"}]},
            "InvalidParameterException",
        ),
        ("CreateCluster", {"clusterName": "x", "capacityProviders": ["no-such-provider"]}, "InvalidParameterException"),
        ("CreateCluster", {"clusterName": "x", "configuration": []}, "SerializationException"),
        ("DescribeClusters", {"clusters": "good"}, "SerializationException"),
        ("DescribeClusters", {"clusters": [f"c{i}" for i in range(101)]}, "InvalidParameterException"),
        ("DescribeClusters", {"include": ["EVERYTHING"]}, "InvalidParameterException"),
        ("ListClusters", {"maxResults": 0}, "InvalidParameterException"),
        ("ListClusters", {"nextToken": "garbage!"}, "InvalidParameterException"),
        ("UpdateCluster", {}, "InvalidParameterException"),
        ("UpdateCluster", {"cluster": "missing"}, "ClusterNotFoundException"),
        ("UpdateClusterSettings", {"cluster": "good"}, "InvalidParameterException"),
        (
            "UpdateClusterSettings",
            {"cluster": "good", "settings": [{"name": "containerInsights", "value": 1}]},
            "InvalidParameterException",
        ),
        (
            "PutClusterCapacityProviders",
            {"cluster": "good", "capacityProviders": ["FARGATE"]},
            "InvalidParameterException",
        ),
        (
            "PutClusterCapacityProviders",
            {"cluster": "good", "capacityProviders": ["nope"], "defaultCapacityProviderStrategy": []},
            "InvalidParameterException",
        ),
        (
            "PutClusterCapacityProviders",
            {
                "cluster": "good",
                "capacityProviders": ["FARGATE"],
                "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
            },
            "InvalidParameterException",
        ),
        ("DeleteCluster", {}, "InvalidParameterException"),
        ("DeleteCluster", {"cluster": "missing"}, "ClusterNotFoundException"),
        ("ListContainerInstances", {"cluster": "missing"}, "ClusterNotFoundException"),
        ("ListContainerInstances", {"cluster": "good", "status": "SLEEPING"}, "InvalidParameterException"),
        (
            "ListContainerInstances",
            {"cluster": "good", "filter": "attribute:ecs.instance-type =="},
            "InvalidParameterException",
        ),
        ("DescribeContainerInstances", {"cluster": "good"}, "InvalidParameterException"),
        ("DescribeContainerInstances", {"cluster": "good", "containerInstances": [1]}, "SerializationException"),
        ("DescribeCapacityProviders", {"maxResults": 11}, "InvalidParameterException"),
    ]
    for action, body, expected in cases:
        answer = ecs.call(action, body)
        assert (answer.status, answer.error) == (400, expected), (action, body, answer.body)
    assert _ok(ecs, "DescribeClusters", {"clusters": ["good"]})["clusters"][0]["status"] == "ACTIVE"


def test_delete_refused_while_a_task_runs_and_kubectl_delete_shows_deprovisioning(
    ecs: EcsClient, operator, cluster: ClusterHandle, namespace: str
) -> None:
    _ok(ecs, "CreateCluster", {"clusterName": "runs"})
    task = {
        "apiVersion": API,
        "kind": "ECSTask",
        "metadata": {"name": "server"},
        "spec": {"cluster": "runs", "taskDefinition": "web"},
    }
    _apply(cluster, namespace, task_definition("web"), task)

    def refused() -> bool:
        answer = ecs.call("DeleteCluster", {"cluster": "runs"})
        assert answer.status != 200, "DeleteCluster must not delete a cluster whose task runs"
        return answer.error == "ClusterContainsTasksException"

    wait_for(refused, timeout=30, message="ClusterContainsTasksException")
    # Deleted with kubectl instead: the operator holds it DEPROVISIONING while the task is there.
    cluster.kubectl("delete", "ecscluster", "runs", "-n", namespace, "--wait=false")
    wait_for(
        lambda: (_describe(ecs, "runs") or {}).get("status") == "DEPROVISIONING", timeout=30, message="DEPROVISIONING"
    )
    assert ecs.call("UpdateClusterSettings", {"cluster": "runs", "settings": []}).error == "ClusterNotFoundException"
    assert ecs.call("CreateCluster", {"clusterName": "runs"}).error == "ClientException"
    cluster.kubectl("delete", "ecstask", "server", "-n", namespace, "--wait=true", "--timeout=60s")
    wait_for(lambda: _describe(ecs, "runs") is None, timeout=60, message="the cluster gone once its task is")
