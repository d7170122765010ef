"""CloudFormation and CDK templates -> ECS custom resources (ecs_operator/cloudformation/, convert)."""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from ecs_operator.cli import main
from ecs_operator.cloudformation import TemplateLoader
from ecs_operator.cloudformation.properties import UNSUPPORTED, member_for
from ecs_operator.cloudformation.template import KIND_OF_TYPE
from ecs_operator.cloudformation.yaml_tags import SHORT_FORMS
from ecs_operator.convert import ConvertError, ConvertOptions, ConvertResult, Source, convert
from ecs_operator.models import ECSClusterSpec, ECSServiceSpec, TaskDefinitionSpec
from ecs_operator.models.base import UNSUPPORTED_MARK
from ecs_operator.models.introspect import model_in
from ecs_operator.preview import preview

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cfn_lint_schemas import load_resource_schema

DATA = Path(__file__).parent / "data" / "cloudformation"
FIXTURES = sorted([*DATA.glob("*.yaml"), *DATA.glob("*.json"), *DATA.glob("cdk.out/*.template.json")])


def source(path: Path) -> Source:
    return Source(str(path), path.read_text(encoding="utf-8"), path.stem)


def run(name: str, *parameters: tuple[str, str]) -> ConvertResult:
    return convert([source(DATA / name)], ConvertOptions(parameters=parameters))


def by_kind(result: ConvertResult, kind: str) -> list[dict[str, Any]]:
    return [item.manifest["spec"] for item in result.items if item.kind == kind]


def template(text: str, *parameters: tuple[str, str]) -> ConvertResult:
    return convert([Source("template.yaml", text, "template")], ConvertOptions(parameters=parameters))


def test_the_fixtures_cover_six_shapes() -> None:
    names = {path.name for path in FIXTURES}
    shapes = {
        "fargate-alb.yaml",
        "ec2-placement.yaml",
        "efs-volume.json",
        "conditions.yaml",
        "shared-cluster-imports.yaml",
    }
    assert shapes <= names
    assert "CheckoutStack.template.json" in names


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_each_template_converts_and_renders(path: Path) -> None:
    result = convert([source(path)])
    kinds = [item.kind for item in result.items]
    assert "TaskDefinition" in kinds and "ECSService" in kinds
    rendered = preview(result.items, namespace="shop")
    object_kinds = {obj["kind"] for obj in rendered.objects}
    assert "Deployment" in object_kinds, object_kinds


def test_cli_render_of_converted_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(DATA / "fargate-alb.yaml")]) == 0
    converted, _ = capsys.readouterr()
    manifest = tmp_path / "orders.yaml"
    manifest.write_text(converted)
    assert main(["render", str(manifest)]) == 0
    out, err = capsys.readouterr()
    kinds = [doc["kind"] for doc in yaml.safe_load_all(out)]
    assert "Deployment" in kinds and "Service" in kinds
    assert "error" not in err


def test_fargate_alb_references_become_names() -> None:
    result = run("fargate-alb.yaml")
    (cluster,) = by_kind(result, "ECSCluster")
    (task_definition,) = by_kind(result, "TaskDefinition")
    (service,) = by_kind(result, "ECSService")
    assert cluster["clusterName"] == "fargate-alb-cluster"  # !Sub ${AWS::StackName}-cluster, stack = file name
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]  # ClusterSettings
    assert cluster["tags"] == [{"key": "team", "value": "orders"}]
    assert service["taskDefinition"] == "orders-api"
    assert service["cluster"] == "fargate-alb-cluster"
    assert service["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == [
        "subnet-0aa11bb22cc33dd44",
        "subnet-0ee55ff66aa77bb88",
    ]
    assert service["loadBalancers"] == [
        {"containerName": "api", "containerPort": 8080, "targetGroupArn": "${TargetGroup}"}
    ]
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    container = task_definition["containerDefinitions"][0]
    assert container["image"] == "public.ecr.aws/example/orders-api:1.4.2"
    assert container["portMappings"] == [{"containerPort": 8080, "protocol": "tcp", "name": "http"}]
    assert {"name": "AWS_REGION", "value": "us-east-1"} in container["environment"]
    assert container["dockerLabels"] == {"com.example.Team": "orders"}  # map keys untouched
    assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == "api"
    assert task_definition["executionRoleArn"] == "${ExecutionRole.Arn}"


def test_unresolvable_values_are_kept_and_the_note_names_the_template_path() -> None:
    notes = run("fargate-alb.yaml").notes
    path = DATA / "fargate-alb.yaml"
    assert (
        f"{path}: Resources.Service.Properties.LoadBalancers[0].TargetGroupArn: !Ref TargetGroup is not an ECS "
        f'resource (AWS::ElasticLoadBalancingV2::TargetGroup); kept as "${{TargetGroup}}"'
    ) in notes
    assert any(
        "Resources.TaskDefinition.Properties.ContainerDefinitions[0].LogConfiguration.Options.awslogs-group: "
        "!Ref LogGroup is not an ECS resource" in note
        for note in notes
    )
    assert any("Resources.TaskDefinition.Properties.ExecutionRoleArn: !GetAtt ExecutionRole.Arn" in n for n in notes)


def test_values_from_other_stacks_are_placeholders_and_an_unknown_cluster_is_left_out() -> None:
    result = run("shared-cluster-imports.yaml")
    (task_definition,) = by_kind(result, "TaskDefinition")
    (service,) = by_kind(result, "ECSService")
    container = task_definition["containerDefinitions"][0]
    assert container["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": "${DbSecret}"}]
    assert container["environment"] == [{"name": "QUEUE_URL", "value": "${ImportValue:orders-queue-url}"}]
    assert container["image"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/billing:7"
    assert "cluster" not in service
    assert service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [
        "${ImportValue:shared-service-sg}"
    ]
    label = str(DATA / "shared-cluster-imports.yaml")
    assert (
        f"{label}: Resources.BillingService.Properties.Cluster: ${{ImportValue:shared-cluster-name}} is not a "
        "cluster of this template; left out, so the service is in the default cluster "
        "(set spec.cluster to the ECSCluster's clusterName)"
    ) in result.notes
    assert (
        f"{label}: Resources.BillingTaskDefinition.Properties.ContainerDefinitions[0].Secrets[0].ValueFrom: "
        '!Ref DbSecret is not an ECS resource (AWS::SecretsManager::Secret); kept as "${DbSecret}"'
    ) in result.notes


def test_ec2_placement_and_getatt_references() -> None:
    result = run("ec2-placement.yaml")
    (service,) = by_kind(result, "ECSService")
    (task_definition,) = by_kind(result, "TaskDefinition")
    assert service["cluster"] == "batch"  # !GetAtt BatchCluster.Arn
    assert service["taskDefinition"] == "report-worker"  # !GetAtt ...TaskDefinitionArn
    assert service["placementStrategy"] == [  # PlacementStrategies
        {"type": "spread", "field": "attribute:ecs.availability-zone"},
        {"type": "binpack", "field": "memory"},
    ]
    assert service["placementConstraints"] == [{"type": "distinctInstance"}]
    assert task_definition["placementConstraints"][0]["expression"] == "attribute:ecs.instance-type =~ m5.*"
    assert task_definition["containerDefinitions"][0]["ulimits"] == [
        {"name": "nofile", "softLimit": 65536, "hardLimit": 65536}
    ]


def test_efs_volume_from_a_json_template() -> None:
    result = run("efs-volume.json")
    (task_definition,) = by_kind(result, "TaskDefinition")
    (service,) = by_kind(result, "ECSService")
    efs = task_definition["volumes"][0]["efsVolumeConfiguration"]  # EFSVolumeConfiguration
    assert efs["fileSystemId"] == "fs-0123456789abcdef0"  # FilesystemId, from the parameter's Default
    assert efs["authorizationConfig"] == {"accessPointId": "${UploadsAccessPoint}", "iam": "ENABLED"}
    secret = task_definition["containerDefinitions"][0]["secrets"][0]
    assert secret["valueFrom"] == "arn:aws:ssm:us-east-1:123456789012:parameter/cms/db-password"
    assert service["taskDefinition"] == "cms"
    assert "cluster" not in service
    assert any("AWS::AccountId is '123456789012'" in note for note in result.notes)


def test_pseudo_parameters_from_flags() -> None:
    result = run("efs-volume.json", ("AWS::Region", "cn-north-1"), ("AWS::AccountId", "210987654321"))
    (task_definition,) = by_kind(result, "TaskDefinition")
    secret = task_definition["containerDefinitions"][0]["secrets"][0]
    assert secret["valueFrom"] == "arn:aws-cn:ssm:cn-north-1:210987654321:parameter/cms/db-password"
    assert not any("AWS::AccountId is" in note for note in result.notes)


def test_cdk_synthesized_template() -> None:
    result = run("cdk.out/CheckoutStack.template.json")
    (cluster,) = by_kind(result, "ECSCluster")
    (task_definition,) = by_kind(result, "TaskDefinition")
    (service,) = by_kind(result, "ECSService")
    assert cluster["clusterName"] == "Cluster"  # from aws:cdk:path CheckoutStack/Cluster/Resource
    # AWS::ECS::ClusterCapacityProviderAssociations, as CDK writes for Fargate capacity providers
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert service["serviceName"] == "Service"  # CheckoutStack/Service/Service
    assert service["cluster"] == "Cluster"
    assert service["taskDefinition"] == "CheckoutStackTaskDef1A2B3C4D"
    assert service["enableECSManagedTags"] is False
    environment = task_definition["containerDefinitions"][0]["environment"]
    assert environment == [{"name": "PAYMENTS_URL", "value": "https://payments.us-east-1.amazonaws.com"}]
    assert task_definition["taskRoleArn"] == "${TaskDefTaskRole1EDB4A67.Arn}"
    assert any("no ServiceName" in note and "CheckoutStack/Service/Service" in note for note in result.notes)
    # CDK's bootstrap parameter and Rules, and the CDK::Metadata resource, are not ECS: no problem.
    assert len(result.items) == 3


def test_conditions_with_defaults_leave_out_a_resource_and_a_property() -> None:
    result = run("conditions.yaml")
    services = by_kind(result, "ECSService")
    (task_definition,) = by_kind(result, "TaskDefinition")
    assert [s["serviceName"] for s in services] == ["shop-staging"]  # ReportsService has Condition IsProduction
    assert any("Resources.ReportsService: left out: its Condition IsProduction is false" in n for n in result.notes)
    container = task_definition["containerDefinitions"][0]
    assert "readonlyRootFilesystem" not in container  # !If [IsProduction, true, !Ref AWS::NoValue]
    assert {"name": "DEBUG", "value": "1"} in container["environment"]
    assert task_definition["cpu"] == 256  # FindInMap
    assert services[0]["enableExecuteCommand"] is True  # "true" -> a boolean
    assert services[0]["tags"] == [{"key": "image", "value": "floating"}]  # !And with !Condition


def test_parameter_overrides_the_default() -> None:
    result = run("conditions.yaml", ("Environment", "production"), ("ImageTag", "2.0.1"))
    services = {s["serviceName"]: s for s in by_kind(result, "ECSService")}
    (task_definition,) = by_kind(result, "TaskDefinition")
    assert set(services) == {"shop-production", "shop-reports"}
    assert services["shop-reports"]["taskDefinition"] == "shop-production"
    assert services["shop-production"]["desiredCount"] == 4
    assert services["shop-production"]["enableExecuteCommand"] is False
    assert services["shop-production"]["tags"] == [{"key": "image", "value": "pinned"}]
    container = task_definition["containerDefinitions"][0]
    assert container["image"] == "public.ecr.aws/example/shop:2.0.1"
    assert container["readonlyRootFilesystem"] is True
    assert all(env["name"] != "DEBUG" for env in container["environment"])
    assert task_definition["memory"] == 2048


def test_cli_parameter_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["convert", str(DATA / "conditions.yaml"), "--parameter", "Environment=production"])
    out, err = capsys.readouterr()
    assert code == 0, err
    names = [doc["metadata"]["name"] for doc in yaml.safe_load_all(out)]
    assert names == ["shop-production", "shop-production", "shop-reports"]


def test_cli_render_takes_parameters_too(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["render", str(DATA / "conditions.yaml"), "--parameter", "Environment=production"])
    out, err = capsys.readouterr()
    assert code == 0, err
    deployments = [doc["metadata"]["name"] for doc in yaml.safe_load_all(out) if doc["kind"] == "Deployment"]
    assert sorted(deployments) == ["shop-production", "shop-reports"]


def test_an_undeclared_parameter_is_noted() -> None:
    result = run("conditions.yaml", ("Enviroment", "production"))
    assert (
        f"{DATA / 'conditions.yaml'}: Parameters: --parameter Enviroment is not a parameter of this template; ignored"
        in result.notes
    )


def test_cli_parameter_needs_name_and_value(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["convert", str(DATA / "conditions.yaml"), "--parameter", "Environment"])
    assert "must be Name=Value" in capsys.readouterr().err


def test_parameter_outside_allowed_values() -> None:
    with pytest.raises(ConvertError) as caught:
        run("conditions.yaml", ("Environment", "qa"))
    assert [str(p) for p in caught.value.problems] == [
        f"{DATA / 'conditions.yaml'}: Parameters.Environment: "
        "'qa' is not one of AllowedValues ['staging', 'production']"
    ]


BROKEN = """
Parameters:
  Image:
    Type: String
Resources:
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: web
      ContainerDefinitions:
        - Name: web
          Image: !Ref Image
          Memory: 256
          Cpu: !Ref Missing
  Service:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: web
      TaskDefinition: !Ref TaskDef
      DesiredCount: 1
"""


def test_every_template_problem_at_once_with_its_path() -> None:
    with pytest.raises(ConvertError) as caught:
        template(BROKEN)
    assert [str(p) for p in caught.value.problems] == [
        "template.yaml: Parameters.Image: has no Default: pass --parameter Image=VALUE",
        "template.yaml: Resources.TaskDef.Properties.ContainerDefinitions[0].Cpu.Ref: "
        "'Missing' is not a parameter, resource or pseudo parameter",
    ]


def test_model_problems_point_into_the_template() -> None:
    text = BROKEN.replace("Cpu: !Ref Missing", "PortMappings: [{ContainerPort: 99999}]\n          Bogus: 1")
    with pytest.raises(ConvertError) as caught:
        template(text, ("Image", "nginx"))
    messages = [str(p) for p in caught.value.problems]
    assert any(
        m.startswith(
            "template.yaml: Resources.TaskDef.Properties.ContainerDefinitions[0].PortMappings[0].ContainerPort:"
        )
        for m in messages
    ), messages
    assert "template.yaml: Resources.TaskDef.Properties.ContainerDefinitions[0].Bogus: unknown field" in " ".join(
        messages
    )


def test_force_new_deployment_is_left_out_with_a_note() -> None:
    text = BROKEN.replace("Cpu: !Ref Missing", "Cpu: 256").replace(
        "DesiredCount: 1", "DesiredCount: 1\n      ForceNewDeployment: {EnableForceNewDeployment: true}"
    )
    result = template(text, ("Image", "nginx"))
    (service,) = by_kind(result, "ECSService")
    assert "forceNewDeployment" not in service
    assert any("Resources.Service.Properties.ForceNewDeployment: left out" in n for n in result.notes)


def test_a_reference_to_a_resource_left_out_by_its_condition() -> None:
    text = """
Conditions:
  Never: !Equals [a, b]
Resources:
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Condition: Never
    Properties:
      Family: web
      ContainerDefinitions: [{Name: web, Image: nginx, Memory: 256}]
  Service:
    Type: AWS::ECS::Service
    Properties: {ServiceName: web, TaskDefinition: !Ref TaskDef, DesiredCount: 1}
"""
    with pytest.raises(ConvertError) as caught:
        template(text)
    assert [str(p) for p in caught.value.problems] == [
        "template.yaml: Resources.Service.Properties.TaskDefinition.Ref: "
        "TaskDef is left out (its Condition Never is false): nothing can refer to it"
    ]


def test_other_ecs_resource_types_are_noted() -> None:
    text = (
        BROKEN.replace("Cpu: !Ref Missing", "Cpu: 256")
        + """
  Provider:
    Type: AWS::ECS::CapacityProvider
    Properties:
      AutoScalingGroupProvider: {AutoScalingGroupArn: arn:aws:autoscaling:us-east-1:1:asg}
"""
    )
    result = template(text, ("Image", "nginx"))
    assert any(
        n.startswith("template.yaml: Resources.Provider: AWS::ECS::CapacityProvider is not converted")
        for n in result.notes
    )
    assert len(result.items) == 2


@pytest.mark.parametrize("short", sorted(SHORT_FORMS))
def test_short_form_tags_read_as_their_long_form(short: str) -> None:
    long = SHORT_FORMS[short]
    scalar = yaml.load(f"v: !{short} x", Loader=TemplateLoader)
    sequence = yaml.load(f"v: !{short} [a, b]", Loader=TemplateLoader)
    expected = ["x", ""] if short == "GetAtt" else "x"
    assert scalar == {"v": {long: expected}}
    assert sequence == {"v": {long: ["a", "b"]}}


def test_nested_short_forms() -> None:
    data = yaml.load("v: !Select [0, !Split [',', !Sub '${A}']]\nw: !GetAtt Db.Endpoint.Address", Loader=TemplateLoader)
    assert data["v"] == {"Fn::Select": [0, {"Fn::Split": [",", {"Fn::Sub": "${A}"}]}]}
    assert data["w"] == {"Fn::GetAtt": ["Db", "Endpoint.Address"]}


FUNCTIONS = """
Parameters:
  Zones: {Type: CommaDelimitedList, Default: "a,b,c"}
Resources:
  Vpc: {Type: AWS::EC2::VPC}
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Name: web
          Image: !Join ["/", [public.ecr.aws, !Select [1, !Ref Zones]]]
          Memory: 256
          Environment:
            - {Name: SUB, Value: !Sub ["${X}-${AWS::Region}-${!Literal}", {X: !Select [2, !Ref Zones]}]}
            - {Name: B64, Value: !Base64 hello}
            - {Name: AZ, Value: !Select [0, !GetAZs ""]}
            - {Name: CIDR, Value: !Select [1, !Cidr ["10.0.0.0/16", 4, 8]]}
            - {Name: IMPORT, Value: !ImportValue shared-bucket}
            - {Name: SPLIT, Value: !Select [1, !Split ["-", "x-y-z"]]}
            - {Name: VPC, Value: !Sub "${Vpc.CidrBlock}"}
"""


def test_intrinsic_functions() -> None:
    result = template(FUNCTIONS, ("AWS::Region", "eu-west-1"))
    (task_definition,) = by_kind(result, "TaskDefinition")
    assert task_definition["family"] == "TaskDef"  # no Family: the logical id, with a note
    container = task_definition["containerDefinitions"][0]
    assert container["image"] == "public.ecr.aws/b"
    assert {e["name"]: e["value"] for e in container["environment"]} == {
        "SUB": "c-eu-west-1-${Literal}",
        "B64": "aGVsbG8=",
        "AZ": "eu-west-1a",
        "CIDR": "10.0.1.0/24",
        "IMPORT": "${ImportValue:shared-bucket}",
        "SPLIT": "y",
        "VPC": "${Vpc.CidrBlock}",
    }
    assert any("Fn::ImportValue shared-bucket is another stack's export" in n for n in result.notes)
    assert any("Resources.TaskDef: no Family" in n for n in result.notes)


# -- the mapping, checked against CloudFormation's resource schemas ------------------------------

_MODELS: dict[str, type[BaseModel]] = {
    "AWS::ECS::TaskDefinition": TaskDefinitionSpec,
    "AWS::ECS::Service": ECSServiceSpec,
    "AWS::ECS::Cluster": ECSClusterSpec,
}

NOT_IN_TEMPLATES = {
    # read-only: returned by Fn::GetAtt, never written in a template
    "AWS::ECS::TaskDefinition": {"TaskDefinitionArn"},
    "AWS::ECS::Service": {"ServiceArn", "Name"},
    "AWS::ECS::Cluster": {"Arn"},
}


def _schema_paths(
    schema: dict[str, Any],
    node: dict[str, Any],
    model: type[BaseModel] | None,
    path: str,
    missing: list[str],
    seen: frozenset[str],
) -> int:
    """Walk one schema node beside the model; count the property paths checked."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return 0
        return _schema_paths(schema, schema["definitions"][name], model, path, missing, seen | {name})
    if node.get("type") == "array" or "items" in node:
        return _schema_paths(schema, node.get("items", {}), model, f"{path}[]", missing, seen)
    checked = 0
    for prop, child in (node.get("properties") or {}).items():
        checked += 1
        where = f"{path}.{prop}" if path else prop
        if model is None:
            missing.append(f"{where}: its parent is not a model")
            continue
        if (model.__name__, prop) in UNSUPPORTED:
            continue
        found = member_for(model, prop)
        if found is None:
            missing.append(f"{where} ({model.__name__})")
            continue
        if _is_unsupported(model, found[0]):
            continue  # rejected with its reason by the model (unsupported_field)
        inner = model_in(found[1])
        resolved = child
        while "$ref" in resolved:
            resolved = schema["definitions"][resolved["$ref"].rsplit("/", 1)[-1]]
        items = resolved.get("items", resolved) if resolved.get("type") == "array" else resolved
        while "$ref" in items:
            items = schema["definitions"][items["$ref"].rsplit("/", 1)[-1]]
        if _is_map(items) and typing.get_origin(_unwrap(found[1])) is not dict:
            missing.append(f"{where}: a map in CloudFormation, {found[1]} here")
            continue
        if items.get("properties") and inner is None:
            missing.append(f"{where}: an object in CloudFormation, not a model here")
            continue
        if items.get("properties"):
            checked += _schema_paths(schema, child, inner, where, missing, seen)
    return checked


def _is_map(node: dict[str, Any]) -> bool:
    """A schema object whose keys are data (DockerLabels, Options), not property names."""
    return (
        node.get("type") == "object"
        and not node.get("properties")
        and ("patternProperties" in node or isinstance(node.get("additionalProperties"), dict))
    )


def _unwrap(annotation: Any) -> Any:
    """``dict[str, str] | None`` -> ``dict[str, str]``; a list's item type for a list."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return _unwrap(next(a for a in typing.get_args(annotation) if a is not type(None)))
    if origin is list:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


def _is_unsupported(model: type[BaseModel], alias: str) -> bool:
    for name, info in model.model_fields.items():
        if alias == (info.alias or name):
            return isinstance(info.json_schema_extra, dict) and UNSUPPORTED_MARK in info.json_schema_extra
    return False


@pytest.mark.parametrize("type_name", sorted(KIND_OF_TYPE))
def test_every_schema_property_maps_to_a_model_member(type_name: str) -> None:
    schema = load_resource_schema(type_name)
    assert schema["typeName"] == type_name
    top = {k: v for k, v in schema["properties"].items() if k not in NOT_IN_TEMPLATES[type_name]}
    missing: list[str] = []
    checked = _schema_paths(schema, {"properties": top}, _MODELS[type_name], "", missing, frozenset())
    assert checked > 20
    assert missing == []
