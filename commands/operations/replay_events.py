"""A projection's replay started from the console, on `replayrun-<run id>`: who asked for it, and how it ended.

The operator (a platform admin's Clerk user id) is in the data of each event as well as its metadata's actor:
the replay runs in the background after the request that asked for it, and its end is the operator's action
too.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.core import Event


class ReplayRequested(Event):
    run_id: UUID
    projection: str
    operator: str
    at: datetime


class ReplayCompleted(Event):
    """The shadow schema swapped in: `events` replayed in `seconds`; the live checkpoint then at `position`."""

    run_id: UUID
    projection: str
    operator: str
    events: int
    seconds: float
    position: str | None
    at: datetime


class ReplayFailed(Event):
    """The replay stopped before its swap (the live schema is as it was): the error's type and first line."""

    run_id: UUID
    projection: str
    operator: str
    error: str
    at: datetime
