"""handlers/ keeps no module-level mutable state: everything lives in the OperatorContext."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ecs_operator.handlers as handlers_package

HANDLERS = sorted(Path(handlers_package.__file__).parent.glob("*.py"))
IMMUTABLE_CALLS = {"getLogger", "frozenset", "tuple", "TypeVar", "ParamSpec", "str", "int", "float", "bool"}
MUTABLE_LITERALS = (ast.Dict, ast.Set, ast.List, ast.DictComp, ast.SetComp, ast.ListComp)


def _module_level_state(tree: ast.Module) -> list[str]:
    """Assignments at module level that create something mutable (dicts, sets, lists, objects)."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            if isinstance(node, ast.Global):
                found.append(f"line {node.lineno}: global {', '.join(node.names)}")
            continue
        names = [ast.unparse(t) for t in targets]
        if names == ["__all__"]:
            continue
        call = value.func if isinstance(value, ast.Call) else None
        called = call.attr if isinstance(call, ast.Attribute) else call.id if isinstance(call, ast.Name) else None
        if isinstance(value, MUTABLE_LITERALS) or (call is not None and called not in IMMUTABLE_CALLS):
            found.append(f"line {node.lineno}: {', '.join(names)} = {ast.unparse(value)[:60]}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.append(f"line {node.lineno}: global {', '.join(node.names)}")
    return sorted(set(found))


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_no_module_level_mutable_state(path: Path) -> None:
    assert _module_level_state(ast.parse(path.read_text())) == [], f"{path.name} keeps state at module level"


def test_the_scan_finds_what_it_is_for() -> None:
    """The scanner itself: the shapes the first wave had (stores, locks, dicts, a pool, globals)."""
    sample = ast.parse(
        "import threading\n"
        "_lock = threading.Lock()\n"
        "_seen: dict[str, int] = {}\n"
        "_known = set()\n"
        "services = Reconciler('ECSService', reconcile)\n"
        "RESYNC = 30.0\n"
        "__all__ = ['x']\n"
        "def kube():\n    global _kube\n"
    )
    found = _module_level_state(sample)
    assert [line.split(":")[1].strip().split(" ")[0] for line in found] == [
        "_lock",
        "_seen",
        "_known",
        "services",
        "global",
    ]


def test_handlers_register_nothing_at_import() -> None:
    """Registration is explicit (build_registry): importing handlers leaves kopf's default registry alone."""
    import importlib

    import kopf

    for module in ("services", "tasks", "clusters", "taskdefinitions", "watches", "startup"):
        importlib.import_module(f"ecs_operator.handlers.{module}")
    registry = kopf.get_default_registry()
    assert list(registry._watching.get_all_handlers()) == []
    assert list(registry._changing.get_all_handlers()) == []
