"""The skills catalogue (commands/ats/skill.py): approved skills searchable by prefix, a proposal of a missing
one, and its approval by a platform admin.

A proposal is bounded per user: at most `MAX_OPEN_PROPOSALS` waiting for approval (422
`too_many_skill_proposals`, a limit reached like the saved items' and the referral codes'), counted in the read
model before the command is sent. Only candidates, recruiters and platform admins add skills: they are the ones
who put skills on profiles.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends

from api.ats.candidate_profile_models import ProposeSkillBody, SkillPage
from api.bounds import Limit, Page, SearchText
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, Now, PlatformAdmin, Store
from api.responses import CommandResponse, Pagination
from commands.ats import skill as skills
from commands.ats.job_commands import skill_slug
from commands.core import Forbidden, RuleViolation
from eventstore import Position, handle
from projections.ats.skill_queries import list_skills, open_proposals_of, skills_with_slugs

router = APIRouter(prefix="/v1/skills", tags=["skills"])

FreshAts = Annotated[Position | None, Depends(read_after("ats"))]


class TooManySkillProposals(RuleViolation):
    code = "too_many_skill_proposals"


@router.get("", response_model=SkillPage, response_model_exclude_unset=True, responses={401: {}, 403: {}, 422: {}})
async def list_all(
    _: FreshAts, user: CurrentUser, db: Db, prefix: SearchText = None,
    status: Literal["approved", "pending"] = "approved", page: Page = 1, limit: Limit = 25,
) -> dict[str, Any]:
    """Approved skills whose name or slug starts with `prefix`, by name; `status=pending`, for platform admins,
    the proposals waiting for approval."""
    if status == "pending" and not user.is_platform_admin:
        raise Forbidden("only platform admins read the proposals waiting for approval")
    rows, total = await list_skills(db, approved=status == "approved", prefix=prefix, page=page, limit=limit)
    if not user.is_platform_admin:
        rows = [{k: v for k, v in r.items() if k != "proposed_by_user_id"} for r in rows]
    return {"data": rows, "pagination": Pagination.of(total, page, limit).model_dump()}


@router.post("", status_code=201, responses={401: {}, 403: {}, 409: {}, 422: {}})
async def add_skill(body: ProposeSkillBody, user: CurrentUser, store: Store, db: Db, meta: CommandMetadata,
                    now: Now) -> CommandResponse:
    """A platform admin adds the skill approved (or approves it, if proposed); a candidate or a recruiter proposes
    it. A skill already in the catalogue records nothing and answers its id."""
    slug = skill_slug(body.name)
    if not slug:
        raise RuleViolation("a skill name needs at least one letter or digit", name=body.name)
    skill_id = skills.skill_id_for(slug)
    admin = user.is_platform_admin
    if not admin:
        if user.user_id is None or not (user.is_recruiter or "candidate" in user.roles):
            raise Forbidden("candidates and recruiters propose skills; platform admins add them")
        if slug not in await skills_with_slugs(db, {slug}) and \
                await open_proposals_of(db, user.user_id) >= skills.MAX_OPEN_PROPOSALS:
            raise TooManySkillProposals(
                f"you have {skills.MAX_OPEN_PROPOSALS} skills waiting for approval; wait for them to be reviewed",
                limit=skills.MAX_OPEN_PROPOSALS)
    command = skills.AddSkill(skill_id=skill_id, name=body.name, approved=admin,
                              proposed_by_user_id=None if admin else user.user_id, by=meta.actor, at=now)
    return CommandResponse.of(skill_id, await handle(store, skills.skill, skill_id, command, meta))


@router.post("/{skill_id}/approve", responses={401: {}, 403: {}, 404: {}})
async def approve_skill(skill_id: UUID, _: PlatformAdmin, store: Store, meta: CommandMetadata,
                        now: Now) -> CommandResponse:
    """Platform admins: the proposal joins the catalogue's read."""
    command = skills.ApproveSkill(skill_id=skill_id, by=meta.actor, at=now)
    return CommandResponse.of(skill_id, await handle(store, skills.skill, skill_id, command, meta))
