"""ecs_operator.convert: every form of ECS JSON people have becomes the right validated resource.

Assertions are on the resulting dicts (kind, name, spec members), not on golden text; errors must
name the file and the JSON path where the member sits in that file.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_operator.convert import (
    ConvertError,
    ConvertOptions,
    Source,
    convert,
    load_documents,
    manifest_name,
    to_yaml,
)
from ecs_operator.models import READ_ONLY_MEMBERS, parse_cluster, parse_service, parse_task, parse_task_definition

DATA = Path(__file__).parent / "data"
ECS = DATA / "ecs"
CLI = DATA / "cli"
API = "ecs.operator.dev/v1alpha1"


def source(path: Path) -> Source:
    return Source(path.name, path.read_text(encoding="utf-8"), path.stem)


def inline(name: str, data: Any) -> Source:
    text = data if isinstance(data, str) else json.dumps(data)
    return Source(name, text, Path(name).stem)


def one(*sources: Source, **options: Any) -> dict[str, Any]:
    result = convert(list(sources), ConvertOptions(**options))
    assert len(result.manifests) == 1, result.manifests
    return result.manifests[0]


def problems(*sources: Source, **options: Any) -> list[str]:
    with pytest.raises(ConvertError) as caught:
        convert(list(sources), ConvertOptions(**options))
    return [str(p) for p in caught.value.problems]


# -- every input form ----------------------------------------------------------------------------


def test_register_task_definition_input_becomes_a_task_definition() -> None:
    manifest = one(source(ECS / "register-webserver.json"))
    assert manifest["apiVersion"] == API
    assert manifest["kind"] == "TaskDefinition"
    assert manifest["metadata"] == {"name": "webserver"}
    spec = manifest["spec"]
    assert spec == json.loads((ECS / "register-webserver.json").read_text())  # kept as written: "100" stays a string
    assert spec["containerDefinitions"][0]["memory"] == "100"


def test_describe_task_definition_output_drops_read_only_members_and_keeps_tags() -> None:
    manifest = one(source(ECS / "describe-task-definition.json"))
    spec = manifest["spec"]
    assert manifest["kind"] == "TaskDefinition" and manifest["metadata"]["name"] == "webserver"
    assert not set(READ_ONLY_MEMBERS) & set(spec)
    assert spec["tags"] == [{"key": "app", "value": "webserver"}]
    assert parse_task_definition(manifest).family == "webserver"


def test_bare_container_definitions_array_takes_its_family_from_the_file_name() -> None:
    manifest = one(source(CLI / "webserver-containers.json"))
    assert manifest["metadata"]["name"] == "webserver-containers"
    assert manifest["spec"]["family"] == "webserver-containers"
    assert manifest["spec"]["containerDefinitions"][0]["image"] == "nginx:1.27"


def test_bare_container_definitions_array_takes_family_option() -> None:
    manifest = one(inline("whatever.json", [{"name": "web", "image": "nginx", "memory": 128}]), family="Front_End")
    assert manifest["spec"]["family"] == "Front_End"
    assert manifest["metadata"]["name"] == "front-end"


def test_bare_array_from_stdin_needs_a_family() -> None:
    found = problems(Source("<stdin>", json.dumps([{"name": "web", "image": "nginx"}])))
    assert found == [
        "<stdin>: a bare containerDefinitions array needs a family: pass --family "
        "(there is no file name to take it from)"
    ]


def test_create_service_input_becomes_a_service_following_the_latest_revision() -> None:
    result = convert([source(ECS / "create-service.json")])
    (manifest,) = result.manifests
    assert manifest["kind"] == "ECSService"
    assert manifest["metadata"]["name"] == "orders-api"
    assert manifest["spec"]["taskDefinition"] == "orders-api"  # was orders-api:7
    assert manifest["spec"]["cluster"] == "production"
    assert result.notes == [
        "create-service.json: taskDefinition: 'orders-api:7' became 'orders-api': revisions start again at 1 on "
        "Kubernetes, so it follows the family's latest revision (--keep-revisions keeps the reference as written)"
    ]
    parse_service(manifest)


def test_keep_revisions_keeps_the_pin() -> None:
    result = convert([source(ECS / "create-service.json")], ConvertOptions(keep_revisions=True))
    assert result.manifests[0]["spec"]["taskDefinition"] == "orders-api:7"
    assert result.notes == []


def test_describe_services_output_gives_one_service_each_without_read_only_members() -> None:
    result = convert([source(CLI / "describe-services.json")])
    web, agent = result.manifests
    assert [m["metadata"]["name"] for m in result.manifests] == ["web", "log-agent"]
    for member in (
        "serviceArn",
        "status",
        "runningCount",
        "pendingCount",
        "deployments",
        "events",
        "createdAt",
        "createdBy",
        "platformFamily",
        "clusterArn",
        "roleArn",
    ):
        assert member not in web["spec"], member
    assert web["spec"]["cluster"] == "production"  # clusterArn -> cluster
    assert web["spec"]["role"].endswith("AWSServiceRoleForECS")  # roleArn -> role
    assert web["spec"]["taskDefinition"] == "webserver"
    # Service Connect is only reported on the PRIMARY deployment: it is carried over.
    assert web["spec"]["serviceConnectConfiguration"]["namespace"] == "shop"
    assert agent["spec"]["schedulingStrategy"] == "DAEMON"
    assert "desiredCount" not in agent["spec"]  # ECS reports one per instance; not an input of DAEMON
    assert len(result.notes) == 2
    for manifest in result.manifests:
        parse_service(manifest)


def test_create_service_output_is_accepted_too() -> None:
    described = json.loads((CLI / "describe-services.json").read_text())
    manifest = one(inline("created.json", {"service": described["services"][0]}))
    assert manifest["kind"] == "ECSService" and manifest["metadata"]["name"] == "web"


def test_run_task_input_becomes_a_task_named_after_its_family() -> None:
    manifest = one(source(ECS / "run-task.json"))
    assert manifest["kind"] == "ECSTask"
    assert manifest["metadata"]["name"] == "nightly-report"
    assert manifest["spec"]["taskDefinition"] == "nightly-report"
    assert manifest["spec"]["count"] == 2
    parse_task(manifest)


def test_several_tasks_of_one_family_are_numbered() -> None:
    run = {"taskDefinition": "etl", "count": 1}
    result = convert([inline("a.json", run), inline("b.json", run), inline("c.json", run)])
    assert [m["metadata"]["name"] for m in result.manifests] == ["etl", "etl-2", "etl-3"]


def test_create_cluster_input_becomes_a_cluster() -> None:
    manifest = one(source(ECS / "create-cluster.json"))
    assert manifest["kind"] == "ECSCluster"
    assert manifest["metadata"]["name"] == "production"
    parse_cluster(manifest)


def test_describe_clusters_output_drops_counts_and_notes_failures() -> None:
    result = convert([source(CLI / "describe-clusters.json")])
    (manifest,) = result.manifests
    for member in (
        "clusterArn",
        "status",
        "runningTasksCount",
        "activeServicesCount",
        "statistics",
        "attachments",
        "attachmentsStatus",
        "registeredContainerInstancesCount",
        "pendingTasksCount",
    ):
        assert member not in manifest["spec"]
    assert manifest["spec"]["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert result.notes == [
        "describe-clusters.json: failures: 1 entries ignored (they describe resources ECS did not find)"
    ]


def test_an_unnamed_cluster_is_ecs_default() -> None:
    manifest = one(inline("c.json", {"settings": [{"name": "containerInsights", "value": "enabled"}]}))
    assert manifest["metadata"]["name"] == "default"


def test_kind_settles_an_ambiguous_object() -> None:
    ambiguous = {"taskDefinition": "web", "cluster": "prod"}
    assert one(inline("x.json", ambiguous))["kind"] == "ECSTask"
    found = problems(inline("x.json", ambiguous), kind="ECSService")
    assert found == [
        "x.json: serviceName: is required (the ECSService is named after it)",
        "x.json: desiredCount: is required when schedulingStrategy is REPLICA (the default)",
    ]


def test_manifests_pass_through_validated_with_namespace() -> None:
    result = convert([source(CLI / "stack.yaml")], ConvertOptions(namespace="shop"))
    assert [(m["kind"], m["metadata"]["name"]) for m in result.manifests] == [
        ("TaskDefinition", "api"),
        ("ECSService", "api"),
        ("ECSTask", "api-migrate"),
    ]
    assert {m["metadata"]["namespace"] for m in result.manifests} == {"shop"}
    assert [item.source for item in result.items] == [f"stack.yaml (document {i})" for i in (1, 2, 3)]


def test_other_kubernetes_objects_pass_through_first() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"value": "x"}}
    text = "\n---\n".join([(ECS / "register-webserver.json").read_text(), yaml.safe_dump(secret)])
    result = convert([inline("mixed.yaml", text)])
    assert [m["kind"] for m in result.manifests] == ["Secret", "TaskDefinition"]
    assert result.items[0].spec is None


def test_output_order_is_clusters_task_definitions_services_tasks() -> None:
    result = convert(
        [
            source(ECS / "run-task.json"),
            source(ECS / "create-service.json"),
            source(ECS / "register-webserver.json"),
            source(ECS / "create-cluster.json"),
        ]
    )
    assert [m["kind"] for m in result.manifests] == ["ECSCluster", "TaskDefinition", "ECSService", "ECSTask"]


# -- errors: file + JSON path ---------------------------------------------------------------------


def test_model_errors_name_the_file_and_the_json_path() -> None:
    assert problems(source(CLI / "bad-taskdef.json")) == [
        "bad-taskdef.json: containerDefinitions[0].memoryReservation: must be less than memory (512)"
    ]


def test_paths_in_describe_output_include_the_wrapper() -> None:
    data = json.loads((ECS / "describe-task-definition.json").read_text())
    data["taskDefinition"]["containerDefinitions"][0]["memoryReservation"] = 200
    found = problems(inline("taskdef.json", data))
    assert (
        "taskdef.json: taskDefinition.containerDefinitions[0].memoryReservation: must be less than memory (100)"
        in found
    )


def test_paths_in_describe_services_name_the_entry_and_the_original_member() -> None:
    data = json.loads((CLI / "describe-services.json").read_text())
    data["services"][1]["clusterArn"] = "not a cluster"
    data["services"][1]["healthCheckGracePeriodSeconds"] = -1
    found = problems(inline("services.json", data))
    assert any(p.startswith("services.json: services[1].clusterArn: must be a cluster name") for p in found), found
    assert any(p.startswith("services.json: services[1].healthCheckGracePeriodSeconds:") for p in found), found


def test_paths_in_a_bare_array_start_at_the_index() -> None:
    found = problems(inline("containers.json", [{"name": "web", "image": "nginx", "memory": "lots"}]))
    assert found == ["containers.json: [0].memory: must be an integer (a number or a string of digits), got 'lots'"]


def test_every_problem_of_every_file_is_reported() -> None:
    found = problems(
        source(CLI / "bad-taskdef.json"),
        inline("broken.json", '{"family": "x",\n  "containerDefinitions": [\n}'),
        inline("empty.json", "  "),
        inline("what.json", {"hello": "world"}),
    )
    assert found[0].startswith("bad-taskdef.json: containerDefinitions[0].memoryReservation")
    assert found[1] == "broken.json: invalid JSON at line 3, column 1: Expecting value"
    assert found[2] == "empty.json: is empty"
    assert found[3].startswith("what.json: cannot tell which ECS input this is")


def test_invalid_yaml_reports_the_line() -> None:
    (found,) = problems(inline("bad.yaml", "kind: TaskDefinition\nspec: [\n"))
    assert found.startswith("bad.yaml: invalid YAML at line 3")


def test_errors_in_manifests_point_into_spec() -> None:
    text = (CLI / "stack.yaml").read_text().replace("desiredCount: 3", "desiredCount: -3")
    assert problems(inline("stack.yaml", text)) == ["stack.yaml (document 2): spec.desiredCount: must be at least 0"]


def test_a_family_given_twice_is_an_error() -> None:
    found = problems(source(ECS / "register-webserver.json"), source(ECS / "describe-task-definition.json"))
    assert found == [
        "describe-task-definition.json: TaskDefinition 'webserver' is also defined by "
        "register-webserver.json; each family, service and cluster may appear once"
    ]


def test_namespace_conflict_is_an_error() -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\n"
    assert problems(inline("s.yaml", text), namespace="b") == [
        "s.yaml: metadata.namespace: is 'a' but --namespace says 'b'"
    ]


def test_unknown_kind_option_is_an_error() -> None:
    assert problems(source(ECS / "run-task.json"), kind="Pod") == [
        "--kind: must be one of ECSCluster, TaskDefinition, ECSService, ECSTask"
    ]


# -- names and output ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "ecs_name", "expected"),
    [
        ("TaskDefinition", "webserver", "webserver"),
        ("TaskDefinition", "My_App", "my-app"),
        ("ECSService", "2048-game", "service-2048-game"),
        ("TaskDefinition", "2048-game", "2048-game"),
        ("ECSCluster", "prod__east", "prod-east"),
    ],
)
def test_manifest_names_are_dns_labels(kind: str, ecs_name: str, expected: str) -> None:
    assert manifest_name(kind, ecs_name) == expected


def test_long_names_are_cut_with_a_hash() -> None:
    name = manifest_name("TaskDefinition", "a" * 255)
    assert len(name) == 63 and name.startswith("aaaa")
    assert manifest_name("TaskDefinition", "a" * 255) == name
    assert manifest_name("TaskDefinition", "a" * 254) != name


def test_yaml_output_round_trips_with_comments() -> None:
    result = convert([source(ECS / "register-webserver.json"), source(ECS / "create-service.json")])
    text = to_yaml(result.manifests, [f"converted from {i.source}" for i in result.items])
    assert text.startswith("---\n# converted from register-webserver.json\n")
    assert list(yaml.safe_load_all(text)) == result.manifests


def test_load_documents_skips_empty_yaml_documents() -> None:
    docs = load_documents(Source("s.yaml", "---\n# nothing\n---\na: 1\n---\nb: 2\n"))
    assert docs == [("s.yaml (document 1)", {"a": 1}), ("s.yaml (document 2)", {"b": 2})]


def test_convert_is_pure_and_imports_only_models_and_render() -> None:
    import ecs_operator.convert as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    local = {name for name in imported if name.startswith(".")}
    # and the readers of other forms, pure too (their own import contracts)
    readers = ("models", "render", "convert_terraform", "convert_update_service", "cloudformation")
    assert all(name.split(".")[1] in readers for name in local), local
    assert not {"kopf", "kubernetes", "subprocess", "os"} & {name.split(".")[0] for name in imported}
