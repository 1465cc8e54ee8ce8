"""The `applications` table (one row per application, its stage and what the pipeline recorded on it) and
`application_stage_history` (one row per stage move, from the events in `STAGE_EVENTS`).

Every stage event carries `from_stage` and `to_stage`, so one rule keeps the stage; each event adds what
only it records. Idleness follows the decider: every event but the scheduler's own (warning, expiry)
restarts the idle clock, and a move back to draft clears the AI review.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commands.ats.application_events import (
    STAGE_EVENTS,
    ApplicationAIReviewed,
    ApplicationAIReviewFailed,
    ApplicationCreated,
    ApplicationExpired,
    ApplicationExpiryWarned,
    ApplicationHired,
    ApplicationOfferAccepted,
    ApplicationPrescreenRequested,
    ApplicationProposalAccepted,
    ApplicationProposalDeclined,
    ApplicationProposed,
    ApplicationReactivated,
    ApplicationSubmitted,
)
from commands.core import Event
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS applications (
        id                     uuid PRIMARY KEY,
        job_id                 uuid NOT NULL,
        candidate_id           uuid NOT NULL,
        company_id             uuid,
        source                 text NOT NULL,
        candidate_recruiter_id uuid,
        company_recruiter_id   uuid,
        stage                  text NOT NULL,
        stage_before_expiry    text,
        proposal               text,
        pitch                  text,
        proposal_notes         text,
        cover_letter           text,
        submitted_at           timestamptz,
        ai_review_id           uuid,
        ai_reviewed            boolean NOT NULL DEFAULT false,
        needs_improvement      boolean NOT NULL DEFAULT false,
        accepted_by_candidate  boolean NOT NULL DEFAULT false,
        offer_accepted_at      timestamptz,
        placement_id           uuid,
        salary_cents           bigint,
        start_date             date,
        hired_at               timestamptz,
        expiry_warned_at       timestamptz,
        expires_at             timestamptz,
        last_activity_at       timestamptz NOT NULL,
        created_by             text NOT NULL,
        created_at             timestamptz NOT NULL,
        updated_at             timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS applications_job_idx ON applications (job_id, created_at DESC);
    CREATE INDEX IF NOT EXISTS applications_candidate_idx ON applications (candidate_id, created_at DESC);
    CREATE INDEX IF NOT EXISTS applications_company_stage_idx ON applications (company_id, stage);
    CREATE INDEX IF NOT EXISTS applications_candidate_recruiter_idx ON applications (candidate_recruiter_id);
    CREATE INDEX IF NOT EXISTS applications_company_recruiter_idx ON applications (company_recruiter_id);

    CREATE TABLE IF NOT EXISTS application_stage_history (
        application_id uuid NOT NULL,
        seq            integer NOT NULL,
        event_type     text NOT NULL,
        from_stage     text NOT NULL,
        to_stage       text NOT NULL,
        by             text NOT NULL,
        by_role        text NOT NULL,
        reason         text,
        at             timestamptz NOT NULL,
        PRIMARY KEY (application_id, seq)
    );
    -- the engagement mail reads a week's or a month's moves (projections/notifications/engagement_queries.py)
    CREATE INDEX IF NOT EXISTS application_stage_history_at_idx ON application_stage_history (at);
    """
)

_INSERT_COLUMNS = (
    "id", "job_id", "candidate_id", "company_id", "source", "candidate_recruiter_id", "company_recruiter_id",
    "stage", "proposal", "pitch", "proposal_notes", "cover_letter", "last_activity_at", "created_by", "created_at",
    "updated_at",
)
_INSERT = (
    f"INSERT INTO applications ({', '.join(_INSERT_COLUMNS)})"
    f" VALUES ({', '.join(f'%({c})s' for c in _INSERT_COLUMNS)}) ON CONFLICT (id) DO NOTHING"
)


@ats.handles(ApplicationCreated)
def _(e: ApplicationCreated) -> Sql:
    return Sql(_INSERT, {
        "id": e.application_id, "job_id": e.job_id, "candidate_id": e.candidate_id, "company_id": e.company_id,
        "source": e.source, "candidate_recruiter_id": e.candidate_recruiter_id,
        "company_recruiter_id": e.company_recruiter_id, "stage": e.stage, "proposal": None, "pitch": None,
        "proposal_notes": None, "cover_letter": e.cover_letter, "last_activity_at": e.at, "created_by": e.created_by,
        "created_at": e.at, "updated_at": e.at,
    })


@ats.handles(ApplicationProposed)
def _(e: ApplicationProposed) -> Sql:
    return Sql(_INSERT, {
        "id": e.application_id, "job_id": e.job_id, "candidate_id": e.candidate_id, "company_id": e.company_id,
        "source": "recruiter", "candidate_recruiter_id": e.candidate_recruiter_id, "company_recruiter_id": None,
        "stage": e.stage, "proposal": "pending", "pitch": e.pitch, "proposal_notes": e.notes, "cover_letter": None,
        "last_activity_at": e.at, "created_by": e.proposed_by, "created_at": e.at, "updated_at": e.at,
    })


@ats.handles(ApplicationOfferAccepted)
def _(e: ApplicationOfferAccepted) -> Sql:
    return Sql(
        "UPDATE applications SET accepted_by_candidate = true, offer_accepted_at = %(at)s,"
        " last_activity_at = %(at)s, updated_at = %(at)s WHERE id = %(id)s",
        {"id": e.application_id, "at": e.at},
    )


@ats.handles(ApplicationExpiryWarned)
def _(e: ApplicationExpiryWarned) -> Sql:
    # The scheduler's own event: not activity, so the idle clock keeps running.
    return Sql(
        "UPDATE applications SET expiry_warned_at = %s, expires_at = %s, updated_at = %s WHERE id = %s",
        (e.at, e.expires_at, e.at, e.application_id),
    )


# What each stage event records besides the move itself.
_EXTRA: dict[type[Event], Callable[[Any], dict[str, Any]]] = {
    ApplicationProposalAccepted: lambda e: {"proposal": "accepted"},
    ApplicationProposalDeclined: lambda e: {"proposal": "declined"},
    ApplicationAIReviewed: lambda e: {"ai_reviewed": True, "needs_improvement": e.needs_improvement,
                                      "ai_review_id": e.review_id},
    ApplicationAIReviewFailed: lambda e: {} if e.review_id is None else {"ai_review_id": e.review_id},
    ApplicationSubmitted: lambda e: {"submitted_at": e.submitted_at},
    ApplicationPrescreenRequested: lambda e: {"company_recruiter_id": e.company_recruiter_id},
    ApplicationHired: lambda e: {"placement_id": e.placement_id, "salary_cents": e.salary_cents,
                                 "start_date": e.start_date, "hired_at": e.at},
    ApplicationExpired: lambda e: {"stage_before_expiry": e.from_stage},
    ApplicationReactivated: lambda e: {"stage_before_expiry": None, "expiry_warned_at": None, "expires_at": None},
}


def _moved(e: Any) -> list[Sql]:
    kind = type(e)
    changes: dict[str, Any] = {"stage": e.to_stage, "updated_at": e.at, **_EXTRA.get(kind, lambda _: {})(e)}
    if kind is not ApplicationExpired:
        changes["last_activity_at"] = e.at
    if e.to_stage == "draft":  # a draft is reviewed again before it is submitted
        changes |= {"ai_reviewed": False, "needs_improvement": False}
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    # A pre-screen request's message is its reason; the other moves that have a reason call it so.
    reason = e.message if kind is ApplicationPrescreenRequested else getattr(e, "reason", None)
    return [
        Sql(f"UPDATE applications SET {assignments} WHERE id = %(application_id)s",
            {**changes, "application_id": e.application_id}),
        Sql(
            "INSERT INTO application_stage_history"
            " (application_id, seq, event_type, from_stage, to_stage, by, by_role, reason, at)"
            " SELECT %(application_id)s, coalesce(max(seq), 0) + 1, %(event_type)s, %(from_stage)s, %(to_stage)s,"
            " %(by)s, %(by_role)s, %(reason)s, %(at)s"
            " FROM application_stage_history WHERE application_id = %(application_id)s",
            {"application_id": e.application_id, "event_type": kind.type_name(), "from_stage": e.from_stage,
             "to_stage": e.to_stage, "by": e.by, "by_role": getattr(e, "by_role", "system"), "reason": reason,
             "at": e.at},
        ),
    ]


for _stage_event in STAGE_EVENTS:
    ats.handles(_stage_event)(_moved)
