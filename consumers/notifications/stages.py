"""Notices about an application's moves (domain §10, the stage emails), one template for each stage that has one:
the candidate, the recruiters and the company's admins, as the stage warrants (`_AUDIENCES`).

What each may see:
- the company (its admins, and the company's recruiter) only once the application has reached it: the stage it
  leaves or enters is one the company sees (`COMPANY_VISIBLE`); a rejection, a withdrawal or an expiry of an
  application the company never saw is not the company's news; the company's recruiter is told of a screen too,
  which the company asked them for;
- the candidate never the fee; a note's text is never in a notice;
- nobody is told of their own act (the candidate is, of a submission: it is their confirmation).

The application's creation is told to the candidate (who applied, or whose recruiter applied for them) and, when
the candidate applied themselves, to their recruiter; a proposal answered by the candidate, to the recruiter who
proposed it; an AI review that failed, to the candidate and their recruiter (the reason stays out: it may quote
the model's answer); an expiry, to everyone it concerns, as "opportunity expired" for an unanswered proposal; a
reactivation, with the stage it is back at. A move to draft, ai_review or ai_reviewed is not announced (the AI
review's result has its own notice)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from commands.ats.application_events import (
    ApplicationAIReviewFailed,
    ApplicationCreated,
    ApplicationExpired,
    ApplicationHired,
    ApplicationProposalAccepted,
    ApplicationProposalDeclined,
    ApplicationReactivated,
    ApplicationStageChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
)
from commands.ats.application_rules import COMPANY_VISIBLE
from commands.notifications.events import Category
from consumers.notifications.people import (
    CANDIDATE, COMPANY, RECRUITER, Notice, Person, Planner, Reads, actor_user_id, application_people, find_recruiter,
    find_user,
)
from consumers.notifications.templates import STAGE_LABELS
from consumers.runtime.reactor import Reaction
from projections.ats.company_queries import company_name

_TEMPLATES: dict[str, str] = {
    "recruiter_request": "application_changes_requested",
    "screen": "application_screen",
    "recruiter_review": "application_recruiter_review",
    "submitted": "application_submitted",
    "company_review": "application_company_review",
    "company_feedback": "application_company_feedback",
    "interview": "application_interview",
    "offer": "application_offer",
    "hired": "application_hired",
    "rejected": "application_rejected",
    "withdrawn": "application_withdrawn",
    "expired": "application_expired",
}
_AUDIENCES: dict[str, tuple[str, ...]] = {
    "recruiter_request": (CANDIDATE,),
    "screen": (CANDIDATE, RECRUITER),
    "recruiter_review": (CANDIDATE, RECRUITER),
    **dict.fromkeys(("submitted", "company_review", "company_feedback", "interview", "offer", "hired", "rejected",
                     "expired"), (CANDIDATE, RECRUITER, COMPANY)),
    "withdrawn": (RECRUITER, COMPANY),
}
_CATEGORY: dict[str, Category] = {"interview": "interviews", "offer": "offers_hires", "hired": "offers_hires"}


def reached_company(from_stage: str, to_stage: str) -> bool:
    """Whether the company has seen (or now sees) the application: a rejection counts only from a stage it saw."""
    return from_stage in COMPANY_VISIBLE or (to_stage in COMPANY_VISIBLE and to_stage != "rejected")


async def _context(reaction: Reaction, db: Reads, app: Any, job: Any, people: dict[str, list[Person]]
                   ) -> dict[str, Any]:
    recruiter = await find_recruiter(db, app.candidate_recruiter_id)
    name = await db.read(company_name, app.company_id) if app.company_id else None
    return {"job_title": job.title or "a job",
            "candidate_name": people[CANDIDATE][0].name if people[CANDIDATE] and people[CANDIDATE][0].name
            else "The candidate",
            "company_name": name or "the hiring company", "with_recruiter": recruiter is not None,
            "recruiter_name": recruiter.name if recruiter and recruiter.name else "your recruiter"}


async def _recipients(db: Reads, app: Any, people: dict[str, list[Person]], audiences: tuple[str, ...],
                      company_sees: bool) -> list[tuple[str, Person]]:
    """(audience, person) for the audiences of a move: the candidate's recruiter always, the company's recruiter
    and admins only when the company sees the application (a screen is the company's: it asked for it)."""
    told: list[tuple[str, Person]] = [(CANDIDATE, p) for p in people[CANDIDATE] if CANDIDATE in audiences]
    if RECRUITER in audiences:
        if own := await find_recruiter(db, app.candidate_recruiter_id):
            told.append((RECRUITER, own))
        if company_sees:
            if theirs := await find_recruiter(db, app.company_recruiter_id):
                told.append((RECRUITER, theirs))
    if COMPANY in audiences and company_sees:
        told += [(COMPANY, p) for p in people[COMPANY]]
    return told


def _notices(recipients: list[tuple[str, Person]], template: str, category: Category, context: dict[str, Any],
             application_id: UUID, portal: str, candidate_app: str, by: str, tell_candidate_own_act: bool = False
             ) -> list[Notice]:
    actor = actor_user_id(by)
    return [Notice(person, template, category, context | {"audience": audience},
                   f"{candidate_app if audience == CANDIDATE else portal}/applications/{application_id}", audience)
            for audience, person in recipients
            if person.user_id is None or person.user_id != actor or (audience == CANDIDATE and tell_candidate_own_act)]


async def _moved(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    stage = e.to_stage
    template, audiences = _TEMPLATES.get(stage), _AUDIENCES.get(stage, ())
    if template is None or not audiences:
        return []
    app, job, people = await application_people(reaction.store, db, e.application_id)
    if not app.exists:
        return []
    context = await _context(reaction, db, app, job, people) | {
        "reason": getattr(e, "reason", None), "from_stage_label": STAGE_LABELS.get(e.from_stage, e.from_stage),
        "opportunity": isinstance(e, ApplicationExpired) and e.from_stage == "recruiter_proposed",
        "start_date": e.start_date.isoformat() if isinstance(e, ApplicationHired) else None}
    recipients = await _recipients(db, app, people, audiences, reached_company(e.from_stage, stage))
    return _notices(recipients, template, _CATEGORY.get(stage, "applications"), context, e.application_id, portal,
                    candidate_app, e.by, tell_candidate_own_act=stage in ("submitted", "recruiter_review"))


async def _created(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    """The candidate (their confirmation, or the news that their recruiter applied for them); the candidate's
    recruiter when the candidate applied themselves. The company sees nothing of a draft."""
    e: ApplicationCreated = reaction.event
    app, job, people = await application_people(reaction.store, db, e.application_id)
    if not app.exists:
        return []
    context = await _context(reaction, db, app, job, people) | {"by_recruiter": e.source != "direct"}
    own = await find_recruiter(db, e.candidate_recruiter_id)
    if e.source == "company_recruiter" and (theirs := await find_recruiter(db, e.company_recruiter_id)):
        context["recruiter_name"] = theirs.name or "A recruiter"  # who applied for them, the company's recruiter
    recipients = [(CANDIDATE, p) for p in people[CANDIDATE]] + ([(RECRUITER, own)] if own and e.source == "direct"
                                                                  else [])
    return _notices(recipients, "application_created", "applications", context, e.application_id, portal,
                    candidate_app, e.created_by, tell_candidate_own_act=True)


async def _proposal_answered(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    """The candidate accepted or declined a recruiter's proposal: the recruiter who proposed it is told."""
    e = reaction.event
    app, job, people = await application_people(reaction.store, db, e.application_id)
    recruiter = await find_recruiter(db, app.candidate_recruiter_id)
    if recruiter is None:
        return []
    context = await _context(reaction, db, app, job, people) | {
        "accepted": isinstance(e, ApplicationProposalAccepted), "reason": getattr(e, "reason", None),
        "audience": RECRUITER}
    return [Notice(recruiter, "proposal_answered", "applications", context,
                   f"{portal}/applications/{e.application_id}", RECRUITER)]


async def _ai_failed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: ApplicationAIReviewFailed = reaction.event
    app, job, people = await application_people(reaction.store, db, e.application_id)
    if not app.exists:
        return []
    context = await _context(reaction, db, app, job, people)
    recipients = await _recipients(db, app, people, (CANDIDATE, RECRUITER), company_sees=False)
    return _notices(recipients, "ai_review_failed", "applications", context, e.application_id, portal,
                    candidate_app, e.by)


async def _reactivated(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    """Back at the stage it expired in: everyone that stage concerns, told in the generic words."""
    e: ApplicationReactivated = reaction.event
    app, job, people = await application_people(reaction.store, db, e.application_id)
    if not app.exists:
        return []
    context = await _context(reaction, db, app, job, people) | {
        "stage_label": STAGE_LABELS.get(e.to_stage, e.to_stage), "reason": "It was reactivated after it expired."}
    recipients = await _recipients(db, app, people, _AUDIENCES.get(e.to_stage, (CANDIDATE, RECRUITER)),
                                   reached_company(e.to_stage, e.to_stage))
    return _notices(recipients, "application_stage", "applications", context, e.application_id, portal,
                    candidate_app, e.by)


async def screen_notices(reaction: Reaction, db: Reads, portal: str, candidate_app: str, skip: set[UUID]
                         ) -> list[Notice]:
    """A pre-screen asked for moves the application to screen: told like any move to screen, to whom `skip` does
    not name (the screening recruiter has a notice of their own)."""
    return [n for n in await _moved(reaction, db, portal, candidate_app) if n.to.user_id not in skip]


async def requester(db: Reads, by: str, by_role: str) -> Person | None:
    """The company's user who asked for something on the application (None: a recruiter, an admin, the system)."""
    return await find_user(db, actor_user_id(by)) if by_role == "company" else None


PLANNERS: dict[type, Planner] = {
    **dict.fromkeys((ApplicationStageChanged, ApplicationSubmitted, ApplicationHired, ApplicationWithdrawn,
                     ApplicationExpired), _moved),
    ApplicationCreated: _created,
    ApplicationProposalAccepted: _proposal_answered,
    ApplicationProposalDeclined: _proposal_answered,
    ApplicationAIReviewFailed: _ai_failed,
    ApplicationReactivated: _reactivated,
}
