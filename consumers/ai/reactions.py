"""The AI fit review of an application (domain §9): on entering ai_review, and on the scheduler's retry of an
application stuck there, review it once and move it to ai_reviewed (perhaps needing improvement) or ai_failed.

The review's history is on the application's ai stream (commands/ai/review.py), which also makes the model
call happen once per review however often the triggering event arrives:
1. the review id is derived from the triggering event (every delivery names the same review);
2. `StartAIReview` records an attempt holding a lease; when it records nothing, another delivery holds the
   review (it will finish it: return) or the review is over (send its outcome to the application again, an
   idempotent command, and return);
3. the inputs are gathered and the review runs on the reviewer of the reactor's context (adapters/reviewer.py,
   chosen by infra/bootstrap.py): OpenAI with a structured output when `OPENAI_API_KEY` is set, otherwise, or
   with `SPLITS_AI=local`, the transparent local scorer (model `local/keyword-overlap`; also what a handler run
   without a context uses);
4. the outcome is recorded on the ai stream, then sent to the application.
Anything that goes wrong after the Start gives the lease back (`InterruptAIReview`) and raises, so the
runtime's retry of this same event starts the next attempt and calls the model again at once. A process
killed mid-call keeps its lease for `LEASE` (2 minutes, longer than the slowest call: 3 tries of at most
`adapters.reviewer.CALL_TIMEOUT_S`); a delivery after that takes over. A duplicate that found the lease held and
returned may mark the event done while the holder later fails: the stuck-review schedule
(consumers/ai/schedules.py) retries such an application after 10 minutes.

OpenAI answers sort three ways: a valid review completes it; an answer that is malformed, out of range, of a
bad enum, inconsistent with the score bands, cut off or refused, and a request OpenAI refuses (4xx), fail it
(→ ai_failed) with the reason; an unreachable provider, a 5xx, 408/409 or a rate limit raise
`adapters.reviewer.ReviewUnavailable` (after the SDK's own two retries) for the reactor runtime to retry with backoff.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

import structlog

from commands.ai import local_scorer
from commands.ai import review as reviews
from commands.ai.events import AIReviewRetryRequested, AIReviewStarted
from commands.ai.fit import FitReview
from commands.ai.inputs import PreScreenAnswer, ReviewInputs
from commands.ai.profile import profile_inputs
from commands.ai.prompt import SYSTEM, user_message
from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.ats.application_events import ApplicationCreated, ApplicationStageChanged
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from adapters.reviewer import LOCAL_REVIEWER, ReviewRequest
from projections.documents.queries import cover_letter_text_for, resume_text_for

log = structlog.get_logger(__name__)

BY = "reactor:ai-review"
TEMPERATURE = 0.3
MAX_TOKENS = 2000


class FitReviewOut(FitReview):
    """The structured output asked of the model: a fit review, its ranges and enums in the JSON schema."""


def review_request(inputs: ReviewInputs) -> ReviewRequest[FitReview]:
    """What the reviewer is asked for `inputs`: §9's prompt, sampling and structured output, and the local
    scorer's review of the same inputs."""
    return ReviewRequest(system=SYSTEM, user=user_message(inputs), answer=FitReviewOut, temperature=TEMPERATURE,
                         max_tokens=MAX_TOKENS, local_model=local_scorer.MODEL,
                         local=lambda: local_scorer.local_review(inputs))


# --- gathering the inputs -----------------------------------------------------------------------------------

async def load_application(store: EventStore, application_id: UUID) -> tuple[applications.Application, str | None]:
    """The application's state and its cover letter (kept by its creation event, not by the state)."""
    assert store.registry is not None
    state, cover_letter = applications.initial_state(), None
    for recorded in await store.read_stream(stream_id_for(applications.application, application_id)):
        event = store.registry.decode(recorded)
        state = applications.evolve(state, event)
        if isinstance(event, ApplicationCreated):
            cover_letter = event.cover_letter
    return state, getattr(state, "cover_letter", None) or cover_letter


def _names(items: Any) -> tuple[str, ...]:
    """Skill names from strings or skill records (anything with a `name`)."""
    names = (item if isinstance(item, str) else getattr(item, "name", None) for item in items or ())
    return tuple(n.strip() for n in names if isinstance(n, str) and n.strip())


def _answers(application: applications.Application, job: jobs.Job) -> tuple[PreScreenAnswer, ...]:
    """The application's pre-screen answers, each with its question as it was asked; whether the question is
    required is the job's word now (commands/ats/application_prescreen.py)."""
    required = {q.question_id for q in job.pre_screen_questions if q.is_required}
    shown = {True: "yes", False: "no"}
    return tuple(
        PreScreenAnswer(question=a.question, question_type=a.question_type, is_required=a.question_id in required,
                        answer=shown[a.answer] if isinstance(a.answer, bool)
                        else ", ".join(a.answer) if isinstance(a.answer, list) else a.answer)
        for a in application.pre_screen_answers)


async def gather_inputs(store: EventStore, application: applications.Application, cover_letter: str | None,
                        job: jobs.Job, candidate: candidates.Candidate) -> ReviewInputs:
    """Everything §9 lists that this system holds: the job, the candidate's profile with their skills and
    structured résumé, the application's cover letter and answers, and the text of the resume and cover-letter
    documents (beside the structured résumé, for what it does not hold)."""
    assert application.id is not None and application.candidate_id is not None
    async with store.pool.connection() as db:
        resume = await resume_text_for(db, application.candidate_id, application.id)
        letter_document = await cover_letter_text_for(db, application.id)
    letters = [text for text in (cover_letter, letter_document) if text and text.strip()]
    return ReviewInputs(
        job_title=job.title,
        job_description=job.recruiter_description or job.candidate_description,
        required_skills=_names(s for s in job.skills if s.is_required),
        preferred_skills=_names(s for s in job.skills if not s.is_required),
        mandatory_requirements=tuple(r.description for r in job.requirements if r.requirement_type == "mandatory"),
        preferred_requirements=tuple(r.description for r in job.requirements if r.requirement_type == "preferred"),
        job_location=job.location,
        job_level=job.job_level,
        remote_friendly="remote" in job.commute_types,
        open_to_relocation=job.open_to_relocation,
        candidate_title=candidate.current_title,
        candidate_company=candidate.current_company,
        candidate_bio=candidate.bio,
        candidate_location=candidate.location,
        candidate_open_to_remote=candidate.open_to_remote,
        candidate_open_to_relocation=candidate.open_to_relocation,
        resume_text=resume,
        cover_letter="\n\n".join(dict.fromkeys(letters)) or None,
        pre_screen_answers=_answers(application, job),
        **profile_inputs(candidate),  # skills, years, positions, education, certifications
    )


# --- the reactor ----------------------------------------------------------------------------------------------

async def _review_state(store: EventStore, application_id: UUID, review_id: UUID) -> reviews.Review | None:
    state, _, _ = await load(store, reviews.ai_review, stream_id_for(reviews.ai_review, application_id))
    return state.get(review_id)


async def _tell_application(reaction: Reaction, application_id: UUID, review: reviews.Review) -> None:
    """Send the review's outcome to the application: keyed by the triggering event, and a no-op once the
    application has left ai_review, so sending it again is harmless."""
    command: applications.RecordAIReviewCompleted | applications.RecordAIReviewFailed
    if review.outcome == "completed":
        command = applications.RecordAIReviewCompleted(
            application_id=application_id, review_id=review.review_id, needs_improvement=review.needs_improvement,
            by=BY, at=reaction.clock.now())
    else:
        command = applications.RecordAIReviewFailed(
            application_id=application_id, review_id=review.review_id,
            reason=review.failure_reason or "the AI review failed", by=BY, at=reaction.clock.now())
    await handle(reaction.store, applications.application, application_id, command, reaction.metadata())


async def _run(reaction: Reaction, meta: Metadata, application: applications.Application, cover_letter: str | None,
               review_id: UUID) -> None:
    """Gather, review, record: the part after the Start, run by the attempt holding the lease."""
    store = reaction.store
    assert application.id is not None
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, application.job_id))
    candidate, _, _ = await load(store, candidates.candidate,
                                 stream_id_for(candidates.candidate, application.candidate_id))
    inputs = await gather_inputs(store, application, cover_letter, job, candidate)
    reviewer = reaction.context.reviewer if reaction.context is not None else LOCAL_REVIEWER
    outcome = await reviewer.review(review_request(inputs))
    if outcome.failure is not None:
        outcome = replace(outcome, failure=outcome.failure[: reviews.MAX_REASON_CHARS])
    counts = {"prompt_tokens": outcome.prompt_tokens, "completion_tokens": outcome.completion_tokens,
              "duration_ms": outcome.duration_ms}
    command: reviews.CompleteAIReview | reviews.FailAIReview
    if outcome.review is not None:
        assert outcome.model is not None
        command = reviews.CompleteAIReview(application_id=application.id, review_id=review_id, review=outcome.review,
                                           model=outcome.model, **counts, by=BY, at=reaction.clock.now())
    else:
        log.warning("AI review failed", application_id=str(application.id), review_id=str(review_id),
                    model=outcome.model, reason=outcome.failure)
        command = reviews.FailAIReview(application_id=application.id, review_id=review_id,
                                       reason=outcome.failure or "the review gave no result", model=outcome.model,
                                       **counts, by=BY, at=reaction.clock.now())
    await handle(store, reviews.ai_review, application.id, command, meta)


async def on_review_requested(reaction: Reaction) -> None:
    """Review the application named by an `ApplicationStageChanged` to ai_review or an `AIReviewRetryRequested`."""
    match reaction.event:
        case ApplicationStageChanged(to_stage="ai_review", application_id=application_id):
            review_id = reviews.review_id_for_trigger(reaction.recorded.event_id)
        case AIReviewRetryRequested(application_id=application_id, review_id=review_id):
            pass
        case _:
            return
    store = reaction.store
    application, cover_letter = await load_application(store, application_id)
    if application.stage != "ai_review":
        return  # moved on meanwhile (withdrawn, or reviewed by another request): a late review would be refused
    assert application.job_id is not None and application.candidate_id is not None
    # The ai stream's commands decide for themselves whether they are repeats: no idempotency key.
    meta = replace(reaction.metadata(), idempotency_key=None)
    started = await handle(store, reviews.ai_review, application_id, reviews.StartAIReview(
        application_id=application_id, review_id=review_id, job_id=application.job_id,
        candidate_id=application.candidate_id, by=BY, at=reaction.clock.now()), meta)
    review = await _review_state(store, application_id, review_id)
    assert review is not None
    if AIReviewStarted.type_name() not in started.event_types:
        if review.outcome is not None:
            await _tell_application(reaction, application_id, review)
        return  # otherwise another delivery holds the review and finishes it
    try:
        await _run(reaction, meta, application, cover_letter, review_id)
    except Exception as exc:
        try:
            await handle(store, reviews.ai_review, application_id, reviews.InterruptAIReview(
                application_id=application_id, review_id=review_id, attempt=review.attempt,
                reason=(repr(exc) or "interrupted")[: reviews.MAX_REASON_CHARS], by=BY, at=reaction.clock.now()), meta)
        except Exception as release_error:  # the lease then runs out by itself
            log.warning("could not give back an AI review lease", review_id=str(review_id), error=repr(release_error))
        raise
    finished = await _review_state(store, application_id, review_id)
    assert finished is not None and finished.outcome is not None
    await _tell_application(reaction, application_id, finished)


ai_review = Reactor("ai-review", [ApplicationStageChanged, AIReviewRetryRequested], on_review_requested)
