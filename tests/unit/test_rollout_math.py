"""ECS deploymentConfiguration arithmetic -> Deployment rolling-update integers."""

from __future__ import annotations

import pytest

from ecs_operator.render.revision import parse_reference
from ecs_operator.render.workload import build_port_service, build_workload, rolling_update

OWNER = {
    "apiVersion": "ecs.operator.dev/v1alpha1",
    "kind": "ECSService",
    "metadata": {"name": "web", "namespace": "prod", "uid": "u-1"},
}
TEMPLATE = {
    "metadata": {"labels": {"a": "b"}},
    "spec": {
        "containers": [
            {"name": "web", "image": "nginx", "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]}
        ]
    },
}


@pytest.mark.parametrize(
    ("desired", "maximum", "minimum", "surge", "unavailable"),
    [
        (4, 150, 50, 2, 2),
        (4, 200, 100, 4, 0),  # ECS defaults
        (3, 200, 100, 3, 0),
        (3, 150, 50, 1, 1),  # floor(4.5)-3 = 1; 3-ceil(1.5) = 1
        (10, 125, 75, 2, 2),  # floor(12.5)-10 = 2; 10-ceil(7.5) = 2
        (5, 100, 0, 0, 5),
        (1, 200, 0, 1, 1),
        (7, 133, 66, 2, 2),  # floor(9.31)-7 = 2; 7-ceil(4.62) = 2
    ],
)
def test_rolling_numbers(desired: int, maximum: int, minimum: int, surge: int, unavailable: int) -> None:
    numbers = rolling_update(desired, maximum, minimum)
    assert (numbers.max_surge, numbers.max_unavailable) == (surge, unavailable)
    assert not numbers.warnings


def test_defaults_are_ecs_defaults() -> None:
    numbers = rolling_update(4, None, None)
    assert (numbers.max_surge, numbers.max_unavailable) == (4, 0)


def test_no_room_is_reported_not_silently_changed() -> None:
    numbers = rolling_update(1, 100, 100)
    assert (numbers.max_surge, numbers.max_unavailable) == (0, 1)
    assert numbers.warnings and numbers.warnings[0].path == "deploymentConfiguration"


def test_deployment_is_owned_labelled_and_deterministic() -> None:
    first = build_workload(
        OWNER,
        cluster="default",
        family="web",
        revision=3,
        pod_template=TEMPLATE,
        desired_count=4,
        maximum_percent=150,
        minimum_healthy_percent=50,
    ).workload
    again = build_workload(
        OWNER,
        cluster="default",
        family="web",
        revision=3,
        pod_template=TEMPLATE,
        desired_count=4,
        maximum_percent=150,
        minimum_healthy_percent=50,
    ).workload
    assert first == again
    assert first["kind"] == "Deployment" and first["spec"]["replicas"] == 4
    assert first["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    labels = first["spec"]["template"]["metadata"]["labels"]
    assert labels["ecs.operator.dev/service"] == "web" and labels["ecs.operator.dev/revision"] == "3"
    assert first["spec"]["selector"]["matchLabels"] == {"ecs.operator.dev/service": "web"}
    assert first["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert TEMPLATE["metadata"]["labels"] == {"a": "b"}  # input not mutated


def test_daemon_renders_daemonset() -> None:
    ds = build_workload(
        OWNER, cluster="c", family="agent", revision=1, pod_template=TEMPLATE, desired_count=0, daemon=True
    ).workload
    assert ds["kind"] == "DaemonSet"
    assert "replicas" not in ds["spec"]
    assert ds["spec"]["updateStrategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}


def test_port_service_uses_container_ports() -> None:
    svc = build_port_service(OWNER, cluster="c", pod_template=TEMPLATE)
    assert svc is not None
    assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 80, "protocol": "TCP"}]
    assert build_port_service(OWNER, cluster="c", pod_template=TEMPLATE, only=[("web", 8080)]) is None


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("web", ("web", None)),
        ("web:3", ("web", 3)),
        ("arn:aws:ecs:us-east-1:123456789012:task-definition/web:7", ("web", 7)),
    ],
)
def test_parse_reference(ref: str, expected: tuple[str, int | None]) -> None:
    assert parse_reference(ref) == expected


@pytest.mark.parametrize("ref", ["web:0", "web:x", "web:-1"])
def test_parse_reference_rejects_bad_revisions(ref: str) -> None:
    with pytest.raises(ValueError, match="revision"):
        parse_reference(ref)
