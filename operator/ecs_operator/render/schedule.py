"""EventBridge schedule expressions as Kubernetes CronJob schedules, and when they fire.

ECS scheduled tasks are EventBridge rules; Application Auto Scaling scheduled actions take the
same expressions (plus ``at()``). :mod:`..models.schedule` checks their syntax; this module
gives them meaning, in two pure forms:

* :func:`to_cronjob_schedule` rewrites an expression as the five-field schedule a CronJob takes.
  ``cron()`` converts exactly or not at all:

      EventBridge  cron(minutes hours day-of-month month day-of-week year)
      CronJob           minutes hours day-of-month month day-of-week

      ``?``                 -> ``*`` (EventBridge needs one day field to be ``?``; cron's ``*``
                               there means the same: "the other day field decides")
      day-of-week 1-7       -> 0-6 (EventBridge counts SUN=1 ... SAT=7, cron SUN=0 ... SAT=6)
      names (MON, JAN)      -> numbers
      ``a/s``               -> ``a-<max>/s`` (the form every cron reads the same way)
      wrapping ``FRI-MON``  -> ``5-6,0-1``
      year ``*``            -> dropped; any other year is rejected (a CronJob has no year)
      ``L``, ``W``, ``#``   -> rejected: "last day", "nearest weekday" and "n-th weekday"
                               have no five-field form

  ``rate()`` counts from when the rule was created; a CronJob fires on clock boundaries. Rates
  that divide an hour (minutes) or a day (hours) are exact up to that phase; other rates are
  rendered as the nearest aligned schedule and reported (``approximated``).

* :class:`CronMatcher` / :func:`last_firing` / :func:`next_firing` say when an expression fires,
  for scheduled scaling actions (the caller passes ``now``; nothing here reads a clock).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Final

from ..models.schedule import AtSchedule, CronSchedule, RateSchedule, parse_schedule
from .errors import RenderError
from .warnings import RenderWarning

__all__ = [
    "CronJobSchedule",
    "CronMatcher",
    "ScheduleError",
    "last_firing",
    "next_firing",
    "to_cronjob_schedule",
]

_MONTH_NAMES: Final = {
    m: i + 1 for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
}
_DAY_NAMES: Final = {
    d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
}  # EventBridge numbering
# name, lowest, highest, names
_FIELDS: Final[tuple[tuple[str, int, int, Mapping[str, int]], ...]] = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTH_NAMES),
    ("day-of-week", 1, 7, _DAY_NAMES),
    ("year", 1970, 2199, {}),
)
LOOKBACK_DAYS: Final = 366 * 2
"""How far :func:`last_firing` and :func:`next_firing` search before giving up."""


class ScheduleError(RenderError):
    """An expression that cannot be honoured; the message names the field (``schedule``)."""


@dataclass(frozen=True)
class CronJobSchedule:
    """A CronJob ``schedule`` and what could not be expressed exactly."""

    schedule: str
    warnings: tuple[RenderWarning, ...] = ()


@dataclass(frozen=True)
class _Item:
    """One comma-separated part of a field: ``start-end/step`` in the field's own numbering."""

    start: int | None  # None: ``*`` / ``?``
    end: int | None
    step: int | None


def _number(text: str, name: str, low: int, high: int, names: Mapping[str, int], path: str) -> int:
    value = names.get(text.upper()) if text.isalpha() else (int(text) if text.isdigit() else None)
    if value is None:
        raise ScheduleError(f"{path}: {text!r} is not valid in the cron() {name} field")
    if not low <= value <= high:
        raise ScheduleError(f"{path}: cron() {name} must be between {low} and {high}, got {value}")
    return value


def _parse_field(text: str, index: int, path: str) -> list[_Item]:
    name, low, high, names = _FIELDS[index]
    bare = re.sub(r"[A-Za-z]{3}", lambda m: "" if m[0].upper() in names else m[0], text).upper()
    for char, meaning in (
        ("L", "'L' (last)"),
        ("W", "'W' (nearest weekday)"),
        ("#", "'#' (n-th weekday of the month)"),
    ):
        if char in bare:
            raise ScheduleError(
                f"{path}: {meaning} in the cron() {name} field has no Kubernetes CronJob equivalent; got {text!r}"
            )
    items = []
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = None
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ScheduleError(f"{path}: step {step_text!r} in the cron() {name} field must be a positive number")
            step = int(step_text)
        if base in ("*", "?"):
            if base == "?" and index not in (2, 4):
                raise ScheduleError(f"{path}: '?' is only valid in the day-of-month and day-of-week fields")
            items.append(_Item(None, None, step))
            continue
        first, dash, last = base.partition("-")
        start = _number(first, name, low, high, names, path)
        end = _number(last, name, low, high, names, path) if dash else (high if step else start)
        items.append(_Item(start, end, step))
    return items


def _is_any(items: list[_Item]) -> bool:
    return len(items) == 1 and items[0].start is None and items[0].step is None


def _cron_fields(expression: CronSchedule, path: str) -> list[list[_Item]]:
    texts = [
        expression.minutes,
        expression.hours,
        expression.day_of_month,
        expression.month,
        expression.day_of_week,
        expression.year,
    ]
    return [_parse_field(text, i, path) for i, text in enumerate(texts)]


def _render_field(items: list[_Item], index: int, path: str, original: str) -> str:
    name, low, high, _ = _FIELDS[index]
    shift = -1 if index == 4 else 0  # day-of-week: EventBridge 1-7 -> cron 0-6
    out = []
    for item in items:
        if item.start is None or item.end is None:
            out.append("*" if item.step is None else f"*/{item.step}")
            continue
        start, end = item.start + shift, item.end + shift
        top, bottom = high + shift, low + shift
        suffix = f"/{item.step}" if item.step else ""
        if start == end and not suffix:
            out.append(str(start))
        elif start <= end:
            out.append(f"{start}-{end}{suffix}")
        elif suffix:
            raise ScheduleError(
                f"{path}: a wrapping range with a step ({original!r}) in the cron() {name} field has "
                "no Kubernetes CronJob equivalent"
            )
        else:  # wraps around: FRI-MON
            out.append(f"{start}-{top}" if start != top else str(start))
            out.append(f"{bottom}-{end}" if end != bottom else str(end))
    return ",".join(out)


def _rate_schedule(rate: RateSchedule, expression: str, path: str) -> CronJobSchedule:
    minutes = rate.seconds // 60

    def approximated(schedule: str, why: str) -> CronJobSchedule:
        return CronJobSchedule(schedule, (RenderWarning(path, f"{expression} runs {why}", "approximated"),))

    if minutes < 60:
        if 60 % minutes == 0:
            return CronJobSchedule("* * * * *" if minutes == 1 else f"*/{minutes} * * * *")
        return approximated(
            f"*/{minutes} * * * *",
            f"at minutes divisible by {minutes} of every hour (cron has no minute rate that does not "
            "divide 60), so the gap across each hour is shorter",
        )
    if minutes % 60:
        raise ScheduleError(
            f"{path}: {expression} cannot be a Kubernetes CronJob schedule: a rate above an hour must "
            "be whole hours; use rate(N hours) or a cron() expression"
        )
    hours = minutes // 60
    if hours < 24:
        if 24 % hours == 0:
            return CronJobSchedule("0 * * * *" if hours == 1 else f"0 */{hours} * * *")
        return approximated(
            f"0 */{hours} * * *",
            f"at hours divisible by {hours} of every day (cron has no hour rate that does not "
            "divide 24), so the gap across midnight is shorter",
        )
    if hours % 24:
        raise ScheduleError(
            f"{path}: {expression} cannot be a Kubernetes CronJob schedule: a rate above a day must "
            "be whole days; use rate(N days) or a cron() expression"
        )
    days = hours // 24
    if days == 1:
        return CronJobSchedule("0 0 * * *")
    if days == 7:
        return CronJobSchedule("0 0 * * 0")
    return approximated(
        f"0 0 */{days} * *",
        f"on days of the month divisible by {days} counted from the 1st (cron has no day rate), "
        "so the gap across the end of a month is shorter",
    )


def to_cronjob_schedule(expression: str, *, path: str = "schedule") -> CronJobSchedule:
    """``rate(...)`` / ``cron(...)`` as a CronJob schedule; :class:`ScheduleError` names ``path``."""
    try:
        parsed = parse_schedule(expression)
    except ValueError as exc:
        raise ScheduleError(f"{path}: {exc}") from None
    if isinstance(parsed, RateSchedule):
        return _rate_schedule(parsed, expression, path)
    assert isinstance(parsed, CronSchedule)
    fields = _cron_fields(parsed, path)
    if not _is_any(fields[5]):
        raise ScheduleError(
            f"{path}: a Kubernetes CronJob has no year field; the cron() year must be '*', got {parsed.year!r}"
        )
    originals = [parsed.minutes, parsed.hours, parsed.day_of_month, parsed.month, parsed.day_of_week]
    rendered = [_render_field(fields[i], i, path, originals[i]) for i in range(5)]
    return CronJobSchedule(" ".join(rendered))


# -- when does it fire ------------------------------------------------------------------------


def _values(items: list[_Item], low: int, high: int) -> frozenset[int]:
    out: set[int] = set()
    for item in items:
        start = low if item.start is None else item.start
        end = high if item.end is None else item.end
        step = item.step or 1
        span = list(range(start, high + 1)) + list(range(low, end + 1)) if start > end else list(range(start, end + 1))
        out.update(span[::step])
    return frozenset(out)


@dataclass(frozen=True)
class CronMatcher:
    """The minutes at which an EventBridge ``cron()`` fires, in its own time zone."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # EventBridge numbering: SUN=1 ... SAT=7
    years: frozenset[int]
    by_weekday: bool  # day-of-month is '?': the day-of-week field decides
    any_day: bool = field(default=False)

    @classmethod
    def parse(cls, expression: str, *, path: str = "schedule") -> CronMatcher:
        try:
            parsed = parse_schedule(expression, allow_at=True)
        except ValueError as exc:
            raise ScheduleError(f"{path}: {exc}") from None
        if not isinstance(parsed, CronSchedule):
            raise ScheduleError(f"{path}: {expression!r} is not a cron() expression")
        fields = _cron_fields(parsed, path)
        minutes, hours, days, months, weekdays, years = (
            _values(items, low, high) for items, (_, low, high, _) in zip(fields, _FIELDS, strict=True)
        )
        by_weekday = parsed.day_of_month == "?"
        any_day = _is_any(fields[4] if by_weekday else fields[2])
        return cls(minutes, hours, days, months, weekdays, years, by_weekday=by_weekday, any_day=any_day)

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.any_day:
            return True
        if self.by_weekday:
            return (day.isoweekday() % 7) + 1 in self.weekdays  # Monday=1..Sunday=7 -> SUN=1..SAT=7
        return day.day in self.days

    def times(self) -> list[tuple[int, int]]:
        return sorted((h, m) for h in self.hours for m in self.minutes)


def _zone(tz: tzinfo | None) -> tzinfo:
    return tz if tz is not None else UTC


def _local(day: date, hour: int, minute: int, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


def last_firing(
    expression: str, *, now: datetime, anchor: datetime, tz: tzinfo | None = None, path: str = "schedule"
) -> datetime | None:
    """The latest firing at or before ``now`` and not before ``anchor`` (rate() counts from ``anchor``)."""
    zone = _zone(tz)
    parsed = parse_schedule(expression, allow_at=True)
    if isinstance(parsed, RateSchedule):
        if now < anchor:
            return None
        periods = int((now - anchor).total_seconds() // parsed.seconds)
        return anchor + timedelta(seconds=periods * parsed.seconds)
    if isinstance(parsed, AtSchedule):
        when = parsed.when.replace(tzinfo=zone).astimezone(UTC)
        return when if anchor <= when <= now else None
    matcher = CronMatcher.parse(expression, path=path)
    times = matcher.times()
    local_now = now.astimezone(zone)
    day = local_now.date()
    for _ in range(LOOKBACK_DAYS):
        if matcher.day_matches(day):
            for hour, minute in reversed(times):
                moment = _local(day, hour, minute, zone)
                if moment <= now:
                    return moment if moment >= anchor else None
        day -= timedelta(days=1)
        if _local(day, 23, 59, zone) < anchor:
            return None
    return None


def next_firing(
    expression: str, *, now: datetime, anchor: datetime, tz: tzinfo | None = None, path: str = "schedule"
) -> datetime | None:
    """The first firing strictly after ``now`` (None when there is none within two years)."""
    zone = _zone(tz)
    parsed = parse_schedule(expression, allow_at=True)
    if isinstance(parsed, RateSchedule):
        if now < anchor:
            return anchor
        periods = int((now - anchor).total_seconds() // parsed.seconds) + 1
        return anchor + timedelta(seconds=periods * parsed.seconds)
    if isinstance(parsed, AtSchedule):
        when = parsed.when.replace(tzinfo=zone).astimezone(UTC)
        return when if when > now else None
    matcher = CronMatcher.parse(expression, path=path)
    times = matcher.times()
    day = now.astimezone(zone).date()
    for _ in range(LOOKBACK_DAYS):
        if matcher.day_matches(day):
            for hour, minute in times:
                moment = _local(day, hour, minute, zone)
                if moment > now:
                    return moment
        day += timedelta(days=1)
    return None
