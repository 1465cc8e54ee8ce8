"""Recruiters and their marketplace profiles.

`user_id` is kept (the recruiter id is derived from it, not the other way round) so that the access
context can find a user's recruiter and the cache eviction a recruiter's user.
"""

from __future__ import annotations

from typing import get_args

from commands.network.events import (
    RecruiterCreated,
    RecruiterProfileField,
    RecruiterProfileUpdated,
    RecruiterStatusChanged,
)
from projections.core import Sql
from projections.network.schema import network

network.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS recruiters (
        id                     uuid PRIMARY KEY,
        user_id                uuid NOT NULL,
        status                 text NOT NULL,
        slug                   text,
        bio                    text,
        tagline                text,
        location               text,
        years_experience       integer,
        industries             text[] NOT NULL,
        specialties            text[] NOT NULL,
        phone                  text,
        marketplace_enabled    boolean NOT NULL,
        marketplace_visibility text NOT NULL,
        show_success_metrics   boolean NOT NULL,
        show_contact_info      boolean NOT NULL,
        candidate_recruiter    boolean NOT NULL,
        company_recruiter      boolean NOT NULL,
        created_at             timestamptz NOT NULL,
        updated_at             timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS recruiters_user_idx ON recruiters (user_id);
    CREATE INDEX IF NOT EXISTS recruiters_slug_idx ON recruiters (slug);
    CREATE INDEX IF NOT EXISTS recruiters_marketplace_idx ON recruiters (created_at DESC, id)
        WHERE marketplace_enabled AND status = 'active';
    """
)

_PROFILE = get_args(RecruiterProfileField)
# Columns without an "unset" value: the decider never clears them, and a projection never fails on data.
_NOT_NULL = frozenset({"industries", "specialties", "marketplace_enabled", "marketplace_visibility",
                       "show_success_metrics", "show_contact_info", "candidate_recruiter", "company_recruiter"})
_CREATED = ("user_id", "status", *_PROFILE)


@network.handles(RecruiterCreated)
def _(e: RecruiterCreated) -> Sql:
    columns = ", ".join(_CREATED)
    placeholders = ", ".join(f"%({c})s" for c in _CREATED)
    return Sql(
        f"INSERT INTO recruiters (id, {columns}, created_at, updated_at)"
        f" VALUES (%(id)s, {placeholders}, %(at)s, %(at)s) ON CONFLICT (id) DO NOTHING",
        {"id": e.recruiter_id, "at": e.at, **e.model_dump(include=set(_CREATED))},
    )


@network.handles(RecruiterProfileUpdated)
def _(e: RecruiterProfileUpdated) -> Sql | None:
    changes = {k: v for k, v in e.changes.items() if k in _PROFILE and not (v is None and k in _NOT_NULL)}
    if not changes:
        return None
    assignments = ", ".join(f"{column} = %({column})s" for column in sorted(changes))
    return Sql(f"UPDATE recruiters SET {assignments}, updated_at = %(at)s WHERE id = %(id)s",
               {**changes, "id": e.recruiter_id, "at": e.at})


@network.handles(RecruiterStatusChanged)
def _(e: RecruiterStatusChanged) -> Sql:
    return Sql("UPDATE recruiters SET status = %s, updated_at = %s WHERE id = %s", (e.to_status, e.at, e.recruiter_id))
