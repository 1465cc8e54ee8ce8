"""Every schedule: what comes due with time, found in the read models, and the command that records it."""

from __future__ import annotations

from commands.ats import job as jobs
from commands.identity import invitation as invitations
from commands.network import firm as firms
from commands.network import recruiter_candidate as rtr
from consumers.ai.schedules import ai_schedules
from consumers.ats.schedules import ats_schedules
from consumers.billing.schedules import billing_schedules
from consumers.notifications.schedules import engagement_schedules
from adapters.system import System
from consumers.privacy.schedules import RetentionPeriods, retention_schedules
from consumers.reactors import all_reactors
from consumers.runtime.dead_letter_retention import DeadLetterQueues
from consumers.runtime.scheduler import Schedule, deadline_schedule
from consumers.runtime.topology import topology_of
from projections.ats import queries as ats_queries
from projections.identity import queries as identity_queries
from projections.network import queries as network_queries

BY = "scheduler"


def all_schedules() -> list[Schedule]:
    return [
        deadline_schedule(
            "invitation-expiry",
            identity_queries.INVITATIONS_DUE,
            invitations.invitation,
            lambda row, now: invitations.ExpireInvitation(invitation_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "recruiter-candidate-invitation-expiry",
            network_queries.CANDIDATE_INVITATIONS_DUE,
            rtr.recruiter_candidate,
            lambda row, now: rtr.ExpireCandidateInvitation(relationship_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "recruiter-candidate-expiry",
            network_queries.RECRUITER_CANDIDATES_ENDING,
            rtr.recruiter_candidate,
            lambda row, now: rtr.ExpireRecruiterCandidate(relationship_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "firm-invitation-expiry",
            network_queries.FIRM_INVITATIONS_DUE,
            firms.firm,
            lambda row, now: firms.ExpireFirmInvitation(firm_id=row[0], invitation_id=row[2], by=BY, at=now),
        ),
        deadline_schedule(
            "job-early-access",
            ats_queries.JOBS_LEAVING_EARLY_ACCESS,
            jobs.job,
            lambda row, now: jobs.EndJobEarlyAccess(job_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "job-closing",
            ats_queries.JOBS_PAST_CLOSING,
            jobs.job,
            lambda row, now: jobs.CloseJobPastClosingDate(job_id=row[0], by=BY, at=now),
        ),
        *ats_schedules(),
        *billing_schedules(),
        *ai_schedules(),
        *engagement_schedules(),
    ]


def retention_schedules_of(system: System) -> list[Schedule]:
    """The retention schedules of a running system, from its settings (the scheduler process's)."""
    settings = system.settings
    dead_letters = None
    if settings.rabbitmq_url:
        dead_letters = DeadLetterQueues(settings.rabbitmq_url, topology_of(system), [r.name for r in all_reactors()])
    return retention_schedules(RetentionPeriods.from_settings(settings), system.store.keyring, system.adapters.storage,
                               dead_letters)
