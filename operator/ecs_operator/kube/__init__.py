"""The only package that talks to the API server (DESIGN.md layers)."""

from .client import FIELD_MANAGER, Kube, connect
from .errors import ApiError, Conflict, Forbidden, Invalid, KubeError, NotFound

__all__ = ["FIELD_MANAGER", "Kube", "connect", "ApiError", "Conflict", "Forbidden", "Invalid", "KubeError", "NotFound"]
