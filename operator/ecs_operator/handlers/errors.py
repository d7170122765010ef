"""Map domain errors to kopf's retry semantics in one place.

    models.SpecError, plan.Problem without retry  -> kopf.PermanentError   (fix the spec)
    plan.Problem with retry_after                -> kopf.TemporaryError   (look again then)
    kube Conflict                                -> kopf.TemporaryError   (retry at once)

Reconciles report problems on the object themselves and return a requeue delay; these
mappings are for what escapes a handler.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import kopf

from ..kube import Conflict
from ..models import SpecError
from ..plan import Problem

__all__ = ["kopf_errors"]

P = ParamSpec("P")
R = TypeVar("R")


def kopf_errors(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SpecError as exc:
            raise kopf.PermanentError(str(exc)) from exc
        except Problem as exc:
            if exc.retry_after is None:
                raise kopf.PermanentError(exc.message) from exc
            raise kopf.TemporaryError(exc.message, delay=exc.retry_after) from exc
        except Conflict as exc:
            raise kopf.TemporaryError(f"conflict, retrying: {exc}", delay=1) from exc

    return wrapper
