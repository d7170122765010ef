"""Golden files: every task definition in tests/unit/golden/render renders to its .yaml, byte for byte.

A case is ``<name>.json``: a TaskDefinition spec (RegisterTaskDefinition input or
describe-task-definition output) plus optional keys the renderer's caller would supply:

* ``_render``: ``family`` (default: the spec's), ``revision`` (1), ``forService`` (true),
  ``taskGroup``, ``restartPolicy``;
* ``_overrides``: RunTask overrides (TaskOverride, ECS spelling);
* ``_nodeLabels``: the label maps of the known nodes (for memberOf regular expressions);
* ``_imageRegistryMap``: registry prefix rewrites.

The expected ``<name>.yaml`` holds the PodTemplateSpec, the warnings and what the operator must
provide. Refresh with ``pytest tests/unit/test_render_golden.py --update-golden`` and review the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecs_operator.render.pod import render_pod_template
from ecs_operator.render.serialize import to_yaml

GOLDEN = Path(__file__).parent / "golden" / "render"
CASES = sorted(path.stem for path in GOLDEN.glob("*.json"))
CALLER_KEYS = ("_render", "_overrides", "_nodeLabels", "_imageRegistryMap")


def parse_spec(data: dict[str, Any]) -> Any:
    """The models' own entry point (accepts register input or describe output)."""
    from ecs_operator import models

    parse = getattr(models, "parse_task_definition", None)
    if parse is not None:
        return parse(data)
    from ecs_operator.models.task_definition import TaskDefinitionSpec

    return TaskDefinitionSpec.model_validate(data.get("taskDefinition", data))


def load_case(name: str) -> tuple[Any, dict[str, Any]]:
    """The parsed task definition and the keyword arguments for render_pod_template."""
    raw = json.loads((GOLDEN / f"{name}.json").read_text())
    caller = {key: raw.pop(key) for key in CALLER_KEYS if key in raw}
    td = parse_spec(raw)
    options = caller.get("_render", {})
    kwargs: dict[str, Any] = {
        "family": options.get("family", td.family),
        "revision": options.get("revision", 1),
        "for_service": options.get("forService", True),
        "task_group": options.get("taskGroup"),
        "restart_policy": options.get("restartPolicy"),
        "overrides": caller.get("_overrides"),
        "node_labels": caller.get("_nodeLabels", ()),
        "image_registry_map": caller.get("_imageRegistryMap"),
    }
    return td, kwargs


def render_case(name: str) -> str:
    td, kwargs = load_case(name)
    return to_yaml(render_pod_template(td, **kwargs).to_dict())


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 15
    assert "seed_webserver" in CASES


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, update_golden: bool) -> None:
    first = render_case(case)
    second = render_case(case)
    assert first == second, "rendering the same input twice gave different YAML"
    expected = GOLDEN / f"{case}.yaml"
    if update_golden:
        expected.write_text(first)
        return
    assert expected.exists(), f"{expected.name} is missing; run pytest with --update-golden and review it"
    assert first == expected.read_text()


def test_golden_files_have_inputs() -> None:
    orphans = sorted(p.name for p in GOLDEN.glob("*.yaml") if p.stem not in CASES)
    assert not orphans, f"golden outputs without an input: {orphans}"


_SUBPROCESS = """
import sys
sys.path.insert(0, {tests!r})
from test_render_golden import CASES, render_case
sys.stdout.write("".join(render_case(case) for case in CASES))
"""


def test_output_does_not_depend_on_hash_seed() -> None:
    """Sets and dicts must not leak ordering: two interpreters with different hash seeds agree."""
    outputs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _SUBPROCESS.format(tests=str(Path(__file__).parent))],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0] == "".join(render_case(case) for case in CASES)
