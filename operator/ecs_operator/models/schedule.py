"""Schedule expressions, checked for syntax only.

ECS scheduled tasks are EventBridge rules: ``rate(5 minutes)`` or a six-field
``cron(minutes hours day-of-month month day-of-week year)``, where one of the two day fields must
be ``?``. Application Auto Scaling scheduled actions also take ``at(2025-01-31T12:00:00)``.
Converting to a Kubernetes CronJob is render's business; this module only parses.

The rules are EventBridge's (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html):
"If the value is equal to 1, then the unit must be singular ... greater than 1, the unit must be
plural"; cron has six fields and "you can't specify the Day-of-month and Day-of-week fields in the
same cron expression" (one of them is ``?``); and Application Auto Scaling's for ``at()``
(https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScheduledAction.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, WithJsonSchema

__all__ = [
    "AtSchedule",
    "CronSchedule",
    "RateSchedule",
    "SCALING_SCHEDULE_PATTERN",
    "SCHEDULE_PATTERN",
    "ScalingSchedule",
    "ScheduleExpression",
    "parse_schedule",
]

_RATE_FORM = r"rate\([0-9]+ (minute|minutes|hour|hours|day|days)\)"
_CRON_FORM = r"cron\([^ ()]+( [^ ()]+){5}\)"
_AT_FORM = r"at\([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\)"
SCHEDULE_PATTERN: Final = f"^({_RATE_FORM}|{_CRON_FORM})$"
"""What the CRD checks for ECSTask.schedule (the models check more)."""
SCALING_SCHEDULE_PATTERN: Final = f"^({_RATE_FORM}|{_CRON_FORM}|{_AT_FORM})$"

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.*)\)")
_AT = re.compile(r"at\((.*)\)")

RateUnit = Literal["minute", "hour", "day"]
_SINGULAR: Final[Mapping[str, RateUnit]] = {
    "minute": "minute", "minutes": "minute", "hour": "hour", "hours": "hour", "day": "day", "days": "day",
}  # fmt: skip
"""Each unit the rate() pattern accepts, in the singular RateSchedule keeps."""

_MONTHS = frozenset(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
_DAYS = frozenset(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
# name, lowest, highest, characters allowed, names allowed
_CRON_FIELDS: Final = (
    ("minutes", 0, 59, "0-9*,/-", frozenset[str]()),
    ("hours", 0, 23, "0-9*,/-", frozenset[str]()),
    ("day-of-month", 1, 31, "0-9*,/?LW-", frozenset[str]()),
    ("month", 1, 12, "0-9A-Za-z*,/-", _MONTHS),
    ("day-of-week", 1, 7, "0-9A-Za-z*,/?L#-", _DAYS),
    ("year", 1970, 2199, "0-9*,/-", frozenset[str]()),
)


@dataclass(frozen=True)
class RateSchedule:
    """``rate(value unit)``."""

    value: int
    unit: RateUnit

    @property
    def seconds(self) -> int:
        return self.value * {"minute": 60, "hour": 3600, "day": 86400}[self.unit]


@dataclass(frozen=True)
class CronSchedule:
    """``cron(...)`` split into EventBridge's six fields (in UTC unless a timezone is given)."""

    minutes: str
    hours: str
    day_of_month: str
    month: str
    day_of_week: str
    year: str


@dataclass(frozen=True)
class AtSchedule:
    """``at(yyyy-mm-ddThh:mm:ss)``: once (scaling schedules only)."""

    when: datetime


def parse_schedule(expression: str, *, allow_at: bool = False) -> RateSchedule | CronSchedule | AtSchedule:
    """Parse an EventBridge (or, with ``allow_at``, Application Auto Scaling) schedule."""
    if (match := _RATE.fullmatch(expression)) is not None:
        return _rate(int(match[1]), match[2])
    if (match := _CRON.fullmatch(expression)) is not None:
        return _cron(match[1])
    if allow_at and (match := _AT.fullmatch(expression)) is not None:
        try:
            return AtSchedule(datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            raise ValueError(f"at() needs yyyy-mm-ddThh:mm:ss, got {match[1]!r}") from None
    forms = "rate(5 minutes), cron(0 12 * * ? *)" + (" or at(2025-01-31T12:00:00)" if allow_at else "")
    raise ValueError(f"must be a schedule expression like {forms}, got {expression!r}")


def _rate(value: int, unit: str) -> RateSchedule:
    if value < 1:
        raise ValueError("rate() needs a positive value")
    singular = _SINGULAR[unit]
    if value == 1 and unit != singular:
        raise ValueError(f"rate(1 {unit}) must use the singular unit: rate(1 {singular})")
    if value > 1 and unit == singular:
        raise ValueError(f"rate({value} {unit}) must use the plural unit: rate({value} {unit}s)")
    return RateSchedule(value, singular)


def _cron(body: str) -> CronSchedule:
    fields = body.split()
    if len(fields) != 6:
        raise ValueError(
            f"cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
        )
    for value, spec in zip(fields, _CRON_FIELDS, strict=True):
        _check_cron_field(value, *spec)
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError("cron(): exactly one of day-of-month and day-of-week must be '?'")
    return CronSchedule(*fields)


def _check_cron_field(value: str, name: str, low: int, high: int, chars: str, names: frozenset[str]) -> None:
    if re.fullmatch(f"[{chars}]+", value) is None:
        raise ValueError(f"cron(): invalid {name} field {value!r}")
    for word in re.findall(r"[A-Za-z]{2,}", value):
        if word.upper() not in names:
            raise ValueError(f"cron(): {word!r} is not valid in the {name} field")
    for number in re.findall(r"(?<![/#0-9])[0-9]+", value):
        if not low <= int(number) <= high:
            raise ValueError(f"cron(): {name} must be between {low} and {high}, got {number}")


def _check_event_schedule(expression: str) -> str:
    parse_schedule(expression)
    return expression


def _check_scaling_schedule(expression: str) -> str:
    parse_schedule(expression, allow_at=True)
    return expression


ScheduleExpression = Annotated[
    str,
    AfterValidator(_check_event_schedule),
    WithJsonSchema({"type": "string", "pattern": SCHEDULE_PATTERN, "maxLength": 256}),
]
"""An ECS scheduled task's EventBridge expression."""

ScalingSchedule = Annotated[
    str,
    AfterValidator(_check_scaling_schedule),
    WithJsonSchema({"type": "string", "pattern": SCALING_SCHEDULE_PATTERN, "maxLength": 256}),
]
"""An Application Auto Scaling scheduled action's expression."""
