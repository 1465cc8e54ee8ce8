"""Notices about applications beside their moves (consumers/notifications/stages.py): a proposal, an AI review's
result, an expiry coming, an offer accepted, a pre-screen asked for (and its confirmation to the asker), a note.

An expiry warning goes to everyone the application's stage concerns (the company only once it has reached the
company), and tells each whether the application is waiting on them. A note is announced only to those who
read its visibility (the rule of the notes' own reads, `visible_note_visibilities`), never to its author, and
the notice does not carry the note's text: the link leads to it, behind the reads' access checks."""

from __future__ import annotations

from commands.ai.events import AIReviewCompleted
from commands.ats import job as jobs
from commands.ats.application_events import (
    ApplicationExpiryWarned,
    ApplicationOfferAccepted,
    ApplicationPrescreenRequested,
    ApplicationProposed,
)
from commands.ats.application_rules import COMPANY_VISIBLE
from commands.ats.note import visible_note_visibilities
from commands.ats.note_events import ApplicationNoteAdded
from consumers.notifications.people import (
    CANDIDATE, COMPANY, RECRUITER, Notice, Person, Planner, Reads, application_people, company_admins, find_candidate,
    find_recruiter,
)
from consumers.notifications.stages import requester, screen_notices
from consumers.notifications.templates import STAGE_LABELS
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for


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


async def _expiry_warned(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: ApplicationExpiryWarned = reaction.event
    app, job, people = await application_people(reaction.store, db, e.application_id)
    if not app.exists:
        return []
    candidate_name = people[CANDIDATE][0].name if people[CANDIDATE] else "The candidate"
    context = {"job_title": job.title or "a job", "candidate_name": candidate_name,
               "stage_label": STAGE_LABELS[e.stage], "expires_on": e.expires_at.date().isoformat(),
               "responsible_party": e.responsible_party}
    audiences = (CANDIDATE, RECRUITER, COMPANY) if e.stage in COMPANY_VISIBLE else (CANDIDATE, RECRUITER)
    return [Notice(person, "expiry_warning", "applications", context | {"audience": audience},
                   f"{candidate_app if audience == CANDIDATE else portal}/applications/{e.application_id}", audience)
            for audience in audiences for person in people[audience]]


async def _offer_accepted(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: ApplicationOfferAccepted = reaction.event
    app, job, people = await application_people(reaction.store, db, e.application_id)
    candidate_name = people[CANDIDATE][0].name if people[CANDIDATE] else "The candidate"
    context = {"job_title": job.title or "a job", "candidate_name": candidate_name}
    url = f"{portal}/applications/{e.application_id}"
    return [Notice(person, "offer_accepted", "offers_hires", context | {"audience": audience}, url, audience)
            for audience in (RECRUITER, COMPANY) for person in people[audience]]


async def _prescreen_requested(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    """The screening recruiter is asked; the company's user who asked gets the confirmation (whether a recruiter
    was found to screen); the candidate and their recruiter hear of the move to screen like any other."""
    e: ApplicationPrescreenRequested = reaction.event
    recruiter = await find_recruiter(db, e.company_recruiter_id)
    app, job, people = await application_people(reaction.store, db, e.application_id)
    if not app.exists:
        return []
    context = {"job_title": job.title or "a job",
               "candidate_name": people[CANDIDATE][0].name if people[CANDIDATE] else "A candidate"}
    url = f"{portal}/applications/{e.application_id}"
    notices = [Notice(recruiter, "prescreen_requested", "applications", context | {"message": e.message}, url,
                      RECRUITER)] if recruiter else []
    if asker := await requester(db, e.by, e.by_role):
        notices.append(Notice(asker, "prescreen_confirmation", "applications", context | {
            "recruiter_name": (recruiter.name or "A recruiter") if recruiter else None}, url, COMPANY))
    skip = {p.to.user_id for p in notices}
    return notices + await screen_notices(reaction, db, portal, candidate_app, skip)


async def _note_added(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: ApplicationNoteAdded = reaction.event
    app, job, people = await application_people(reaction.store, db, e.application_id)
    if not app.exists:
        return []
    candidate = people[CANDIDATE][0] if people[CANDIDATE] else None
    readers: list[tuple[str, Person | None]] = [
        ("candidate", candidate),
        ("candidate_recruiter", await find_recruiter(db, app.candidate_recruiter_id)),
        ("company_recruiter", await find_recruiter(db, app.company_recruiter_id)),
        *(("company_user", admin) for admin in (await company_admins(db, app.company_id)
                                                 if app.stage in COMPANY_VISIBLE else [])),
    ]
    context = {"job_title": job.title or "a job", "candidate_name": candidate.name if candidate else "A candidate"}
    told: set[object] = {e.created_by_user_id}
    notices = []
    for kind, person in readers:  # candidate side first: someone on both sides is told as the candidate side
        if person is None or person.user_id in told or e.visibility not in visible_note_visibilities(kind):
            continue
        told.add(person.user_id)
        audience = CANDIDATE if kind == "candidate" else RECRUITER if kind.endswith("recruiter") else COMPANY
        base = candidate_app if audience == CANDIDATE else portal
        notices.append(Notice(person, "note_added", "applications", context | {"audience": audience},
                              f"{base}/applications/{e.application_id}", audience))
    return notices


PLANNERS: dict[type, Planner] = {
    ApplicationProposed: _proposed,
    AIReviewCompleted: _ai_reviewed,
    ApplicationExpiryWarned: _expiry_warned,
    ApplicationOfferAccepted: _offer_accepted,
    ApplicationPrescreenRequested: _prescreen_requested,
    ApplicationNoteAdded: _note_added,
}
