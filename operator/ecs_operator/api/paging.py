"""``nextToken`` / ``maxResults`` paging, as every ECS List* call has it.

A token is opaque to the caller: here, the sort key of the last item returned, so a page
boundary survives items added or removed between calls (the items are sorted by ARN).
Limits and defaults are per action (ListServices: 10 by default, at most 100;
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServices.html).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import InvalidParameterException

__all__ = ["page"]


def page(
    keys: Sequence[str], params: Mapping[str, Any], *, default: int, limit: int = 100, reverse: bool = False
) -> tuple[list[str], str | None]:
    """One page of sorted ``keys`` after ``params['nextToken']``, and the token for the next.

    ``reverse``: keys in descending order (ListTaskDefinitions ``sort: DESC``)."""
    size = params.get("maxResults")
    if size is None:
        size = default
    if isinstance(size, bool) or not isinstance(size, int):
        raise InvalidParameterException("maxResults must be an integer.")
    if not 1 <= size <= limit:
        raise InvalidParameterException(f"maxResults must be between 1 and {limit}.")
    ordered = sorted(keys, reverse=reverse)
    token = params.get("nextToken")
    start = 0
    if token:
        after = _decode(token)
        start = next((i for i, key in enumerate(ordered) if (key < after if reverse else key > after)), len(ordered))
    chunk = ordered[start : start + size]
    more = start + size < len(ordered)
    return chunk, (_encode(chunk[-1]) if more and chunk else None)


def _encode(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def _decode(token: object) -> str:
    if not isinstance(token, str):
        raise InvalidParameterException("nextToken must be a string.")
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidParameterException("Invalid nextToken.") from exc
    if not isinstance(after, str):
        raise InvalidParameterException("Invalid nextToken.")
    return after
