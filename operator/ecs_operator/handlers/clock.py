"""The one place handlers read the clock; plans get ``now`` as an argument."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
