"""As lenient as ECS, never more: inputs ECS accepts that the models once refused.

Each test names the ECS source that says the input is accepted, and checks the input converts
and renders (with the warning where it runs differently here). The rules that stay are in
tests/unit/test_models_rejections.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_operator.cli import main
from ecs_operator.convert import ConvertError, Source, convert
from ecs_operator.models import SpecError, parse_service, parse_task, parse_task_definition
from ecs_operator.preview import Preview, preview
from ecs_operator.vocabulary import ANNOTATION_FORCE_DEPLOYMENT

API_HEALTH_CHECK = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html"
API_CONTAINER_USER = (
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html"
    "#ECS-Type-ContainerDefinition-user"
)
API_UPDATE_SERVICE = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html"
CONSOLE_JSON = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/create-task-definition.html"


def task_definition(**container: Any) -> dict[str, Any]:
    return {
        "family": "agent",
        "containerDefinitions": [{"name": "agent", "image": "vendor/agent:1", "memory": 256, **container}],
    }


def render(**texts: Any) -> Preview:
    sources = [
        Source(name, text if isinstance(text, str) else json.dumps(text), Path(name).stem)
        for name, text in texts.items()
    ]
    return preview(convert(sources).items)


def containers(result: Preview) -> list[dict[str, Any]]:
    pods = [o for o in result.objects if o["kind"] in ("Pod", "Deployment")]
    assert pods, [o["kind"] for o in result.objects]
    spec = pods[0]["spec"]
    spec = spec["template"]["spec"] if "template" in spec else spec
    found: list[dict[str, Any]] = spec["containers"]
    return found


def warnings_at(result: Preview, suffix: str) -> list[str]:
    return [str(w) for w in result.warnings if w.warning.path.endswith(suffix)]


# -- healthCheck.command in the exec form -------------------------------------------------------


def test_health_check_command_without_cmd_is_accepted_and_runs_as_exec() -> None:
    """API_HealthCheck documents CMD / CMD-SHELL, yet RegisterTaskDefinition takes any first element and
    vendor task definitions (an agent's ["/healthcheck"]) rely on it: it is run as the exec form."""
    assert API_HEALTH_CHECK
    document = task_definition(healthCheck={"command": ["/healthcheck", "--live"], "interval": 10})
    spec = parse_task_definition(document)
    assert spec.container_definitions[0].health_check is not None
    result = render(**{"agent.json": document})
    (container,) = containers(result)
    assert container["readinessProbe"]["exec"]["command"] == ["/healthcheck", "--live"]
    assert container["readinessProbe"]["periodSeconds"] == 10
    (warning,) = warnings_at(result, "healthCheck.command")
    assert "'/healthcheck' is run directly" in warning


def test_health_check_none_is_accepted_and_renders_no_probe() -> None:
    """Docker's HEALTHCHECK NONE, which API_HealthCheck points to ("see HealthCheck in the docker
    container create command"): ECS passes it on; here it means no probes, with a warning."""
    result = render(**{"agent.json": task_definition(healthCheck={"command": ["NONE"]})})
    (container,) = containers(result)
    assert "readinessProbe" not in container and "livenessProbe" not in container
    assert any("disables" in w for w in warnings_at(result, "healthCheck.command"))


def test_cmd_without_a_command_is_still_refused() -> None:
    """["CMD"] alone has nothing to run (no probe can be made): the one health-check command rule left."""
    with pytest.raises(ConvertError) as caught:
        render(**{"agent.json": task_definition(healthCheck={"command": ["CMD"]})})
    assert [str(p) for p in caught.value.problems] == [
        "agent.json: containerDefinitions[0].healthCheck.command: CMD needs the command to run after it"
    ]


# -- user names -----------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["nginx", "www-data:www-data", "app:1000", "1000:staff"])
def test_user_names_are_accepted_and_reported(user: str) -> None:
    """ContainerDefinition.user takes user, user:group, uid, uid:gid, user:gid and uid:group
    (API_ContainerDefinition); Kubernetes' runAsUser needs a number, so a name is a warning."""
    assert API_CONTAINER_USER
    result = render(**{"agent.json": task_definition(user=user)})
    (container,) = containers(result)
    assert "runAsUser" not in (container.get("securityContext") or {})
    assert any("not numeric" in w for w in warnings_at(result, "containerDefinitions[0].user"))


def test_numeric_user_still_sets_run_as_user() -> None:
    (container,) = containers(render(**{"agent.json": task_definition(user="1000:2000")}))
    assert container["securityContext"]["runAsUser"] == 1000
    assert container["securityContext"]["runAsGroup"] == 2000


# -- null members ---------------------------------------------------------------------------------


CONSOLE_VIEW: dict[str, Any] = {
    "ipcMode": None,
    "executionRoleArn": "arn:aws:iam::123456789012:role/ecs-execution",
    "containerDefinitions": [
        {
            "dnsSearchDomains": None,
            "environmentFiles": None,
            "logConfiguration": {"logDriver": "awslogs", "secretOptions": None, "options": {"awslogs-group": "/app"}},
            "entryPoint": ["/bin/app"],
            "portMappings": [{"hostPort": 8000, "protocol": "tcp", "containerPort": 8000}],
            "command": ["serve"],
            "linuxParameters": None,
            "cpu": 256,
            "environment": [{"name": "PORT", "value": "8000"}],
            "resourceRequirements": None,
            "ulimits": None,
            "dnsServers": None,
            "mountPoints": [],
            "workingDirectory": None,
            "secrets": None,
            "dockerSecurityOptions": None,
            "memory": 4000,
            "memoryReservation": None,
            "volumesFrom": [],
            "stopTimeout": 5,
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1",
            "startTimeout": None,
            "firelensConfiguration": None,
            "dependsOn": None,
            "disableNetworking": None,
            "interactive": None,
            "healthCheck": None,
            "essential": None,
            "links": None,
            "hostname": None,
            "extraHosts": None,
            "pseudoTerminal": None,
            "user": None,
            "readonlyRootFilesystem": None,
            "dockerLabels": None,
            "systemControls": None,
            "privileged": None,
            "name": "app",
        }
    ],
    "placementConstraints": [],
    "memory": None,
    "taskRoleArn": None,
    "family": "app",
    "pidMode": None,
    "requiresCompatibilities": None,
    "networkMode": None,
    "cpu": None,
    "inferenceAccelerators": None,
    "proxyConfiguration": None,
    "volumes": [],
}


def test_null_members_are_members_not_given() -> None:
    """The ECS console's JSON view of a task definition writes every unset member as null (the JSON
    people copy into files and Terraform's container_definitions); a null is an absent member, as
    Kubernetes prunes it from a custom resource."""
    assert CONSOLE_JSON
    spec = parse_task_definition(CONSOLE_VIEW)
    container = spec.container_definitions[0]
    assert container.essential is True  # ECS's default, not null
    assert container.memory_reservation is None and not container.is_set("memory_reservation")
    dumped = spec.dump()
    assert "ipcMode" not in dumped and "memoryReservation" not in dumped["containerDefinitions"][0]
    (pod_container,) = containers(render(**{"app.json": CONSOLE_VIEW}))
    assert pod_container["resources"]["limits"]["memory"] == "4000Mi"
    assert pod_container["command"] == ["/bin/app"] and pod_container["args"] == ["serve"]


def test_a_null_required_member_is_reported_as_missing() -> None:
    with pytest.raises(ConvertError) as caught:
        render(**{"app.json": {**CONSOLE_VIEW, "family": None}})
    assert [str(p) for p in caught.value.problems] == ["app.json: family: is required"]


# -- update-service input ---------------------------------------------------------------------------


UPDATE_SERVICE: dict[str, Any] = {
    "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
    "service": "web",
    "taskDefinition": "web:7",
    "desiredCount": 3,
    "forceNewDeployment": True,
    "deploymentConfiguration": {
        "maximumPercent": 200,
        "minimumHealthyPercent": 50,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    },
    "healthCheckGracePeriodSeconds": 30,
}
WEB_TASK_DEFINITION: dict[str, Any] = {
    "family": "web",
    "containerDefinitions": [
        {"name": "web", "image": "nginx:1.27", "memory": 128, "portMappings": [{"containerPort": 80}]}
    ],
}


def test_update_service_input_becomes_an_ecs_service() -> None:
    """UpdateService names the service `service` and takes CreateService's members (API_UpdateService)."""
    assert API_UPDATE_SERVICE
    result = convert([Source("update.json", json.dumps(UPDATE_SERVICE), "update")])
    (item,) = result.items
    assert item.kind == "ECSService" and item.name == "web"
    spec = item.manifest["spec"]
    assert spec["serviceName"] == "web" and "service" not in spec
    assert spec["cluster"] == "prod" and spec["taskDefinition"] == "web" and spec["desiredCount"] == 3
    assert spec["deploymentConfiguration"]["minimumHealthyPercent"] == 50
    # forceNewDeployment is an action, not a setting: dropped, and the note says how to force one.
    assert "forceNewDeployment" not in spec
    assert "annotations" not in item.manifest["metadata"]
    (force,) = [n for n in result.notes if "forceNewDeployment" in n]
    assert force.startswith("update.json: forceNewDeployment: dropped") and ANNOTATION_FORCE_DEPLOYMENT in force


def test_update_service_input_renders_with_its_task_definition() -> None:
    result = render(**{"update.json": UPDATE_SERVICE, "web.json": WEB_TASK_DEFINITION})
    (deployment,) = [o for o in result.objects if o["kind"] == "Deployment"]
    assert deployment["metadata"]["name"] == "web"
    assert deployment["spec"]["replicas"] == 3
    # maximumPercent 200 / minimumHealthyPercent 50 of 3 tasks: 3 more may start, 1 may stop.
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 3, "maxUnavailable": 1}
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_update_service_without_force_has_no_note() -> None:
    document = {**UPDATE_SERVICE, "forceNewDeployment": False, "taskDefinition": "web"}
    result = convert([Source("update.json", json.dumps(document), "update")])
    assert result.notes == []


def test_update_service_problems_name_the_members_of_the_file() -> None:
    """The service's name is at `service` in the file; members an update may leave out are required
    of an ECSService, which states the whole service."""
    document = {"service": "web server", "desiredCount": 1}
    with pytest.raises(ConvertError) as caught:
        convert([Source("update.json", json.dumps(document), "update")])
    found = [str(p) for p in caught.value.problems]
    assert "update.json: taskDefinition: is required" in found
    assert any(p.startswith("update.json: service: ") and "letters, digits" in p for p in found), found


# -- clientToken ------------------------------------------------------------------------------------

API_CREATE_SERVICE = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html"
API_RUN_TASK = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html"


def test_client_token_is_accepted_and_not_kept() -> None:
    """CreateService takes clientToken, "up to 36 ASCII characters in the range of 33-126" (API_CreateService),
    RunTask up to 64 (API_RunTask); create-service files carry it. Applying a named object is idempotent
    already, so the models accept the token and keep it out of the spec they dump."""
    assert API_CREATE_SERVICE and API_RUN_TASK
    service = {"serviceName": "web", "taskDefinition": "web", "desiredCount": 2, "clientToken": "deploy-2026-12-02"}
    task = {"taskDefinition": "web", "count": 1, "clientToken": "t" * 64}
    result = render(**{"service.json": service, "task.json": task, "web.json": WEB_TASK_DEFINITION})
    kinds = {o["kind"] for o in result.objects}
    assert {"Deployment", "Pod"} <= kinds, kinds
    assert parse_service(service).dump() == {"serviceName": "web", "taskDefinition": "web", "desiredCount": 2}
    assert "clientToken" not in parse_task(task).dump()


@pytest.mark.parametrize(
    ("parse", "document", "message"),
    [
        (
            parse_service,
            {"taskDefinition": "web", "desiredCount": 1, "clientToken": "t" * 37},
            "at most 36",
        ),
        (parse_task, {"taskDefinition": "web", "clientToken": "t" * 65}, "at most 64"),
        (parse_task, {"taskDefinition": "web", "clientToken": "with space"}, "ASCII characters 33-126"),
    ],
)
def test_client_token_keeps_ecs_limits(parse: Any, document: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse(document)
    assert [issue.path for issue in caught.value.issues] == ["clientToken"]
    assert message in caught.value.issues[0].message


# -- through the command line -----------------------------------------------------------------------


def test_cli_converts_and_renders_update_service_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    update = tmp_path / "update.json"
    update.write_text(json.dumps(UPDATE_SERVICE))
    agent = tmp_path / "web.json"
    agent.write_text(json.dumps({**WEB_TASK_DEFINITION, "containerDefinitions": [
        {**WEB_TASK_DEFINITION["containerDefinitions"][0], "healthCheck": {"command": ["/healthcheck"]}}
    ]}))  # fmt: skip
    assert main(["convert", str(update)]) == 0
    out, err = capsys.readouterr()
    (manifest,) = [doc for doc in yaml.safe_load_all(out) if doc]
    assert manifest["kind"] == "ECSService" and manifest["spec"]["serviceName"] == "web"
    assert "forceNewDeployment: dropped" in err
    assert main(["render", str(update), str(agent)]) == 0
    out, err = capsys.readouterr()
    (deployment,) = [doc for doc in yaml.safe_load_all(out) if doc and doc["kind"] == "Deployment"]
    probe = deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe["exec"]["command"] == ["/healthcheck"]
    assert "'/healthcheck' is run directly" in err


def test_update_service_may_name_the_service_by_arn() -> None:
    document = {
        "service": "arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        "taskDefinition": "web",
        "desiredCount": 1,
    }
    (item,) = convert([Source("update.json", json.dumps(document), "update")]).items
    assert item.name == "web"
    assert item.manifest["spec"]["serviceName"] == "web" and item.manifest["spec"]["cluster"] == "prod"
