"""Map domain errors to kopf's retry semantics in one place.

invalid spec (models.SpecError, ValueError)  -> kopf.PermanentError   (fix the spec)
DependencyMissing (no TaskDefinition, ...)    -> kopf.TemporaryError   (retry after a delay)
kube Conflict                                 -> kopf.TemporaryError   (retry at once)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import kopf

from ..kube import Conflict
from ..models import SpecError

__all__ = ["DependencyMissing", "InvalidSpec", "kopf_errors"]

F = TypeVar("F", bound=Callable[..., Any])


class DependencyMissing(Exception):
    """Something this object refers to does not exist (yet)."""

    def __init__(self, message: str, delay: float = 10) -> None:
        super().__init__(message)
        self.delay = delay


class InvalidSpec(Exception):
    """The spec is wrong in a way only the operator can see (references, cycles)."""


def kopf_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (SpecError, InvalidSpec) as exc:
            raise kopf.PermanentError(str(exc)) from exc
        except DependencyMissing as exc:
            raise kopf.TemporaryError(str(exc), delay=exc.delay) from exc
        except Conflict as exc:
            raise kopf.TemporaryError(f"conflict, retrying: {exc}", delay=1) from exc

    return wrapper  # type: ignore[return-value]
