"""The validating webhook: rules the CRD cannot express refuse at `kubectl apply` (and --dry-run=server)
with the message status would show, naming the field; warnings reach kubectl; failurePolicy Ignore.

The session operator serves the webhook on the local cluster (`ecs-operator run` registers
ValidatingWebhookConfiguration ecs-operator-local.ecs.operator.dev). The failure-policy test takes
that one configuration over with an operator of its own (last writer wins), stops it, and puts the
session operator's registration back.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from kube_helpers import admission_webhook_expected, get_json, wait_for
from manifests import API, ecs_service, task_definition

from conftest import OperatorProcess
from ecs_operator.localcluster.cluster import ClusterHandle
from ecs_operator.settings import LOCAL_WEBHOOK_CONFIGURATION

pytestmark = pytest.mark.skipif(
    not admission_webhook_expected(), reason="the webhook is served by `ecs-operator run` on the local cluster"
)


def _container(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "nginx:1.27", "essential": True, "memory": 128, **extra}


def _ecs_task(name: str, task_def: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "ECSTask",
        "metadata": {"name": name},
        "spec": {"taskDefinition": task_def, **spec},
    }


FARGATE_TOO_BIG = task_definition(
    "too-big",
    containers=[{"name": "web", "image": "nginx:1.27", "essential": True}],
    requiresCompatibilities=["FARGATE"],
    networkMode="awsvpc",
    cpu="256",
    memory="4096",
)

REFUSED = {
    "fargate-table": (
        FARGATE_TOO_BIG,
        ["memory: No Fargate configuration exists for given values: 256 CPU, 4096 memory"],
    ),
    "dependson-cycle": (
        task_definition(
            "cycle",
            containers=[
                _container("a", dependsOn=[{"containerName": "b", "condition": "START"}]),
                _container("b", essential=False, dependsOn=[{"containerName": "a", "condition": "START"}]),
            ],
        ),
        ["containerDefinitions[0].dependsOn", "cycle: a -> b -> a"],
    ),
    "dependson-unknown-container": (
        task_definition(
            "orphan", containers=[_container("a", dependsOn=[{"containerName": "zz", "condition": "START"}])]
        ),
        ["containerDefinitions[0].dependsOn[0].containerName", "'zz'"],
    ),
    "mountpoints-unknown-volume": (
        task_definition(
            "novol", containers=[_container("a", mountPoints=[{"sourceVolume": "data", "containerPath": "/d"}])]
        ),
        ["containerDefinitions[0].mountPoints[0].sourceVolume", "'data'"],
    ),
}


def _apply(cluster: ClusterHandle, namespace: str, obj: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return cluster.kubectl("apply", "-n", namespace, "-f", "-", *args, input=json.dumps(obj), check=False)


def _assert_refused(cluster: ClusterHandle, namespace: str, obj: dict[str, Any], fragments: list[str]) -> None:
    for args in ((), ("--dry-run=server",)):
        result = _apply(cluster, namespace, obj, *args)
        assert result.returncode != 0, f"kubectl apply {' '.join(args)} admitted {obj['metadata']['name']}"
        assert "denied the request" in result.stderr, result.stderr
        for fragment in fragments:
            assert fragment in result.stderr, f"{fragment!r} not in: {result.stderr}"
    kind = obj["kind"].lower()
    assert cluster.kubectl("get", kind, obj["metadata"]["name"], "-n", namespace, check=False).returncode != 0


@pytest.mark.parametrize("rule", sorted(REFUSED))
def test_task_definition_rules_refuse_at_apply_naming_the_field(
    cluster: ClusterHandle, namespace: str, operator, rule: str
) -> None:
    obj, fragments = REFUSED[rule]
    _assert_refused(cluster, namespace, obj, fragments)


def _registered(cluster: ClusterHandle, namespace: str, name: str, revision: int = 1) -> None:
    def done():
        status = get_json(cluster, "taskdefinition", name, "-n", namespace).get("status") or {}
        return status.get("revision") == revision

    wait_for(done, timeout=30, message=f"{name}:{revision} to be registered")


def test_unknown_revision_reference_refuses_services_and_tasks(
    cluster: ClusterHandle, namespace: str, operator
) -> None:
    cluster.apply([task_definition("web")], "-n", namespace)
    _registered(cluster, namespace, "web")
    message = f"taskDefinition: TaskDefinition web revision 99 not found in namespace {namespace}"
    _assert_refused(cluster, namespace, ecs_service("pinned", "web:99", 1), [message])
    _assert_refused(cluster, namespace, _ecs_task("once", "web:99"), [message])
    # revision 2 is neither registered nor what web's spec registers next
    _assert_refused(cluster, namespace, ecs_service("pinned", "web:2", 1), ["web revision 2 not found"])
    assert _apply(cluster, namespace, ecs_service("pinned", "web:1", 1)).returncode == 0


def test_invalid_schedule_refuses_the_task(cluster: ClusterHandle, namespace: str, operator) -> None:
    cluster.apply([task_definition("monthly")], "-n", namespace)
    _assert_refused(
        cluster, namespace, _ecs_task("month-end", "monthly", schedule="cron(0 23 L * ? *)"), ["schedule", "'L'"]
    )


def test_revision_about_to_be_registered_is_admitted(cluster: ClusterHandle, namespace: str, operator) -> None:
    """A TaskDefinition and a service pinning its first revision, in one apply: the operator registers
    revision 1 after the TaskDefinition is stored, so the webhook admits the revision it will be."""
    result = cluster.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input="\n---\n".join(json.dumps(o) for o in [task_definition("fresh"), ecs_service("fresh", "fresh:1", 1)]),
    )
    assert "ecsservice.ecs.operator.dev/fresh created" in result.stdout
    # the next one too, as soon as the spec changes
    changed = task_definition("fresh", image="nginx:1.28")
    both = "\n---\n".join(json.dumps(o) for o in [changed, ecs_service("fresh", "fresh:2", 1)])
    _registered(cluster, namespace, "fresh")
    assert cluster.kubectl("apply", "-n", namespace, "-f", "-", input=both).returncode == 0


def test_warnings_reach_kubectl(cluster: ClusterHandle, namespace: str, operator) -> None:
    td = task_definition(
        "limits",
        containers=[_container("web", ulimits=[{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}])],
    )
    dry = _apply(cluster, namespace, td, "--dry-run=server")
    assert dry.returncode == 0 and "Warning: containerDefinitions[0].ulimits:" in dry.stderr, dry.stderr
    created = _apply(cluster, namespace, td)
    assert created.returncode == 0 and "Warning: containerDefinitions[0].ulimits:" in created.stderr
    _registered(cluster, namespace, "limits")
    service = _apply(cluster, namespace, ecs_service("limits", "limits", 1))
    assert service.returncode == 0 and "Warning: containerDefinitions[0].ulimits:" in service.stderr
    # what a reconcile waits for is admitted, saying so
    early = _apply(cluster, namespace, ecs_service("early", "not-yet", 1))
    assert early.returncode == 0 and "Warning: taskDefinition: TaskDefinition not-yet not found" in early.stderr


class _WebhookOperator(OperatorProcess):
    """An `ecs-operator run` of this test's own, watching only its namespace (the webhook is cluster-wide)."""

    def __init__(self, kubeconfig: Path, log_path: Path, namespace: str) -> None:
        super().__init__(kubeconfig, log_path, args=("-n", namespace))


def _configuration(cluster: ClusterHandle) -> dict[str, Any]:
    return get_json(cluster, "validatingwebhookconfiguration", LOCAL_WEBHOOK_CONFIGURATION)


def _urls(config: dict[str, Any]) -> set[str]:
    return {w["clientConfig"]["url"] for w in config.get("webhooks") or []}


def test_failure_policy_ignore_admits_while_the_operator_is_stopped(
    cluster: ClusterHandle, namespace: str, operator, tmp_path: Path
) -> None:
    saved = _configuration(cluster)
    assert {w["failurePolicy"] for w in saved["webhooks"]} == {"Ignore"}
    assert len(saved["webhooks"]) == 4
    own = _WebhookOperator(cluster.kubeconfig, tmp_path / "webhook-operator.log", namespace)
    try:
        own.wait_ready()
        wait_for(
            lambda: _urls(_configuration(cluster)) not in (set(), _urls(saved)),
            timeout=30,
            message="this test's operator to register the webhook (last writer wins)",
        )
        ours = _urls(_configuration(cluster))
        _assert_refused(cluster, namespace, FARGATE_TOO_BIG, ["No Fargate configuration exists"])

        own.stop()
        assert not own.alive()
        after = _configuration(cluster)
        assert _urls(after) == ours and len(after["webhooks"]) == 4, "a stopped operator keeps its webhooks registered"

        started = time.monotonic()
        result = _apply(cluster, namespace, FARGATE_TOO_BIG)
        assert result.returncode == 0 and "created" in result.stdout, result.stderr
        assert time.monotonic() - started < 15, "an unreachable webhook must not hold applies for long"
    finally:
        own.stop()
        restore = {"webhooks": saved["webhooks"]}
        cluster.kubectl(
            "patch",
            "validatingwebhookconfiguration",
            LOCAL_WEBHOOK_CONFIGURATION,
            "--type=merge",
            "-p",
            json.dumps(restore),
        )

    # admitted while nobody answered; the session operator still refuses it where it matters: on status
    def invalid():
        status = get_json(cluster, "taskdefinition", "too-big", "-n", namespace).get("status") or {}
        return status if status.get("status") == "INVALID" else None

    status = wait_for(invalid, timeout=30, message="the TaskDefinition admitted while stopped to be reported invalid")
    assert "No Fargate configuration exists for given values: 256 CPU, 4096 memory" in status["error"]
    # and the restored registration refuses again
    _assert_refused(cluster, namespace, {**FARGATE_TOO_BIG, "metadata": {"name": "too-big-2"}}, ["No Fargate"])


def test_deploy_webhook_configuration_is_accepted_by_the_api_server(cluster: ClusterHandle) -> None:
    """deploy/webhook's ValidatingWebhookConfiguration passes the API server's own validation
    (fully qualified webhook names, sideEffects, service reference), checked with a server dry run."""
    path = Path(__file__).resolve().parents[2] / "deploy" / "webhook" / "webhook.yaml"
    result = cluster.kubectl("apply", "--dry-run=server", "-f", str(path), check=False)
    assert result.returncode == 0, result.stderr
    assert "validatingwebhookconfiguration.admissionregistration.k8s.io/ecs-operator created" in result.stdout
