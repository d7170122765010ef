"""Property-based fuzzing of ECS documents through the models and the renderers.

Mostly-valid task definitions, services and clusters (see ecs_fuzz.py) go through exactly
what the operator does with them: parse, render the pod template, render the service. Only
a SpecError naming a field, or one of the render's documented refusals, may come out; at
least ECS_OPERATOR_FUZZ_EXAMPLES examples (10,000 by default) per run.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from chaos import report
from ecs_fuzz import check_documents, clusters, register_profiles, services, task_definitions
from hypothesis import event, given, settings

EXAMPLES = register_profiles()


def test_documents_are_rendered_or_rejected_with_a_field() -> None:
    outcomes: Counter[str] = Counter()

    @settings(settings.get_profile("ecs-reliability"))
    @given(td=task_definitions(), svc=services(), cluster=clusters())
    def run(td: dict[str, Any], svc: dict[str, Any], cluster: dict[str, Any] | None) -> None:
        outcome = check_documents(td, svc, cluster)
        outcomes[outcome] += 1
        event(outcome)

    started = time.monotonic()
    run()
    total = sum(outcomes.values())
    report(
        f"fuzz: {total} examples in {time.monotonic() - started:.0f}s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    )
    assert total >= EXAMPLES
    assert outcomes["rendered"] > total // 20, f"too few documents get through to a rendering: {outcomes}"
