"""The AI review decider: one attempt at a time per review (a lease), one outcome per review, retries of a
stuck application bounded and timed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ai.events import (
    AIReviewCompleted,
    AIReviewFailed,
    AIReviewInterrupted,
    AIReviewRetryRequested,
    AIReviewStarted,
)
from commands.ai.fit import FitReview
from commands.ai.review import (
    LEASE,
    MAX_RETRIES,
    STUCK_AFTER,
    CompleteAIReview,
    FailAIReview,
    InterruptAIReview,
    RequestRetry,
    ReviewNotStarted,
    StartAIReview,
    ai_review,
    retry_review_id,
    review_id_for_trigger,
)
from tests.unit.dsl import given

APP = UUID("00000000-0000-4000-8000-00000000a001")
JOB = UUID("00000000-0000-4000-8000-00000000a002")
CAND = UUID("00000000-0000-4000-8000-00000000a003")
R = review_id_for_trigger(UUID("00000000-0000-4000-8000-00000000e001"))
BY = "reactor:ai-review"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

GOOD = FitReview(
    fit_score=82, recommendation="good_fit", confidence_level=70, strengths=["Python for eight years"], concerns=[],
    matched_skills=["Python"], missing_skills=["Go"], skills_match_percentage=50, matched_requirements=[],
    missing_requirements=[], required_years=5, candidate_years=8, meets_experience_requirement=True,
    location_compatibility="good", overall_summary="A good fit.",
)


def start(at: datetime = T0, review_id: UUID = R) -> StartAIReview:
    return StartAIReview(application_id=APP, review_id=review_id, job_id=JOB, candidate_id=CAND, by=BY, at=at)


def started(attempt: int = 1, at: datetime = T0, review_id: UUID = R, trigger: str = "stage_change") -> AIReviewStarted:
    return AIReviewStarted(application_id=APP, review_id=review_id, job_id=JOB, candidate_id=CAND, trigger=trigger,
                           attempt=attempt, lease_until=at + LEASE, by=BY, at=at)


def interrupted(attempt: int = 1, at: datetime = T0) -> AIReviewInterrupted:
    return AIReviewInterrupted(application_id=APP, review_id=R, attempt=attempt, reason="APIConnectionError()",
                               by=BY, at=at)


def complete(review: FitReview = GOOD, at: datetime = T0 + timedelta(seconds=5)) -> CompleteAIReview:
    return CompleteAIReview(application_id=APP, review_id=R, review=review, model="openai/gpt-4o-mini",
                            prompt_tokens=900, completion_tokens=300, duration_ms=4200, by=BY, at=at)


def completed(review: FitReview = GOOD, needs_improvement: bool = False,
              at: datetime = T0 + timedelta(seconds=5)) -> AIReviewCompleted:
    return AIReviewCompleted(application_id=APP, review_id=R, job_id=JOB, candidate_id=CAND, **review.model_dump(),
                             needs_improvement=needs_improvement, model="openai/gpt-4o-mini", prompt_tokens=900,
                             completion_tokens=300, duration_ms=4200, by=BY, at=at)


def fail(at: datetime = T0 + timedelta(seconds=5)) -> FailAIReview:
    return FailAIReview(application_id=APP, review_id=R, reason="fit_score: must be at most 100",
                        model="openai/gpt-4o-mini", prompt_tokens=900, completion_tokens=30, duration_ms=900, by=BY,
                        at=at)


def failed(at: datetime = T0 + timedelta(seconds=5)) -> AIReviewFailed:
    return AIReviewFailed(application_id=APP, review_id=R, job_id=JOB, candidate_id=CAND,
                          reason="fit_score: must be at most 100", model="openai/gpt-4o-mini", prompt_tokens=900,
                          completion_tokens=30, duration_ms=900, by=BY, at=at)


def retry(at: datetime, stuck_since: datetime = T0) -> RequestRetry:
    return RequestRetry(application_id=APP, stuck_since=stuck_since, by="scheduler", at=at)


def retried(n: int, at: datetime, retry_in_stay: int | None = None,
            stuck_since: datetime = T0) -> AIReviewRetryRequested:
    return AIReviewRetryRequested(application_id=APP, review_id=retry_review_id(APP, n), retry=retry_in_stay or n,
                                  stuck_since=stuck_since, by="scheduler", at=at)


# --- starting: once per review, while its lease runs ----------------------------------------------------------

def test_a_new_review_starts_its_first_attempt_with_a_lease() -> None:
    given(ai_review).when(start()).then(started())


def test_a_second_start_while_the_lease_runs_records_nothing() -> None:
    given(ai_review, started()).when(start(T0 + LEASE - timedelta(seconds=1))).then()


def test_a_start_after_an_interrupted_attempt_starts_the_next_attempt_at_once() -> None:
    later = T0 + timedelta(seconds=3)
    given(ai_review, started(), interrupted()).when(start(later)).then(started(attempt=2, at=later))


def test_a_start_after_the_lease_ran_out_takes_the_review_over() -> None:
    given(ai_review, started()).when(start(T0 + LEASE)).then(started(attempt=2, at=T0 + LEASE))


@pytest.mark.parametrize("outcome", [completed, failed])
def test_a_start_of_a_finished_review_records_nothing_even_after_the_lease(outcome) -> None:
    given(ai_review, started(), outcome()).when(start(T0 + timedelta(hours=1))).then()


def test_a_start_of_a_review_asked_for_by_a_retry_keeps_it_a_retry() -> None:
    asked = retried(1, T0 + STUCK_AFTER)
    at = T0 + STUCK_AFTER + timedelta(seconds=2)
    given(ai_review, asked).when(start(at, review_id=asked.review_id)).then(
        started(at=at, review_id=asked.review_id, trigger="retry"))


def test_other_reviews_do_not_hold_a_new_one() -> None:
    other = review_id_for_trigger(UUID("00000000-0000-4000-8000-00000000e002"))
    given(ai_review, started()).when(start(T0, review_id=other)).then(started(review_id=other))


# --- interrupting: only the attempt holding the lease gives it back --------------------------------------------

def test_the_attempt_holding_the_lease_gives_it_back() -> None:
    command = InterruptAIReview(application_id=APP, review_id=R, attempt=1, reason="APIConnectionError()", by=BY,
                                at=T0)
    given(ai_review, started()).when(command).then(interrupted())


@pytest.mark.parametrize("history", [
    [],  # never started
    [started(), interrupted()],  # given back already
    [started(), started(attempt=2, at=T0 + LEASE)],  # taken over: attempt 1 holds nothing
    [started(), completed()],  # over
])
def test_an_interrupt_that_holds_no_lease_records_nothing(history) -> None:
    command = InterruptAIReview(application_id=APP, review_id=R, attempt=1, reason="late", by=BY, at=T0 + LEASE)
    given(ai_review, *history).when(command).then()


# --- outcomes: one per review ----------------------------------------------------------------------------------

def test_a_started_review_completes_with_every_output() -> None:
    given(ai_review, started()).when(complete()).then(completed())


def test_a_poor_fit_completes_needing_improvement() -> None:
    poor = GOOD.model_copy(update={"fit_score": 30, "recommendation": "poor_fit"})
    given(ai_review, started()).when(complete(poor)).then(completed(poor, needs_improvement=True))


def test_a_started_review_fails_with_its_reason() -> None:
    given(ai_review, started()).when(fail()).then(failed())


@pytest.mark.parametrize("outcome", [complete, fail])
def test_an_outcome_of_a_review_never_started_is_refused(outcome) -> None:
    given(ai_review).when(outcome()).then_raises(ReviewNotStarted)


@pytest.mark.parametrize("first", [completed, failed])
@pytest.mark.parametrize("second", [complete, fail])
def test_a_second_outcome_records_nothing(first, second) -> None:
    given(ai_review, started(), first()).when(second()).then()


def test_an_interrupted_review_still_takes_its_outcome() -> None:
    given(ai_review, started(), interrupted()).when(fail()).then(failed())


def test_an_outcome_must_be_a_valid_review() -> None:
    with pytest.raises(ValidationError):
        complete(GOOD.model_copy(update={"fit_score": 101}))  # model_copy skips validation; the command does not
    with pytest.raises(ValidationError):
        CompleteAIReview(application_id=APP, review_id=R, review=GOOD, model="m", prompt_tokens=-1, by=BY, at=T0)


# --- retries of a stuck application ----------------------------------------------------------------------------

def test_an_application_never_reviewed_is_retried_once_stuck() -> None:
    given(ai_review).when(retry(T0 + STUCK_AFTER)).then(retried(1, T0 + STUCK_AFTER))


def test_no_retry_before_the_application_has_been_stuck_long_enough() -> None:
    given(ai_review).when(retry(T0 + STUCK_AFTER - timedelta(seconds=1))).then()


def test_no_retry_while_the_latest_review_is_recent_or_running() -> None:
    recent = T0 + STUCK_AFTER
    given(ai_review, started(at=recent)).when(retry(recent + timedelta(minutes=1))).then()
    given(ai_review, started(at=recent)).when(retry(recent + STUCK_AFTER - timedelta(seconds=1))).then()


def test_a_review_that_died_is_retried_with_a_new_review_id() -> None:
    at = T0 + STUCK_AFTER + timedelta(seconds=1)
    [event] = given(ai_review, started()).when(retry(at)).then(retried(1, at))
    assert event.review_id not in (R, retry_review_id(APP, 2))


def test_retries_stop_after_three_per_stay_in_ai_review() -> None:
    history, at = [started()], T0
    for n in range(1, MAX_RETRIES + 1):
        at += STUCK_AFTER
        history.append(retried(n, at))
    assert len(history) == 1 + MAX_RETRIES
    given(ai_review, *history).when(retry(at + STUCK_AFTER)).then()


def test_a_new_stay_in_ai_review_gets_its_own_retries_with_fresh_ids() -> None:
    history, at = [], T0
    for n in range(1, MAX_RETRIES + 1):
        at += STUCK_AFTER
        history.append(retried(n, at))
    back = at + timedelta(days=1)  # the application left ai_review and came back
    given(ai_review, *history).when(retry(back + STUCK_AFTER, stuck_since=back)).then(
        retried(MAX_RETRIES + 1, back + STUCK_AFTER, retry_in_stay=1, stuck_since=back))


def test_review_ids_are_stable_and_distinct() -> None:
    event = UUID("00000000-0000-4000-8000-00000000e001")
    assert review_id_for_trigger(event) == R
    assert retry_review_id(APP, 1) == retry_review_id(APP, 1) != retry_review_id(APP, 2)
    assert len({R, retry_review_id(APP, 1), retry_review_id(UUID(int=7), 1)}) == 3
