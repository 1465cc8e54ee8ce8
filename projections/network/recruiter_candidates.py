"""Recruiter–candidate relationships (rights to represent). One row per pair: a new round of
invitation on an ended pair resets the row, as it does the stream.

Only the SHA-256 digest of the current invitation token is kept (the events hold nothing else), and an
invitation is looked up by that digest.
"""

from __future__ import annotations

from commands.network.events import (
    RecruiterCandidateConsentDeclined,
    RecruiterCandidateConsentGiven,
    RecruiterCandidateExpired,
    RecruiterCandidateInvitationCancelled,
    RecruiterCandidateInvitationExpired,
    RecruiterCandidateInvitationResent,
    RecruiterCandidateInvited,
    RecruiterCandidateTerminated,
)
from projections.core import Sql
from projections.network.schema import network

network.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS recruiter_candidates (
        id                      uuid PRIMARY KEY,
        recruiter_id            uuid NOT NULL,
        candidate_id            uuid NOT NULL,
        status                  text NOT NULL,
        invitation_id           uuid NOT NULL,
        token_digest            text NOT NULL,
        invited_by              text NOT NULL,
        invited_at              timestamptz NOT NULL,
        invitation_expires_at   timestamptz NOT NULL,
        consent_given_at        timestamptz,
        consent_user_id         uuid,
        consent_ip_address      text,
        consent_user_agent      text,
        declined_at             timestamptz,
        decline_reason          text,
        relationship_start_date timestamptz,
        relationship_end_date   timestamptz,
        terminated_by           text,
        termination_reason      text,
        created_at              timestamptz NOT NULL,
        updated_at              timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS recruiter_candidates_recruiter_idx ON recruiter_candidates (recruiter_id, created_at DESC);
    CREATE INDEX IF NOT EXISTS recruiter_candidates_candidate_idx ON recruiter_candidates (candidate_id);
    CREATE INDEX IF NOT EXISTS recruiter_candidates_token_idx ON recruiter_candidates (token_digest);
    CREATE INDEX IF NOT EXISTS recruiter_candidates_pending_idx ON recruiter_candidates (invitation_expires_at)
        WHERE status = 'pending';
    CREATE INDEX IF NOT EXISTS recruiter_candidates_active_idx ON recruiter_candidates (relationship_end_date)
        WHERE status = 'active';
    """
)


@network.handles(RecruiterCandidateInvited)
def _(e: RecruiterCandidateInvited) -> Sql:
    return Sql(
        """INSERT INTO recruiter_candidates (id, recruiter_id, candidate_id, status, invitation_id, token_digest,
               invited_by, invited_at, invitation_expires_at, created_at, updated_at)
           VALUES (%(id)s, %(recruiter_id)s, %(candidate_id)s, 'pending', %(invitation_id)s, %(digest)s, %(by)s,
                   %(at)s, %(expires)s, %(at)s, %(at)s)
           ON CONFLICT (id) DO UPDATE SET
               status = 'pending', invitation_id = EXCLUDED.invitation_id, token_digest = EXCLUDED.token_digest,
               invited_by = EXCLUDED.invited_by, invited_at = EXCLUDED.invited_at,
               invitation_expires_at = EXCLUDED.invitation_expires_at, consent_given_at = NULL,
               consent_user_id = NULL, consent_ip_address = NULL, consent_user_agent = NULL, declined_at = NULL,
               decline_reason = NULL, relationship_start_date = NULL, relationship_end_date = NULL,
               terminated_by = NULL, termination_reason = NULL, updated_at = EXCLUDED.updated_at""",
        {"id": e.relationship_id, "recruiter_id": e.recruiter_id, "candidate_id": e.candidate_id,
         "invitation_id": e.invitation_id, "digest": e.token_digest, "by": e.by, "at": e.at,
         "expires": e.invitation_expires_at},
    )


@network.handles(RecruiterCandidateInvitationResent)
def _(e: RecruiterCandidateInvitationResent) -> Sql:
    return Sql(
        "UPDATE recruiter_candidates SET status = 'pending', invitation_id = %s, token_digest = %s, invited_at = %s,"
        " invitation_expires_at = %s, updated_at = %s WHERE id = %s",
        (e.invitation_id, e.token_digest, e.at, e.invitation_expires_at, e.at, e.relationship_id),
    )


@network.handles(RecruiterCandidateInvitationCancelled)
def _(e: RecruiterCandidateInvitationCancelled) -> Sql:
    return Sql("UPDATE recruiter_candidates SET status = 'cancelled', updated_at = %s WHERE id = %s",
               (e.at, e.relationship_id))


@network.handles(RecruiterCandidateInvitationExpired)
def _(e: RecruiterCandidateInvitationExpired) -> Sql:
    return Sql("UPDATE recruiter_candidates SET status = 'invitation_expired', updated_at = %s WHERE id = %s",
               (e.at, e.relationship_id))


@network.handles(RecruiterCandidateConsentGiven)
def _(e: RecruiterCandidateConsentGiven) -> Sql:
    return Sql(
        "UPDATE recruiter_candidates SET status = 'active', consent_given_at = %s, consent_user_id = %s,"
        " consent_ip_address = %s, consent_user_agent = %s, relationship_start_date = %s,"
        " relationship_end_date = %s, updated_at = %s WHERE id = %s",
        (e.at, e.user_id, e.ip_address, e.user_agent, e.relationship_start_date, e.relationship_end_date, e.at,
         e.relationship_id),
    )


@network.handles(RecruiterCandidateConsentDeclined)
def _(e: RecruiterCandidateConsentDeclined) -> Sql:
    return Sql(
        "UPDATE recruiter_candidates SET status = 'declined', declined_at = %s, decline_reason = %s, updated_at = %s"
        " WHERE id = %s", (e.at, e.reason, e.at, e.relationship_id),
    )


@network.handles(RecruiterCandidateTerminated)
def _(e: RecruiterCandidateTerminated) -> Sql:
    return Sql(
        "UPDATE recruiter_candidates SET status = 'terminated', relationship_end_date = %s, terminated_by = %s,"
        " termination_reason = %s, updated_at = %s WHERE id = %s",
        (e.at, e.terminated_by, e.reason, e.at, e.relationship_id),
    )


@network.handles(RecruiterCandidateExpired)
def _(e: RecruiterCandidateExpired) -> Sql:
    return Sql("UPDATE recruiter_candidates SET status = 'expired', updated_at = %s WHERE id = %s",
               (e.at, e.relationship_id))
