"""Log lines (logs.py): JSON for pipelines with the object as fields; per-call library chatter quieted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from ecs_operator.logs import LIBRARIES, JsonFormatter, about, configure_logging


def _record(message: str, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("ecs_operator.events")
    return logger.makeRecord(logger.name, logging.WARNING, __file__, 1, message, (), None, extra=extra)


def test_a_json_line_carries_the_object_as_fields() -> None:
    line = JsonFormatter().format(
        _record("(service web) has started 1 tasks", **about("ECSService", "team-a", "web", "x"))
    )
    entry = json.loads(line)
    assert entry["message"] == "(service web) has started 1 tasks"
    assert (entry["kind"], entry["namespace"], entry["name"], entry["reason"]) == ("ECSService", "team-a", "web", "x")
    assert entry["level"] == "WARNING" and entry["logger"] == "ecs_operator.events"
    assert entry["time"].endswith("+00:00")


def test_a_json_line_without_an_object_or_with_an_error() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "kind" not in entry and "RuntimeError: boom" in entry["error"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes the process's root logger: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    libraries = {name: logging.getLogger(name).level for name in LIBRARIES}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in libraries.items():
        logging.getLogger(name).setLevel(old)


def test_configure_quiets_per_call_libraries_unless_verbose(monkeypatch: pytest.MonkeyPatch, restore_logging) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure_logging(logging.INFO, "json")
    logging.getLogger("kopf.objects").info("Handler 'service_changed' succeeded.")
    logging.getLogger("ecs_operator.events").info("ECSService a/b: (service b) has reached a steady state.")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["ECSService a/b: (service b) has reached a steady state."]
    configure_logging(logging.DEBUG, "text", verbose=True)
    assert logging.getLogger("kopf").getEffectiveLevel() == logging.DEBUG


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of text, json"):
        configure_logging(logging.INFO, "yaml")
