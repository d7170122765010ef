"""Service auto scaling: the real HPA controller drives an ECSService through its scale subresource."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from kube_helpers import get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle

pytestmark = pytest.mark.usefixtures("operator")

CPU_POLICY = {
    "targetValue": 60,
    "scaleInCooldown": 120,
    "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
}


def _service(cluster: ClusterHandle, namespace: str, name: str) -> dict[str, Any]:
    return get_json(cluster, "ecsservice", name, "-n", namespace)


def _conditions(hpa: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in (hpa.get("status") or {}).get("conditions", [])}


def test_hpa_scales_the_service_through_its_scale_subresource(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("web")], "-n", namespace)
    cluster.apply(
        [
            ecs_service(
                "web",
                "web",
                2,
                autoScaling={"minCapacity": 1, "maxCapacity": 6, "targetTrackingScalingPolicies": [CPU_POLICY]},
            )
        ],
        "-n",
        namespace,
    )

    def resolved():
        if cluster.kubectl("get", "hpa", "web", "-n", namespace, check=False).returncode != 0:
            return None
        hpa = get_json(cluster, "hpa", "web", "-n", namespace)
        # On a cluster whose CRDs were installed seconds ago, kube-controller-manager's discovery may
        # not know ECSService yet (FailedGetScale, "no matches for kind"); it refreshes on its own.
        able = _conditions(hpa).get("AbleToScale")
        return hpa if able is not None and able.get("reason") != "FailedGetScale" else None

    hpa = wait_for(resolved, timeout=90, message="the HPA controller to look at the ECSService")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "ECSService",
        "name": "web",
    }
    assert hpa["metadata"]["ownerReferences"][0]["kind"] == "ECSService"
    assert hpa["spec"]["metrics"][0]["resource"] == {
        "name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": 60},
    }
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 120
    able = _conditions(hpa)["AbleToScale"]
    assert able["status"] == "True", able
    assert "failed to get scale" not in json.dumps(hpa["status"]).lower()
    assert hpa["status"]["currentReplicas"] == 2

    # Raise the floor above the running count: the HPA controller scales the ECSService itself.
    cluster.kubectl(
        "patch",
        "ecsservice",
        "web",
        "-n",
        namespace,
        "--type",
        "merge",
        "-p",
        json.dumps({"spec": {"autoScaling": {"minCapacity": 4}}}),
    )

    def scaled():
        service = _service(cluster, namespace, "web")
        status = service.get("status") or {}
        return service if service["spec"]["desiredCount"] == 4 and status.get("runningCount") == 4 else None

    service = wait_for(scaled, timeout=90, interval=1, message="4 running tasks, set by the HPA")
    assert service["status"]["autoScaling"] == {"horizontalPodAutoscaler": "web", "minCapacity": 4, "maxCapacity": 6}
    with_fields = json.loads(
        cluster.kubectl("get", "ecsservice", "web", "-n", namespace, "-o", "json", "--show-managed-fields").stdout
    )
    writers = {
        m["manager"]
        for m in with_fields["metadata"]["managedFields"]
        if m.get("subresource") == "scale" and "f:desiredCount" in m.get("fieldsV1", {}).get("f:spec", {})
    }
    assert writers == {"kube-controller-manager"}, "desiredCount is written by the HPA through /scale"
    for _ in range(10):  # the operator does not scale it back
        time.sleep(1)
        service = _service(cluster, namespace, "web")
        assert service["spec"]["desiredCount"] == 4
        assert get_json(cluster, "deployment", "web", "-n", namespace)["spec"]["replicas"] == 4
    assert service["status"]["runningCount"] == 4

    # Removing autoScaling removes the HPA; desiredCount stays where it is.
    cluster.kubectl(
        "patch",
        "ecsservice",
        "web",
        "-n",
        namespace,
        "--type",
        "json",
        "-p",
        json.dumps([{"op": "remove", "path": "/spec/autoScaling"}]),
    )
    wait_for(
        lambda: cluster.kubectl("get", "hpa", "web", "-n", namespace, check=False).returncode != 0,
        timeout=30,
        message="the HPA to be deleted",
    )
    assert _service(cluster, namespace, "web")["spec"]["desiredCount"] == 4


def test_bounds_only_auto_scaling_keeps_desired_count_in_range(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("api")], "-n", namespace)
    cluster.apply([ecs_service("api", "api", 5, autoScaling={"minCapacity": 1, "maxCapacity": 3})], "-n", namespace)

    def clamped():
        service = _service(cluster, namespace, "api")
        return (
            service
            if service["spec"]["desiredCount"] == 3 and (service.get("status") or {}).get("runningCount") == 3
            else None
        )

    wait_for(clamped, timeout=90, interval=1, message="desiredCount brought down to maxCapacity 3")
    hpa = get_json(cluster, "hpa", "api", "-n", namespace)
    assert hpa["spec"]["behavior"]["scaleUp"]["selectPolicy"] == "Disabled"
    assert hpa["spec"]["behavior"]["scaleDown"]["selectPolicy"] == "Disabled"
