"""Every schedule: what comes due with time, found in the read models, and the command that records it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg

from commands.ats import job as jobs
from commands.identity import invitation as invitations
from commands.network import firm as firms
from commands.network import recruiter_candidate as rtr
from consumers.ats_schedules import ats_schedules
from consumers.scheduler import Due, Schedule

BATCH = 500  # at most this many of one schedule per pass; the next pass takes the rest


async def _expired_invitations(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
    cur = await conn.execute(
        "SELECT id, expires_at FROM identity.invitations WHERE status = 'pending' AND expires_at <= %s"
        " ORDER BY expires_at LIMIT %s", (now, BATCH))
    return [
        Due(invitations.invitation, invitation_id,
            invitations.ExpireInvitation(invitation_id=invitation_id, by="scheduler", at=now),
            f"{invitation_id}:{expires_at.isoformat()}")
        for invitation_id, expires_at in await cur.fetchall()
    ]


async def _early_access_over(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
    cur = await conn.execute(
        "SELECT id, activates_at FROM ats.jobs WHERE is_early_access AND activates_at <= %s"
        " ORDER BY activates_at LIMIT %s", (now, BATCH))
    return [
        Due(jobs.job, job_id, jobs.EndJobEarlyAccess(job_id=job_id, by="scheduler", at=now),
            f"{job_id}:{activates_at.isoformat()}")
        for job_id, activates_at in await cur.fetchall()
    ]


async def _closing_date_passed(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
    cur = await conn.execute(
        "SELECT id, closes_at FROM ats.jobs WHERE status IN ('active', 'paused') AND closes_at <= %s"
        " ORDER BY closes_at LIMIT %s", (now, BATCH))
    return [
        Due(jobs.job, job_id, jobs.CloseJobPastClosingDate(job_id=job_id, by="scheduler", at=now),
            f"{job_id}:{closes_at.isoformat()}")
        for job_id, closes_at in await cur.fetchall()
    ]


# --- network ------------------------------------------------------------------------------------------

async def _candidate_invitations_lapsed(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
    cur = await conn.execute(
        "SELECT id, invitation_expires_at FROM network.recruiter_candidates"
        " WHERE status = 'pending' AND invitation_expires_at <= %s ORDER BY invitation_expires_at LIMIT %s",
        (now, BATCH))
    return [
        Due(rtr.recruiter_candidate, relationship_id,
            rtr.ExpireCandidateInvitation(relationship_id=relationship_id, by="scheduler", at=now),
            f"{relationship_id}:{expires_at.isoformat()}")
        for relationship_id, expires_at in await cur.fetchall()
    ]


async def _representation_ended(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
    cur = await conn.execute(
        "SELECT id, relationship_end_date FROM network.recruiter_candidates"
        " WHERE status = 'active' AND relationship_end_date <= %s ORDER BY relationship_end_date LIMIT %s",
        (now, BATCH))
    return [
        Due(rtr.recruiter_candidate, relationship_id,
            rtr.ExpireRecruiterCandidate(relationship_id=relationship_id, by="scheduler", at=now),
            f"{relationship_id}:{end.isoformat()}")
        for relationship_id, end in await cur.fetchall()
    ]


async def _firm_invitations_lapsed(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
    cur = await conn.execute(
        "SELECT firm_id, id, expires_at FROM network.firm_invitations WHERE status = 'pending' AND expires_at <= %s"
        " ORDER BY expires_at LIMIT %s", (now, BATCH))
    return [
        Due(firms.firm, firm_id, firms.ExpireFirmInvitation(firm_id=firm_id, invitation_id=invitation_id,
                                                            by="scheduler", at=now),
            f"{invitation_id}:{expires_at.isoformat()}")
        for firm_id, invitation_id, expires_at in await cur.fetchall()
    ]


def all_schedules() -> list[Schedule]:
    return [
        Schedule("invitation-expiry", _expired_invitations),
        Schedule("recruiter-candidate-invitation-expiry", _candidate_invitations_lapsed),
        Schedule("recruiter-candidate-expiry", _representation_ended),
        Schedule("firm-invitation-expiry", _firm_invitations_lapsed),
        Schedule("job-early-access", _early_access_over),
        Schedule("job-closing", _closing_date_passed),
        *ats_schedules(),
    ]
