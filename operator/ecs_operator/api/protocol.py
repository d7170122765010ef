"""AWS JSON 1.1 on the wire: which action, its JSON body, and how answers are written.

The action is named by ``X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>``, the body is
a JSON object, timestamps are epoch seconds, and an error is ``{"__type": ..., "message": ...}``
(https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .errors import SerializationException, UnknownOperationException
from .operations import TARGET_PREFIX

__all__ = ["CONTENT_TYPE", "MAX_BODY_BYTES", "action_of", "decode_body", "encode", "epoch"]

CONTENT_TYPE = "application/x-amz-json-1.1"
MAX_BODY_BYTES = 1024 * 1024


def action_of(target: str | None) -> str:
    """The action an ``X-Amz-Target`` header names."""
    prefix, _, action = (target or "").partition(".")
    if prefix != TARGET_PREFIX or not action:
        raise UnknownOperationException(f"Unknown operation {target or '(no X-Amz-Target header)'}")
    return action


def decode_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested past the parser's limit
        raise SerializationException("Start of structure or map found where not expected.") from exc
    if not isinstance(body, dict):
        raise SerializationException("The request body must be a JSON object.")
    return body


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def epoch(value: str | None) -> float | None:
    """Epoch seconds for an RFC 3339 timestamp from a Kubernetes object (None stays None)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
