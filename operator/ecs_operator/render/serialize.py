"""Manifests as YAML, byte for byte the same for the same input.

Golden files, ``ecs-operator render`` and the dry-run tests all compare YAML text, so the dump is
fixed here: insertion order kept (renderers build dicts in a deterministic order), no anchors or
aliases (a dict reused twice is written twice), block style, no line wrapping.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["to_yaml"]


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(data: object) -> str:
    """Deterministic block-style YAML for plain data (dicts, lists, strings, numbers, bools)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
    )
