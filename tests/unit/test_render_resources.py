"""cpu units, MiB and GPUs as requests and limits; task size as pod-level resources."""

from __future__ import annotations

import pytest

from ecs_operator.render.resources import (
    container_resources,
    cpu_quantity,
    ephemeral_storage_resources,
    memory_quantity,
    pod_resources,
)


@pytest.mark.parametrize(
    ("units", "quantity"),
    [
        (1, "1m"),
        (99, "97m"),
        (128, "125m"),
        (256, "250m"),
        (512, "500m"),
        (1000, "977m"),
        (1024, "1000m"),
        (4096, "4000m"),
    ],
)
def test_cpu_units_round_up_to_millicores(units: int, quantity: str) -> None:
    assert cpu_quantity(units) == quantity


def test_memory_quantity() -> None:
    assert memory_quantity(512) == "512Mi"


def test_cpu_is_a_request_only() -> None:
    resources, warnings = container_resources(cpu=256, memory=None, memory_reservation=None, path="c")
    assert resources == {"requests": {"cpu": "250m"}}
    assert warnings == []


def test_zero_cpu_means_no_request() -> None:
    resources, _ = container_resources(cpu=0, memory=None, memory_reservation=None, path="c")
    assert resources == {}


def test_hard_memory_is_limit_and_request() -> None:
    resources, _ = container_resources(cpu=None, memory=512, memory_reservation=None, path="c")
    assert resources == {"requests": {"memory": "512Mi"}, "limits": {"memory": "512Mi"}}


def test_soft_memory_is_the_request() -> None:
    resources, _ = container_resources(cpu=None, memory=512, memory_reservation=128, path="c")
    assert resources == {"requests": {"memory": "128Mi"}, "limits": {"memory": "512Mi"}}
    resources, _ = container_resources(cpu=None, memory=None, memory_reservation=128, path="c")
    assert resources == {"requests": {"memory": "128Mi"}}


def test_gpus_are_limits_and_other_accelerators_are_reported() -> None:
    resources, warnings = container_resources(
        cpu=None,
        memory=None,
        memory_reservation=None,
        resource_requirements=[{"type": "GPU", "value": "2"}, {"type": "InferenceAccelerator", "value": "d1"}],
        path="containerDefinitions[0]",
    )
    assert resources == {"limits": {"nvidia.com/gpu": "2"}}
    (warning,) = warnings
    assert warning.path == "containerDefinitions[0].resourceRequirements[1]"
    assert warning.kind == "unsupported"


def test_pod_resources() -> None:
    assert pod_resources(cpu=None, memory=None) is None
    assert pod_resources(cpu=256, memory=512) == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "250m", "memory": "512Mi"},
    }
    assert pod_resources(cpu=None, memory=2048) == {"requests": {"memory": "2048Mi"}, "limits": {"memory": "2048Mi"}}


def test_ephemeral_storage() -> None:
    assert ephemeral_storage_resources(30) == {"ephemeral-storage": "30Gi"}
