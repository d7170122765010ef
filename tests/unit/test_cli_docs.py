"""docs/ and examples/: the field reference is generated and must not go stale; the hand-written
pages and every example's README exist and are linked.

Regenerate the reference with `make docs` (python -m ecs_operator.fieldref) after changing a model.
"""

from __future__ import annotations

import re
from pathlib import Path

from ecs_operator.fieldref import main as write_reference
from ecs_operator.fieldref import render_field_reference
from ecs_operator.models.crd import KINDS
from ecs_operator.models.extensions import EXTENSION_MEMBERS
from ecs_operator.models.unsupported import UNSUPPORTED_MEMBERS

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
HINT = "docs/field-reference.md is stale: run `make docs` and commit the result"


def test_field_reference_is_fresh() -> None:
    path = DOCS / "field-reference.md"
    assert path.is_file(), HINT
    assert path.read_text(encoding="utf-8") == render_field_reference(), HINT


def test_field_reference_is_deterministic() -> None:
    assert render_field_reference() == render_field_reference()


def test_field_reference_covers_every_kind_extension_and_rejection() -> None:
    text = render_field_reference()
    for kind in KINDS:
        assert f"## {kind.kind}\n" in text
        assert f"### {kind.spec.__name__}\n" in text
    for member in EXTENSION_MEMBERS:
        shape, name = member.split(".")
        section = text.split(f"### {shape}\n", 1)[1].split("\n### ", 1)[0]
        assert f"| `{name}` |" in section and "**Not in ECS**" in section, member
    for reason in UNSUPPORTED_MEMBERS.values():
        assert f"**Rejected:** {reason}" in text


def test_every_shape_link_has_a_section() -> None:
    text = render_field_reference()
    anchors = set(re.findall(r"\]\(#([a-z0-9-]+)\)", text))
    sections = {heading.lower() for heading in re.findall(r"^### (\S+)$", text, flags=re.M)}
    assert anchors <= sections, sorted(anchors - sections)


def test_generator_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "reference.md"
    assert write_reference([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_field_reference()


def test_makefile_has_a_docs_target() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^docs: .*\n\t.*ecs_operator\.fieldref docs/field-reference\.md$", makefile, flags=re.M)


def test_readme_links_the_docs_and_they_exist() -> None:
    readme = (REPO / "README.md").read_text()
    for page in ("docs/ecs-mapping.md", "docs/field-reference.md"):
        assert f"]({page})" in readme
        assert (REPO / page).is_file()
    assert "once generated" not in readme


def test_mapping_page_links_resolve() -> None:
    text = (DOCS / "ecs-mapping.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        assert (DOCS / target).is_file(), target
    headings = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", text, flags=re.M)
    }
    for anchor in re.findall(r"\]\(#([^)]+)\)", text):
        assert anchor in headings, anchor


def test_every_example_has_a_readme_and_manifests() -> None:
    folders = sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())
    names = {p.name for p in folders}
    assert {"webserver", "three-tier", "batch-etl", "spot-on-demand", "daemon-log-agent", "gpu-task"} <= names
    for folder in folders:
        readme = folder / "README.md"
        assert readme.is_file(), folder
        text = readme.read_text()
        assert "What the ECS user wrote" in text and "What Kubernetes gets" in text, folder
        assert any(folder.glob("*.yaml")), folder
