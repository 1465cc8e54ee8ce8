"""The events of the skills catalogue (stream type `skill`, keyed by `skill_id_for(slug)`)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.core import Event


class SkillCatalogued(Event):
    """A skill entered the catalogue: approved when a platform admin added it, else a user's proposal that
    stays out of the catalogue's read until an admin approves it."""

    skill_id: UUID
    slug: str
    name: str
    is_approved: bool
    proposed_by_user_id: UUID | None
    by: str
    at: datetime

    not_personal = frozenset({"slug", "name"})  # a skill's name is the catalogue's vocabulary, not about a person


class SkillApproved(Event):
    skill_id: UUID
    by: str
    at: datetime
