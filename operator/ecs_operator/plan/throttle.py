"""ECS's service throttle: tasks that never reach RUNNING are relaunched ever more slowly.

"If tasks for a service repeatedly fail to enter the RUNNING state (progressing directly from a
PENDING to a STOPPED status), then the time between subsequent restart attempts is incrementally
increased up to a maximum of 27 minutes"; the service says "(service X) is unable to consistently
start tasks successfully."; a new task definition revision returns it to normal at once; tasks
that stop after reaching RUNNING are never throttled (developer guide, "Amazon ECS service
throttle logic", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html).

Here a launch is the Deployment replacing a stopped task, so the throttle holds a task that
failed to start (its pod keeps its replica slot) until its next launch is due, then stops it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from .conditions import iso
from .lifecycle import parse_time

__all__ = ["THROTTLE_AFTER", "BASE_DELAY_SECONDS", "MAX_DELAY_SECONDS", "Throttle", "throttle_message"]

THROTTLE_AFTER = 3  # consecutive failed starts before launches slow down
BASE_DELAY_SECONDS = 10.0
MAX_DELAY_SECONDS = 27 * 60.0


def throttle_message(service: str) -> str:
    return f"(service {service}) is unable to consistently start tasks successfully."


@dataclass(frozen=True)
class Throttle:
    """``status.throttle``: consecutive failed starts of one revision and when the next launch is due."""

    revision: int
    failed_starts: int = 0
    next_launch_at: datetime | None = None
    announced: bool = False

    @classmethod
    def of(cls, status: Mapping[str, Any] | None, revision: int) -> Throttle:
        """The throttle for ``revision``: a new revision starts unthrottled."""
        raw = (status or {}).get("throttle") or {}
        if raw.get("revision") != revision:
            return cls(revision)
        return cls(
            revision,
            int(raw.get("failedStarts", 0)),
            parse_time(raw.get("nextLaunchAt")),
            bool(raw.get("announced")),
        )

    @property
    def active(self) -> bool:
        return self.failed_starts >= THROTTLE_AFTER

    def holds(self, now: datetime) -> bool:
        """Must a task that failed to start wait before it is stopped (and so relaunched)?"""
        return self.active and self.next_launch_at is not None and now < self.next_launch_at

    def failed_start(self, now: datetime) -> Throttle:
        """One more task failed to start and is stopped now."""
        failures = self.failed_starts + 1
        if failures < THROTTLE_AFTER:
            return replace(self, failed_starts=failures)
        delay = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (failures - THROTTLE_AFTER))
        return replace(self, failed_starts=failures, next_launch_at=now + timedelta(seconds=delay))

    def started(self) -> Throttle:
        """A task reached RUNNING: launches are back to normal."""
        return Throttle(self.revision)

    def status(self) -> dict[str, Any] | None:
        if self.failed_starts == 0:
            return None
        return {
            "revision": self.revision,
            "failedStarts": self.failed_starts,
            "nextLaunchAt": iso(self.next_launch_at) if self.next_launch_at else None,
            "announced": self.announced or None,
        }
