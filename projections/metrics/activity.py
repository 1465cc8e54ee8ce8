"""`recruiter_days`: which recruiters did something recorded on which UTC day — the set behind "active
recruiters". A set, keyed by (day, recruiter), so recording the same activity twice changes nothing.

A recruiter is active on a day when, on that day, they are recorded on an application created or proposed
(as its candidate or company recruiter), they submit an application (as its candidate or company recruiter),
or a placement is created crediting them in any of its five roles. The rows are written by the handlers of
those events (`pipeline`, `money`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from uuid import UUID

from projections.core import Sql
from projections.metrics.schema import metrics

metrics.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS recruiter_days (
        day          date NOT NULL,
        recruiter_id uuid NOT NULL,
        PRIMARY KEY (day, recruiter_id)
    );
    """
)


def utc_day(at: datetime) -> date:
    """The UTC date of an event's time: every daily figure is counted by UTC day."""
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(UTC).date()


def active(at: datetime, recruiter_ids: Iterable[UUID | None]) -> Sql | None:
    """Record the recruiters (the Nones left out) as active on the UTC day of `at`."""
    ids = sorted({r for r in recruiter_ids if r is not None})
    if not ids:
        return None
    return Sql(
        "INSERT INTO recruiter_days (day, recruiter_id) SELECT %s, r FROM unnest(%s::uuid[]) AS r"
        " ON CONFLICT DO NOTHING",
        (utc_day(at), ids),
    )
