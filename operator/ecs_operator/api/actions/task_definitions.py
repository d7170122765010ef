"""ECS actions: task_definitions (to be filled in)."""

from __future__ import annotations

from ..context import Handler

__all__ = ["ACTIONS"]

ACTIONS: dict[str, Handler] = {}
