"""How the operator and the ECS API log: one line per thing a person cares about, as text or JSON.

At the default level a reader sees ECS events (each one also posted as a Kubernetes Event, by
:func:`ecs_operator.kube.events.post_event`), leadership changes and errors with their object;
kopf's line per handler call ("Handler 'x' succeeded") and the HTTP libraries' chatter stay
below WARNING unless ``--verbose``. ``--log-format json`` writes one JSON object per line for log
pipelines, with the object's kind, namespace and name as fields when the line is about one.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

__all__ = ["FORMATS", "JsonFormatter", "configure_logging", "about"]

FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LIBRARIES = ("kopf", "aiohttp", "kubernetes", "urllib3")
"""Loggers whose INFO lines are per call, not per event: WARNING and up unless verbose."""

OBJECT = "ecs_object"  # the LogRecord attribute (``name`` itself is the logger's)


def about(kind: str, namespace: str | None, name: str, reason: str | None = None) -> dict[str, Any]:
    """``extra=`` for a log call about one object: kind, namespace, name (and reason) as JSON fields."""
    fields: dict[str, Any] = {"kind": kind, "namespace": namespace, "name": name}
    if reason:
        fields["reason"] = reason
    return {OBJECT: fields}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (RFC 3339, UTC), level, logger, message, object fields, error."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, OBJECT, None) or {})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int, log_format: str = "text", *, verbose: bool = False) -> None:
    """The process's one log handler (stderr), replacing any; libraries quieted unless ``verbose``."""
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(level if verbose else max(level, logging.WARNING))
