"""Small builders for the ECS-shaped manifests the integration tests apply."""

from __future__ import annotations

from typing import Any

API = "ecs.operator.dev/v1alpha1"


def task_definition(
    name: str,
    *,
    image: str = "nginx:1.27",
    containers: list[dict[str, Any]] | None = None,
    tags: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "family": name,
        "containerDefinitions": containers
        or [
            {
                "name": "web",
                "image": image,
                "cpu": 128,
                "memory": 256,
                "essential": True,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            }
        ],
        **extra,
    }
    if tags:
        spec["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
    return {"apiVersion": API, "kind": "TaskDefinition", "metadata": {"name": name}, "spec": spec}


def ecs_service(name: str, task_def: str, desired: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "ECSService",
        "metadata": {"name": name},
        "spec": {"taskDefinition": task_def, "desiredCount": desired, **extra},
    }
