"""Jobs posted and the applications' milestones: `jobs_posted` and `applications`.

A job is posted when it first moves to active (a job starts as a draft; pausing and reactivating it, or
reopening it, does not post it again). An application counts on the day it was created — by or for the
candidate (`ApplicationCreated`) or proposed to them by a recruiter (`ApplicationProposed`) — as a submission
on the day of its first submission (`submitted_at`, which the decider never moves), and as a hire on the day
of its hire. Each milestone is kept as the earliest time seen (`least`), so the rows depend neither on how
often nor in what order the events are applied.
"""

from __future__ import annotations

from commands.ats.application_events import (
    ApplicationCreated,
    ApplicationHired,
    ApplicationPrescreenRequested,
    ApplicationProposed,
    ApplicationSubmitted,
)
from commands.ats.events import JobStatusChanged
from projections.core import Sql
from projections.metrics.activity import active, utc_day
from projections.metrics.schema import metrics

metrics.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS jobs_posted (
        job_id    uuid PRIMARY KEY,
        posted_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS jobs_posted_at_idx ON jobs_posted (posted_at);
    CREATE TABLE IF NOT EXISTS applications (
        id                     uuid PRIMARY KEY,
        created_at             timestamptz,
        candidate_recruiter_id uuid,
        company_recruiter_id   uuid,
        submitted_at           timestamptz,
        hired_at               timestamptz
    );
    CREATE INDEX IF NOT EXISTS applications_created_idx ON applications (created_at);
    CREATE INDEX IF NOT EXISTS applications_submitted_idx ON applications (submitted_at);
    CREATE INDEX IF NOT EXISTS applications_hired_idx ON applications (hired_at);
    """
)

# An application's recruiters are set once: the candidate's at creation, the company's at creation or by the
# first pre-screen request ("a recruiter already on the application keeps it"), hence `coalesce`. So a
# submission's recruiter read from this row is the same whenever the submission is applied.
_CREATED = (
    "INSERT INTO applications (id, created_at, candidate_recruiter_id, company_recruiter_id)"
    " VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
    " created_at = least(applications.created_at, EXCLUDED.created_at),"
    " candidate_recruiter_id = coalesce(applications.candidate_recruiter_id, EXCLUDED.candidate_recruiter_id),"
    " company_recruiter_id = coalesce(applications.company_recruiter_id, EXCLUDED.company_recruiter_id)"
)
_SUBMITTER = {
    role: f"INSERT INTO recruiter_days (day, recruiter_id) SELECT %s, {role}_id FROM applications"
          f" WHERE id = %s AND {role}_id IS NOT NULL ON CONFLICT DO NOTHING"
    for role in ("candidate_recruiter", "company_recruiter")
}


@metrics.handles(JobStatusChanged)
def _(e: JobStatusChanged) -> Sql | None:
    if e.to_status != "active":
        return None
    return Sql(
        "INSERT INTO jobs_posted (job_id, posted_at) VALUES (%s, %s) ON CONFLICT (job_id) DO UPDATE SET"
        " posted_at = least(jobs_posted.posted_at, EXCLUDED.posted_at)",
        (e.job_id, e.at),
    )


@metrics.handles(ApplicationCreated)
def _(e: ApplicationCreated) -> list[Sql]:
    return _created(e)


@metrics.handles(ApplicationProposed)
def _(e: ApplicationProposed) -> list[Sql]:
    return _created(e)


def _created(e: ApplicationCreated | ApplicationProposed) -> list[Sql]:
    company_recruiter_id = getattr(e, "company_recruiter_id", None)
    row = Sql(_CREATED, (e.application_id, e.at, e.candidate_recruiter_id, company_recruiter_id))
    recruiters = active(e.at, (e.candidate_recruiter_id, company_recruiter_id))
    return [row] if recruiters is None else [row, recruiters]


@metrics.handles(ApplicationPrescreenRequested)
def _(e: ApplicationPrescreenRequested) -> Sql | None:
    if e.company_recruiter_id is None:
        return None
    return Sql(
        "INSERT INTO applications (id, company_recruiter_id) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET"
        " company_recruiter_id = coalesce(applications.company_recruiter_id, EXCLUDED.company_recruiter_id)",
        (e.application_id, e.company_recruiter_id),
    )


@metrics.handles(ApplicationSubmitted)
def _(e: ApplicationSubmitted) -> list[Sql]:
    statements = [Sql(
        "INSERT INTO applications (id, submitted_at) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET"
        " submitted_at = least(applications.submitted_at, EXCLUDED.submitted_at)",
        (e.application_id, e.submitted_at),
    )]
    if e.by_role in _SUBMITTER:
        statements.append(Sql(_SUBMITTER[e.by_role], (utc_day(e.at), e.application_id)))
    return statements


@metrics.handles(ApplicationHired)
def _(e: ApplicationHired) -> Sql:
    return Sql(
        "INSERT INTO applications (id, hired_at) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET"
        " hired_at = least(applications.hired_at, EXCLUDED.hired_at)",
        (e.application_id, e.at),
    )
