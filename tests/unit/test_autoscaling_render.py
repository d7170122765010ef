"""Service auto scaling -> a HorizontalPodAutoscaler on the ECSService's scale subresource."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.models import SpecError, parse_service, parse_task_definition
from ecs_operator.render.autoscaling import build_autoscaler, effective_bounds
from ecs_operator.render.schedule import ScheduleError
from ecs_operator.render.service import render_service

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)  # Wednesday
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
OWNER = {
    "apiVersion": "ecs.operator.dev/v1alpha1",
    "kind": "ECSService",
    "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "creationTimestamp": "2026-01-01T00:00:00Z"},
}
TD = parse_task_definition(
    {
        "family": "web",
        "containerDefinitions": [{"name": "web", "image": "nginx", "cpu": 256, "memory": 512, "essential": True}],
    }
)


def scaling(**extra: Any) -> Any:
    spec = parse_service(
        {"taskDefinition": "web", "desiredCount": 2, "autoScaling": {"minCapacity": 1, "maxCapacity": 10, **extra}}
    )
    return spec.auto_scaling


def policy(metric: str = "ECSServiceAverageCPUUtilization", target: float = 50, **extra: Any) -> dict[str, Any]:
    return {"targetValue": target, "predefinedMetricSpecification": {"predefinedMetricType": metric}, **extra}


def hpa(**extra: Any) -> dict[str, Any]:
    return build_autoscaler(OWNER, scaling(**extra), cluster="default", now=NOW, anchor=CREATED).hpa


def test_hpa_targets_the_ecsservice_scale_subresource() -> None:
    obj = hpa(targetTrackingScalingPolicies=[policy()])
    assert obj["apiVersion"] == "autoscaling/v2" and obj["kind"] == "HorizontalPodAutoscaler"
    assert obj["metadata"]["name"] == "web" and obj["metadata"]["namespace"] == "shop"
    assert obj["metadata"]["ownerReferences"][0]["kind"] == "ECSService"
    assert obj["metadata"]["labels"]["ecs.operator.dev/service"] == "web"
    assert obj["spec"]["scaleTargetRef"] == {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "ECSService",
        "name": "web",
    }
    assert obj["spec"]["minReplicas"] == 1 and obj["spec"]["maxReplicas"] == 10


def test_cpu_and_memory_target_tracking_are_resource_utilization() -> None:
    obj = hpa(
        targetTrackingScalingPolicies=[
            policy(target=60),
            policy("ECSServiceAverageMemoryUtilization", 75, policyName="mem"),
        ]
    )
    assert obj["spec"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
        {
            "type": "Resource",
            "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 75}},
        },
    ]


def test_fractional_utilization_is_rounded_and_reported() -> None:
    render = build_autoscaler(
        OWNER, scaling(targetTrackingScalingPolicies=[policy(target=62.5)]), cluster="default", now=NOW, anchor=CREATED
    )
    assert render.hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 62
    assert any(w.path.endswith("targetValue") and w.kind == "approximated" for w in render.warnings)


def test_alb_requests_per_target_is_an_external_metric() -> None:
    label = "app/shop-alb/50dc6c495c0c9188/targetgroup/web-tg/943f017f100becff"
    render = build_autoscaler(
        OWNER,
        scaling(
            targetTrackingScalingPolicies=[
                {
                    "targetValue": 1000,
                    "predefinedMetricSpecification": {
                        "predefinedMetricType": "ALBRequestCountPerTarget",
                        "resourceLabel": label,
                    },
                }
            ]
        ),
        cluster="default",
        now=NOW,
        anchor=CREATED,
    )
    (metric,) = render.hpa["spec"]["metrics"]
    assert metric["type"] == "External"
    assert metric["external"]["metric"]["name"] == "RequestCountPerTarget"
    assert metric["external"]["target"] == {"type": "Value", "value": "1000"}
    selector = metric["external"]["metric"]["selector"]["matchLabels"]
    assert all(len(v) <= 63 and "/" not in v for v in selector.values())
    assert render.hpa["metadata"]["annotations"]["ecs.operator.dev/resource-label.0"] == label
    assert any("external metrics adapter" in w.reason for w in render.warnings)


def test_customized_metric_is_an_external_metric_with_dimensions() -> None:
    obj = hpa(
        targetTrackingScalingPolicies=[
            {
                "targetValue": 0.5,
                "customizedMetricSpecification": {
                    "metricName": "QueueBacklogPerTask",
                    "namespace": "Shop/Orders",
                    "statistic": "Average",
                    "dimensions": [{"name": "QueueName", "value": "orders"}],
                },
            }
        ]
    )
    (metric,) = obj["spec"]["metrics"]
    assert metric["external"]["metric"]["name"] == "QueueBacklogPerTask"
    labels = metric["external"]["metric"]["selector"]["matchLabels"]
    assert labels["QueueName"] == "orders" and labels["ecs.operator.dev/statistic"] == "Average"
    assert metric["external"]["target"] == {"type": "Value", "value": "500m"}


def test_cooldowns_are_stabilization_windows_with_ecs_defaults() -> None:
    default = hpa(targetTrackingScalingPolicies=[policy()])["spec"]["behavior"]
    assert default == {"scaleUp": {"stabilizationWindowSeconds": 300}, "scaleDown": {"stabilizationWindowSeconds": 300}}
    custom = hpa(targetTrackingScalingPolicies=[policy(scaleInCooldown=120, scaleOutCooldown=30)])["spec"]["behavior"]
    assert custom == {"scaleUp": {"stabilizationWindowSeconds": 30}, "scaleDown": {"stabilizationWindowSeconds": 120}}


def test_policies_with_different_cooldowns_use_the_longest_and_say_so() -> None:
    render = build_autoscaler(
        OWNER,
        scaling(
            targetTrackingScalingPolicies=[
                policy(scaleInCooldown=60, policyName="a"),
                policy("ECSServiceAverageMemoryUtilization", scaleInCooldown=600, policyName="b"),
            ]
        ),
        cluster="default",
        now=NOW,
        anchor=CREATED,
    )
    assert render.hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 600
    assert any("scaleInCooldown" in w.path for w in render.warnings)


def test_disable_scale_in_disables_scale_down() -> None:
    behavior = hpa(targetTrackingScalingPolicies=[policy(disableScaleIn=True)])["spec"]["behavior"]
    assert behavior["scaleDown"]["selectPolicy"] == "Disabled"
    assert "selectPolicy" not in behavior["scaleUp"]


def test_bounds_only_scaling_disables_metric_driven_changes() -> None:
    obj = hpa()
    assert "metrics" not in obj["spec"]
    assert obj["spec"]["behavior"] == {
        "scaleUp": {"selectPolicy": "Disabled"},
        "scaleDown": {"selectPolicy": "Disabled"},
    }


def test_min_capacity_zero_becomes_one_and_is_reported() -> None:
    spec = parse_service(
        {"taskDefinition": "web", "desiredCount": 1, "autoScaling": {"minCapacity": 0, "maxCapacity": 3}}
    )
    render = build_autoscaler(OWNER, spec.auto_scaling, cluster="default", now=NOW, anchor=CREATED)
    assert render.hpa["spec"]["minReplicas"] == 1
    assert [w.path for w in render.warnings] == ["autoScaling.minCapacity"]


def test_desired_count_outside_the_bounds_is_accepted() -> None:
    spec = parse_service(
        {"taskDefinition": "web", "desiredCount": 20, "autoScaling": {"minCapacity": 1, "maxCapacity": 10}}
    )
    assert spec.desired_count == 20  # the HPA brings it into range, as Application Auto Scaling does


def test_scheduled_actions_set_the_bounds_in_force() -> None:
    actions = [
        {
            "scheduledActionName": "business-hours",
            "schedule": "cron(0 8 ? * MON-FRI *)",
            "scalableTargetAction": {"minCapacity": 4, "maxCapacity": 20},
        },
        {
            "scheduledActionName": "night",
            "schedule": "cron(0 20 ? * MON-FRI *)",
            "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 5},
        },
    ]
    day = effective_bounds(scaling(scheduledActions=actions), now=NOW, anchor=CREATED)
    assert (day.min_capacity, day.max_capacity, day.action) == (4, 20, "business-hours")
    assert day.fired_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    assert day.next_change == datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    night = effective_bounds(
        scaling(scheduledActions=actions), now=datetime(2026, 3, 4, 22, 0, tzinfo=UTC), anchor=CREATED
    )
    assert (night.min_capacity, night.max_capacity, night.action) == (1, 5, "night")
    assert night.next_change == datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


def test_scheduled_actions_before_creation_or_in_the_future_do_not_apply() -> None:
    actions = [{"schedule": "at(2026-03-05T00:00:00)", "scalableTargetAction": {"minCapacity": 3}}]
    bounds = effective_bounds(scaling(scheduledActions=actions), now=NOW, anchor=CREATED)
    assert (bounds.min_capacity, bounds.max_capacity, bounds.action) == (1, 10, None)
    assert bounds.next_change == datetime(2026, 3, 5, tzinfo=UTC)
    created_later = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    morning = [{"schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": 3}}]
    assert effective_bounds(scaling(scheduledActions=morning), now=NOW, anchor=created_later).min_capacity == 1


def test_a_scheduled_action_setting_only_min_keeps_max_and_the_newer_wins_a_crossing() -> None:
    actions = [
        {
            "scheduledActionName": "low-max",
            "schedule": "at(2026-03-04T09:00:00)",
            "scalableTargetAction": {"maxCapacity": 2},
        },
        {
            "scheduledActionName": "high-min",
            "schedule": "at(2026-03-04T10:00:00)",
            "scalableTargetAction": {"minCapacity": 6},
        },
    ]
    bounds = effective_bounds(scaling(scheduledActions=actions), now=NOW, anchor=CREATED)
    assert (bounds.min_capacity, bounds.max_capacity, bounds.action) == (6, 6, "high-min")


def test_scheduled_action_time_zone() -> None:
    actions = [
        {
            "schedule": "cron(0 11 * * ? *)",
            "timezone": "Europe/Berlin",  # 10:00 UTC in March
            "scalableTargetAction": {"minCapacity": 5},
        }
    ]
    assert effective_bounds(scaling(scheduledActions=actions), now=NOW, anchor=CREATED).min_capacity == 5
    unknown = [
        {"schedule": "cron(0 11 * * ? *)", "timezone": "Mars/Olympus", "scalableTargetAction": {"minCapacity": 5}}
    ]
    with pytest.raises(ScheduleError, match=r"scheduledActions\[0\].timezone: unknown time zone"):
        effective_bounds(scaling(scheduledActions=unknown), now=NOW, anchor=CREATED)


def test_render_service_adds_the_hpa_and_reports_its_bounds() -> None:
    spec = parse_service(
        {
            "taskDefinition": "web",
            "desiredCount": 2,
            "autoScaling": {"minCapacity": 2, "maxCapacity": 8, "targetTrackingScalingPolicies": [policy()]},
        }
    )
    rendered = render_service(OWNER, spec, TD, family="web", revision=1, cluster="default", now=NOW)
    kinds = [o["kind"] for o in rendered.objects]
    assert kinds[-1] == "HorizontalPodAutoscaler" and "Deployment" in kinds
    deployment = next(o for o in rendered.objects if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 2  # follows desiredCount, which the HPA writes
    assert rendered.autoscaler is not None
    assert rendered.autoscaler.status() == {"horizontalPodAutoscaler": "web", "minCapacity": 2, "maxCapacity": 8}


def test_render_service_without_auto_scaling_has_no_hpa() -> None:
    spec = parse_service({"taskDefinition": "web", "desiredCount": 2})
    rendered = render_service(OWNER, spec, TD, family="web", revision=1, cluster="default", now=NOW)
    assert "HorizontalPodAutoscaler" not in [o["kind"] for o in rendered.objects]
    assert rendered.autoscaler is None


def test_daemon_services_cannot_scale() -> None:
    with pytest.raises(SpecError, match="DAEMON"):
        parse_service(
            {
                "taskDefinition": "web",
                "schedulingStrategy": "DAEMON",
                "autoScaling": {"minCapacity": 1, "maxCapacity": 2},
            }
        )
