"""Aftercare's reads (domain §10 "cron engagement"): the placements that reached a milestone — day 3, 14, 30 and
90 after the hire (each at 08:00 UTC of that day), and 7 days before the guarantee ends — and the people told of
each: the company's admins and the placement's credited recruiters for every milestone, the candidate (with an
account) for the check-ins of day 3, 30 and 90. A failed placement gets no check-in; the guarantee reminder goes
only while the guarantee runs. A milestone stays due for `CATCH_UP` after its moment (a scheduler down that long
still sends it), never later: a new deployment does not send old placements every milestone they passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

CATCH_UP = timedelta(days=3)
CANDIDATE_MILESTONES = ("day-3", "day-30", "day-90")

_MILESTONES = (
    "SELECT p.id AS placement_id, m.name,"
    " date_trunc('day', p.hired_at, 'UTC') + make_interval(days => m.days) + interval '8 hours' AS due"
    " FROM ats.placements p CROSS JOIN (VALUES ('day-3', 3), ('day-14', 14), ('day-30', 30), ('day-90', 90))"
    "  AS m(name, days) WHERE p.state <> 'failed' AND p.hired_at > %(now)s - interval '94 days'"
    " UNION ALL SELECT p.id, 'guarantee-ending',"
    " date_trunc('day', p.guarantee_expires_at, 'UTC') - interval '7 days' + interval '8 hours'"
    " FROM ats.placements p WHERE p.state IN ('hired', 'active') AND p.guarantee_expires_at > %(now)s"
)
# (placement_id, user_id, audience): who is told of a placement, company admins first.
_PEOPLE = (
    "SELECT p.id AS placement_id, m.user_id, 1 AS rank, 'company' AS audience FROM ats.placements p"
    " JOIN ats.companies c ON c.id = p.company_id JOIN identity.memberships m"
    "  ON m.organization_id = c.identity_organization_id AND m.role = 'company_admin'"
    "  AND (m.company_id IS NULL OR m.company_id = c.id)"
    " UNION SELECT p.id, r.user_id, 2, 'recruiter' FROM ats.placements p JOIN network.recruiters r"
    "  ON r.id IN (p.candidate_recruiter_id, p.company_recruiter_id, p.job_owner_recruiter_id,"
    "  p.candidate_sourcer_recruiter_id, p.company_sourcer_recruiter_id)"
    " UNION SELECT p.id, c.user_id, 3, 'candidate' FROM ats.placements p JOIN ats.candidates c"
    "  ON c.id = p.candidate_id WHERE c.user_id IS NOT NULL"
)


async def aftercare_due(conn: psycopg.AsyncConnection, now: datetime, limit: int) -> list[tuple[UUID, str]]:
    """(user id, period `<placement id>/<milestone>`) of every milestone due at `now` not yet recorded for the
    person, unless they turned engagement email off."""
    cur = await conn.execute(
        "SELECT DISTINCT pe.user_id, m.placement_id || '/' || m.name AS period"
        f" FROM ({_MILESTONES}) m JOIN ({_PEOPLE}) pe ON pe.placement_id = m.placement_id"
        " JOIN identity.users u ON u.id = pe.user_id AND u.deleted_at IS NULL"
        " WHERE m.due <= %(now)s AND m.due > %(now)s - %(catch_up)s"
        "  AND (pe.audience <> 'candidate' OR m.name = ANY(%(candidate)s))"
        "  AND NOT EXISTS (SELECT 1 FROM notifications.engagement_mail e WHERE e.kind = 'aftercare'"
        "   AND e.period = m.placement_id || '/' || m.name AND e.user_id = pe.user_id)"
        "  AND NOT EXISTS (SELECT 1 FROM notifications.preferences pr WHERE pr.user_id = pe.user_id"
        "   AND pr.category = 'engagement' AND NOT pr.email_enabled)"
        " ORDER BY 2, 1 LIMIT %(limit)s",
        {"now": now, "catch_up": CATCH_UP, "candidate": list(CANDIDATE_MILESTONES), "limit": limit})
    return [(row[0], row[1]) for row in await cur.fetchall()]


async def aftercare_placement(conn: psycopg.AsyncConnection, placement_id: UUID, user_id: UUID
                              ) -> dict[str, Any] | None:
    """The placement as the user is told of it: job, candidate, company, hire and guarantee dates, its state, and
    the user's part in it (`company`, `recruiter` or `candidate`; the first when they hold several). None when
    the user has no part in it."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "SELECT p.id, p.state, p.hired_at, p.start_date, p.guarantee_expires_at, j.title AS job_title,"
        " c.full_name AS candidate_name, co.name AS company_name, pe.audience"
        f" FROM ats.placements p JOIN ({_PEOPLE}) pe ON pe.placement_id = p.id AND pe.user_id = %(user)s"
        " JOIN ats.jobs j ON j.id = p.job_id JOIN ats.candidates c ON c.id = p.candidate_id"
        " LEFT JOIN ats.companies co ON co.id = p.company_id WHERE p.id = %(placement)s ORDER BY pe.rank LIMIT 1",
        {"placement": placement_id, "user": user_id})
    return await cur.fetchone()
