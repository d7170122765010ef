"""Every task definition member ECS has is rendered or reported: checked against botocore.

For each member of botocore's ``ContainerDefinition`` and ``RegisterTaskDefinitionRequest``:

* it is in exactly one of ``RENDERED_MEMBERS`` / ``WARNED_MEMBERS`` (render/coverage.py), or the
  models reject it (``UNSUPPORTED_MEMBERS``);
* a rendered member matters: in some golden case, removing (or, when required, changing) it
  changes the rendered output;
* a warned member is reported: some golden case sets it and gets a warning on its path.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from test_render_golden import CALLER_KEYS, CASES, GOLDEN, parse_spec

from botocore_model import load_ecs_model
from ecs_operator.models.unsupported import UNSUPPORTED_MEMBERS
from ecs_operator.render.coverage import RENDERED_MEMBERS, WARNED_MEMBERS
from ecs_operator.render.pod import render_pod_template
from ecs_operator.render.serialize import to_yaml

SHAPES = ("ContainerDefinition", "RegisterTaskDefinitionRequest")
Raw = dict[str, Any]


@pytest.fixture(scope="module")
def ecs_members() -> dict[str, list[str]]:
    shapes = load_ecs_model()["shapes"]
    return {shape: list(shapes[shape]["members"]) for shape in SHAPES}


def _raw(case: str) -> Raw:
    return json.loads((GOLDEN / f"{case}.json").read_text())


def _spec_of(raw: Raw) -> Raw:
    """The task definition inside a case (describe output nests it under taskDefinition)."""
    return raw.get("taskDefinition", raw)


def _render(raw: Raw) -> str:
    data = copy.deepcopy(raw)
    caller = {key: data.pop(key) for key in CALLER_KEYS if key in data}
    td = parse_spec(data)
    options = caller.get("_render", {})
    result = render_pod_template(
        td,
        family=options.get("family", td.family),
        revision=options.get("revision", 1),
        for_service=options.get("forService", True),
        task_group=options.get("taskGroup"),
        restart_policy=options.get("restartPolicy"),
        overrides=caller.get("_overrides"),
        node_labels=caller.get("_nodeLabels", ()),
        image_registry_map=caller.get("_imageRegistryMap"),
    )
    return to_yaml(result.to_dict())


def _has(raw: Raw, shape: str, member: str) -> bool:
    spec = _spec_of(raw)
    if shape == "RegisterTaskDefinitionRequest":
        return member in spec
    return any(member in container for container in spec["containerDefinitions"])


def _without(raw: Raw, shape: str, member: str) -> Raw:
    """The case with ``member`` removed, or changed when ECS requires it."""
    data = copy.deepcopy(raw)
    spec = _spec_of(data)
    changers: dict[tuple[str, str], Callable[[Raw], None]] = {
        ("RegisterTaskDefinitionRequest", "family"): lambda s: s.update(family=s["family"] + "-changed"),
        ("RegisterTaskDefinitionRequest", "containerDefinitions"): lambda s: s.update(
            containerDefinitions=s["containerDefinitions"][:1]
        ),
        ("ContainerDefinition", "name"): lambda s: [
            c.update(name=c["name"] + "-renamed") for c in s["containerDefinitions"] if not _referenced(s, c["name"])
        ],
        ("ContainerDefinition", "image"): lambda s: [
            c.update(image=c["image"] + "-changed") for c in s["containerDefinitions"]
        ],
    }
    if (shape, member) in changers:
        changers[(shape, member)](spec)
    elif shape == "RegisterTaskDefinitionRequest":
        spec.pop(member, None)
    else:
        for container in spec["containerDefinitions"]:
            container.pop(member, None)
    return data


def _referenced(spec: Raw, name: str) -> bool:
    """Whether another member names this container (renaming it would break the reference)."""
    for container in spec["containerDefinitions"]:
        if any(d["containerName"] == name for d in container.get("dependsOn", ())):
            return True
        if any(v["sourceContainer"] == name for v in container.get("volumesFrom", ())):
            return True
        if any(link.split(":")[0] == name for link in container.get("links", ())):
            return True
    return spec.get("proxyConfiguration", {}).get("containerName") == name


def _warning_paths(raw: Raw) -> list[str]:
    import yaml

    return [w["path"] for w in yaml.safe_load(_render(raw))["warnings"]]


def _path_pattern(shape: str, member: str) -> re.Pattern[str]:
    if shape == "RegisterTaskDefinitionRequest":
        return re.compile(rf"^{member}(?:$|[.\[])")
    return re.compile(rf"^containerDefinitions\[\d+\]\.{member}(?:$|[.\[])")


def test_every_member_is_accounted_for(ecs_members: dict[str, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    lines = []
    for shape, members in ecs_members.items():
        rendered = [m for m in members if f"{shape}.{m}" in RENDERED_MEMBERS]
        warned = [m for m in members if f"{shape}.{m}" in WARNED_MEMBERS]
        rejected = [m for m in members if f"{shape}.{m}" in UNSUPPORTED_MEMBERS]
        both = set(rendered) & set(warned)
        assert not both, f"{shape}: members in both tables: {sorted(both)}"
        missing = [m for m in members if m not in rendered and m not in warned and m not in rejected]
        assert not missing, f"{shape}: members neither rendered nor reported: {missing}"
        covered = len(rendered) + len(warned) + len(rejected)
        lines.append(
            f"render covers {covered}/{len(members)} {shape} members "
            f"({len(rendered)} rendered, {len(warned)} warned, {len(rejected)} rejected by the models)"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))


def test_tables_name_only_real_members(ecs_members: dict[str, list[str]]) -> None:
    known = {f"{shape}.{m}" for shape, members in ecs_members.items() for m in members}
    stale = sorted((set(RENDERED_MEMBERS) | set(WARNED_MEMBERS)) - known)
    assert not stale, f"coverage tables name members botocore does not have: {stale}"


def _keys(table: Any) -> list[tuple[str, str]]:
    return [tuple(key.split(".", 1)) for key in sorted(table)]  # type: ignore[misc]


@pytest.mark.parametrize(("shape", "member"), _keys(RENDERED_MEMBERS), ids=sorted(RENDERED_MEMBERS))
def test_rendered_member_changes_the_output(shape: str, member: str) -> None:
    cases = [case for case in CASES if _has(_raw(case), shape, member)]
    assert cases, f"no golden case sets {shape}.{member}; add one"
    for case in cases:
        raw = _raw(case)
        try:
            changed = _render(_without(raw, shape, member))
        except ValueError:
            continue  # removing it made the spec invalid in this case; try another
        if changed != _render(raw):
            return
    pytest.fail(f"removing {shape}.{member} changes nothing in {cases}")


@pytest.mark.parametrize(("shape", "member"), _keys(WARNED_MEMBERS), ids=sorted(WARNED_MEMBERS))
def test_warned_member_is_reported(shape: str, member: str) -> None:
    cases = [case for case in CASES if _has(_raw(case), shape, member)]
    assert cases, f"no golden case sets {shape}.{member}; add one"
    pattern = _path_pattern(shape, member)
    for case in cases:
        raw = _raw(case)
        if any(pattern.match(path) for path in _warning_paths(raw)):
            assert not any(pattern.match(path) for path in _warning_paths(_without(raw, shape, member)))
            return
    pytest.fail(f"{shape}.{member} is set in {cases} but no warning names it")
