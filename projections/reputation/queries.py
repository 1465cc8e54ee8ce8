"""Queries of the reputation schema: one recruiter's or company's reputation, and pages of them by tier.

A subject the schema has never seen has no history: it is shown with zero counts and the neutral score, as
the formula gives it. The rates are derived from the counts by `commands.automation.reputation`.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any
from uuid import UUID

import psycopg

from commands.automation import reputation as r
from projections.reads import fetch_one, fetch_page

Rows = tuple[list[dict[str, Any]], int]


def recruiter_counts(row: dict[str, Any]) -> r.RecruiterCounts:
    """The counts of a recruiter's row, as the score formula takes them."""
    return r.RecruiterCounts(**{f.name: row[f.name] for f in fields(r.RecruiterCounts)})


def company_counts(row: dict[str, Any]) -> r.CompanyCounts:
    """The counts of a company's row, as the score formula takes them."""
    return r.CompanyCounts(**{f.name: row[f.name] for f in fields(r.CompanyCounts)})


def _recruiter(row: dict[str, Any]) -> dict[str, Any]:
    counts = recruiter_counts(row)
    answered = row["proposals_accepted"] + row["proposals_declined"] + row["proposals_timed_out"]
    return {**row, **r.recruiter_rates(counts),
            "proposal_acceptance_rate": row["proposals_accepted"] / answered if answered else None}


def _company(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **r.company_rates(company_counts(row))}


def _neutral(key: str, subject_id: UUID, counts: Any) -> dict[str, Any]:
    score = r.recruiter_score(counts) if isinstance(counts, r.RecruiterCounts) else r.company_score(counts)
    return {key: subject_id, **{f.name: getattr(counts, f.name) for f in fields(counts)}, "score": score,
            "tier": r.tier_for(score), "last_event_at": None}


async def get_recruiter_reputation(db: psycopg.AsyncConnection, recruiter_id: UUID) -> dict[str, Any]:
    """The recruiter's counts, rates, score and tier (neutral when they have no history yet)."""
    row = await fetch_one(db, "SELECT * FROM reputation.recruiters WHERE recruiter_id = %s", (recruiter_id,))
    if row is None:
        row = {**_neutral("recruiter_id", recruiter_id, r.RecruiterCounts()), "proposals": 0,
               "proposals_accepted": 0, "proposals_declined": 0, "proposals_timed_out": 0}
    return _recruiter(row)


async def list_recruiter_reputations(db: psycopg.AsyncConnection, tier: str | None = None, page: int = 1,
                                     limit: int = 25) -> Rows:
    """Recruiters with a history, best score first, optionally of one tier."""
    condition, params = ("tier = %s", [tier]) if tier is not None else ("true", [])
    rows, total = await fetch_page(db, "reputation.recruiters", condition, params, "score DESC, recruiter_id",
                                   page, limit)
    return [_recruiter(row) for row in rows], total


async def get_company_reputation(db: psycopg.AsyncConnection, company_id: UUID) -> dict[str, Any]:
    """The company's counts, rates, score and tier (neutral when it has no history yet)."""
    row = await fetch_one(db, "SELECT * FROM reputation.companies WHERE company_id = %s", (company_id,))
    return _company(row if row is not None else _neutral("company_id", company_id, r.CompanyCounts()))


async def list_company_reputations(db: psycopg.AsyncConnection, tier: str | None = None, page: int = 1,
                                   limit: int = 25) -> Rows:
    """Companies with a history, best score first, optionally of one tier."""
    condition, params = ("tier = %s", [tier]) if tier is not None else ("true", [])
    rows, total = await fetch_page(db, "reputation.companies", condition, params, "score DESC, company_id",
                                   page, limit)
    return [_company(row) for row in rows], total


async def placement_subjects(db: psycopg.AsyncConnection, placement_id: UUID) -> tuple[list[UUID], list[UUID]]:
    """The recruiters credited on the placement and its company, as the reputation read model has them."""
    cur = await db.execute("SELECT recruiter_ids, company_id FROM reputation.placements WHERE id = %s",
                           (placement_id,))
    row = await cur.fetchone()
    return (list(row[0]), [row[1]] if row[1] else []) if row else ([], [])


async def application_subjects(db: psycopg.AsyncConnection, application_id: UUID) -> tuple[list[UUID], list[UUID]]:
    """The application's candidate recruiter and every recruiter it waited on, and its company."""
    cur = await db.execute(
        "SELECT candidate_recruiter_id, company_id, ARRAY(SELECT DISTINCT subject_id FROM reputation.waits"
        " WHERE application_id = a.id AND party = 'recruiter') FROM reputation.applications a WHERE id = %s",
        (application_id,))
    row = await cur.fetchone()
    if row is None:
        return [], []
    recruiters = sorted({r for r in (row[0], *row[2]) if r is not None}, key=str)
    return recruiters, [row[1]] if row[1] else []
