"""The engagement mail's schedules (domain §10 "cron engagement", §14), all times UTC:

| kind | due | period | to |
|---|---|---|---|
| weekly_digest | Monday 08:00 | the ISO week it covers, the one before (`2026-W48`) | recruiters and company users whose applications were made or moved that week |
| monthly_hiring_report | the 1st, 09:00 | the month before (`2026-11`) | company admins whose company submitted, interviewed, hired or placed that month |
| candidate_reminder | Wednesday 10:00 | the ISO week | candidates with a proposal, changes requested, pre-screen questions or an invitation waiting on them |
| recruiter_inactivity | Thursday 09:00 | the ISO week | active recruiters not seen (signed in) for 14 days |
| aftercare | daily 08:00 | `<placement id>/<milestone>` | see projections/notifications/aftercare_queries.py |

Each schedule records `EngagementMailDue` on the person's engagement stream, keyed by the person, the kind and
the period (the scheduler's key, and the engagement decider refuses the same kind and period twice), so two
schedulers, every pass of the period and a clock moved within it record it once; a clock moved past the next due
moment records the new period only. The notifications reactor turns the event into the email, gated by plan and
preference.

What we decided where the domain is silent: each is sent within `SEND_WINDOW` (a day) of its moment, so a
scheduler down for a few hours still sends it, and one down longer skips that period rather than send a digest or
a reminder on another day (and the schedules cost nothing outside their day). An inactive recruiter is reminded
each week they stay inactive, until they turn engagement email off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

import psycopg

from commands.notifications import engagement as engagements
from consumers.runtime.scheduler import BATCH, Due, Schedule
from projections.notifications import aftercare_queries, engagement_queries as queries

SEND_WINDOW = timedelta(days=1)
INACTIVE_AFTER = timedelta(days=14)
MONDAY, WEDNESDAY, THURSDAY = 0, 2, 3


def last_weekly(now: datetime, weekday: int, hour: int) -> datetime:
    """The latest `weekday` at `hour`:00 UTC at or before `now`."""
    now = now.astimezone(UTC)
    day = now.date() - timedelta(days=(now.weekday() - weekday) % 7)
    moment = datetime.combine(day, time(hour), UTC)
    return moment if moment <= now else moment - timedelta(days=7)


def last_monthly(now: datetime, hour: int) -> datetime:
    """The latest 1st of a month at `hour`:00 UTC at or before `now`."""
    now = now.astimezone(UTC)
    moment = datetime(now.year, now.month, 1, hour, tzinfo=UTC)
    if moment <= now:
        return moment
    return datetime(now.year - 1, 12, 1, hour, tzinfo=UTC) if now.month == 1 else \
        datetime(now.year, now.month - 1, 1, hour, tzinfo=UTC)


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def digest_week(now: datetime) -> tuple[str, datetime, datetime]:
    """The week the digest due at `now` covers: (period, start, end), Monday 00:00 to Monday 00:00."""
    end = datetime.combine(last_weekly(now, MONDAY, 8).date(), time(0), UTC)
    start = end - timedelta(days=7)
    return iso_week(start), start, end


def report_month(now: datetime) -> tuple[str, datetime, datetime]:
    """The month the report due at `now` covers: (period, start, end)."""
    end = last_monthly(now, 9).replace(hour=0)
    start = (end - timedelta(days=1)).replace(day=1)
    return f"{start.year}-{start.month:02d}", start, end


def period_window(kind: str, period: str) -> tuple[datetime, datetime]:
    """What a digest's or report's period covers, [start, end), from its name (the reactor's side)."""
    if kind == "weekly_digest":
        start = datetime.fromisocalendar(int(period[:4]), int(period[6:]), 1).replace(tzinfo=UTC)
        return start, start + timedelta(days=7)
    year, month = int(period[:4]), int(period[5:7])
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=UTC) if month == 12 else datetime(year, month + 1, 1, tzinfo=UTC)


def _due(user_id: UUID, kind: str, period: str, now: datetime) -> Due:
    return Due(engagements.engagement, user_id,
               engagements.RecordEngagementMailDue(user_id=user_id, kind=kind, period=period, at=now),
               f"{user_id}:{kind}:{period}")


def _schedule(kind: str, find: Callable[[psycopg.AsyncConnection, datetime], Awaitable[list[tuple[UUID, str]]]]
              ) -> Schedule:
    async def due(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
        return [_due(user_id, kind, period, now) for user_id, period in await find(conn, now)]

    return Schedule(f"engagement-{kind.replace('_', '-')}", due)


async def _weekly_digest(conn: psycopg.AsyncConnection, now: datetime) -> list[tuple[UUID, str]]:
    if now >= last_weekly(now, MONDAY, 8) + SEND_WINDOW:
        return []
    period, start, end = digest_week(now)
    return [(u, period) for u in await queries.weekly_digest_due(conn, period, start, end, BATCH)]


async def _monthly_report(conn: psycopg.AsyncConnection, now: datetime) -> list[tuple[UUID, str]]:
    if now >= last_monthly(now, 9) + SEND_WINDOW:
        return []
    period, start, end = report_month(now)
    return [(u, period) for u in await queries.monthly_report_due(conn, period, start, end, BATCH)]


async def _candidate_reminder(conn: psycopg.AsyncConnection, now: datetime) -> list[tuple[UUID, str]]:
    moment = last_weekly(now, WEDNESDAY, 10)
    if now >= moment + SEND_WINDOW:
        return []
    period = iso_week(moment)
    return [(u, period) for u in await queries.candidate_reminder_due(conn, period, now, BATCH)]


async def _recruiter_inactivity(conn: psycopg.AsyncConnection, now: datetime) -> list[tuple[UUID, str]]:
    moment = last_weekly(now, THURSDAY, 9)
    if now >= moment + SEND_WINDOW:
        return []
    period = iso_week(moment)
    return [(u, period) for u in await queries.recruiter_inactivity_due(conn, period, moment - INACTIVE_AFTER,
                                                                        BATCH)]


async def _aftercare(conn: psycopg.AsyncConnection, now: datetime) -> list[tuple[UUID, str]]:
    return await aftercare_queries.aftercare_due(conn, now, BATCH)


def engagement_schedules() -> list[Schedule]:
    return [
        _schedule("weekly_digest", _weekly_digest),
        _schedule("monthly_hiring_report", _monthly_report),
        _schedule("candidate_reminder", _candidate_reminder),
        _schedule("recruiter_inactivity", _recruiter_inactivity),
        _schedule("aftercare", _aftercare),
    ]
