"""`ecs-operator render`: the objects the operator would create, without a cluster.

Golden-free: assertions on kinds, names, the fields that carry ECS meaning, and the stderr
warnings. The objects come from the same render functions the handlers call.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_operator.cli import main
from ecs_operator.convert import Source, convert
from ecs_operator.preview import FAKE_UID, preview

DATA = Path(__file__).parent / "data"
ECS = DATA / "ecs"
CLI = DATA / "cli"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, [doc for doc in yaml.safe_load_all(out) if doc], err


def by_kind(objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        out.setdefault(obj["kind"], []).append(obj)
    return out


def render_texts(**texts: str) -> Any:
    return preview(convert([Source(name, text, Path(name).stem) for name, text in texts.items()]).items)


def test_service_with_its_task_definition_renders_deployment_and_service(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, err = run(capsys, "render", str(EXAMPLES / "webserver"))
    assert code == 0, err
    kinds = by_kind(objects)
    (deployment,) = kinds["Deployment"]
    (service,) = kinds["Service"]
    assert deployment["metadata"]["name"] == "webserver"
    assert deployment["metadata"]["namespace"] == "default"
    assert deployment["metadata"]["ownerReferences"][0]["uid"] == FAKE_UID
    assert deployment["metadata"]["annotations"]["ecs.operator.dev/task-definition"] == "webserver:1"
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 2, "maxUnavailable": 1}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "97m", "memory": "100Mi"}, "limits": {"memory": "100Mi"}}
    assert service["spec"]["ports"][0]["port"] == 80


def test_pinned_revision_and_namespace_are_used() -> None:
    result = render_texts(
        **{
            "td.json": (ECS / "register-webserver.json").read_text(),
            "svc.json": json.dumps({"serviceName": "web", "taskDefinition": "webserver:3", "desiredCount": 1}),
        }
    )
    (deployment,) = [o for o in result.objects if o["kind"] == "Deployment"]
    assert deployment["metadata"]["annotations"]["ecs.operator.dev/task-definition"] == "webserver:1"
    # convert followed the latest revision; a manifest can pin one:
    stack = (
        (CLI / "stack.yaml")
        .read_text()
        .replace("taskDefinition: api\n  desiredCount", "taskDefinition: api:3\n  desiredCount")
    )
    result = preview(convert([Source("stack.yaml", stack)]).items, namespace="shop")
    (deployment,) = [o for o in result.objects if o["kind"] == "Deployment"]
    assert deployment["metadata"]["annotations"]["ecs.operator.dev/task-definition"] == "api:3"
    assert deployment["spec"]["template"]["metadata"]["labels"]["ecs.operator.dev/revision"] == "3"
    assert {o["metadata"]["namespace"] for o in result.objects} == {"shop"}


def test_task_definition_alone_renders_a_pod(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, err = run(capsys, "render", str(ECS / "register-fargate-mesh.json"))
    assert code == 0
    kinds = by_kind(objects)
    (pod,) = kinds["Pod"]
    assert pod["metadata"]["name"] == "catalog"
    assert pod["spec"]["restartPolicy"] == "Never"
    # The task role's ServiceAccount comes first, as the operator creates it before pods.
    (account,) = kinds["ServiceAccount"]
    assert (
        account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        == "arn:aws:iam::123456789012:role/catalog-task"
    )
    assert pod["spec"]["serviceAccountName"] == account["metadata"]["name"]
    # Warnings name the resource and the ECS field path, on stderr.
    assert "warning: TaskDefinition/catalog: proxyConfiguration:" in err
    assert "(unsupported)" in err
    assert "note: TaskDefinition/catalog: uses PersistentVolumeClaim efs-fs-0fedcba9876543210-" in err


def test_warnings_and_needed_secrets_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, err = run(capsys, "render", str(ECS / "register-orders-ec2.json"))
    assert code == 0
    assert [o["kind"] for o in objects] == ["ServiceAccount", "Pod"]
    lines = err.splitlines()
    assert (
        "warning: TaskDefinition/orders-api: containerDefinitions[1].linuxParameters.devices: host devices need a "
        "device plugin on Kubernetes; not mapped (unsupported)" in lines
    )
    assert any(
        line.startswith("note: TaskDefinition/orders-api: needs Secret ssm-orders-api-key key value") for line in lines
    )


def test_daemon_service_renders_a_daemonset(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, err = run(capsys, "render", str(EXAMPLES / "daemon-log-agent"))
    assert code == 0, err
    (daemonset,) = by_kind(objects)["DaemonSet"]
    assert daemonset["spec"]["updateStrategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    assert daemonset["spec"]["template"]["spec"]["hostNetwork"] is True


def test_capacity_provider_strategy_uses_the_cluster_of_the_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, err = run(capsys, "render", str(EXAMPLES / "spot-on-demand"))
    assert code == 0, err
    deployments = {d["metadata"]["name"]: d for d in by_kind(objects)["Deployment"]}
    assert {name: d["spec"]["replicas"] for name, d in deployments.items()} == {"shop-on-demand": 3, "shop-spot": 3}
    selector = deployments["shop-spot"]["spec"]["template"]["spec"]["nodeSelector"]
    assert selector == {"eks.amazonaws.com/capacityType": "SPOT", "eks.amazonaws.com/nodegroup": "ng-spot"}


def test_tasks_render_their_pods_and_scheduled_tasks_a_cronjob(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, err = run(capsys, "render", str(EXAMPLES / "batch-etl"))
    assert code == 0, err
    kinds = by_kind(objects)
    assert [p["metadata"]["name"] for p in kinds["Pod"]] == ["etl-backfill-0", "etl-backfill-1"]
    env = kinds["Pod"][0]["spec"]["containers"][0]["env"]
    assert {"name": "PARTITION_DATE", "value": "2024-05-01"} in env  # the override
    (cronjob,) = kinds["CronJob"]
    assert cronjob["spec"]["schedule"] == "0 2 * * *"


def test_gpu_requirement_becomes_an_extended_resource(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, _ = run(capsys, "render", str(EXAMPLES / "gpu-task"))
    assert code == 0
    (pod,) = by_kind(objects)["Pod"]
    assert pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_other_objects_of_the_input_come_first_and_satisfy_secret_notes(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, err = run(capsys, "render", str(EXAMPLES / "three-tier"))
    assert code == 0, err
    assert [o["kind"] for o in objects[:2]] == ["Secret", "Secret"]
    assert "needs Secret" not in err
    assert {o["metadata"]["name"] for o in objects if o["kind"] == "Deployment"} == {"web", "api", "worker"}


def test_service_without_its_task_definition_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, err = run(capsys, "render", str(EXAMPLES / "webserver" / "service.yaml"))
    assert (code, objects) == (2, [])
    assert err == (
        f"error: {EXAMPLES / 'webserver' / 'service.yaml'}: spec.taskDefinition: TaskDefinition "
        "'webserver' is not in the input: render needs the task definition next to the services and "
        "tasks that use it\n"
    )


def test_render_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    taskdef = json.loads((ECS / "register-webserver.json").read_text())
    taskdef["placementConstraints"] = [{"type": "memberOf", "expression": "attribute:ecs.instance-type =="}]
    path = tmp_path / "td.json"
    path.write_text(json.dumps(taskdef))
    code, _, err = run(capsys, "render", str(path))
    assert code == 2
    assert err.startswith(f"error: {path}: TaskDefinition/webserver cannot be rendered:")


def test_render_accepts_ecs_json_directly(capsys: pytest.CaptureFixture[str]) -> None:
    code, objects, err = run(capsys, "render", str(ECS / "describe-task-definition.json"), "-o", "json")
    assert code == 0
    assert err == ""
    assert [o["kind"] for o in objects[0]["items"]] == ["Pod"]
