"""A candidate's skills and structured résumé: read them (role-filtered, api/visibility.py `CANDIDATE_PROFILE`)
and replace them.

Who may change them: the candidate, the recruiter managing a recruiter-managed record (api/ats/policy.py
`controls_candidate`), a recruiter the candidate consented to be represented by (an active relationship in the
network read schema) and platform admins. Anyone else who may read the candidate is refused (403); anyone who
may not is told it does not exist (404). Who may read: whoever may read the candidate record, and the
candidate's representing recruiters.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from psycopg import AsyncConnection

from api.ats.candidate_profile_models import CandidateProfileEnvelope, CandidateSkillsBody, ResumeProfileBody
from api.ats.policy import candidate_visibility, controls_candidate, may_see_candidate
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, Now, Store
from api.responses import CommandResponse
from api.visibility import CANDIDATE_PROFILE, viewer_of_candidate_profile
from commands.ats import candidate as candidates
from commands.ats.candidate_profile import CandidateSkillInput, ReplaceCandidateSkills, SetCandidateResumeProfile
from commands.core import Forbidden, NotFound, RuleViolation
from eventstore import EventStore, Position, handle, load, stream_id_for
from projections.ats.application_queries import recruiter_represents
from projections.ats.candidate_queries import CandidateVisibility, get_candidate
from projections.ats.skill_queries import get_candidate_profile, skills_with_slugs
from projections.identity.access import Access

router = APIRouter(prefix="/v1/candidates", tags=["candidates"])

FreshAts = Annotated[Position | None, Depends(read_after("ats"))]


class UnknownSkill(RuleViolation):
    code = "unknown_skill"

    def __init__(self, slugs: list[str]) -> None:
        super().__init__(f"not in the skills catalogue: {', '.join(slugs)}; propose them first: POST /v1/skills",
                         slugs=slugs)


def _not_found(candidate_id: UUID) -> NotFound:
    return NotFound(f"candidate {candidate_id} not found", candidate_id=str(candidate_id))


async def _represents(db: AsyncConnection, user: Access, candidate_id: UUID, now: Any) -> bool:
    return (user.is_recruiter and user.recruiter_id is not None
            and await recruiter_represents(db, user.recruiter_id, candidate_id, now))


async def _editable(store: EventStore, db: AsyncConnection, user: Access, candidate_id: UUID, now: Any) -> None:
    state, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    if not state.exists:
        raise _not_found(candidate_id)
    if user.is_platform_admin or controls_candidate(user, user_id=state.user_id,
                                                    created_by_user_id=state.created_by_user_id):
        return
    if await _represents(db, user, candidate_id, now):
        return
    if may_see_candidate(user, state):
        raise Forbidden("only the candidate, a recruiter managing or representing them, or a platform admin may"
                        " change their skills and résumé", candidate_id=str(candidate_id))
    raise _not_found(candidate_id)


@router.get("/{candidate_id}/profile", response_model=CandidateProfileEnvelope, response_model_exclude_unset=True,
            responses={401: {}, 404: {}})
async def get_profile(candidate_id: UUID, _: FreshAts, user: CurrentUser, db: Db, now: Now) -> dict[str, Any]:
    """Skills, total years of experience, positions, education and certifications, as this caller may see them."""
    row = await get_candidate(db, candidate_id, candidate_visibility(user))
    represents = await _represents(db, user, candidate_id, now)
    if row is None and represents:
        row = await get_candidate(db, candidate_id, CandidateVisibility(everything=True))
    if row is None:
        raise _not_found(candidate_id)
    viewer = viewer_of_candidate_profile(user, row, represents=represents)
    return {"data": CANDIDATE_PROFILE.project(viewer, await get_candidate_profile(db, candidate_id))}


@router.put("/{candidate_id}/skills", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def replace_skills(
    candidate_id: UUID, body: CandidateSkillsBody, user: CurrentUser, store: Store, db: Db, meta: CommandMetadata,
    now: Now,
) -> CommandResponse:
    """The candidate's whole list of skills, each a catalogue skill (`GET /v1/skills`, or one proposed with
    `POST /v1/skills`) with optional years and proficiency; 422 `unknown_skill` for a slug not in the catalogue."""
    await _editable(store, db, user, candidate_id, now)
    found = await skills_with_slugs(db, {s.slug for s in body.skills})
    if missing := sorted({s.slug for s in body.skills} - found.keys()):
        raise UnknownSkill(missing)
    command = ReplaceCandidateSkills(candidate_id=candidate_id, by=meta.actor, at=now, skills=[
        CandidateSkillInput(name=found[s.slug]["name"], **s.model_dump()) for s in body.skills])
    return CommandResponse.of(candidate_id, await handle(store, candidates.candidate, candidate_id, command, meta))


@router.put("/{candidate_id}/resume-profile", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def replace_resume_profile(
    candidate_id: UUID, body: ResumeProfileBody, user: CurrentUser, store: Store, db: Db, meta: CommandMetadata,
    now: Now,
) -> CommandResponse:
    """Total years of experience (0..70), positions, education and certifications, replacing the ones before."""
    await _editable(store, db, user, candidate_id, now)
    command = SetCandidateResumeProfile(candidate_id=candidate_id, by=meta.actor, at=now, **body.model_dump())
    return CommandResponse.of(candidate_id, await handle(store, candidates.candidate, candidate_id, command, meta))
