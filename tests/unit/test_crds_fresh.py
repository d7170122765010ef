"""crds/ is generated from the models and must not go stale.

Regenerate with `make crds` (or `ecs-operator crds --output crds`) after changing a model.
"""

from __future__ import annotations

from pathlib import Path

from ecs_operator.models.crd import build_crds, render_crd, render_kustomization

CRDS = Path(__file__).resolve().parents[2] / "crds"
HINT = "crds/ is stale: run `make crds` and commit the result"


def test_every_generated_crd_is_on_disk_and_identical() -> None:
    for filename, crd in build_crds().items():
        path = CRDS / filename
        assert path.is_file(), f"{filename} missing; {HINT}"
        assert path.read_text(encoding="utf-8") == render_crd(crd), f"{filename} differs; {HINT}"


def test_no_leftover_crds() -> None:
    assert {path.name for path in CRDS.glob("*.yaml")} == set(build_crds()) | {"kustomization.yaml"}, HINT


def test_kustomization_lists_every_crd() -> None:
    assert (CRDS / "kustomization.yaml").read_text(encoding="utf-8") == render_kustomization(), HINT


def test_generation_is_deterministic() -> None:
    first = {name: render_crd(crd) for name, crd in build_crds().items()}
    second = {name: render_crd(crd) for name, crd in build_crds().items()}
    assert first == second
