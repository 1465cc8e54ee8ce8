"""Which companies hired a candidate: what a hire unlocks of the candidate's record for the hiring company
(docs/decisions.md, "What a hire unlocks")."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

import psycopg

from projections.reads import fetch_all

# The condition on `ats.candidates` that admits the candidates one of the companies `%s` hired.
HIRED_BY_COMPANIES = ("id IN (SELECT candidate_id FROM ats.applications WHERE stage = 'hired'"
                      " AND company_id = ANY(%s))")


async def companies_that_hired(conn: psycopg.AsyncConnection, candidate_ids: Collection[UUID],
                               company_ids: Collection[UUID]) -> dict[UUID, frozenset[UUID]]:
    """For each of these candidates, which of these companies hired them (an application of theirs on the
    company's job at `hired`)."""
    if not candidate_ids or not company_ids:
        return {}
    rows = await fetch_all(
        conn, "SELECT candidate_id, array_agg(DISTINCT company_id) AS companies FROM ats.applications"
              " WHERE candidate_id = ANY(%s) AND company_id = ANY(%s) AND stage = 'hired' GROUP BY candidate_id",
        (list(candidate_ids), list(company_ids)))
    return {r["candidate_id"]: frozenset(r["companies"]) for r in rows}
