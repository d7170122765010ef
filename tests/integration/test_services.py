"""ECSService and TaskDefinition reconciliation on a real API server, operator running."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from typing import Any

import pytest
from kube_helpers import admission_webhook_expected, get_json, wait_for
from manifests import ecs_service, task_definition

from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_operator.localcluster.nodes import M5_LARGE, FakeNode

pytestmark = pytest.mark.usefixtures("operator")

NEVER_READY = {"ecs.operator.dev/kwok-never-ready": "true"}


def _status(cluster: ClusterHandle, namespace: str, name: str) -> dict[str, Any]:
    return get_json(cluster, "ecsservice", name, "-n", namespace).get("status") or {}


def _pods(cluster: ClusterHandle, namespace: str, service: str) -> list[dict[str, Any]]:
    return get_json(cluster, "pods", "-n", namespace, "-l", f"ecs.operator.dev/service={service}")["items"]


def _ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def _steady(cluster: ClusterHandle, namespace: str, name: str, desired: int, revision: int | None = None):
    def check():
        status = _status(cluster, namespace, name)
        deployments = status.get("deployments") or []
        ok = (
            status.get("runningCount") == desired
            and status.get("pendingCount") == 0
            and len(deployments) == 1
            and deployments[0].get("rolloutState") == "COMPLETED"
        )
        if ok and revision is not None:
            ok = deployments[0].get("taskDefinitionRevision") == revision
        return status if ok else None

    return wait_for(check, timeout=90, message=f"service {name} steady at {desired} tasks (revision {revision})")


def _messages(status: dict[str, Any]) -> list[str]:
    return [e["message"] for e in status.get("events", [])]


class PodWatch:
    """`kubectl get pods -w` in the background, recording ready/total counts after every event.

    Sampling starts once the initial listing (`initial` pods) has arrived, so the watch's own
    one-by-one replay of existing pods is not mistaken for a dip.
    """

    def __init__(self, cluster: ClusterHandle, namespace: str, selector: str, initial: int) -> None:
        self.initial = initial
        self.synced = False
        self.pods: dict[str, dict[str, Any]] = {}
        self.samples: list[tuple[int, int]] = []
        self.proc = subprocess.Popen(
            [
                cluster.kubectl_binary,
                "--kubeconfig",
                str(cluster.kubeconfig),
                "get",
                "pods",
                "-n",
                namespace,
                "-l",
                selector,
                "--watch",
                "--output-watch-events",
                "-o",
                "json",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        decoder = json.JSONDecoder()
        buffer = ""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            buffer += line
            while buffer.strip():
                try:
                    event, end = decoder.raw_decode(buffer.lstrip())
                except ValueError:
                    break
                buffer = buffer.lstrip()[end:]
                pod = event["object"]
                name = pod["metadata"]["name"]
                if event["type"] == "DELETED":
                    self.pods.pop(name, None)
                else:
                    self.pods[name] = pod
                self.synced = self.synced or len(self.pods) >= self.initial
                if self.synced:
                    # ECS bounds tasks in PENDING or RUNNING: a task already stopping (deletionTimestamp
                    # set, DEACTIVATING) counts neither as ready nor toward maximumPercent.
                    live = [p for p in self.pods.values() if not p["metadata"].get("deletionTimestamp")]
                    self.samples.append((sum(1 for p in live if _ready(p)), len(live)))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def test_rolling_update_respects_ecs_percentages(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("web")], "-n", namespace)
    cluster.apply(
        [ecs_service("web", "web", 4, deploymentConfiguration={"maximumPercent": 150, "minimumHealthyPercent": 50})],
        "-n",
        namespace,
    )
    _steady(cluster, namespace, "web", 4, revision=1)
    deployment = get_json(cluster, "deployment", "web", "-n", namespace)
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 2, "maxUnavailable": 2}

    watch = PodWatch(cluster, namespace, "ecs.operator.dev/service=web", initial=4)
    time.sleep(1)
    cluster.apply([task_definition("web", image="nginx:1.28")], "-n", namespace)
    status = _steady(cluster, namespace, "web", 4, revision=2)
    time.sleep(1)
    watch.stop()

    assert watch.samples, "the watch saw no pod events"
    assert min(ready for ready, _ in watch.samples) >= 2
    assert max(total for _, total in watch.samples) <= 6
    pods = _pods(cluster, namespace, "web")
    assert len(pods) == 4 and all(_ready(p) for p in pods)
    assert {p["metadata"]["labels"]["ecs.operator.dev/revision"] for p in pods} == {"2"}
    assert {c["image"] for p in pods for c in p["spec"]["containers"]} == {"nginx:1.28"}
    assert status["deployments"][0]["status"] == "PRIMARY"
    assert status["taskDefinition"] == "web:2"
    assert "(service web) has reached a steady state." in _messages(status)
    td = get_json(cluster, "taskdefinition", "web", "-n", namespace)
    assert td["status"]["revision"] == 2 and td["status"]["revisions"] == [1, 2]
    revisions = get_json(cluster, "controllerrevisions", "-n", namespace, "-l", "ecs.operator.dev/task-definition=web")[
        "items"
    ]
    assert sorted(r["revision"] for r in revisions) == [1, 2]


def test_circuit_breaker_rolls_back(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("api")], "-n", namespace)
    cluster.apply(
        [
            ecs_service(
                "api",
                "api",
                2,
                propagateTags="TASK_DEFINITION",
                healthCheckGracePeriodSeconds=2,
                deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
            )
        ],
        "-n",
        namespace,
    )
    _steady(cluster, namespace, "api", 2, revision=1)
    cluster.apply([task_definition("api", image="nginx:broken", tags=NEVER_READY)], "-n", namespace)

    def failed_then_back():
        status = _status(cluster, namespace, "api")
        messages = _messages(status)
        return status if any("deployment failed: tasks failed to start." in m for m in messages) else None

    status = wait_for(failed_then_back, timeout=120, message="the circuit breaker to trip")
    status = _steady(cluster, namespace, "api", 2, revision=1)
    messages = _messages(status)
    assert any("rolling back to deployment" in m for m in messages)
    assert status["rollback"]["fromRevision"] == 2 and status["rollback"]["toRevision"] == 1
    pods = _pods(cluster, namespace, "api")
    assert {p["metadata"]["labels"]["ecs.operator.dev/revision"] for p in pods} == {"1"}
    events = cluster.kubectl(
        "get", "events", "-n", namespace, "--field-selector", "involvedObject.kind=ECSService"
    ).stdout
    assert "deployment failed" in events


def test_circuit_breaker_without_rollback_marks_failed(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("batchy")], "-n", namespace)
    cluster.apply(
        [
            ecs_service(
                "batchy",
                "batchy",
                1,
                propagateTags="TASK_DEFINITION",
                healthCheckGracePeriodSeconds=1,
                deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
            )
        ],
        "-n",
        namespace,
    )
    _steady(cluster, namespace, "batchy", 1, revision=1)
    cluster.apply([task_definition("batchy", image="nginx:broken", tags=NEVER_READY)], "-n", namespace)

    def failed():
        status = _status(cluster, namespace, "batchy")
        primary = (status.get("deployments") or [{}])[0]
        return status if primary.get("rolloutState") == "FAILED" else None

    status = wait_for(failed, timeout=120, message="rolloutState FAILED")
    # ECS's threshold: 0.5 x desiredCount, at least 3 (API reference, ServiceDeploymentCircuitBreaker).
    assert status["deployments"][0]["failedTasks"] >= 3
    assert status["deployments"][0]["circuitBreaker"] == {"status": "TRIGGERED", "failureCount": 3, "threshold": 3}
    degraded = {c["type"]: c for c in status["conditions"]}["Degraded"]
    assert degraded["status"] == "True"


def test_daemon_runs_one_task_per_node(cluster: ClusterHandle, namespace: str) -> None:
    nodes = [
        n["metadata"]["name"]
        for n in get_json(cluster, "nodes")["items"]
        if not n["spec"].get("unschedulable") and not n["spec"].get("taints")
    ]
    cluster.apply(
        [
            task_definition(
                "agent",
                containers=[{"name": "agent", "image": "fluent-bit", "cpu": 32, "memory": 64, "essential": True}],
            )
        ],
        "-n",
        namespace,
    )
    cluster.apply([ecs_service("agent", "agent", schedulingStrategy="DAEMON")], "-n", namespace)

    def one_per_node(expected: int):
        pods = [p for p in _pods(cluster, namespace, "agent") if _ready(p)]
        status = _status(cluster, namespace, "agent")
        ok = len({p["spec"]["nodeName"] for p in pods}) == expected == len(pods) == status.get("runningCount")
        return pods if ok else None

    wait_for(lambda: one_per_node(len(nodes)), timeout=60, message=f"{len(nodes)} daemon tasks")
    assert (
        get_json(cluster, "daemonset", "agent", "-n", namespace)["metadata"]["ownerReferences"][0]["kind"]
        == "ECSService"
    )

    extra = FakeNode(f"extra-{namespace[-5:]}", M5_LARGE, "us-east-1c", {"eks.amazonaws.com/nodegroup": "extra"})
    cluster.apply([extra.manifest()])
    try:
        pods = wait_for(lambda: one_per_node(len(nodes) + 1), timeout=60, message="a task on the new node")
        assert extra.name in {p["spec"]["nodeName"] for p in pods}
    finally:
        cluster.kubectl("delete", "node", extra.name, "--wait=false", check=False)


def _exit_tags(container: str) -> dict[str, str]:
    return {
        "ecs.operator.dev/kwok-exit-code": "1",
        "ecs.operator.dev/kwok-exit-after": "2s",
        "ecs.operator.dev/kwok-exit-container": container,
    }


def _two_containers(name: str, tags: dict[str, str]) -> dict[str, Any]:
    return task_definition(
        name,
        tags=tags,
        containers=[
            {"name": "app", "image": "app:1", "cpu": 64, "memory": 128, "essential": True},
            {"name": "sidecar", "image": "sidecar:1", "cpu": 32, "memory": 64, "essential": False},
        ],
    )


def test_essential_container_exit_replaces_the_task(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([_two_containers("ess", _exit_tags("app"))], "-n", namespace)
    cluster.apply([ecs_service("ess", "ess", 1, propagateTags="TASK_DEFINITION")], "-n", namespace)
    first = wait_for(lambda: _pods(cluster, namespace, "ess"), timeout=60, message="a task")[0]["metadata"]["name"]

    def replaced():
        status = _status(cluster, namespace, "ess")
        # the operator deletes the task, then writes status: wait for the stop message itself
        stopped = [m for m in _messages(status) if f"(task {first})" in m and "has stopped" in m]
        names = {p["metadata"]["name"] for p in _pods(cluster, namespace, "ess")}
        return stopped if stopped and first not in names and names else None

    stopped = wait_for(replaced, timeout=60, message="the task to be stopped and replaced")
    assert "EssentialContainerExited" in stopped[0]
    assert "container app exit code 1" in stopped[0]


def test_non_essential_container_exit_keeps_the_task(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([_two_containers("noness", _exit_tags("sidecar"))], "-n", namespace)
    cluster.apply([ecs_service("noness", "noness", 1, propagateTags="TASK_DEFINITION")], "-n", namespace)

    def sidecar_exited():
        pods = _pods(cluster, namespace, "noness")
        for pod in pods:
            for s in pod["status"].get("containerStatuses", []):
                if s["name"] == "sidecar" and "terminated" in s["state"]:
                    return pod
        return None

    pod = wait_for(sidecar_exited, timeout=60, message="the sidecar to exit")
    time.sleep(4)  # several reconciles later the task is still there
    names = [p["metadata"]["name"] for p in _pods(cluster, namespace, "noness")]
    assert names == [pod["metadata"]["name"]]
    assert not [m for m in _messages(_status(cluster, namespace, "noness")) if "has stopped" in m]


def test_pinned_revision_does_not_follow_latest(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("site")], "-n", namespace)
    cluster.apply([ecs_service("follows", "site", 1), ecs_service("pinned", "site:1", 1)], "-n", namespace)
    _steady(cluster, namespace, "follows", 1, revision=1)
    _steady(cluster, namespace, "pinned", 1, revision=1)
    cluster.apply([task_definition("site", image="nginx:1.28")], "-n", namespace)
    _steady(cluster, namespace, "follows", 1, revision=2)
    time.sleep(2)
    pinned = _steady(cluster, namespace, "pinned", 1, revision=1)
    assert pinned["taskDefinition"] == "site:1"
    image = get_json(cluster, "deployment", "pinned", "-n", namespace)["spec"]["template"]["spec"]["containers"][0][
        "image"
    ]
    assert image == "nginx:1.27"


def test_drift_is_repaired(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("drift")], "-n", namespace)
    cluster.apply([ecs_service("drift", "drift", 3)], "-n", namespace)
    _steady(cluster, namespace, "drift", 3)
    cluster.kubectl("scale", "deployment", "drift", "--replicas=1", "-n", namespace)
    wait_for(
        lambda: get_json(cluster, "deployment", "drift", "-n", namespace)["spec"]["replicas"] == 3,
        timeout=15,
        message="replicas restored to 3",
    )
    cluster.kubectl("delete", "service", "drift", "-n", namespace)
    wait_for(
        lambda: cluster.kubectl("get", "service", "drift", "-n", namespace, check=False).returncode == 0,
        timeout=15,
        message="the Service to be recreated",
    )
    cluster.kubectl("delete", "deployment", "drift", "-n", namespace, "--wait=false")
    wait_for(
        lambda: cluster.kubectl("get", "deployment", "drift", "-n", namespace, check=False).returncode == 0,
        timeout=15,
        message="the Deployment to be recreated",
    )
    _steady(cluster, namespace, "drift", 3)


def test_delete_drains_and_collects(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("gone")], "-n", namespace)
    cluster.apply([ecs_service("gone", "gone", 2)], "-n", namespace)
    _steady(cluster, namespace, "gone", 2)
    cluster.kubectl("delete", "ecsservice", "gone", "-n", namespace, "--wait=true", timeout=60)
    wait_for(lambda: not _pods(cluster, namespace, "gone"), timeout=30, message="tasks stopped")
    wait_for(
        lambda: (
            cluster.kubectl("get", "deployment,service", "gone", "-n", namespace, check=False).returncode != 0
            and not get_json(cluster, "deployments", "-n", namespace)["items"]
        ),
        timeout=30,
        message="owned objects garbage-collected",
    )
    assert get_json(cluster, "taskdefinition", "gone", "-n", namespace)["status"]["revision"] == 1


def test_missing_task_definition_then_recovery(cluster: ClusterHandle, namespace: str, operator) -> None:
    cluster.apply([ecs_service("late", "late-family", 2)], "-n", namespace)

    def reported():
        status = _status(cluster, namespace, "late")
        conditions = {c["type"]: c for c in status.get("conditions", [])}
        degraded = conditions.get("Degraded", {})
        return degraded if degraded.get("reason") == "TaskDefinitionNotFound" else None

    degraded = wait_for(reported, timeout=30, message="TaskDefinitionNotFound condition")
    assert "late-family" in degraded["message"] and "taskDefinition" in degraded["message"]
    events = cluster.kubectl(
        "get", "events", "-n", namespace, "--field-selector", "reason=TaskDefinitionNotFound"
    ).stdout
    assert "late-family" in events
    cluster.apply([task_definition("late-family")], "-n", namespace)
    status = _steady(cluster, namespace, "late", 2)
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Degraded"]["status"] == "False" and conditions["Ready"]["status"] == "True"
    assert operator.alive()


def test_invalid_spec_is_reported_and_fixing_it_recovers(cluster: ClusterHandle, namespace: str, operator) -> None:
    # Passes the CRD (each value is valid alone) but breaks a cross-field ECS rule the operator checks.
    bad = task_definition(
        "shaky",
        containers=[
            {
                "name": "app",
                "image": "app:1",
                "essential": True,
                "memory": 256,
                "dependsOn": [{"containerName": "app", "condition": "START"}],
            }
        ],
    )
    result = cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(bad), check=False)
    if admission_webhook_expected():
        # The CRD admits it (each value is valid alone); the operator's webhook refuses it at apply,
        # naming the field, with the message status would show.
        assert result.returncode != 0 and "denied the request" in result.stderr, result.stderr
        assert "containerDefinitions[0].dependsOn: dependsOn has a cycle: app -> app" in result.stderr
        # The status path: a service admitted before its TaskDefinition, which then cannot run on the
        # service's launch type (Fargate's table), reports the problem; fixing the TaskDefinition recovers.
        cluster.apply([ecs_service("shaky", "shaky", 1, launchType="FARGATE")], "-n", namespace)
        too_big = task_definition(
            "shaky",
            containers=[{"name": "app", "image": "app:1", "essential": True}],
            networkMode="awsvpc",
            cpu="256",
            memory="4096",
        )
        cluster.apply([too_big], "-n", namespace)

        def problem():
            status = _status(cluster, namespace, "shaky")
            return status if "No Fargate configuration" in (status.get("problem") or "") else None

        assert "taskDefinition shaky:1: " in wait_for(problem, timeout=30, message="the service problem")["problem"]
        fixed = task_definition(
            "shaky",
            containers=[{"name": "app", "image": "app:1", "essential": True}],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
        )
        cluster.apply([fixed], "-n", namespace)
        _steady(cluster, namespace, "shaky", 1)
        assert operator.alive()
        return
    if result.returncode != 0:
        pytest.fail(
            "applying a TaskDefinition that only breaks a cross-field ECS rule (a container that dependsOn "
            "itself) was rejected at apply time, so the operator's INVALID status and recovery went untested; "
            "the CRD should admit it (each value is valid alone) and leave the rule to the operator:\n"
            f"{result.stderr.strip()}"
        )
    cluster.apply([ecs_service("shaky", "shaky", 1)], "-n", namespace)

    def invalid():
        td = get_json(cluster, "taskdefinition", "shaky", "-n", namespace).get("status") or {}
        return td if td.get("status") == "INVALID" else None

    td_status = wait_for(invalid, timeout=30, message="the TaskDefinition to be reported invalid")
    assert "dependsOn" in td_status["error"]
    fixed = task_definition("shaky", containers=[{"name": "app", "image": "app:1", "essential": True, "memory": 256}])
    cluster.apply([fixed], "-n", namespace)
    _steady(cluster, namespace, "shaky", 1)
    assert operator.alive()


def test_scale_subresource_drives_tasks(cluster: ClusterHandle, namespace: str) -> None:
    cluster.apply([task_definition("scaled")], "-n", namespace)
    cluster.apply([ecs_service("scaled", "scaled", 2)], "-n", namespace)
    _steady(cluster, namespace, "scaled", 2)
    cluster.kubectl("scale", "ecss", "scaled", "--replicas=5", "-n", namespace)
    status = _steady(cluster, namespace, "scaled", 5)
    assert status["desiredCount"] == 5
    assert len([p for p in _pods(cluster, namespace, "scaled") if _ready(p)]) == 5
    scale = json.loads(
        cluster.kubectl(
            "get", "--raw", f"/apis/ecs.operator.dev/v1alpha1/namespaces/{namespace}/ecsservices/scaled/scale"
        ).stdout
    )
    assert scale["spec"]["replicas"] == 5 and scale["status"]["replicas"] == 5


PULL_ERROR = {"ecs.operator.dev/kwok-image-pull-error": "true"}


def test_image_that_cannot_be_pulled_stops_the_task_as_for_a_standalone_task(
    cluster: ClusterHandle, namespace: str
) -> None:
    """One task lifecycle: a service task and a RunTask task whose image cannot be pulled both stop with
    stopCode TaskFailedToStart and ECS's CannotPullContainerError, at once (well before the 300 s start
    timeout a service task otherwise gets)."""
    image = "registry.invalid/shop/api:missing"
    cluster.apply([task_definition("pull", image=image, tags=PULL_ERROR)], "-n", namespace)
    cluster.apply([ecs_service("pull", "pull", 1, propagateTags="TASK_DEFINITION")], "-n", namespace)
    task = {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "ECSTask",
        "metadata": {"name": "pull-once"},
        "spec": {"taskDefinition": "pull", "propagateTags": "TASK_DEFINITION"},
    }
    cluster.apply([task], "-n", namespace)

    def service_stopped() -> list[str] | None:
        found = [m for m in _messages(_status(cluster, namespace, "pull")) if "has stopped 1 running tasks" in m]
        return found or None

    stopped = wait_for(service_stopped, timeout=60, message="the service task to be stopped")
    assert "TaskFailedToStart: CannotPullContainerError:" in stopped[0], stopped
    assert image in stopped[0]

    def task_stopped() -> dict[str, Any] | None:
        records = (get_json(cluster, "ecstask", "pull-once", "-n", namespace).get("status") or {}).get("tasks") or []
        return records[0] if records and records[0].get("stopCode") else None

    record = wait_for(task_stopped, timeout=60, message="the standalone task to be stopped")
    assert record["stopCode"] == "TaskFailedToStart"
    assert record["stoppedReason"].startswith("CannotPullContainerError:")
    assert image in record["stoppedReason"]

    events = get_json(cluster, "events", "-n", namespace, "--field-selector", "involvedObject.kind=ECSService")
    pull_events = [e for e in events["items"] if "CannotPullContainerError" in e["message"]]
    assert pull_events and all(e["type"] == "Warning" for e in pull_events)
