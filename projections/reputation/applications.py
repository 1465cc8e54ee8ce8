"""Applications as reputation sees them, and the waits for an answer they go through.

`applications` keeps per application what the counts need: its candidate recruiter and company, whether it
was a proposal and how that ended, when it first entered the pipeline, reached the company, was submitted and
hired, and whether it ended withdrawn or expired. `waits` keeps each time an application waited on a
recruiter (`recruiter_review`, or `screen` by a prescreen request naming the screening recruiter) or on the
company (`submitted`), and how many hours the waiting party took to move it — NULL when it left the stage
any other way (withdrawn by the candidate, expired, moved by an admin), which is not an answer.

Every statement sets values from the event (or keeps the first one), never adds to them: see `subjects`.
"""

from __future__ import annotations

from typing import Any

from commands.ats.application_events import (
    STAGE_EVENTS,
    ApplicationCreated,
    ApplicationExpired,
    ApplicationHired,
    ApplicationPrescreenRequested,
    ApplicationProposalAccepted,
    ApplicationProposalDeclined,
    ApplicationProposed,
    ApplicationReactivated,
    ApplicationSubmitted,
    ApplicationWithdrawn,
)
from projections.core import Sql
from projections.reputation.schema import reputation
from projections.reputation.subjects import recompute_companies, recompute_recruiters

reputation.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS applications (
        id                     uuid PRIMARY KEY,
        candidate_recruiter_id uuid,
        company_id             uuid,
        proposed               boolean NOT NULL,
        proposal_outcome       text,
        pipeline_at            timestamptz,
        received_at            timestamptz,
        submitted_at           timestamptz,
        hired_at               timestamptz,
        ended                  text,
        ended_from             text,
        created_at             timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS applications_recruiter_idx ON applications (candidate_recruiter_id);
    CREATE INDEX IF NOT EXISTS applications_company_idx ON applications (company_id);
    CREATE TABLE IF NOT EXISTS waits (
        application_id uuid NOT NULL,
        since          timestamptz NOT NULL,
        party          text NOT NULL,
        stage          text NOT NULL,
        subject_id     uuid NOT NULL,
        closed_at      timestamptz,
        hours          double precision,
        PRIMARY KEY (application_id, since, party)
    );
    CREATE INDEX IF NOT EXISTS waits_subject_idx ON waits (party, subject_id);
    """
)

# Entering any of these puts the application in the recruiter's pipeline (reliability counts it).
PIPELINE_STAGES = frozenset({"screen", "recruiter_review", "submitted", "company_review", "company_feedback",
                             "interview", "offer", "hired"})
# Entering any of these means the company has received the application.
RECEIVED_STAGES = frozenset({"submitted", "company_review", "company_feedback", "interview", "offer", "hired"})
# Who answers a wait, by the role of whoever moved the application.
_ANSWERING_PARTY = {"candidate_recruiter": "recruiter", "company_recruiter": "recruiter", "company": "company"}

_RECRUITERS_OF = ("SELECT candidate_recruiter_id FROM applications WHERE id = %(app)s"
                  " UNION ALL SELECT subject_id FROM waits WHERE application_id = %(app)s AND party = 'recruiter'")
_COMPANY_OF = "SELECT company_id FROM applications WHERE id = %(app)s"

_CLOSE_WAITS = (
    "UPDATE waits SET closed_at = %(at)s, hours = CASE WHEN party = %(answer)s::text"
    " THEN extract(epoch FROM %(at)s::timestamptz - since)::float8 / 3600 END"
    " WHERE application_id = %(app)s AND closed_at IS NULL AND stage = %(from)s"
)
_WAIT_ON_CANDIDATE_RECRUITER = (
    "INSERT INTO waits (application_id, since, party, stage, subject_id)"
    " SELECT id, %(at)s, 'recruiter', %(to)s, candidate_recruiter_id FROM applications"
    " WHERE id = %(app)s AND candidate_recruiter_id IS NOT NULL ON CONFLICT DO NOTHING"
)
_WAIT_ON_SCREENER = (
    "INSERT INTO waits (application_id, since, party, stage, subject_id)"
    " VALUES (%(app)s, %(at)s, 'recruiter', %(to)s, %(screener)s) ON CONFLICT DO NOTHING"
)
_WAIT_ON_COMPANY = (
    "INSERT INTO waits (application_id, since, party, stage, subject_id)"
    " SELECT id, %(at)s, 'company', %(to)s, company_id FROM applications"
    " WHERE id = %(app)s AND company_id IS NOT NULL ON CONFLICT DO NOTHING"
)

# What each kind of move records on the application, beyond the pipeline and reception stamps.
_FACTS: dict[type, list[str]] = {
    ApplicationSubmitted: ["submitted_at = coalesce(submitted_at, %(submitted_at)s)"],
    ApplicationHired: ["hired_at = coalesce(hired_at, %(at)s)"],
    ApplicationProposalAccepted: ["proposal_outcome = 'accepted'"],
    ApplicationProposalDeclined: ["proposal_outcome = 'declined'"],
    ApplicationWithdrawn: ["ended = 'withdrawn'", "ended_from = %(from)s"],
    ApplicationExpired: ["ended = 'expired'", "ended_from = %(from)s",
                         "proposal_outcome = CASE WHEN %(from)s = 'recruiter_proposed' THEN 'timed_out'"
                         " ELSE proposal_outcome END"],
    ApplicationReactivated: ["ended_from = CASE WHEN ended = 'expired' THEN NULL ELSE ended_from END",
                             "ended = CASE WHEN ended = 'expired' THEN NULL ELSE ended END"],
}


def _recompute(params: dict[str, Any], e: Any) -> list[Sql]:
    return [recompute_recruiters(_RECRUITERS_OF, params, e.at), recompute_companies(_COMPANY_OF, params, e.at)]


def _moved(e: Any) -> list[Sql]:
    """Every stage move: close the wait it answers (or ends), open the one it starts, stamp the application,
    recompute the people and company it concerns."""
    params: dict[str, Any] = {
        "app": e.application_id, "at": e.at, "from": e.from_stage, "to": e.to_stage,
        "answer": _ANSWERING_PARTY.get(getattr(e, "by_role", None) or ""),
        "submitted_at": getattr(e, "submitted_at", None),
        "screener": getattr(e, "company_recruiter_id", None),
    }
    out = [Sql(_CLOSE_WAITS, params)]
    if e.to_stage == "recruiter_review":
        out.append(Sql(_WAIT_ON_CANDIDATE_RECRUITER, params))
    elif isinstance(e, ApplicationPrescreenRequested) and e.company_recruiter_id is not None:
        out.append(Sql(_WAIT_ON_SCREENER, params))
    elif e.to_stage == "submitted":
        out.append(Sql(_WAIT_ON_COMPANY, params))
    sets = list(_FACTS.get(type(e), []))
    if e.to_stage in PIPELINE_STAGES:
        sets.append("pipeline_at = coalesce(pipeline_at, %(at)s)")
    if e.to_stage in RECEIVED_STAGES:
        sets.append("received_at = coalesce(received_at, %(at)s)")
    if sets:
        out.append(Sql(f"UPDATE applications SET {', '.join(sets)} WHERE id = %(app)s", params))
    return out + _recompute(params, e)


for _event in STAGE_EVENTS:
    reputation.handles(_event)(_moved)


def _started(application_id: Any, recruiter_id: Any, company_id: Any, proposed: bool, e: Any) -> list[Sql]:
    params = {"app": application_id}
    insert = Sql(
        "INSERT INTO applications (id, candidate_recruiter_id, company_id, proposed, created_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET proposed = applications.proposed OR"
        " EXCLUDED.proposed, candidate_recruiter_id = coalesce(applications.candidate_recruiter_id,"
        " EXCLUDED.candidate_recruiter_id)",
        (application_id, recruiter_id, company_id, proposed, e.at),
    )
    return [insert, recompute_recruiters(_RECRUITERS_OF, params, e.at)]


@reputation.handles(ApplicationCreated)
def _(e: ApplicationCreated) -> list[Sql]:
    return _started(e.application_id, e.candidate_recruiter_id, e.company_id, e.stage == "recruiter_proposed", e)


@reputation.handles(ApplicationProposed)
def _(e: ApplicationProposed) -> list[Sql]:
    return _started(e.application_id, e.candidate_recruiter_id, e.company_id, True, e)
