"""EventBridge schedule expressions -> CronJob schedules, and when cron()/rate()/at() fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ecs_operator.render.schedule import CronMatcher, ScheduleError, last_firing, next_firing, to_cronjob_schedule


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # rate(): exact when the interval divides the next unit up
        ("rate(1 minute)", "* * * * *"),
        ("rate(5 minutes)", "*/5 * * * *"),
        ("rate(15 minutes)", "*/15 * * * *"),
        ("rate(30 minutes)", "*/30 * * * *"),
        ("rate(60 minutes)", "0 * * * *"),
        ("rate(120 minutes)", "0 */2 * * *"),
        ("rate(1 hour)", "0 * * * *"),
        ("rate(6 hours)", "0 */6 * * *"),
        ("rate(12 hours)", "0 */12 * * *"),
        ("rate(24 hours)", "0 0 * * *"),
        ("rate(1 day)", "0 0 * * *"),
        ("rate(7 days)", "0 0 * * 0"),
        # cron(): '?' -> '*', year '*' dropped
        ("cron(0 12 * * ? *)", "0 12 * * *"),
        ("cron(15 10 ? * * *)", "15 10 * * *"),
        ("cron(0 18 ? * MON-FRI *)", "0 18 * * 1-5"),
        ("cron(0 8 1 * ? *)", "0 8 1 * *"),
        ("cron(0/15 * * * ? *)", "0-59/15 * * * *"),
        ("cron(0/10 8-17 ? * MON-FRI *)", "0-59/10 8-17 * * 1-5"),
        ("cron(5,35 14 * * ? *)", "5,35 14 * * *"),
        ("cron(30 2 1 JAN,JUL ? *)", "30 2 1 1,7 *"),
        ("cron(0 0 ? JUL-AUG WED *)", "0 0 * 7-8 3"),
        ("cron(0 9 ? * sun *)", "0 9 * * 0"),
        # day-of-week numbers: EventBridge SUN=1..SAT=7, cron SUN=0..SAT=6
        ("cron(0 9 ? * 1 *)", "0 9 * * 0"),
        ("cron(0 9 ? * 7 *)", "0 9 * * 6"),
        ("cron(0 9 ? * 2-6 *)", "0 9 * * 1-5"),
        ("cron(0 9 ? * 2,4,6 *)", "0 9 * * 1,3,5"),
        ("cron(0 9 ? * 2/2 *)", "0 9 * * 1-6/2"),
        ("cron(0 9 ? * */2 *)", "0 9 * * */2"),
        # wrapping ranges, which cron cannot read, become two ranges
        ("cron(0 0 ? * FRI-MON *)", "0 0 * * 5-6,0-1"),
        ("cron(0 0 ? * SAT-SUN *)", "0 0 * * 6,0"),
        ("cron(0 22-2 * * ? *)", "0 22-23,0-2 * * *"),
        ("cron(0 0 1 NOV-FEB ? *)", "0 0 1 11-12,1-2 *"),
    ],
)
def test_converts_exactly(expression: str, expected: str) -> None:
    converted = to_cronjob_schedule(expression)
    assert converted.schedule == expected
    assert converted.warnings == ()


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(7 minutes)", "*/7 * * * *"),
        ("rate(45 minutes)", "*/45 * * * *"),
        ("rate(5 hours)", "0 */5 * * *"),
        ("rate(3 days)", "0 0 */3 * *"),
    ],
)
def test_rates_cron_cannot_count_are_approximated_and_reported(expression: str, expected: str) -> None:
    converted = to_cronjob_schedule(expression)
    assert converted.schedule == expected
    (warning,) = converted.warnings
    assert warning.path == "schedule" and warning.kind == "approximated" and expression in warning.reason


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("cron(0 9 L * ? *)", "'L' (last) in the cron() day-of-month field"),
        ("cron(0 9 LW * ? *)", "'LW' is not valid"),
        ("cron(0 9 15W * ? *)", "'W' (nearest weekday) in the cron() day-of-month field"),
        ("cron(0 9 ? * 6L *)", "'L' (last) in the cron() day-of-week field"),
        ("cron(0 9 ? * 2#1 *)", "'#' (n-th weekday of the month)"),
        ("cron(0 9 ? * MON#2 *)", "'#'"),
        ("cron(0 9 * * ? 2026)", "no year field"),
        ("cron(0 9 * * ? 2025-2030)", "no year field"),
        ("cron(0 9 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 9 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 9 * *)", "needs 6 fields"),
        ("cron(0 24 * * ? *)", "hours must be between 0 and 23"),
        ("cron(0 9 ? * 0 *)", "day-of-week must be between 1 and 7"),
        ("cron(0 9 ? * 8 *)", "day-of-week must be between 1 and 7"),
        ("cron(0 9 ? * FRI-MON/2 *)", "wrapping range with a step"),
        ("rate(0 minutes)", "rate()"),
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "plural"),
        ("rate(90 minutes)", "whole hours"),
        ("rate(36 hours)", "whole days"),
        ("at(2026-01-01T00:00:00)", "must be a schedule expression"),
        ("every 5 minutes", "must be a schedule expression"),
    ],
)
def test_rejects_what_a_cronjob_cannot_express_naming_schedule(expression: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as info:
        to_cronjob_schedule(expression)
    assert str(info.value).startswith("schedule: ")
    assert fragment in str(info.value)


def test_the_error_names_the_field_given() -> None:
    with pytest.raises(ScheduleError, match=r"^autoScaling.scheduledActions\[0\].schedule: "):
        to_cronjob_schedule("cron(0 9 L * ? *)", path="autoScaling.scheduledActions[0].schedule")


# -- firing times ------------------------------------------------------------------------------

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)  # a Wednesday
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def test_cron_matcher_reads_eventbridge_day_numbers() -> None:
    weekdays = CronMatcher.parse("cron(0 9 ? * MON-FRI *)")
    assert weekdays.day_matches(NOW.date())  # Wednesday
    assert not weekdays.day_matches(datetime(2026, 3, 7).date())  # Saturday
    sunday = CronMatcher.parse("cron(0 9 ? * 1 *)")
    assert sunday.day_matches(datetime(2026, 3, 8).date())
    first = CronMatcher.parse("cron(0 9 1 * ? *)")
    assert first.day_matches(datetime(2026, 4, 1).date()) and not first.day_matches(NOW.date())


def test_last_and_next_cron_firing() -> None:
    assert last_firing("cron(0 9 ? * MON-FRI *)", now=NOW, anchor=LONG_AGO) == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert next_firing("cron(0 9 ? * MON-FRI *)", now=NOW, anchor=LONG_AGO) == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    # Friday 18:00 -> next is Monday 09:00
    friday = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
    assert next_firing("cron(0 9 ? * MON-FRI *)", now=friday, anchor=LONG_AGO) == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert last_firing("cron(0/20 * * * ? *)", now=NOW, anchor=LONG_AGO) == datetime(2026, 3, 4, 10, 20, tzinfo=UTC)


def test_firings_before_the_anchor_do_not_count() -> None:
    anchor = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    assert last_firing("cron(0 9 * * ? *)", now=NOW, anchor=anchor) is None
    assert last_firing("cron(0 10 * * ? *)", now=NOW, anchor=anchor) == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_rate_counts_from_the_anchor() -> None:
    anchor = datetime(2026, 3, 4, 10, 7, tzinfo=UTC)
    assert last_firing("rate(10 minutes)", now=NOW, anchor=anchor) == datetime(2026, 3, 4, 10, 27, tzinfo=UTC)
    assert next_firing("rate(10 minutes)", now=NOW, anchor=anchor) == datetime(2026, 3, 4, 10, 37, tzinfo=UTC)


def test_at_fires_once() -> None:
    assert last_firing("at(2026-03-04T10:00:00)", now=NOW, anchor=LONG_AGO) == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert next_firing("at(2026-03-04T10:00:00)", now=NOW, anchor=LONG_AGO) is None
    assert next_firing("at(2026-03-05T00:00:00)", now=NOW, anchor=LONG_AGO) == datetime(2026, 3, 5, tzinfo=UTC)


def test_time_zones() -> None:
    lisbon_summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # 13:00 in Lisbon (WEST, UTC+1)
    fired = last_firing("cron(0 13 * * ? *)", now=lisbon_summer, anchor=LONG_AGO, tz=ZoneInfo("Europe/Lisbon"))
    assert fired == lisbon_summer
    new_york = next_firing("cron(0 9 * * ? *)", now=NOW, anchor=LONG_AGO, tz=ZoneInfo("America/New_York"))
    assert new_york == datetime(2026, 3, 4, 14, 0, tzinfo=UTC)  # 09:00 EST


def test_no_firing_within_the_search_window() -> None:
    assert next_firing("cron(0 0 1 1 ? 2199)", now=NOW, anchor=LONG_AGO) is None
    assert last_firing("cron(0 0 1 1 ? 2199)", now=NOW, anchor=NOW - timedelta(days=3)) is None
