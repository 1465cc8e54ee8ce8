"""The events of the AI fit review (domain §6.3, §9): the one definition of each.

One stream per application holds every review of it. A review is asked for by the application entering
ai_review (its id derived from that event) or by the scheduler for an application stuck there
(`AIReviewRetryRequested`); each run of the model is an attempt (`AIReviewStarted`, which holds a lease),
an attempt that could not finish for a reason worth retrying gives its lease back (`AIReviewInterrupted`),
and the review ends once, completed or failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

Recommendation = Literal["strong_fit", "good_fit", "fair_fit", "poor_fit"]
LocationCompatibility = Literal["perfect", "good", "challenging", "mismatch"]
# What asked for a review: the application entering ai_review, or the scheduler retrying a stuck one.
ReviewTrigger = Literal["stage_change", "retry"]


class AIReviewRetryRequested(Event):
    """The application has sat in ai_review since `stuck_since` without a review outcome: a new review,
    `review_id`, is asked for; `retry` counts the retries of this stay in ai_review (1, 2, 3)."""

    application_id: UUID
    review_id: UUID
    retry: int
    stuck_since: datetime
    by: str
    at: datetime


class AIReviewStarted(Event):
    """Attempt `attempt` of review `review_id` calls the model; nobody else does until `lease_until`,
    unless this attempt is interrupted first."""

    application_id: UUID
    review_id: UUID
    job_id: UUID
    candidate_id: UUID
    trigger: ReviewTrigger
    attempt: int
    lease_until: datetime
    by: str
    at: datetime


class AIReviewInterrupted(Event):
    """The attempt failed in a way a later attempt may not (provider unreachable, 5xx, rate limit): its
    lease is given back so that the redelivered event calls the model again at once."""

    application_id: UUID
    review_id: UUID
    attempt: int
    reason: str
    by: str
    at: datetime

    not_personal = frozenset({"reason"})  # the provider's error (unreachable, 5xx, rate limit), not the review


class AIReviewCompleted(Event):
    """The review's result (domain §9 outputs). `model` is `provider/model` (`local/keyword-overlap` for the
    local scorer); `needs_improvement` is the rule of §9 applied to the recommendation and concerns."""

    application_id: UUID
    review_id: UUID
    job_id: UUID
    candidate_id: UUID
    fit_score: int
    recommendation: Recommendation
    confidence_level: int
    overall_summary: str
    strengths: list[str]
    concerns: list[str]
    matched_skills: list[str]
    missing_skills: list[str]
    skills_match_percentage: int
    matched_requirements: list[str]
    missing_requirements: list[str]
    required_years: int | None
    candidate_years: int | None
    meets_experience_requirement: bool
    location_compatibility: LocationCompatibility
    needs_improvement: bool
    model: str
    prompt_tokens: int
    completion_tokens: int
    duration_ms: int
    by: str
    at: datetime

    # The model's texts about the candidate (drawn from their résumé and cover letter). The scores and verdicts
    # stay readable: read models sort on them, and after an erasure they belong to an id that names no one.
    personal = Personal(
        ("overall_summary", "strengths", "concerns", "matched_skills", "missing_skills", "matched_requirements",
         "missing_requirements"),
        kind="application", key="application_id",
    )
    not_personal = frozenset({"skills_match_percentage"})  # a score, like fit_score


class AIReviewFailed(Event):
    """The review could not produce a valid result: the model's answer was malformed or out of range, it
    refused, or the provider refused the request. `model` is None when no model was reached."""

    application_id: UUID
    review_id: UUID
    job_id: UUID
    candidate_id: UUID
    reason: str
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    duration_ms: int
    by: str
    at: datetime

    personal = Personal(("reason",), kind="application", key="application_id")  # may quote the model's answer
