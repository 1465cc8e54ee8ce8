"""Application routes (domain §7.3): applying and proposing, every move along the pipeline, and the
role-scoped list and detail.

A command loads the application (and its job) from the streams: 404 if the caller may not see it, then
it acts in the caller's role towards that application and the decider says whether that role may.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from math import ceil
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.ats.entitlements import may_see_job
from api.ats.application_models import (
    ApplicationDetail,
    ApplicationEnvelope,
    ApplicationOut,
    ApplicationPage,
    CreateApplicationBody,
    DeclineProposalBody,
    HireBody,
    MoveStageBody,
    PrescreenBody,
    ProposeApplicationBody,
    ReasonBody,
)
from api.ats.application_policy import (
    Parties,
    application_visibility,
    check_may_submit_for_company,
    may_advance,
    may_see,
    require_role,
    submits_for_company,
)
from api.ats.models import Pagination
from api.bounds import Limit, Page
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, ExpectedVersion, Now, Store
from api.responses import CommandResponse
from api.visibility import APPLICATION, viewer_of_application
from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.ats.application_events import ActorRole, ApplicationStage
from commands.ats.events import PreScreenQuestionItem
from commands.core import Forbidden, Invalid, NotFound, RuleViolation
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from projections.ats.application_queries import (
    ApplicationFilter,
    ApplicationSort,
    get_application,
    list_applications,
    recruiter_represents,
    recruiter_works_with,
    stage_history,
)
from projections.ats.pre_screen_queries import pre_screen_answers
from projections.identity.access import Access
from commands.ats.application import application_id_for
from commands.ats.placement import placement_id_for

router = APIRouter(prefix="/v1/applications", tags=["applications"])
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]
_REFUSALS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}






class JobNotOpen(RuleViolation):
    def __init__(self, job_id: UUID, status: str) -> None:
        super().__init__(f"job {job_id} is {status}: only an active job takes applications", job_id=str(job_id),
                         job_status=status)


async def _open_job(store: EventStore, user: Access, job_id: UUID, now: datetime) -> jobs.Job:
    """The job, if the caller sees it (a Pro or Partner recruiter an early-access job too) and it is active."""
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
    if not job.exists or not await may_see_job(store, user, job, now):
        raise NotFound(f"job {job_id} not found", job_id=str(job_id))
    if job.status != "active":
        raise JobNotOpen(job_id, job.status)
    return job


async def _check_candidate(store: EventStore, candidate_id: UUID) -> None:
    state, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    if not state.exists:
        raise NotFound(f"candidate {candidate_id} not found", candidate_id=str(candidate_id))
    if state.archived:
        raise RuleViolation(f"candidate {candidate_id} is archived", candidate_id=str(candidate_id))


async def visible_application(store: EventStore, user: Access, application_id: UUID) -> Parties:
    """Who the application concerns, if the caller may see it; otherwise it does not exist."""
    app, _, _ = await load(store, applications.application, stream_id_for(applications.application, application_id))
    if app.exists:
        job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, app.job_id))
        parties = Parties.of(app, job)
        if may_see(user, parties):
            return parties
    raise NotFound(f"application {application_id} not found", application_id=str(application_id))


# --- applying --------------------------------------------------------------------------------------------

@router.post("", status_code=201, responses=_REFUSALS)
async def create_application(
    body: CreateApplicationBody, store: Store, meta: CommandMetadata, user: CurrentUser, db: Db, now: Now,
) -> CommandResponse:
    """A candidate applies for themself; a recruiter working with the job's company submits as its recruiter
    (with can_submit_candidates); any other recruiter needs the candidate's active consent (domain §2.4)."""
    job = await _open_job(store, user, body.job_id, now)
    recruiters: dict[str, Any] = {}
    if user.candidate_id is not None and body.candidate_id in (None, user.candidate_id):
        candidate_id = user.candidate_id
    elif body.candidate_id is None:
        raise Invalid("candidate_id is required when applying for someone else")
    elif user.is_platform_admin:
        candidate_id = body.candidate_id
    elif user.is_recruiter and submits_for_company(user, job):
        check_may_submit_for_company(user, job)
        candidate_id = body.candidate_id
        recruiters = {"source": "company_recruiter", "company_recruiter_id": user.recruiter_id}
    elif user.is_recruiter and await recruiter_represents(db, user.recruiter_id, body.candidate_id, now):
        candidate_id = body.candidate_id
        recruiters = {"source": "recruiter", "candidate_recruiter_id": user.recruiter_id}
    else:
        raise Forbidden("only the candidate, a recruiter they have consented to, a recruiter the company lets "
                        "submit candidates, or a platform admin may apply", candidate_id=str(body.candidate_id))
    await _check_candidate(store, candidate_id)
    application_id = application_id_for(body.job_id, candidate_id)
    command = applications.CreateApplication(
        application_id=application_id, job_id=body.job_id, candidate_id=candidate_id, company_id=job.company_id,
        cover_letter=body.cover_letter, by=meta.actor, at=now, **recruiters)
    return CommandResponse.of(application_id, await handle(store, applications.application, application_id, command,
                                                           meta))


@router.post("/propose", status_code=201, responses=_REFUSALS)
async def propose_application(
    body: ProposeApplicationBody, store: Store, meta: CommandMetadata, user: CurrentUser, db: Db, now: Now,
) -> CommandResponse:
    """The candidate's recruiter (with their active consent) proposes a job; the candidate answers."""
    job = await _open_job(store, user, body.job_id, now)
    if not (user.is_recruiter and await recruiter_represents(db, user.recruiter_id, body.candidate_id, now)):
        raise Forbidden("only a recruiter the candidate has consented to proposes jobs to them",
                        candidate_id=str(body.candidate_id))
    await _check_candidate(store, body.candidate_id)
    application_id = application_id_for(body.job_id, body.candidate_id)
    command = applications.ProposeApplication(
        application_id=application_id, job_id=body.job_id, candidate_id=body.candidate_id, company_id=job.company_id,
        candidate_recruiter_id=user.recruiter_id, pitch=body.pitch, notes=body.notes, by=meta.actor, at=now)
    return CommandResponse.of(application_id, await handle(store, applications.application, application_id, command,
                                                           meta))


# --- moves -----------------------------------------------------------------------------------------------

Build = Callable[[dict[str, Any], ActorRole, Parties], applications.ApplicationCommand]


async def _act(store: EventStore, user: Access, meta: Metadata, now: datetime, if_match: int | None,
               application_id: UUID, build: Build) -> CommandResponse:
    parties = await visible_application(store, user, application_id)
    role = require_role(user, parties)
    common = {"application_id": application_id, "by": meta.actor, "by_role": role, "at": now}
    command = build(common, role, parties)
    result = await handle(store, applications.application, application_id, command, meta, expected_version=if_match)
    return CommandResponse.of(application_id, result)


@router.post("/{application_id}/accept-proposal", responses=_REFUSALS)
async def accept_proposal(application_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                          if_match: ExpectedVersion, now: Now) -> CommandResponse:
    return await _act(store, user, meta, now, if_match, application_id,
                      lambda c, _r, _p: applications.AcceptProposal(**c))


@router.post("/{application_id}/decline-proposal", responses=_REFUSALS)
async def decline_proposal(application_id: UUID, body: DeclineProposalBody, store: Store, meta: CommandMetadata,
                           user: CurrentUser, if_match: ExpectedVersion, now: Now) -> CommandResponse:
    return await _act(store, user, meta, now, if_match, application_id,
                      lambda c, _r, _p: applications.DeclineProposal(**c, reason=body.reason))


@router.post("/{application_id}/trigger-ai-review", responses=_REFUSALS)
async def trigger_ai_review(application_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                            if_match: ExpectedVersion, now: Now) -> CommandResponse:
    return await _act(store, user, meta, now, if_match, application_id,
                      lambda c, _r, _p: applications.TriggerAIReview(**c))


@router.post("/{application_id}/return-to-draft", responses=_REFUSALS)
async def return_to_draft(application_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                          if_match: ExpectedVersion, now: Now, body: ReasonBody | None = None) -> CommandResponse:
    reason = body.reason if body else None
    return await _act(store, user, meta, now, if_match, application_id,
                      lambda c, _r, _p: applications.ReturnToDraft(**c, reason=reason))


@router.post("/{application_id}/submit", responses=_REFUSALS)
async def submit(application_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                 if_match: ExpectedVersion, now: Now) -> CommandResponse:
    """To the company only once the job's required pre-screen questions are answered, as they stand now (422
    `pre_screen_answers_missing`, naming them); to the candidate's recruiter before that."""
    questions = await job_questions(store, application_id)
    return await _act(store, user, meta, now, if_match, application_id,
                      lambda c, _r, _p: applications.SubmitApplication(**c, pre_screen_questions=questions))


@router.post("/{application_id}/request-prescreen", responses=_REFUSALS)
async def request_prescreen(application_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser, db: Db,
                            if_match: ExpectedVersion, now: Now, body: PrescreenBody | None = None) -> CommandResponse:
    """Naming the recruiter who screens credits them as the company's recruiter: the company's (or an admin's)
    choice, among the recruiters working with the company."""
    body = body or PrescreenBody()
    chosen = body.company_recruiter_id
    parties = await visible_application(store, user, application_id)
    if chosen is not None:
        if require_role(user, parties) not in ("company", "platform_admin"):
            raise Forbidden("only the company or a platform admin chooses the recruiter who screens")
        if parties.company_id is not None and not await recruiter_works_with(db, chosen, parties.company_id):
            raise RuleViolation(f"recruiter {chosen} does not work with company {parties.company_id}",
                                company_recruiter_id=str(chosen))
    return await _act(store, user, meta, now, if_match, application_id, lambda c, _r, _p: applications.RequestPrescreen(
        **c, company_recruiter_id=chosen, message=body.message))


@router.post("/{application_id}/stage", responses=_REFUSALS)
async def move_stage(application_id: UUID, body: MoveStageBody, store: Store, meta: CommandMetadata,
                     user: CurrentUser, if_match: ExpectedVersion, now: Now) -> CommandResponse:
    return await _act(store, user, meta, now, if_match, application_id, lambda c, _r, p: applications.MoveStage(
        **c, to=body.to, reason=body.reason, may_advance=may_advance(user, p.company_id)))


@router.post("/{application_id}/accept-offer", responses=_REFUSALS)
async def accept_offer(application_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                       if_match: ExpectedVersion, now: Now) -> CommandResponse:
    return await _act(store, user, meta, now, if_match, application_id, lambda c, _r, _p: applications.AcceptOffer(**c))


@router.post("/{application_id}/hire", responses=_REFUSALS)
async def hire(application_id: UUID, body: HireBody, store: Store, meta: CommandMetadata, user: CurrentUser,
               if_match: ExpectedVersion, now: Now) -> CommandResponse:
    """The placement follows from the hire (consumers/ats/process.py), under `placement_id_for`.

    A start date whose guarantee is already over is refused (422 `guarantee_already_over`) unless a platform
    admin sends `confirm_guarantee_over`."""
    guarantee_days = await _guarantee_days(store, application_id)
    return await _act(store, user, meta, now, if_match, application_id, lambda c, _r, _p: applications.HireCandidate(
        **c, placement_id=placement_id_for(application_id), salary_cents=body.salary_cents,
        start_date=body.start_date, guarantee_days=guarantee_days, confirm_guarantee_over=body.confirm_guarantee_over))


async def job_questions(store: EventStore, application_id: UUID) -> list[PreScreenQuestionItem]:
    """The pre-screen questions of the application's job as they stand, from the job's stream (none for an
    unknown application: `_act` answers 404 for it)."""
    app, _, _ = await load(store, applications.application, stream_id_for(applications.application, application_id))
    if not app.exists:
        return []
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, app.job_id))
    return list(job.pre_screen_questions)


async def _guarantee_days(store: EventStore, application_id: UUID) -> int:
    """The guarantee of the application's job, from its stream (as the placement process takes it); an unknown
    application is `_act`'s 404 to give, so anything will do for it here."""
    app, _, _ = await load(store, applications.application, stream_id_for(applications.application, application_id))
    if not app.exists:
        return 0
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, app.job_id))
    return job.guarantee_days


@router.post("/{application_id}/withdraw", responses=_REFUSALS)
async def withdraw(application_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                   if_match: ExpectedVersion, now: Now, body: ReasonBody | None = None) -> CommandResponse:
    reason = body.reason if body else None
    return await _act(store, user, meta, now, if_match, application_id,
                      lambda c, _r, _p: applications.WithdrawApplication(**c, reason=reason))


@router.post("/{application_id}/reactivate", responses=_REFUSALS)
async def reactivate(application_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                     if_match: ExpectedVersion, now: Now) -> CommandResponse:
    return await _act(store, user, meta, now, if_match, application_id,
                      lambda c, _r, _p: applications.ReactivateApplication(**c))


# --- queries ---------------------------------------------------------------------------------------------

@router.get("", response_model=ApplicationPage, response_model_exclude_unset=True, responses={401: {}})
async def list_all(
    token: FreshAts,
    user: CurrentUser,
    db: Db,
    stage: Annotated[list[ApplicationStage] | None, Query(max_length=18)] = None,
    job_id: UUID | None = None,
    candidate_id: UUID | None = None,
    sort: ApplicationSort = "-created_at",
    page: Page = 1,
    limit: Limit = 25,
) -> ApplicationPage:
    """The applications the caller may see (domain §2.3), filtered, sorted and paginated."""
    where = ApplicationFilter(stage=stage, job_id=job_id, candidate_id=candidate_id)
    rows, total = await list_applications(db, application_visibility(user), where, sort, page, limit)
    return ApplicationPage(
        data=[ApplicationOut.model_validate(_shown(user, r)) for r in rows],
        pagination=Pagination(total=total, page=page, limit=limit, total_pages=ceil(total / limit) if total else 0),
    )


@router.get("/{application_id}", response_model=ApplicationEnvelope, response_model_exclude_unset=True,
            responses={401: {}, 404: {}})
async def get_one(application_id: UUID, token: FreshAts, user: CurrentUser, db: Db) -> ApplicationEnvelope:
    row = await get_application(db, application_id, application_visibility(user))
    if row is None:
        raise NotFound(f"application {application_id} not found", application_id=str(application_id))
    history = await stage_history(db, application_id)
    answers = await pre_screen_answers(db, application_id)
    return ApplicationEnvelope(data=ApplicationDetail.model_validate(
        _shown(user, {**row, "stage_history": history, "pre_screen_answers": answers})))


def _shown(user: Access, row: dict[str, Any]) -> dict[str, Any]:
    """The application as this party sees it (api/visibility.py); the fields left out stay unset, so unsent."""
    return APPLICATION.project(viewer_of_application(user, row), row)
