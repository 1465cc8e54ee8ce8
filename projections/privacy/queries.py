"""Queries the erasure process runs over the event store's own tables (consumers/privacy/process.py)."""

from __future__ import annotations

from uuid import UUID

import psycopg


async def event_ids_of_streams(conn: psycopg.AsyncConnection, stream_ids: list[str]) -> list[UUID]:
    """The ids of every event recorded on these streams."""
    cur = await conn.execute("SELECT event_id FROM eventstore.events WHERE stream_id = ANY(%s)", (stream_ids,))
    return [row[0] for row in await cur.fetchall()]


async def engagement_mail_naming(conn: psycopg.AsyncConnection, application_ids: list[UUID],
                                 placement_ids: list[UUID]) -> list[UUID]:
    """The `EngagementMailDue` events whose email named the candidate of these applications, recorded on other
    people's engagement streams: the weekly digests of the weeks an application was made or moved in, to those
    who follow it (its recruiters, its company's members), and the aftercare check-ins of these placements (to
    their company's admins and credited recruiters)."""
    cur = await conn.execute("""
        WITH apps AS (SELECT * FROM ats.applications WHERE id = ANY(%(apps)s)),
        weeks AS (SELECT to_char(created_at AT TIME ZONE 'UTC', 'IYYY-"W"IW') AS period FROM apps
                  UNION SELECT to_char(h.at AT TIME ZONE 'UTC', 'IYYY-"W"IW') FROM ats.application_stage_history h
                   WHERE h.application_id = ANY(%(apps)s)),
        followers AS (
            SELECT r.user_id FROM apps a JOIN network.recruiters r
                ON r.id = a.candidate_recruiter_id OR r.id = a.company_recruiter_id
            UNION SELECT m.user_id FROM apps a JOIN ats.companies c ON c.id = a.company_id
                JOIN identity.memberships m ON m.organization_id = c.identity_organization_id
            UNION SELECT r.user_id FROM ats.placements p JOIN network.recruiters r ON r.id IN (
                p.candidate_recruiter_id, p.company_recruiter_id, p.job_owner_recruiter_id,
                p.candidate_sourcer_recruiter_id, p.company_sourcer_recruiter_id) WHERE p.id = ANY(%(placements)s))
        SELECT e.event_id FROM eventstore.events e
         WHERE e.stream_id = ANY(SELECT 'engagement-' || user_id FROM followers) AND e.type = 'EngagementMailDue'
           AND ((e.data->>'kind' = 'weekly_digest' AND e.data->>'period' IN (SELECT period FROM weeks))
                OR (e.data->>'kind' = 'aftercare'
                    AND split_part(e.data->>'period', '/', 1) = ANY(%(placement_texts)s)))""",
        {"apps": application_ids, "placements": placement_ids,
         "placement_texts": [str(p) for p in placement_ids]})
    return [row[0] for row in await cur.fetchall()]
