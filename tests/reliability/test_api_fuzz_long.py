"""The ECS API fuzz run at reliability size: 20,000 generated bodies by default, no 5xx, still healthy.

ECS_OPERATOR_API_FUZZ_LONG_COUNT sets the count, ECS_OPERATOR_API_FUZZ_SEED the seed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from ecs_api import ApiProcess, EcsClient, create_key
from test_api_fuzz import run_fuzz

from ecs_operator.localcluster.cluster import ClusterHandle


@pytest.fixture
def api(cluster: ClusterHandle, crds: list[str], tmp_path: Path) -> Iterator[ApiProcess]:
    proc = ApiProcess(cluster.kubeconfig, tmp_path / "api.log")
    proc.wait_ready()
    yield proc
    proc.stop()


def test_long_fuzz_never_gets_a_5xx(api: ApiProcess, cluster: ClusterHandle, namespace: str) -> None:
    ecs = EcsClient(api.endpoint, create_key(cluster.kubeconfig, namespace), namespace)
    count = int(os.environ.get("ECS_OPERATOR_API_FUZZ_LONG_COUNT", "20000"))
    run_fuzz(ecs, api, count, budget_s=900)
