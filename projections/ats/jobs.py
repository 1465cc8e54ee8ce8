"""The `jobs` table of the ats read schema."""

from __future__ import annotations

from typing import get_args

from commands.ats.events import (
    EditableJobField,
    JobCreated,
    JobEarlyAccessEnded,
    JobEdited,
    JobOwnerChanged,
    JobStatusChanged,
)
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS jobs (
        id                     uuid PRIMARY KEY,
        company_id             uuid,
        source_firm_id         uuid,
        title                  text NOT NULL,
        department             text,
        location               text,
        recruiter_description  text,
        candidate_description  text,
        salary_min_cents       bigint,
        salary_max_cents       bigint,
        show_salary_range      boolean NOT NULL,
        fee_bps                integer NOT NULL,
        guarantee_days         integer NOT NULL,
        employment_type        text NOT NULL,
        commute_types          text[] NOT NULL,
        job_level              text,
        open_to_relocation     boolean NOT NULL,
        is_early_access        boolean NOT NULL,
        activates_at           timestamptz,
        closes_at              timestamptz,
        is_priority            boolean NOT NULL,
        job_owner_recruiter_id uuid,
        status                 text NOT NULL,
        created_by             text NOT NULL,
        created_at             timestamptz NOT NULL,
        updated_at             timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS jobs_status_created_idx ON jobs (status, created_at DESC, id);
    CREATE INDEX IF NOT EXISTS jobs_company_idx ON jobs (company_id, created_at DESC);
    """
)

_EDITABLE = frozenset(get_args(EditableJobField))
_CREATED_COLUMNS = [name for name in JobCreated.model_fields if name not in ("job_id", "at")]


@ats.handles(JobCreated)
def _(e: JobCreated) -> Sql:
    values = e.model_dump(include=set(_CREATED_COLUMNS))
    columns = ", ".join(_CREATED_COLUMNS)
    placeholders = ", ".join(f"%({c})s" for c in _CREATED_COLUMNS)
    return Sql(
        f"INSERT INTO jobs (id, {columns}, status, created_at, updated_at)"
        f" VALUES (%(id)s, {placeholders}, 'draft', %(at)s, %(at)s) ON CONFLICT (id) DO NOTHING",
        {"id": e.job_id, "at": e.at, **values},
    )


@ats.handles(JobEdited)
def _(e: JobEdited) -> Sql | None:
    changes = {k: v for k, v in e.changes.items() if k in _EDITABLE}
    if not changes:
        return None
    assignments = ", ".join(f"{column} = %({column})s" for column in sorted(changes))
    return Sql(
        f"UPDATE jobs SET {assignments}, updated_at = %(at)s WHERE id = %(id)s",
        {**changes, "id": e.job_id, "at": e.at},
    )


@ats.handles(JobStatusChanged)
def _(e: JobStatusChanged) -> Sql:
    return Sql("UPDATE jobs SET status = %s, updated_at = %s WHERE id = %s", (e.to_status, e.at, e.job_id))


@ats.handles(JobOwnerChanged)
def _(e: JobOwnerChanged) -> Sql:
    return Sql("UPDATE jobs SET job_owner_recruiter_id = %s, updated_at = %s WHERE id = %s",
               (e.to_recruiter_id, e.at, e.job_id))


@ats.handles(JobEarlyAccessEnded)
def _(e: JobEarlyAccessEnded) -> Sql:
    return Sql("UPDATE jobs SET is_early_access = false, updated_at = %s WHERE id = %s", (e.at, e.job_id))
