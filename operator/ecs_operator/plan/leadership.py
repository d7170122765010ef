"""Leader election on a ``coordination.k8s.io/v1`` Lease: who may hold it, decided from what was seen.

Pure: the Lease's spec as last read, when this replica saw it change, the clock, and the replica's
identity in; the spec to write (or None: someone else holds it) out. The rules are those of
Kubernetes' own controllers (client-go's leaderelection, used by controller-runtime):

- A holder renews every ``retry_period``; a lease not renewed for ``lease_duration`` is free.
- "Not renewed" is judged on this replica's own clock, from when it *saw* the record change, never
  from the holder's ``renewTime`` (another machine's clock), so clock skew cannot shorten a lease.
- A holder that has not renewed within ``renew_deadline`` (shorter than ``lease_duration``) stops
  acting before anyone else can take the lease: :func:`may_act` is that fence.
- Releasing (on a clean shutdown) empties ``holderIdentity`` so a standby takes over at its next try.

https://kubernetes.io/docs/concepts/architecture/leases/#leader-election
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["ElectionTiming", "LeaseRecord", "claim", "may_act", "released", "record_of"]


@dataclass(frozen=True)
class ElectionTiming:
    """controller-runtime's defaults: lease 15 s, renew deadline 10 s, retry every 2 s."""

    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.retry_period < self.renew_deadline < self.lease_duration:
            raise ValueError(
                "leader election needs 0 < retry period < renew deadline < lease duration, got "
                f"{self.retry_period} / {self.renew_deadline} / {self.lease_duration}"
            )


@dataclass(frozen=True)
class LeaseRecord:
    """The parts of a Lease's spec that leader election reads and writes."""

    holder: str | None
    lease_duration_seconds: int
    acquire_time: str | None = None
    renew_time: str | None = None
    transitions: int = 0

    def spec(self) -> dict[str, Any]:
        return {
            "holderIdentity": self.holder,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "acquireTime": self.acquire_time,
            "renewTime": self.renew_time,
            "leaseTransitions": self.transitions,
        }


def record_of(lease: Mapping[str, Any] | None) -> LeaseRecord | None:
    if lease is None:
        return None
    spec = lease.get("spec") or {}
    return LeaseRecord(
        holder=spec.get("holderIdentity") or None,
        lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
        acquire_time=spec.get("acquireTime"),
        renew_time=spec.get("renewTime"),
        transitions=int(spec.get("leaseTransitions") or 0),
    )


def _micro_time(now: datetime) -> str:
    """Kubernetes' MicroTime: RFC 3339 with microseconds, in UTC."""
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def claim(
    current: LeaseRecord | None,
    seen_changed_at: float,
    identity: str,
    now: float,
    wall_now: datetime,
    timing: ElectionTiming,
) -> LeaseRecord | None:
    """The record that makes (or keeps) ``identity`` the holder, or None while another holds it.

    ``seen_changed_at`` and ``now`` are this replica's monotonic clock: when it last saw the record
    (holder or renewTime) change, and now.
    """
    stamp = _micro_time(wall_now)
    duration = max(1, round(timing.lease_duration))
    if current is not None and current.holder == identity:
        return LeaseRecord(identity, duration, current.acquire_time or stamp, stamp, current.transitions)
    if current is not None and current.holder:
        held_for = current.lease_duration_seconds or duration
        if now < seen_changed_at + held_for:
            return None  # someone else renewed within their lease duration, as far as we saw
    transitions = current.transitions + 1 if current is not None and current.holder else 0
    if current is not None and not current.holder:
        transitions = current.transitions  # released cleanly: the next holder is not a failover
    return LeaseRecord(identity, duration, stamp, stamp, transitions)


def released(current: LeaseRecord) -> LeaseRecord:
    """What a holder writes on a clean shutdown: no holder, so a standby may take it at once."""
    return LeaseRecord(None, 1, None, None, current.transitions)


def may_act(renewed_at: float | None, now: float, timing: ElectionTiming) -> bool:
    """Whether a holder whose last successful renewal *started* at ``renewed_at`` may still write.

    ``renew_deadline`` is shorter than ``lease_duration``, so a holder that cannot renew stops
    writing seconds before any standby may take over; a replica paused (SIGSTOP) past that finds
    the deadline gone on its first write after it resumes, whatever its threads were doing.
    """
    return renewed_at is not None and now < renewed_at + timing.renew_deadline
