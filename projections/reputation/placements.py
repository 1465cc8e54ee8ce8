"""Placements as reputation sees them: who was credited (the five roles, each recruiter once), the company,
and whether it completed or failed."""

from __future__ import annotations

from commands.ats.placement_events import PlacementCreated, PlacementStateChanged
from projections.core import Sql
from projections.reputation.schema import reputation
from projections.reputation.subjects import recompute_companies, recompute_recruiters

reputation.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS placements (
        id            uuid PRIMARY KEY,
        company_id    uuid,
        state         text NOT NULL,
        recruiter_ids uuid[] NOT NULL,
        created_at    timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS placements_recruiters_idx ON placements USING gin (recruiter_ids);
    CREATE INDEX IF NOT EXISTS placements_company_idx ON placements (company_id);
    """
)

_RECRUITERS_OF = "SELECT unnest(recruiter_ids) FROM placements WHERE id = %(placement_id)s"
_COMPANY_OF = "SELECT company_id FROM placements WHERE id = %(placement_id)s"


def _recompute(e: PlacementCreated | PlacementStateChanged) -> list[Sql]:
    params = {"placement_id": e.placement_id}
    return [recompute_recruiters(_RECRUITERS_OF, params, e.at), recompute_companies(_COMPANY_OF, params, e.at)]


@reputation.handles(PlacementCreated)
def _(e: PlacementCreated) -> list[Sql]:
    credited = sorted({str(r) for r in (e.candidate_recruiter_id, e.company_recruiter_id, e.job_owner_recruiter_id,
                                        e.candidate_sourcer_recruiter_id, e.company_sourcer_recruiter_id) if r})
    insert = Sql("INSERT INTO placements (id, company_id, state, recruiter_ids, created_at)"
                 " VALUES (%s, %s, %s, %s::uuid[], %s) ON CONFLICT (id) DO NOTHING",
                 (e.placement_id, e.company_id, e.state, credited, e.at))
    return [insert, *_recompute(e)]


@reputation.handles(PlacementStateChanged)
def _(e: PlacementStateChanged) -> list[Sql]:
    return [Sql("UPDATE placements SET state = %s WHERE id = %s", (e.to_state, e.placement_id)), *_recompute(e)]
