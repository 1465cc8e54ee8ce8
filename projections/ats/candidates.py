"""The `candidates` table: every candidate's profile with its privacy flags, marketplace visibility,
verification and owner. What a caller may see of a row is decided by the API (api/ats/policy.py)."""

from __future__ import annotations

from typing import get_args

from commands.ats.candidate_events import (
    CandidateArchived,
    CandidateCreated,
    CandidateMarketplaceVisibilityChanged,
    CandidatePrivacyChanged,
    CandidateProfileField,
    CandidateProfileUpdated,
    CandidateRestored,
    CandidateUserLinked,
    CandidateVerificationStatusChanged,
    PrivacyFlag,
)
from projections.ats.schema import ats
from projections.core import Sql

# One candidate per user account and (loosely) per email: checked before the command is sent, so
# neither is a unique index here (a read table never refuses an accepted event).
ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS candidates (
        id                       uuid PRIMARY KEY,
        user_id                  uuid,
        created_by_user_id       uuid NOT NULL,
        full_name                text NOT NULL,
        email                    text NOT NULL,
        phone                    text,
        location                 text,
        linkedin_url             text,
        github_url               text,
        portfolio_url            text,
        current_title            text,
        current_company          text,
        bio                      text,
        desired_salary_min_cents bigint,
        desired_salary_max_cents bigint,
        desired_job_type         text,
        open_to_remote           boolean NOT NULL,
        open_to_relocation       boolean NOT NULL,
        availability             text,
        marketplace_visibility   text NOT NULL,
        verification_status      text NOT NULL,
        show_email               boolean NOT NULL,
        show_phone               boolean NOT NULL,
        show_location            boolean NOT NULL,
        show_current_company     boolean NOT NULL,
        show_salary_expectations boolean NOT NULL,
        archived_at              timestamptz,
        created_at               timestamptz NOT NULL,
        updated_at               timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS candidates_user_idx ON candidates (user_id);
    CREATE INDEX IF NOT EXISTS candidates_email_idx ON candidates (lower(email));
    CREATE INDEX IF NOT EXISTS candidates_created_by_idx ON candidates (created_by_user_id, created_at DESC);
    CREATE INDEX IF NOT EXISTS candidates_browse_idx ON candidates (marketplace_visibility, created_at DESC, id);
    """
)

_CHANGEABLE = frozenset(get_args(CandidateProfileField)) | frozenset(get_args(PrivacyFlag))
_CREATED_COLUMNS = [name for name in CandidateCreated.model_fields if name not in ("candidate_id", "by", "at")]


@ats.handles(CandidateCreated)
def _(e: CandidateCreated) -> Sql:
    columns = ", ".join(_CREATED_COLUMNS)
    placeholders = ", ".join(f"%({c})s" for c in _CREATED_COLUMNS)
    return Sql(
        f"INSERT INTO candidates (id, {columns}, verification_status, created_at, updated_at)"
        f" VALUES (%(id)s, {placeholders}, 'unverified', %(at)s, %(at)s) ON CONFLICT (id) DO NOTHING",
        {**e.model_dump(include=set(_CREATED_COLUMNS)), "id": e.candidate_id, "at": e.at},
    )


def _changed(e: CandidateProfileUpdated | CandidatePrivacyChanged) -> Sql | None:
    changes = {k: v for k, v in e.changes.items() if k in _CHANGEABLE}
    if not changes:
        return None
    assignments = ", ".join(f"{column} = %({column})s" for column in sorted(changes))
    return Sql(f"UPDATE candidates SET {assignments}, updated_at = %(at)s WHERE id = %(id)s",
               {**changes, "id": e.candidate_id, "at": e.at})


ats.handles(CandidateProfileUpdated)(_changed)
ats.handles(CandidatePrivacyChanged)(_changed)


@ats.handles(CandidateMarketplaceVisibilityChanged)
def _(e: CandidateMarketplaceVisibilityChanged) -> Sql:
    return Sql("UPDATE candidates SET marketplace_visibility = %s, updated_at = %s WHERE id = %s",
               (e.to_visibility, e.at, e.candidate_id))


@ats.handles(CandidateVerificationStatusChanged)
def _(e: CandidateVerificationStatusChanged) -> Sql:
    return Sql("UPDATE candidates SET verification_status = %s, updated_at = %s WHERE id = %s",
               (e.to_status, e.at, e.candidate_id))


@ats.handles(CandidateUserLinked)
def _(e: CandidateUserLinked) -> Sql:
    return Sql("UPDATE candidates SET user_id = %s, updated_at = %s WHERE id = %s", (e.user_id, e.at, e.candidate_id))


@ats.handles(CandidateArchived)
def _(e: CandidateArchived) -> Sql:
    return Sql("UPDATE candidates SET archived_at = %s, updated_at = %s WHERE id = %s", (e.at, e.at, e.candidate_id))


@ats.handles(CandidateRestored)
def _(e: CandidateRestored) -> Sql:
    return Sql("UPDATE candidates SET archived_at = NULL, updated_at = %s WHERE id = %s", (e.at, e.candidate_id))
