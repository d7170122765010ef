"""A CI deploy step for an ECS service, with boto3 only: it runs unchanged against Amazon ECS or ecs-operator.

What the widely used "deploy task definition" CI steps do:
  1. take a task definition: a file (ECS JSON, or a describe-task-definition output), or the
     revision the service runs now (DescribeTaskDefinition);
  2. strip the members ECS sets itself (taskDefinitionArn, revision, status, requiresAttributes,
     compatibilities, registeredAt, registeredBy, deregisteredAt), which RegisterTaskDefinition refuses;
  3. optionally set a container's image (--image NAME=IMAGE);
  4. RegisterTaskDefinition, UpdateService to the new revision, wait for services-stable.

Point it at the cluster with the usual environment (AWS_ENDPOINT_URL_ECS, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION). It prints one JSON line: the new revision's ARN and
the service's deployments once stable. See
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html and
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import boto3

READ_ONLY = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
)


def registrable(task_definition: dict[str, Any]) -> dict[str, Any]:
    """A task definition as RegisterTaskDefinition takes it: without the members ECS sets."""
    if "taskDefinition" in task_definition:  # a describe-task-definition output as it was saved
        task_definition = task_definition["taskDefinition"]
    return {k: v for k, v in task_definition.items() if k not in READ_ONLY and v is not None}


def set_image(task_definition: dict[str, Any], container: str, image: str) -> None:
    for definition in task_definition["containerDefinitions"]:
        if definition["name"] == container:
            definition["image"] = image
            return
    raise SystemExit(f"no container {container!r} in the task definition")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", default="default")
    parser.add_argument("--service", required=True)
    parser.add_argument("--task-definition", type=Path, help="ECS JSON file; default: the service's current revision")
    parser.add_argument("--image", action="append", default=[], metavar="CONTAINER=IMAGE")
    parser.add_argument("--wait-delay", type=int, default=5, help="seconds between services-stable polls")
    parser.add_argument("--wait-attempts", type=int, default=60)
    args = parser.parse_args(argv)

    ecs = boto3.client("ecs")
    if args.task_definition:
        source = json.loads(args.task_definition.read_text())
    else:
        (service,) = ecs.describe_services(cluster=args.cluster, services=[args.service])["services"]
        source = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    definition = registrable(source)
    for item in args.image:
        container, _, image = item.partition("=")
        set_image(definition, container, image)

    registered = ecs.register_task_definition(**definition)["taskDefinition"]
    arn = registered["taskDefinitionArn"]
    ecs.update_service(cluster=args.cluster, service=args.service, taskDefinition=arn)
    ecs.get_waiter("services_stable").wait(
        cluster=args.cluster,
        services=[args.service],
        WaiterConfig={"Delay": args.wait_delay, "MaxAttempts": args.wait_attempts},
    )
    (service,) = ecs.describe_services(cluster=args.cluster, services=[args.service])["services"]
    deployments = [{"taskDefinition": d["taskDefinition"], "status": d["status"]} for d in service["deployments"]]
    print(json.dumps({"taskDefinitionArn": arn, "revision": registered["revision"], "deployments": deployments}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
