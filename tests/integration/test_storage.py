"""EFS volumes: one ReadWriteMany claim per file system, shared across zones, outliving services."""

from __future__ import annotations

from typing import Any

import pytest
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

FS = "fs-0123456789abcdef0"


def _files_td(name: str, zone: str) -> dict[str, Any]:
    containers = [
        {
            "name": "web",
            "image": "nginx:1.27",
            "memory": 128,
            "essential": True,
            "mountPoints": [{"sourceVolume": "shared", "containerPath": "/data"}],
        }
    ]
    return task_definition(
        name,
        containers=containers,
        volumes=[{"name": "shared", "efsVolumeConfiguration": {"fileSystemId": FS, "rootDirectory": "/"}}],
        placementConstraints=[{"type": "memberOf", "expression": f"attribute:ecs.availability-zone == {zone}"}],
    )


def _running_pod(cluster: ClusterHandle, namespace: str, service: str) -> dict[str, Any]:
    def check():
        pods = get_json(cluster, "pods", "-n", namespace, "-l", f"ecs.operator.dev/service={service}")["items"]
        return pods[0] if len(pods) == 1 and pods[0]["status"].get("phase") == "Running" else None

    return wait_for(check, timeout=90, message=f"the task of {service} to run")


def _zone(cluster: ClusterHandle, node: str) -> str:
    return get_json(cluster, "node", node)["metadata"]["labels"]["topology.kubernetes.io/zone"]


def test_services_in_two_zones_share_one_efs_claim_that_outlives_them(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([_files_td("files-a", "us-east-1a"), _files_td("files-b", "us-east-1b")], "-n", namespace)
    cluster.apply([ecs_service("files-a", "files-a", 1), ecs_service("files-b", "files-b", 1)], "-n", namespace)
    pod_a = _running_pod(cluster, namespace, "files-a")
    pod_b = _running_pod(cluster, namespace, "files-b")
    assert _zone(cluster, pod_a["spec"]["nodeName"]) == "us-east-1a"
    assert _zone(cluster, pod_b["spec"]["nodeName"]) == "us-east-1b"
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for p in (pod_a, pod_b)
        for v in p["spec"]["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims == {f"efs-{FS}"}

    pvcs = get_json(cluster, "pvc", "-n", namespace)["items"]
    assert [c["metadata"]["name"] for c in pvcs] == [f"efs-{FS}"]
    (pvc,) = pvcs
    assert pvc["status"]["phase"] == "Bound"
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert not pvc["metadata"].get("ownerReferences")  # data belongs to no service
    pv = get_json(cluster, "pv", pvc["spec"]["volumeName"])
    assert pv["spec"]["csi"] == {"driver": "efs.csi.aws.com", "volumeHandle": FS}
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"

    cluster.kubectl("delete", "ecsservice", "files-a", "files-b", "-n", namespace, "--wait=true", "--timeout=90s")
    wait_for(
        lambda: not get_json(cluster, "pods", "-n", namespace)["items"],
        timeout=60,
        message="the services' tasks to stop",
    )
    pvc = get_json(cluster, "pvc", f"efs-{FS}", "-n", namespace)
    assert pvc["status"]["phase"] == "Bound" and not pvc["metadata"].get("deletionTimestamp")


def test_host_path_provisioning_and_access_points(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply(
        [
            {
                "apiVersion": "ecs.operator.dev/v1alpha1",
                "kind": "ECSCluster",
                "metadata": {"name": "local"},
                "spec": {
                    "efsStorage": {"provisioning": "STATIC_HOST_PATH", "hostPathRoot": "/tmp/efs", "capacity": "1Gi"}
                },
            }
        ],
        "-n",
        namespace,
    )
    containers = [
        {
            "name": "web",
            "image": "nginx:1.27",
            "memory": 128,
            "mountPoints": [{"sourceVolume": "ap", "containerPath": "/data"}],
        }
    ]
    efs = {
        "fileSystemId": FS,
        "transitEncryption": "ENABLED",
        "authorizationConfig": {"accessPointId": "fsap-0a1b2c3d4e5f67890", "iam": "ENABLED"},
    }
    cluster.apply(
        [task_definition("ap", containers=containers, volumes=[{"name": "ap", "efsVolumeConfiguration": efs}])],
        "-n",
        namespace,
    )
    cluster.apply([ecs_service("ap", "ap", 1, cluster="local")], "-n", namespace)
    pod = _running_pod(cluster, namespace, "ap")
    (claim,) = [v["persistentVolumeClaim"]["claimName"] for v in pod["spec"]["volumes"] if "persistentVolumeClaim" in v]
    assert claim.startswith(f"efs-{FS}-")  # an access point is its own claim
    pvc = get_json(cluster, "pvc", claim, "-n", namespace)
    assert pvc["status"]["phase"] == "Bound"
    pv = get_json(cluster, "pv", pvc["spec"]["volumeName"])
    assert pv["spec"]["hostPath"]["path"] == f"/tmp/efs/{FS}/fsap-0a1b2c3d4e5f67890"
    assert pv["spec"]["capacity"]["storage"] == "1Gi"
