"""The AI review decider: the reviews of one application, on one stream (`aireview-<application id>`).

A review has an id. The reactor derives it from the event that asked for the review (the application
entering ai_review: `review_id_for_trigger`), the scheduler from the application and the retry's number
(`retry_review_id`), so every delivery of the same request names the same review.

Exactly one model call per review, however often and however concurrently its request is delivered:
- `StartAIReview` records an attempt (`AIReviewStarted`) holding a lease of `LEASE`. While the lease runs
  and the review has no outcome, another Start records nothing: a concurrent duplicate delivery sees that
  and leaves the call to the attempt that holds the lease. The append's expected version makes two
  simultaneous Starts record one attempt.
- An attempt that fails in a way retrying may fix (provider down, 5xx, rate limit) gives its lease back
  (`InterruptAIReview`) before its delivery is retried, so the retried delivery starts attempt n + 1 and
  calls the model again at once. An attempt that dies without a word (a killed process) keeps the lease
  until it runs out; a delivery after that takes over.
- One outcome per review (`CompleteAIReview` or `FailAIReview`); a repeated or second outcome records
  nothing. Once a review has its outcome, a Start records nothing.

`RequestRetry` comes from the scheduler for an application in ai_review for `STUCK_AFTER` without an
outcome (its last activity, and the last review activity, that long ago). It records a new review at most
`MAX_RETRIES` times per stay in ai_review (the stay is named by `stuck_since`, the application's last
activity); after that it records nothing and the application waits for a person (an admin's or the
candidate's return to draft, or a withdrawal).

Time arrives in the commands (`at`); nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field, StringConstraints

from commands.ai.events import (
    AIReviewCompleted,
    AIReviewFailed,
    AIReviewInterrupted,
    AIReviewRetryRequested,
    AIReviewStarted,
    ReviewTrigger,
)
from commands.ai.fit import FitReview
from commands.core import Command, Decider, RuleViolation

LEASE = timedelta(minutes=2)
STUCK_AFTER = timedelta(minutes=10)
MAX_RETRIES = 3
MAX_REASON_CHARS = 2000

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON_CHARS)]
Model = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Count = Annotated[int, Field(ge=0)]


def review_id_for_trigger(event_id: UUID) -> UUID:
    """The review asked for by one event (the application entering ai_review): the same for every delivery."""
    return uuid5(NAMESPACE_URL, f"splits:ai-review:{event_id}")


def retry_review_id(application_id: UUID, retry_number: int) -> UUID:
    """The review of the application's `retry_number`-th retry (counted over the whole stream, from 1)."""
    return uuid5(NAMESPACE_URL, f"splits:ai-review:{application_id}:retry:{retry_number}")


class ReviewNotStarted(RuleViolation):
    """An outcome for a review no attempt has started: the reactor records a Start before calling anything."""

    def __init__(self, review_id: UUID) -> None:
        super().__init__(f"AI review {review_id} has not been started", review_id=str(review_id))


class _AICommand(Command):
    application_id: UUID
    by: Actor
    at: AwareDatetime


class StartAIReview(_AICommand):
    """Take review `review_id` (new, or asked for by a retry) to the model, unless someone holds it or it is over."""

    review_id: UUID
    job_id: UUID
    candidate_id: UUID


class InterruptAIReview(_AICommand):
    """Attempt `attempt` gives its lease back: it failed for a reason worth retrying."""

    review_id: UUID
    attempt: Annotated[int, Field(ge=1)]
    reason: Reason


class CompleteAIReview(_AICommand):
    review_id: UUID
    review: FitReview
    model: Model
    prompt_tokens: Count = 0
    completion_tokens: Count = 0
    duration_ms: Count = 0


class FailAIReview(_AICommand):
    review_id: UUID
    reason: Reason
    model: Model | None = None
    prompt_tokens: Count = 0
    completion_tokens: Count = 0
    duration_ms: Count = 0


class RequestRetry(_AICommand):
    """From the scheduler: the application has been in ai_review since `stuck_since` (its last activity)."""

    stuck_since: AwareDatetime


AICommand = StartAIReview | InterruptAIReview | CompleteAIReview | FailAIReview | RequestRetry
AIEvent = AIReviewRetryRequested | AIReviewStarted | AIReviewInterrupted | AIReviewCompleted | AIReviewFailed
Outcome = Literal["completed", "failed"]


@dataclass(frozen=True)
class Review:
    review_id: UUID
    trigger: ReviewTrigger
    requested_at: datetime
    retry: int = 0  # the retry's number within its stay in ai_review; 0 for a review on entering it
    stuck_since: datetime | None = None
    job_id: UUID | None = None
    candidate_id: UUID | None = None
    attempt: int = 0  # attempts started
    started_at: datetime | None = None  # of the latest attempt
    lease_until: datetime | None = None  # None: no attempt holds the review
    outcome: Outcome | None = None
    needs_improvement: bool = False
    failure_reason: str | None = None

    @property
    def last_active_at(self) -> datetime:
        return self.started_at or self.requested_at

    def held_at(self, at: datetime) -> bool:
        return self.lease_until is not None and at < self.lease_until


@dataclass(frozen=True)
class AIReviews:
    application_id: UUID | None = None
    reviews: tuple[Review, ...] = ()

    def get(self, review_id: UUID) -> Review | None:
        return next((r for r in self.reviews if r.review_id == review_id), None)

    @property
    def retries(self) -> int:
        return sum(1 for r in self.reviews if r.trigger == "retry")


def initial_state() -> AIReviews:
    return AIReviews()


def _with(s: AIReviews, review_id: UUID, **changes: object) -> AIReviews:
    reviews = tuple(replace(r, **changes) if r.review_id == review_id else r for r in s.reviews)  # type: ignore[arg-type]
    return replace(s, reviews=reviews)


def evolve(s: AIReviews, e: AIEvent) -> AIReviews:
    match e:
        case AIReviewRetryRequested():
            review = Review(e.review_id, "retry", e.at, retry=e.retry, stuck_since=e.stuck_since)
            return AIReviews(e.application_id, (*s.reviews, review))
        case AIReviewStarted() if s.get(e.review_id) is None:
            review = Review(e.review_id, e.trigger, e.at, job_id=e.job_id, candidate_id=e.candidate_id,
                            attempt=e.attempt, started_at=e.at, lease_until=e.lease_until)
            return AIReviews(e.application_id, (*s.reviews, review))
        case AIReviewStarted():
            return _with(s, e.review_id, job_id=e.job_id, candidate_id=e.candidate_id, attempt=e.attempt,
                         started_at=e.at, lease_until=e.lease_until)
        case AIReviewInterrupted():
            return _with(s, e.review_id, lease_until=None)
        case AIReviewCompleted():
            return _with(s, e.review_id, outcome="completed", needs_improvement=e.needs_improvement,
                         lease_until=None)
        case AIReviewFailed():
            return _with(s, e.review_id, outcome="failed", failure_reason=e.reason, lease_until=None)
        case _:
            return s


def decide(cmd: AICommand, s: AIReviews) -> list[AIEvent]:
    match cmd:
        case StartAIReview():
            return _start(cmd, s)
        case InterruptAIReview():
            review = s.get(cmd.review_id)
            if review is None or review.outcome or review.lease_until is None or review.attempt != cmd.attempt:
                return []  # not this attempt's lease to give back (taken over, over, or given back already)
            return [AIReviewInterrupted(application_id=cmd.application_id, review_id=cmd.review_id,
                                        attempt=cmd.attempt, reason=cmd.reason, by=cmd.by, at=cmd.at)]
        case CompleteAIReview() | FailAIReview():
            return _outcome(cmd, s)
        case RequestRetry():
            return _retry(cmd, s)
        case _:
            raise TypeError(f"the AI review decider has no case for {type(cmd).__name__}")


def _start(cmd: StartAIReview, s: AIReviews) -> list[AIEvent]:
    review = s.get(cmd.review_id)
    if review is not None and (review.outcome is not None or review.held_at(cmd.at)):
        return []  # over, or another delivery is calling the model for it
    return [AIReviewStarted(
        application_id=cmd.application_id, review_id=cmd.review_id, job_id=cmd.job_id, candidate_id=cmd.candidate_id,
        trigger="stage_change" if review is None else review.trigger,
        attempt=1 if review is None else review.attempt + 1, lease_until=cmd.at + LEASE, by=cmd.by, at=cmd.at,
    )]


def _outcome(cmd: CompleteAIReview | FailAIReview, s: AIReviews) -> list[AIEvent]:
    review = s.get(cmd.review_id)
    if review is None or review.attempt == 0 or review.job_id is None or review.candidate_id is None:
        raise ReviewNotStarted(cmd.review_id)
    if review.outcome is not None:
        return []  # one outcome per review
    common = {"application_id": cmd.application_id, "review_id": cmd.review_id, "job_id": review.job_id,
              "candidate_id": review.candidate_id, "model": cmd.model, "prompt_tokens": cmd.prompt_tokens,
              "completion_tokens": cmd.completion_tokens, "duration_ms": cmd.duration_ms, "by": cmd.by,
              "at": cmd.at}
    if isinstance(cmd, FailAIReview):
        return [AIReviewFailed(**common, reason=cmd.reason)]
    result = cmd.review
    return [AIReviewCompleted(**common, **result.model_dump(), needs_improvement=result.needs_improvement)]


def _retry(cmd: RequestRetry, s: AIReviews) -> list[AIEvent]:
    if cmd.at < cmd.stuck_since + STUCK_AFTER:
        return []  # not stuck yet
    this_stay = [r for r in s.reviews if r.trigger == "retry" and r.stuck_since == cmd.stuck_since]
    if len(this_stay) >= MAX_RETRIES:
        return []
    if s.reviews:
        latest = s.reviews[-1]
        if latest.held_at(cmd.at) or cmd.at < latest.last_active_at + STUCK_AFTER:
            return []  # the latest review is running, or has not been quiet long enough
    return [AIReviewRetryRequested(
        application_id=cmd.application_id, review_id=retry_review_id(cmd.application_id, s.retries + 1),
        retry=len(this_stay) + 1, stuck_since=cmd.stuck_since, by=cmd.by, at=cmd.at,
    )]


ai_review: Decider[AICommand, AIEvent, AIReviews] = Decider(
    "aireview",
    initial_state,
    evolve,
    decide,
    events=(AIReviewRetryRequested, AIReviewStarted, AIReviewInterrupted, AIReviewCompleted, AIReviewFailed),
)
