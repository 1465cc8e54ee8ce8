"""The `skills` table: the skills catalogue, approved entries and proposals waiting for a platform admin."""

from __future__ import annotations

from commands.ats.skill_events import SkillApproved, SkillCatalogued
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS skills (
        id                  uuid PRIMARY KEY,
        slug                text NOT NULL,
        name                text NOT NULL,
        is_approved         boolean NOT NULL,
        proposed_by_user_id uuid,
        approved_at         timestamptz,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS skills_slug_idx ON skills (slug);
    CREATE INDEX IF NOT EXISTS skills_name_prefix_idx ON skills (lower(name) text_pattern_ops) WHERE is_approved;
    CREATE INDEX IF NOT EXISTS skills_open_proposals_idx ON skills (proposed_by_user_id) WHERE NOT is_approved;
    """
)


@ats.handles(SkillCatalogued)
def _(e: SkillCatalogued) -> Sql:
    return Sql(
        "INSERT INTO skills (id, slug, name, is_approved, proposed_by_user_id, approved_at, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.skill_id, e.slug, e.name, e.is_approved, e.proposed_by_user_id, e.at if e.is_approved else None, e.at,
         e.at))


@ats.handles(SkillApproved)
def _(e: SkillApproved) -> Sql:
    return Sql("UPDATE skills SET is_approved = true, approved_at = %s, updated_at = %s WHERE id = %s",
               (e.at, e.at, e.skill_id))
