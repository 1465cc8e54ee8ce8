"""Every schedule: what comes due with time, found in the read models, and the command that records it."""

from __future__ import annotations

from commands.ats import job as jobs
from commands.identity import invitation as invitations
from commands.network import firm as firms
from commands.network import recruiter_candidate as rtr
from consumers.ai.schedules import ai_schedules
from consumers.ats.schedules import ats_schedules
from consumers.billing.schedules import billing_schedules
from adapters.system import System
from consumers.privacy.schedules import RetentionPeriods, retention_schedules
from consumers.reactors import all_reactors
from consumers.runtime.dead_letter_retention import DeadLetterQueues
from consumers.runtime.scheduler import Schedule, deadline_schedule
from consumers.runtime.topology import topology_of

BY = "scheduler"


def all_schedules() -> list[Schedule]:
    return [
        deadline_schedule(
            "invitation-expiry",
            "SELECT id, expires_at FROM identity.invitations WHERE status = 'pending' AND expires_at <= %(now)s"
            " ORDER BY expires_at LIMIT %(limit)s",
            invitations.invitation,
            lambda row, now: invitations.ExpireInvitation(invitation_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "recruiter-candidate-invitation-expiry",
            "SELECT id, invitation_expires_at FROM network.recruiter_candidates"
            " WHERE status = 'pending' AND invitation_expires_at <= %(now)s"
            " ORDER BY invitation_expires_at LIMIT %(limit)s",
            rtr.recruiter_candidate,
            lambda row, now: rtr.ExpireCandidateInvitation(relationship_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "recruiter-candidate-expiry",
            "SELECT id, relationship_end_date FROM network.recruiter_candidates"
            " WHERE status = 'active' AND relationship_end_date <= %(now)s"
            " ORDER BY relationship_end_date LIMIT %(limit)s",
            rtr.recruiter_candidate,
            lambda row, now: rtr.ExpireRecruiterCandidate(relationship_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "firm-invitation-expiry",
            "SELECT firm_id, expires_at, id FROM network.firm_invitations"
            " WHERE status = 'pending' AND expires_at <= %(now)s ORDER BY expires_at LIMIT %(limit)s",
            firms.firm,
            lambda row, now: firms.ExpireFirmInvitation(firm_id=row[0], invitation_id=row[2], by=BY, at=now),
        ),
        deadline_schedule(
            "job-early-access",
            "SELECT id, activates_at FROM ats.jobs WHERE is_early_access AND activates_at <= %(now)s"
            " ORDER BY activates_at LIMIT %(limit)s",
            jobs.job,
            lambda row, now: jobs.EndJobEarlyAccess(job_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "job-closing",
            "SELECT id, closes_at FROM ats.jobs WHERE status IN ('active', 'paused') AND closes_at <= %(now)s"
            " ORDER BY closes_at LIMIT %(limit)s",
            jobs.job,
            lambda row, now: jobs.CloseJobPastClosingDate(job_id=row[0], by=BY, at=now),
        ),
        *ats_schedules(),
        *billing_schedules(),
        *ai_schedules(),
    ]


def retention_schedules_of(system: System) -> list[Schedule]:
    """The retention schedules of a running system, from its settings (the scheduler process's)."""
    settings = system.settings
    dead_letters = None
    if settings.rabbitmq_url:
        dead_letters = DeadLetterQueues(settings.rabbitmq_url, topology_of(system), [r.name for r in all_reactors()])
    return retention_schedules(RetentionPeriods.from_settings(settings), system.store.keyring, system.adapters.storage,
                               dead_letters)
