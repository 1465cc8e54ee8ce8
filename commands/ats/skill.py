"""The skills catalogue (domain §3.2 `skills`: name, slug, is_approved), one stream per skill keyed by its slug,
so the same name proposed twice lands on the same stream and is recorded once.

What we decided where the domain is silent:
- a platform admin adds approved skills; a candidate or a recruiter who needs a skill the catalogue lacks
  proposes it: it is recorded unapproved, may be put on candidates' profiles at once, and joins the
  catalogue's read (`GET /v1/skills`) only once a platform admin approves it;
- a flood is bounded where the proposals are counted (the API, against the read model, since one
  stream sees one skill): a user may have at most `MAX_OPEN_PROPOSALS` proposals waiting for approval,
  and every proposal is a short name (1..100 characters, with a letter or a digit) under the gateway's
  rate limits;
- proposing a skill that exists records nothing; an admin adding a proposed skill approves it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime

from commands.ats.company import Actor
from commands.ats.job_commands import SkillName, skill_slug
from commands.ats.skill_events import SkillApproved, SkillCatalogued
from commands.core import Command, Decider, NotFound, RuleViolation

MAX_OPEN_PROPOSALS = 10


def skill_id_for(slug: str) -> UUID:
    """The catalogue entry of a slug."""
    return uuid5(NAMESPACE_URL, f"splits:skill:{slug}")


class AddSkill(Command):
    """`approved`: added by a platform admin; otherwise a proposal by `proposed_by_user_id`."""

    skill_id: UUID
    name: SkillName
    approved: bool
    proposed_by_user_id: UUID | None = None
    by: Actor
    at: AwareDatetime

    @property
    def slug(self) -> str:
        return skill_slug(self.name)


class ApproveSkill(Command):
    skill_id: UUID
    by: Actor
    at: AwareDatetime


SkillCommand = AddSkill | ApproveSkill
SkillEvent = SkillCatalogued | SkillApproved


@dataclass(frozen=True)
class Skill:
    exists: bool = False
    id: UUID | None = None
    slug: str = ""
    name: str = ""
    is_approved: bool = False


def initial_state() -> Skill:
    return Skill()


def evolve(s: Skill, e: SkillEvent) -> Skill:
    match e:
        case SkillCatalogued():
            return Skill(exists=True, id=e.skill_id, slug=e.slug, name=e.name, is_approved=e.is_approved)
        case SkillApproved():
            return replace(s, is_approved=True)
        case _:
            return s


def decide(cmd: SkillCommand, s: Skill) -> list[SkillEvent]:
    match cmd:
        case AddSkill() if not cmd.slug:
            raise RuleViolation("a skill name needs at least one letter or digit", name=cmd.name)
        case AddSkill() if cmd.skill_id != skill_id_for(cmd.slug):
            raise RuleViolation("a skill's id is the one of its slug", skill_id=str(cmd.skill_id), slug=cmd.slug)
        case AddSkill(approved=True) if s.exists and not s.is_approved:
            return [SkillApproved(skill_id=cmd.skill_id, by=cmd.by, at=cmd.at)]
        case AddSkill() if s.exists:
            return []  # the skill is catalogued already: a repeat or the same name proposed again
        case AddSkill():
            return [SkillCatalogued(skill_id=cmd.skill_id, slug=cmd.slug, name=cmd.name, is_approved=cmd.approved,
                                    proposed_by_user_id=None if cmd.approved else cmd.proposed_by_user_id,
                                    by=cmd.by, at=cmd.at)]
        case ApproveSkill() if not s.exists:
            raise NotFound(f"skill {cmd.skill_id} does not exist", skill_id=str(cmd.skill_id))
        case ApproveSkill() if s.is_approved:
            return []
        case ApproveSkill():
            return [SkillApproved(skill_id=cmd.skill_id, by=cmd.by, at=cmd.at)]
        case _:
            raise TypeError(f"the skill decider has no case for {type(cmd).__name__}")


skill: Decider[SkillCommand, SkillEvent, Skill] = Decider(
    "skill", initial_state, evolve, decide, events=(SkillCatalogued, SkillApproved),
)
