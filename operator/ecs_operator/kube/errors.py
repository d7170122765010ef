"""Errors from the API server, by what a caller does about them.

KubeError
├── NotLeader           this replica no longer holds its lease: the write was not sent
└── ApiError            (status, reason, message from the Status body)
    ├── NotFound        404: the object or its kind is not there
    ├── Conflict        409: stale resourceVersion or field-manager conflict; retry
    ├── Invalid         422: the server rejected the object; do not retry
    └── Forbidden       403: RBAC says no
"""

from __future__ import annotations

__all__ = ["KubeError", "NotLeader", "ApiError", "NotFound", "Conflict", "Invalid", "Forbidden", "api_error"]


class KubeError(RuntimeError):
    """Anything that went wrong talking to the API server."""


class NotLeader(KubeError):
    """A write refused here, before it left: a replica that lost (or never won) its lease must not act."""


class ApiError(KubeError):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class Invalid(ApiError):
    pass


class Forbidden(ApiError):
    pass


_BY_STATUS: dict[int, type[ApiError]] = {404: NotFound, 409: Conflict, 422: Invalid, 403: Forbidden}


def api_error(status: int, reason: str, message: str) -> ApiError:
    return _BY_STATUS.get(status, ApiError)(status, reason, message)
