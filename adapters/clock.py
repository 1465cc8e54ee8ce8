"""The one clock: every "now" of Splits is read from the `Clock` the composition root builds (infra/bootstrap.py)
and hands to the routes (`api.deps.Now`) and the consumers (`ReactorContext.clock`). No other module reads the time
of day itself, so a test swaps the clock in one place and an operator can move it for a whole running system.

Moving it: `SPLITS_CLOCK_OFFSET` (an ISO 8601 duration such as `P90D`, or seconds) shifts every process's clock
by that much, so a 90-day guarantee can be walked through in staging without back-dating a hire. Every process
of one deployment must be given the same offset. Production refuses any offset (adapters/settings.py). Time only
moves forward with an offset: set a larger one and restart; a smaller one would make new facts older than
recorded ones.

Durations measured inside a process (timeouts, latencies) use `time.monotonic`, which is not a time of day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware (UTC)."""
        ...


@dataclass(frozen=True, slots=True)
class SystemClock:
    """The machine's clock, moved by `offset` (zero but for staging walk-throughs)."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass(slots=True)
class FixedClock:
    """A clock that stands still until told to move: for tests and for replays that must not read the time."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


def today(clock: Clock) -> date:
    return clock.now().date()


SYSTEM_CLOCK = SystemClock()
