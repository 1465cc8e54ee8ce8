"""The `placements` table: one row per placement, with its fee, its guarantee and the five recruiters
credited at the hire (domain §4.2, §5.1–§5.2). Failed and completed placements stay: events are history."""

from __future__ import annotations

from commands.ats.placement_events import (
    PlacementCreated,
    PlacementMarkedAsReplacement,
    PlacementReplacementLinked,
    PlacementStateChanged,
)
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS placements (
        id                             uuid PRIMARY KEY,
        application_id                 uuid NOT NULL,
        job_id                         uuid NOT NULL,
        candidate_id                   uuid NOT NULL,
        company_id                     uuid,
        state                          text NOT NULL,
        salary_cents                   bigint NOT NULL,
        fee_bps                        integer NOT NULL,
        fee_cents                      bigint NOT NULL,
        guarantee_days                 integer NOT NULL,
        guarantee_expires_at           timestamptz NOT NULL,
        hired_at                       timestamptz NOT NULL,
        start_date                     date NOT NULL,
        candidate_recruiter_id         uuid,
        company_recruiter_id           uuid,
        job_owner_recruiter_id         uuid,
        candidate_sourcer_recruiter_id uuid,
        company_sourcer_recruiter_id   uuid,
        activated_at                   timestamptz,
        completed_at                   timestamptz,
        failed_at                      timestamptz,
        failure_reason                 text,
        replacement_placement_id       uuid,
        replaces_placement_id          uuid,
        created_by                     text NOT NULL,
        created_at                     timestamptz NOT NULL,
        updated_at                     timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS placements_company_idx ON placements (company_id, created_at DESC);
    CREATE INDEX IF NOT EXISTS placements_candidate_idx ON placements (candidate_id);
    CREATE INDEX IF NOT EXISTS placements_application_idx ON placements (application_id);
    ALTER TABLE placements ADD COLUMN IF NOT EXISTS replaces_placement_id uuid;
    """
)

_CREATED = [name for name in PlacementCreated.model_fields if name not in ("placement_id", "at")]


@ats.handles(PlacementCreated)
def _(e: PlacementCreated) -> Sql:
    return Sql(
        f"INSERT INTO placements (id, {', '.join(_CREATED)}, created_at, updated_at)"
        f" VALUES (%(id)s, {', '.join(f'%({c})s' for c in _CREATED)}, %(at)s, %(at)s) ON CONFLICT (id) DO NOTHING",
        {"id": e.placement_id, "at": e.at, **e.model_dump(include=set(_CREATED))},
    )


_WHEN = {"active": "activated_at", "completed": "completed_at", "failed": "failed_at"}


@ats.handles(PlacementStateChanged)
def _(e: PlacementStateChanged) -> Sql:
    reason = ", failure_reason = %(reason)s" if e.to_state == "failed" else ""
    return Sql(
        f"UPDATE placements SET state = %(state)s, {_WHEN[e.to_state]} = %(at)s{reason}, updated_at = %(at)s"
        " WHERE id = %(id)s",
        {"state": e.to_state, "at": e.at, "reason": e.reason, "id": e.placement_id},
    )


@ats.handles(PlacementReplacementLinked)
def _(e: PlacementReplacementLinked) -> Sql:
    return Sql("UPDATE placements SET replacement_placement_id = %s, updated_at = %s WHERE id = %s",
               (e.replacement_placement_id, e.at, e.placement_id))


@ats.handles(PlacementMarkedAsReplacement)
def _(e: PlacementMarkedAsReplacement) -> Sql:
    return Sql("UPDATE placements SET replaces_placement_id = %s, updated_at = %s WHERE id = %s",
               (e.replaces_placement_id, e.at, e.placement_id))
