"""ECS tags on pods: keys Kubernetes refuses are reported, never sent; our own keys pass through once."""

from __future__ import annotations

from datetime import UTC, datetime

from ecs_operator.models import parse_service, parse_task_definition
from ecs_operator.render.service import render_service
from ecs_operator.render.tags import is_annotation_key

OWNER = {
    "apiVersion": "ecs.operator.dev/v1alpha1",
    "kind": "ECSService",
    "metadata": {"name": "api", "namespace": "shop", "uid": "u-1"},
}
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def _render(tags: dict[str, str], service_tags: dict[str, str] | None = None, propagate: str = "TASK_DEFINITION"):
    td = parse_task_definition(
        {
            "family": "api",
            "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128, "essential": True}],
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        }
    )
    service = {"taskDefinition": "api", "desiredCount": 1, "propagateTags": propagate}
    if service_tags:
        service["tags"] = [{"key": k, "value": v} for k, v in service_tags.items()]
    return render_service(OWNER, parse_service(service), td, family="api", revision=1, cluster="default", now=NOW)


def _pod_annotations(rendered) -> dict[str, str]:
    return rendered.objects[0]["spec"]["template"]["metadata"]["annotations"]


def test_an_operator_annotation_tag_passes_through_once_without_warning() -> None:
    rendered = _render({"ecs.operator.dev/kwok-exit-code": "1", "team": "payments"})
    annotations = _pod_annotations(rendered)
    assert annotations["ecs.operator.dev/kwok-exit-code"] == "1"
    assert not [k for k in annotations if "kwok-exit-code" in k and k != "ecs.operator.dev/kwok-exit-code"]
    assert annotations["team"] == "payments" and annotations["ecs.operator.dev/tag.team"] == "payments"
    assert [w for w in rendered.warnings if "kwok" in w.reason] == []


def test_service_tags_that_are_not_annotation_keys_are_reported_not_applied() -> None:
    # ECS allows spaces and ':' in tag keys (Tagging your Amazon ECS resources); Kubernetes does not.
    rendered = _render({}, {"Cost Center": "42", "team:owner": "ops", "app": "shop"}, propagate="SERVICE")
    annotations = _pod_annotations(rendered)
    assert annotations["app"] == "shop"
    assert "Cost Center" not in annotations and "team:owner" not in annotations
    reported = sorted(w.reason for w in rendered.warnings if w.path == "propagateTags")
    assert reported == [
        "tag 'Cost Center' is not a valid annotation key; it is not put on the task's pod",
        "tag 'team:owner' is not a valid annotation key; it is not put on the task's pod",
    ]


def test_annotation_key_rule() -> None:
    assert is_annotation_key("app") and is_annotation_key("example.com/app-name")
    assert not is_annotation_key("Cost Center") and not is_annotation_key("a/b/c") and not is_annotation_key("x" * 64)
