"""Notices about applications: a move of stage, a proposal, an AI review's result."""

from __future__ import annotations

from commands.ai.events import AIReviewCompleted
from commands.ats import job as jobs
from commands.ats.application_events import STAGE_EVENTS, ApplicationProposed
from commands.notifications.events import Category
from consumers.notifications.people import (
    CANDIDATE, COMPANY, RECRUITER, Notice, Planner, Reads, application_people, find_candidate, find_recruiter,
)
from consumers.notifications.templates import STAGE_LABELS
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for

_STAGE_AUDIENCES: dict[str, tuple[str, ...]] = {
    "recruiter_request": (CANDIDATE,),
    "screen": (CANDIDATE, RECRUITER),
    "recruiter_review": (CANDIDATE, RECRUITER),
    "recruiter_proposed": (CANDIDATE, RECRUITER),
    "submitted": (CANDIDATE, RECRUITER, COMPANY),
    **dict.fromkeys(("company_review", "company_feedback", "interview", "offer", "hired", "rejected"),
                    (CANDIDATE, RECRUITER, COMPANY)),
    "withdrawn": (RECRUITER, COMPANY),
    "expired": (CANDIDATE, RECRUITER),
}
_STAGE_CATEGORY: dict[str, Category] = {"interview": "interviews", "offer": "offers_hires", "hired": "offers_hires"}


async def _stage(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    audiences = _STAGE_AUDIENCES.get(e.to_stage, ())
    if not audiences:
        return []
    app, job, people = await application_people(reaction.store, db, e.application_id)
    candidate_name = people[CANDIDATE][0].name if people[CANDIDATE] else "The candidate"
    context = {"job_title": job.title or "a job", "candidate_name": candidate_name,
               "stage_label": STAGE_LABELS[e.to_stage], "reason": getattr(e, "reason", None)}
    category = _STAGE_CATEGORY.get(e.to_stage, "applications")
    notices = []
    for audience in audiences:
        base = candidate_app if audience == CANDIDATE else portal
        for person in people[audience]:
            notices.append(Notice(person, "application_stage", category, context | {"audience": audience},
                                  f"{base}/applications/{e.application_id}", audience))
    return notices


async def _proposed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: ApplicationProposed = reaction.event
    candidate = await find_candidate(reaction.store, db, e.candidate_id)
    recruiter = await find_recruiter(db, e.candidate_recruiter_id)
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, e.job_id))
    if candidate is None:
        return []
    return [Notice(candidate, "application_proposed", "applications",
                   {"job_title": job.title, "recruiter_name": recruiter.name if recruiter else "A recruiter",
                    "pitch": e.pitch}, f"{candidate_app}/applications/{e.application_id}", CANDIDATE)]


async def _ai_reviewed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: AIReviewCompleted = reaction.event
    app, job, people = await application_people(reaction.store, db, e.application_id)
    candidate_name = people[CANDIDATE][0].name if people[CANDIDATE] else "The candidate"
    context = {"job_title": job.title or "a job", "candidate_name": candidate_name, "fit_score": e.fit_score,
               "recommendation": e.recommendation.replace("_", " "), "needs_improvement": e.needs_improvement}
    notices = [Notice(p, "ai_review_completed", "applications", context | {"audience": CANDIDATE},
                      f"{candidate_app}/applications/{e.application_id}", CANDIDATE) for p in people[CANDIDATE]]
    recruiter = await find_recruiter(db, app.candidate_recruiter_id)
    if recruiter is not None:
        notices.append(Notice(recruiter, "ai_review_completed", "applications", context | {"audience": RECRUITER},
                              f"{portal}/applications/{e.application_id}", RECRUITER))
    return notices


PLANNERS: dict[type, Planner] = {
    **dict.fromkeys(STAGE_EVENTS, _stage),
    ApplicationProposed: _proposed,
    AIReviewCompleted: _ai_reviewed,
}
