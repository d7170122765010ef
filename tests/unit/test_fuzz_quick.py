"""A quick run of the reliability suite's document fuzzer (tests/reliability/ecs_fuzz.py).

`make reliability` runs it with 10,000+ examples; here a few hundred keep `make test` fast
while still catching a crash in the models or renderers early.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))

from ecs_fuzz import check_documents, clusters, register_profiles, services, task_definitions

register_profiles()


@settings(settings.get_profile("ecs-quick"))
@given(td=task_definitions(), svc=services(), cluster=clusters())
def test_documents_are_rendered_or_rejected_with_a_field(
    td: dict[str, Any], svc: dict[str, Any], cluster: dict[str, Any] | None
) -> None:
    check_documents(td, svc, cluster)
