"""Acceptance with the AWS SDK for JavaScript v3 (@aws-sdk/client-ecs from npm).

The SDK finds the endpoint in AWS_ENDPOINT_URL_ECS like the other clients. It parses the
responses itself (timestamps become Dates), so the same calls are also made through the
signed EcsClient and their raw bodies checked against botocore's output shapes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_clients import AwsClients
from ecs_api import EcsClient

from ecs_shapes import output_problems

pytestmark = pytest.mark.usefixtures("operator")

SCRIPT = r"""
const { ECSClient, RegisterTaskDefinitionCommand, DescribeServicesCommand, CreateServiceCommand,
        ServiceNotFoundException, ClusterNotFoundException } = require("@aws-sdk/client-ecs");
const client = new ECSClient({});
(async () => {
  const out = {};
  const registered = await client.send(new RegisterTaskDefinitionCommand({
    family: "js-app",
    containerDefinitions: [{ name: "app", image: "app:1", cpu: 64, memory: 128, essential: true,
                             portMappings: [{ containerPort: 8080, protocol: "tcp" }] }],
    requiresCompatibilities: ["FARGATE"], networkMode: "awsvpc", cpu: "256", memory: "512",
  }));
  out.taskDefinition = registered.taskDefinition;
  out.registeredAtIsDate = registered.taskDefinition.registeredAt instanceof Date;
  await client.send(new CreateServiceCommand({
    cluster: "default", serviceName: "js-web", taskDefinition: "js-app", desiredCount: 1, launchType: "FARGATE",
    networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0a1b2c3d"] } },
  }));
  const described = await client.send(
    new DescribeServicesCommand({ cluster: "default", services: ["js-web", "nope"] }));
  out.services = described.services;
  out.failures = described.failures;
  out.createdAtIsDate = described.services[0].createdAt instanceof Date;
  try {
    await client.send(new DescribeServicesCommand({ cluster: "no-such-cluster", services: ["js-web"] }));
    out.error = null;
  } catch (err) {
    out.error = { name: err.name, modeled: err instanceof ClusterNotFoundException,
                  status: err.$metadata.httpStatusCode };
  }
  console.log(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
"""


def test_js_sdk_registers_a_task_definition_and_describes_a_service(ecs: EcsClient, tmp_path: Path) -> None:
    aws = AwsClients(ecs.env(), tmp_path / "js")
    out = json.loads(aws.node(SCRIPT).stdout.strip().splitlines()[-1])
    td = out["taskDefinition"]
    assert td["taskDefinitionArn"] == "arn:aws:ecs:us-east-1:123456789012:task-definition/js-app:1"
    assert (td["family"], td["revision"], td["status"]) == ("js-app", 1, "ACTIVE")
    assert td["containerDefinitions"][0]["portMappings"][0]["containerPort"] == 8080
    assert out["registeredAtIsDate"] and out["createdAtIsDate"]  # epoch numbers the SDK turned into Dates
    (service,) = out["services"]
    assert service["serviceName"] == "js-web" and service["taskDefinition"] == td["taskDefinitionArn"]
    assert service["desiredCount"] == 1
    assert [f["reason"] for f in out["failures"]] == ["MISSING"]
    assert out["error"] == {"name": "ClusterNotFoundException", "modeled": True, "status": 400}

    # The same calls' raw bodies, as the SDK received them, conform to the output shapes.
    raw = ecs.ok("DescribeServices", {"cluster": "default", "services": ["js-web", "nope"]})
    assert output_problems("DescribeServices", raw) == []
    raw_td = ecs.ok("DescribeTaskDefinition", {"taskDefinition": "js-app:1", "include": ["TAGS"]})
    assert output_problems("DescribeTaskDefinition", raw_td) == []
    again = ecs.ok(
        "RegisterTaskDefinition",
        {"family": "js-app", "containerDefinitions": [{"name": "app", "image": "app:2", "memory": 128}]},
    )
    assert output_problems("RegisterTaskDefinition", again) == [] and again["taskDefinition"]["revision"] == 2
