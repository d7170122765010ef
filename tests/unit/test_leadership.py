"""Leader election's decisions (plan/leadership.py): who may hold the Lease, and when a holder must stop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecs_operator.plan.leadership import ElectionTiming, LeaseRecord, claim, may_act, record_of, released

T = ElectionTiming()
WALL = datetime(2026, 12, 2, 12, 0, 0, 123456, tzinfo=UTC)


def test_a_missing_lease_is_taken() -> None:
    won = claim(None, 0.0, "a", 100.0, WALL, T)
    assert won == LeaseRecord("a", 15, "2026-12-02T12:00:00.123456Z", "2026-12-02T12:00:00.123456Z", 0)


def test_the_holder_renews_and_keeps_its_acquire_time() -> None:
    held = LeaseRecord("a", 15, "2026-12-02T11:00:00.000000Z", "2026-12-02T11:59:58.000000Z", 3)
    renewed = claim(held, 0.0, "a", 1000.0, WALL, T)
    assert renewed is not None
    assert (renewed.acquire_time, renewed.renew_time, renewed.transitions) == (
        "2026-12-02T11:00:00.000000Z",
        "2026-12-02T12:00:00.123456Z",
        3,
    )


def test_another_holders_lease_runs_from_when_it_was_seen_to_change_not_from_its_clock() -> None:
    # renewTime is an hour old by our wall clock (skew), but we saw it change 14 s ago: still held
    other = LeaseRecord("b", 15, "2026-12-02T11:00:00.000000Z", "2026-12-02T11:00:00.000000Z", 1)
    assert claim(other, 86.0, "a", 100.0, WALL, T) is None
    taken = claim(other, 84.0, "a", 100.0, WALL, T)  # 16 s without a change: expired
    assert taken is not None and taken.holder == "a" and taken.transitions == 2


def test_a_released_lease_is_taken_at_once_and_is_not_a_failover() -> None:
    free = released(LeaseRecord("b", 15, "x", "y", 4))
    assert free.holder is None and free.lease_duration_seconds == 1
    taken = claim(free, 99.9, "a", 100.0, WALL, T)
    assert taken is not None and taken.holder == "a" and taken.transitions == 4


def test_the_fence_closes_at_the_renew_deadline_before_anyone_may_take_over() -> None:
    assert not may_act(None, 5.0, T)
    assert may_act(100.0, 109.9, T)
    assert not may_act(100.0, 110.0, T)  # a standby may take over at 115 at the earliest
    assert T.renew_deadline < T.lease_duration


@pytest.mark.parametrize("values", [(15, 15, 2), (15, 10, 10), (15, 10, 0), (5, 10, 2)])
def test_timings_must_nest(values: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError, match="retry period < renew deadline < lease duration"):
        ElectionTiming(*values)


def test_record_of_reads_a_lease_and_its_absence() -> None:
    assert record_of(None) is None
    lease = {"spec": {"holderIdentity": "a", "leaseDurationSeconds": 15, "leaseTransitions": 2}}
    assert record_of(lease) == LeaseRecord("a", 15, None, None, 2)
    assert record_of({"spec": {"holderIdentity": ""}}) == LeaseRecord(None, 0, None, None, 0)
