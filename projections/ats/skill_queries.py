"""Queries the API runs for the skills catalogue and a candidate's skills and résumé profile."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_all, fetch_one, fetch_page


def _like_prefix(prefix: str) -> str:
    """`prefix` as a LIKE pattern matching what starts with it (its own % and _ taken literally)."""
    return prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def list_skills(
    conn: psycopg.AsyncConnection, *, approved: bool, prefix: str | None, page: int, limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the approved skills (or of the proposals waiting), by name, whose name or slug starts with
    `prefix` (without case); and their total."""
    condition, params = "is_approved = %s", [approved]
    if prefix:
        condition += " AND (lower(name) LIKE %s OR slug LIKE %s)"
        params += [_like_prefix(prefix)] * 2
    return await fetch_page(conn, "ats.skills", condition, params, "lower(name) ASC, id ASC", page, limit,
                            columns="id, slug, name, is_approved, proposed_by_user_id, created_at, approved_at")


async def skills_with_slugs(conn: psycopg.AsyncConnection, slugs: Collection[str]) -> dict[str, dict[str, Any]]:
    """The catalogue entries of these slugs (approved or proposed), by slug."""
    rows = await fetch_all(conn, "SELECT id, slug, name, is_approved FROM ats.skills WHERE slug = ANY(%s)",
                           (sorted(slugs),))
    return {row["slug"]: row for row in rows}


async def open_proposals_of(conn: psycopg.AsyncConnection, user_id: UUID) -> int:
    """How many skills this user proposed that still wait for approval."""
    row = await fetch_one(conn, "SELECT count(*) AS n FROM ats.skills WHERE proposed_by_user_id = %s"
                                " AND NOT is_approved", (user_id,))
    return row["n"] if row else 0


async def get_candidate_profile(conn: psycopg.AsyncConnection, candidate_id: UUID) -> dict[str, Any]:
    """A candidate's skills (in their order) and résumé profile; empty lists and no years before any is set."""
    skills = await fetch_all(
        conn, "SELECT slug, name, source, years, proficiency FROM ats.candidate_skills WHERE candidate_id = %s"
              " ORDER BY position", (candidate_id,))
    resume = await fetch_one(
        conn, "SELECT years_experience, experience, education, certifications, updated_at"
              " FROM ats.candidate_resume_profiles WHERE candidate_id = %s", (candidate_id,))
    return {"candidate_id": candidate_id, "skills": skills, "years_experience": None, "experience": [],
            "education": [], "certifications": [], "updated_at": None, **(resume or {})}
