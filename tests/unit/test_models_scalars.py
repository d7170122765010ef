"""Units, Fargate sizes, task definition references and schedule expressions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecs_operator.models import (
    FARGATE_SIZES,
    AtSchedule,
    CronSchedule,
    RateSchedule,
    fargate_size_problem,
    parse_cpu_units,
    parse_memory_mib,
    parse_schedule,
    parse_task_definition_ref,
    parse_user,
)
from ecs_operator.models.scalars import coerce_int


@pytest.mark.parametrize(
    ("text", "units"),
    [("256", 256), (1024, 1024), ("1 vCPU", 1024), ("1 vcpu", 1024), (".25 vCPU", 256), ("0.5vCPU", 512),
     ("16 vCPU", 16384), ("0.125 VCPU", 128)],
)  # fmt: skip
def test_cpu_units(text: str | int, units: int) -> None:
    assert parse_cpu_units(text) == units


@pytest.mark.parametrize(
    ("text", "mib"), [("512", 512), (2048, 2048), ("2 GB", 2048), ("2GB", 2048), ("0.5 gb", 512), ("30 GB", 30720)]
)
def test_memory_mib(text: str | int, mib: int) -> None:
    assert parse_memory_mib(text) == mib


@pytest.mark.parametrize("text", ["", "1 core", "256m", "-1", "0", "0.1 vCPU", "1.5", " 256", True])
def test_bad_cpu(text: str | int) -> None:
    with pytest.raises(ValueError, match="Invalid 'cpu' setting for task"):
        parse_cpu_units(text)


@given(st.integers(min_value=1, max_value=10**6))
def test_plain_numbers_are_units(number: int) -> None:
    assert parse_cpu_units(str(number)) == parse_cpu_units(number) == number
    assert parse_memory_mib(str(number)) == number


@given(st.integers(min_value=1, max_value=4096))
def test_vcpu_quarters(quarters: int) -> None:
    assert parse_cpu_units(f"{quarters / 4} vCPU") == quarters * 256


def test_fargate_table_matches_ecs() -> None:
    assert FARGATE_SIZES[256] == (512, 1024, 2048)
    assert FARGATE_SIZES[512] == (1024, 2048, 3072, 4096)
    assert FARGATE_SIZES[4096][0] == 8192 and FARGATE_SIZES[4096][-1] == 30720
    assert FARGATE_SIZES[8192] == tuple(range(16384, 61441, 4096))
    assert FARGATE_SIZES[16384] == tuple(range(32768, 122881, 8192))
    assert sum(len(sizes) for sizes in FARGATE_SIZES.values()) == 3 + 4 + 7 + 13 + 23 + 12 + 12


@given(st.sampled_from(sorted(FARGATE_SIZES)), st.integers(min_value=1, max_value=130000))
def test_fargate_size_problem_agrees_with_table(cpu: int, memory: int) -> None:
    problem = fargate_size_problem(cpu, memory)
    assert (problem is None) == (memory in FARGATE_SIZES[cpu])
    if problem is not None:
        assert problem[0] == "memory" and "No Fargate configuration exists for given values" in problem[1]


def test_fargate_unknown_cpu() -> None:
    assert fargate_size_problem(300, 1024) == (
        "cpu",
        "Invalid 'cpu' setting for task: Fargate supports 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units, got 300",
    )


@pytest.mark.parametrize(
    ("text", "family", "revision"),
    [
        ("web", "web", None),
        ("web:3", "web", 3),
        ("arn:aws:ecs:us-east-1:123456789012:task-definition/web:12", "web", 12),
        ("arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/my_app-2:1", "my_app-2", 1),
    ],
)
def test_task_definition_refs(text: str, family: str, revision: int | None) -> None:
    ref = parse_task_definition_ref(text)
    assert (ref.family, ref.revision) == (family, revision)
    assert str(ref) == (family if revision is None else f"{family}:{revision}")


@pytest.mark.parametrize(
    "text", ["", "web:", "web:0", "web:latest", "a b", "arn:aws:ecs:us-east-1:12:task-definition/web:1"]
)
def test_bad_task_definition_refs(text: str) -> None:
    with pytest.raises(ValueError, match="family, family:revision or a task-definition ARN"):
        parse_task_definition_ref(text)


@pytest.mark.parametrize(
    ("expression", "parsed"),
    [
        ("rate(1 minute)", RateSchedule(1, "minute")),
        ("rate(5 minutes)", RateSchedule(5, "minute")),
        ("rate(12 hours)", RateSchedule(12, "hour")),
        ("rate(1 day)", RateSchedule(1, "day")),
        ("cron(0 12 * * ? *)", CronSchedule("0", "12", "*", "*", "?", "*")),
        ("cron(0/15 8-17 ? * MON-FRI *)", CronSchedule("0/15", "8-17", "?", "*", "MON-FRI", "*")),
        ("cron(0 10 ? * 6L 2025-2030)", CronSchedule("0", "10", "?", "*", "6L", "2025-2030")),
        ("cron(30 2 L * ? *)", CronSchedule("30", "2", "L", "*", "?", "*")),
        ("cron(0 9 ? JAN,JUL 2#1 *)", CronSchedule("0", "9", "?", "JAN,JUL", "2#1", "*")),
    ],
)
def test_schedules(expression: str, parsed: RateSchedule | CronSchedule) -> None:
    assert parse_schedule(expression) == parsed


def test_rate_seconds() -> None:
    assert RateSchedule(2, "hour").seconds == 7200


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("rate(0 minutes)", "positive"),
        ("rate(2 minute)", "plural"),
        ("rate(5 weeks)", "schedule expression"),
        ("cron(0 12 * * ?)", "6 fields"),
        ("cron(0 12 ? * ? *)", "exactly one of"),
        ("cron(0 12 1 * MON *)", "exactly one of"),
        ("cron(60 12 * * ? *)", "minutes must be between 0 and 59"),
        ("cron(0 12 32 * ? *)", "day-of-month must be between 1 and 31"),
        ("cron(0 12 ? 13 MON *)", "month must be between 1 and 12"),
        ("cron(0 12 ? * FUNDAY *)", "not valid in the day-of-week field"),
        ("cron(0 12 * * ? 1900)", "year must be between 1970 and 2199"),
        ("cron(0 12 * * ? $)", "invalid year field"),
        ("at(2025-01-31T12:00:00)", "schedule expression"),
    ],
)
def test_bad_schedules(expression: str, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        parse_schedule(expression)


def test_at_only_for_scaling() -> None:
    parsed = parse_schedule("at(2025-01-31T12:00:00)", allow_at=True)
    assert isinstance(parsed, AtSchedule) and parsed.when.day == 31
    with pytest.raises(ValueError, match="yyyy-mm-ddThh:mm:ss"):
        parse_schedule("at(2025-02-30T12:00:00)", allow_at=True)


@pytest.mark.parametrize(
    ("user", "parsed"), [("0", (0, None)), ("1000:1000", (1000, 1000)), ("nginx", None), ("1:x", None)]
)
def test_parse_user(user: str, parsed: tuple[int, int | None] | None) -> None:
    assert parse_user(user) == parsed


@pytest.mark.parametrize(("value", "number"), [(5, 5), ("5", 5), ("-3", -3), (7.0, 7)])
def test_ecs_integers(value: object, number: int) -> None:
    assert coerce_int(value) == number


@pytest.mark.parametrize("value", [True, "5.0", " 5", "five", 5.5, None, [5]])
def test_not_ecs_integers(value: object) -> None:
    with pytest.raises(ValueError, match="integer"):
        coerce_int(value)
