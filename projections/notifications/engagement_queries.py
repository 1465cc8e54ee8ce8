"""The engagement mail's reads (domain §10 "cron engagement"): who has something to be told for a period, and
what. Each `*_due` lists the users a schedule proposes (at most `limit`), leaving out those already recorded due
for the period and those who turned engagement email off; the content functions give the reactor what the email
says, from the same rows, so a person proposed has something to say unless the read models moved meanwhile (then
nothing is sent: no empty digest).

Whose applications: a recruiter's are those they work as the candidate's or the company's recruiter; a company
user's (any member of the company's organization) those of the company, once the company sees them (domain
§2.3). Activity in a window: an application made, or moved, in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

_COMPANY_VISIBLE = ("('screen', 'submitted', 'company_review', 'company_feedback', 'interview', 'offer', 'hired',"
                    " 'rejected')")

# Applications made or moved in [start, end).
_ACTIVE = (
    "SELECT id AS application_id FROM ats.applications WHERE created_at >= %(start)s AND created_at < %(end)s"
    " UNION SELECT application_id FROM ats.application_stage_history WHERE at >= %(start)s AND at < %(end)s"
)
# (user_id, application_id) of the applications active in [start, end), for each user who follows them: found
# from the week's applications (an index range), not from every application there is.
_FOLLOWED = (
    f"SELECT r.user_id, a.id AS application_id FROM ({_ACTIVE}) x JOIN ats.applications a ON a.id = x.application_id"
    " JOIN network.recruiters r ON r.id = a.candidate_recruiter_id OR r.id = a.company_recruiter_id"
    f" UNION SELECT m.user_id, a.id FROM ({_ACTIVE}) x JOIN ats.applications a ON a.id = x.application_id"
    " JOIN ats.companies c ON c.id = a.company_id JOIN identity.memberships m"
    "  ON m.organization_id = c.identity_organization_id AND (m.company_id IS NULL OR m.company_id = c.id)"
    f" WHERE a.stage IN {_COMPANY_VISIBLE} OR a.submitted_at IS NOT NULL"
)


def _wanted(kind: str, user: str = "u.id") -> str:
    """Not yet recorded due for the period, and engagement email not turned off (the reactor checks again)."""
    return (f" NOT EXISTS (SELECT 1 FROM notifications.engagement_mail e WHERE e.kind = '{kind}'"
            f"  AND e.period = %(period)s AND e.user_id = {user})"
            f" AND NOT EXISTS (SELECT 1 FROM notifications.preferences p WHERE p.user_id = {user}"
            "  AND p.category = 'engagement' AND NOT p.email_enabled)")


async def _ids(conn: psycopg.AsyncConnection, sql: str, params: dict[str, Any]) -> list[UUID]:
    cur = await conn.execute(sql, params)
    return [row[0] for row in await cur.fetchall()]


# --- weekly digest: recruiters and company users, what happened in their applications ---------------------------

async def weekly_digest_due(conn: psycopg.AsyncConnection, period: str, start: datetime, end: datetime,
                            limit: int) -> list[UUID]:
    return await _ids(conn, (
        f"SELECT DISTINCT u.id FROM ({_FOLLOWED}) f"
        " JOIN identity.users u ON u.id = f.user_id AND u.deleted_at IS NULL"
        f" WHERE {_wanted('weekly_digest')} ORDER BY u.id LIMIT %(limit)s"),
        {"period": period, "start": start, "end": end, "limit": limit})


async def weekly_digest(conn: psycopg.AsyncConnection, user_id: UUID, start: datetime, end: datetime
                        ) -> list[dict[str, Any]]:
    """The user's applications made or moved in [start, end): candidate, job, stage now, whether it is new, and
    the stages it moved to, oldest first."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "SELECT a.id, c.full_name AS candidate_name, j.title AS job_title, a.stage,"
        " a.created_at >= %(start)s AND a.created_at < %(end)s AS is_new,"
        " coalesce((SELECT array_agg(h.to_stage ORDER BY h.seq) FROM ats.application_stage_history h"
        "  WHERE h.application_id = a.id AND h.at >= %(start)s AND h.at < %(end)s), '{}') AS moves"
        f" FROM ({_FOLLOWED}) f"
        " JOIN ats.applications a ON a.id = f.application_id JOIN ats.candidates c ON c.id = a.candidate_id"
        " JOIN ats.jobs j ON j.id = a.job_id WHERE f.user_id = %(user)s ORDER BY a.created_at, a.id LIMIT 200",
        {"user": user_id, "start": start, "end": end})
    return list(await cur.fetchall())


# --- monthly hiring report: company admins, their companies' month -----------------------------------------------

_ADMINS = (
    "SELECT m.user_id, c.id AS company_id, c.name AS company_name FROM ats.companies c"
    " JOIN identity.memberships m ON m.organization_id = c.identity_organization_id AND m.role = 'company_admin'"
    "  AND (m.company_id IS NULL OR m.company_id = c.id)"
)
_MONTH = (
    "SELECT ad.user_id, ad.company_id, ad.company_name,"
    " (SELECT count(*) FROM ats.applications a WHERE a.company_id = ad.company_id"
    "   AND a.submitted_at >= %(start)s AND a.submitted_at < %(end)s) AS applications,"
    " (SELECT count(DISTINCT h.application_id) FROM ats.application_stage_history h JOIN ats.applications a"
    "   ON a.id = h.application_id WHERE a.company_id = ad.company_id AND h.to_stage = 'interview'"
    "   AND h.at >= %(start)s AND h.at < %(end)s) AS interviews,"
    " (SELECT count(*) FROM ats.applications a WHERE a.company_id = ad.company_id"
    "   AND a.hired_at >= %(start)s AND a.hired_at < %(end)s) AS hires,"
    " (SELECT count(*) FROM ats.placements p WHERE p.company_id = ad.company_id"
    "   AND p.created_at >= %(start)s AND p.created_at < %(end)s) AS placements"
    f" FROM ({_ADMINS}) ad"
)


async def monthly_report_due(conn: psycopg.AsyncConnection, period: str, start: datetime, end: datetime,
                             limit: int) -> list[UUID]:
    return await _ids(conn, (
        f"SELECT DISTINCT u.id FROM ({_ADMINS}) ad JOIN identity.users u ON u.id = ad.user_id AND u.deleted_at IS NULL"
        " WHERE (EXISTS (SELECT 1 FROM ats.applications a WHERE a.company_id = ad.company_id"
        "   AND ((a.submitted_at >= %(start)s AND a.submitted_at < %(end)s)"
        "   OR (a.hired_at >= %(start)s AND a.hired_at < %(end)s)))"
        "  OR EXISTS (SELECT 1 FROM ats.application_stage_history h JOIN ats.applications a ON a.id = h.application_id"
        "   WHERE a.company_id = ad.company_id AND h.to_stage = 'interview' AND h.at >= %(start)s AND h.at < %(end)s)"
        "  OR EXISTS (SELECT 1 FROM ats.placements p WHERE p.company_id = ad.company_id"
        "   AND p.created_at >= %(start)s AND p.created_at < %(end)s))"
        f" AND {_wanted('monthly_hiring_report')} ORDER BY u.id LIMIT %(limit)s"),
        {"period": period, "start": start, "end": end, "limit": limit})


async def monthly_report(conn: psycopg.AsyncConnection, user_id: UUID, start: datetime, end: datetime
                         ) -> list[dict[str, Any]]:
    """Per company the user administers and that had a month: applications submitted, applications that
    reached an interview, hires and placements made in [start, end)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        f"SELECT company_id, company_name, applications, interviews, hires, placements FROM ({_MONTH}) r"
        " WHERE r.user_id = %(user)s AND r.applications + r.interviews + r.hires + r.placements > 0"
        " ORDER BY company_name, company_id",
        {"user": user_id, "start": start, "end": end})
    return list(await cur.fetchall())


# --- candidate reminders: what waits on a candidate -------------------------------------------------------------

_WAITING = (
    "SELECT c.user_id, 'proposal' AS item, j.title AS job_title, NULL::text AS recruiter_name"
    " FROM ats.applications a JOIN ats.candidates c ON c.id = a.candidate_id JOIN ats.jobs j ON j.id = a.job_id"
    " WHERE a.stage = 'recruiter_proposed' AND c.user_id IS NOT NULL"
    " UNION ALL SELECT c.user_id, 'changes_requested', j.title, NULL"
    " FROM ats.applications a JOIN ats.candidates c ON c.id = a.candidate_id JOIN ats.jobs j ON j.id = a.job_id"
    " WHERE a.stage = 'recruiter_request' AND c.user_id IS NOT NULL"
    " UNION ALL SELECT c.user_id, 'pre_screen', j.title, NULL"
    " FROM ats.applications a JOIN ats.candidates c ON c.id = a.candidate_id JOIN ats.jobs j ON j.id = a.job_id"
    " WHERE a.stage = 'screen' AND c.user_id IS NOT NULL AND EXISTS (SELECT 1 FROM ats.job_pre_screen_questions q"
    "  WHERE q.job_id = a.job_id AND q.is_required AND NOT EXISTS (SELECT 1 FROM ats.application_pre_screen_answers"
    "  s WHERE s.application_id = a.id AND s.question_id = q.question_id))"
    " UNION ALL SELECT c.user_id, 'invitation', NULL, u.name"
    " FROM network.recruiter_candidates rc JOIN ats.candidates c ON c.id = rc.candidate_id"
    " JOIN network.recruiters r ON r.id = rc.recruiter_id JOIN identity.users u ON u.id = r.user_id"
    " WHERE rc.status = 'pending' AND rc.invitation_expires_at > %(now)s AND c.user_id IS NOT NULL"
)


async def candidate_reminder_due(conn: psycopg.AsyncConnection, period: str, now: datetime, limit: int
                                 ) -> list[UUID]:
    return await _ids(conn, (
        f"SELECT DISTINCT u.id FROM ({_WAITING}) w JOIN identity.users u ON u.id = w.user_id AND u.deleted_at IS NULL"
        f" WHERE {_wanted('candidate_reminder')} ORDER BY u.id LIMIT %(limit)s"),
        {"period": period, "now": now, "limit": limit})


async def candidate_waiting(conn: psycopg.AsyncConnection, user_id: UUID, now: datetime) -> list[dict[str, Any]]:
    """What waits on the candidate at `now`: proposals to accept or decline, changes requested, required
    pre-screen questions unanswered, and representation invitations still open."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"SELECT item, job_title, recruiter_name FROM ({_WAITING}) w WHERE w.user_id = %(user)s"
                      " ORDER BY item, job_title, recruiter_name LIMIT 100", {"user": user_id, "now": now})
    return list(await cur.fetchall())


# --- recruiter inactivity: active recruiters not seen for a while ------------------------------------------------

_IDLE = (
    "SELECT u.id AS user_id, coalesce(u.last_active_at, u.created_at) AS last_seen,"
    " (SELECT count(*) FROM ats.applications a WHERE (a.candidate_recruiter_id = r.id OR a.company_recruiter_id"
    "  = r.id) AND a.stage NOT IN ('hired', 'rejected', 'withdrawn', 'expired')) AS open_applications"
    " FROM network.recruiters r JOIN identity.users u ON u.id = r.user_id AND u.deleted_at IS NULL"
    " WHERE r.status = 'active' AND coalesce(u.last_active_at, u.created_at) <= %(since)s"
)


async def recruiter_inactivity_due(conn: psycopg.AsyncConnection, period: str, since: datetime, limit: int
                                   ) -> list[UUID]:
    """Active recruiters last seen (signed in, or registered) at or before `since`."""
    return await _ids(conn, f"SELECT DISTINCT i.user_id FROM ({_IDLE}) i"
                            f" WHERE {_wanted('recruiter_inactivity', 'i.user_id')} ORDER BY i.user_id LIMIT %(limit)s",
                      {"period": period, "since": since, "limit": limit})


async def recruiter_idle(conn: psycopg.AsyncConnection, user_id: UUID, since: datetime) -> dict[str, Any] | None:
    """The recruiter's last sighting and open applications, if they are still idle since `since`."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"SELECT last_seen, open_applications FROM ({_IDLE}) i WHERE i.user_id = %(user)s LIMIT 1",
                      {"user": user_id, "since": since})
    return await cur.fetchone()


async def is_recruiter(conn: psycopg.AsyncConnection, user_id: UUID) -> bool:
    cur = await conn.execute("SELECT 1 FROM network.recruiters WHERE user_id = %s LIMIT 1", (user_id,))
    return await cur.fetchone() is not None
