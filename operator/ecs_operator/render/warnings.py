"""Render warnings: how a field we cannot honour exactly is reported instead of dropped.

DESIGN.md promises that no ECS field disappears silently. Every renderer that meets a field it
cannot express in Kubernetes (``unsupported``) or can only express loosely (``approximated``)
returns one :class:`RenderWarning` naming the field by its ECS path
(``containerDefinitions[0].linuxParameters.devices``) and saying why. The handlers turn these
into a status condition and Kubernetes Events; the golden tests pin them next to the manifests.

Warnings are frozen values so they can be de-duplicated and compared in tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["RenderWarning", "WarningKind", "dedupe"]

WarningKind = Literal["unsupported", "approximated"]

_KINDS = ("unsupported", "approximated")


@dataclass(frozen=True)
class RenderWarning:
    """One ECS field that was not rendered exactly.

    ``path`` names the field as ECS spells it, ``reason`` tells the user what happened instead,
    ``kind`` says whether the field was ignored (``unsupported``) or rendered loosely
    (``approximated``).
    """

    path: str
    reason: str
    kind: WarningKind

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"RenderWarning.kind must be one of {_KINDS}, not {self.kind!r}")

    def to_dict(self) -> dict[str, str]:
        """Plain form used in golden files and status messages."""
        return {"path": self.path, "kind": self.kind, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.path}: {self.reason} ({self.kind})"


def dedupe(warnings: Iterable[RenderWarning]) -> list[RenderWarning]:
    """Drop repeated warnings, keeping first-seen order (render output must be deterministic)."""
    seen: set[RenderWarning] = set()
    out: list[RenderWarning] = []
    for warning in warnings:
        if warning not in seen:
            seen.add(warning)
            out.append(warning)
    return out
