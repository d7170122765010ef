"""ECS's tag rules, and tag lists merged and pruned as TagResource / UntagResource do.

Limits from the Tag shape (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html)
and TagResource (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TagResource.html):
at most 50 tags per resource, keys 1..128 characters, values 0..256, keys unique, and the
``aws:`` prefix (any case) reserved for AWS. Tagging a key that exists replaces its value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import InvalidParameterException, SerializationException

__all__ = ["MAX_TAGS", "check_tags", "check_keys", "merge_tags", "remove_tags"]

MAX_TAGS = 50


def _reserved(text: str) -> bool:
    return text.lower().startswith("aws:")


def check_tags(raw: object, member: str = "tags") -> list[dict[str, str]]:
    """A request's tags as ``[{key, value}]``, or ECS's error naming what is wrong."""
    if not isinstance(raw, list):
        raise SerializationException(f"Value at '{member}' cannot be converted to a list of Tag.")
    tags: list[dict[str, str]] = []
    for i, tag in enumerate(raw):
        where = f"{member}.{i + 1}"
        if not isinstance(tag, Mapping):
            raise SerializationException(f"Value at '{where}' cannot be converted to Tag.")
        key, value = tag.get("key"), tag.get("value", "")
        if not isinstance(key, str) or (value is not None and not isinstance(value, str)):
            raise SerializationException(f"Value at '{where}' must have a string key and value.")
        value = value or ""
        if not 1 <= len(key) <= 128:
            raise InvalidParameterException(f"Tag keys must be between 1 and 128 characters ({where}.key).")
        if len(value) > 256:
            raise InvalidParameterException(f"Tag values must be at most 256 characters ({where}.value).")
        if _reserved(key) or _reserved(value):
            raise InvalidParameterException(f"Tag keys and values can not begin with 'aws:' ({where}).")
        tags.append({"key": key, "value": value})
    if len({t["key"] for t in tags}) != len(tags):
        raise InvalidParameterException("Tag keys must be unique.")
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException(f"A resource can have at most {MAX_TAGS} tags.")
    return tags


def check_keys(raw: object, member: str = "tagKeys") -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise SerializationException(f"Value at '{member}' cannot be converted to a list of String.")
    for key in raw:
        if not 1 <= len(key) <= 128:
            raise InvalidParameterException("Tag keys must be between 1 and 128 characters.")
        if _reserved(key):
            raise InvalidParameterException("Tag keys can not begin with 'aws:'.")
    return list(raw)


def _existing(current: object) -> list[dict[str, str]]:
    out = []
    for tag in current if isinstance(current, list) else []:
        if isinstance(tag, Mapping) and isinstance(tag.get("key"), str):
            out.append({"key": tag["key"], "value": str(tag.get("value") or "")})
    return out


def merge_tags(current: object, new: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``current`` with ``new`` added, a known key taking the new value, in first-seen order."""
    merged = {t["key"]: t["value"] for t in _existing(current)}
    for tag in new:
        merged[str(tag["key"])] = str(tag.get("value") or "")
    if len(merged) > MAX_TAGS:
        raise InvalidParameterException(
            f"A resource can have at most {MAX_TAGS} tags; this call would make it {len(merged)}."
        )
    return [{"key": k, "value": v} for k, v in merged.items()]


def remove_tags(current: object, keys: Iterable[str]) -> list[dict[str, str]]:
    gone = set(keys)
    return [t for t in _existing(current) if t["key"] not in gone]
