"""`reviews`: one row per AI review of an application, with every output of §9 once it is completed.

`status` follows the review: requested (a retry asked for, not yet started) → started (an attempt is calling
the model; `attempts` counts them) → interrupted (the attempt failed for a reason worth retrying, its error
in `last_error`; the next attempt makes it started again) → completed or failed (`failure_reason`). Times:
`requested_at` (the first request or start), `started_at` (the latest attempt), `finished_at` (the outcome).
"""

from __future__ import annotations

from commands.ai.events import (
    AIReviewCompleted,
    AIReviewFailed,
    AIReviewInterrupted,
    AIReviewRetryRequested,
    AIReviewStarted,
)
from projections.ai.schema import ai
from projections.core import Sql

ai.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS reviews (
        review_id                    uuid PRIMARY KEY,
        application_id               uuid NOT NULL,
        job_id                       uuid,
        candidate_id                 uuid,
        trigger                      text NOT NULL,
        retry                        integer NOT NULL DEFAULT 0,
        stuck_since                  timestamptz,
        status                       text NOT NULL,
        attempts                     integer NOT NULL DEFAULT 0,
        last_error                   text,
        fit_score                    integer,
        recommendation               text,
        confidence_level             integer,
        overall_summary              text,
        strengths                    text[],
        concerns                     text[],
        matched_skills               text[],
        missing_skills               text[],
        skills_match_percentage      integer,
        matched_requirements         text[],
        missing_requirements         text[],
        required_years               integer,
        candidate_years              integer,
        meets_experience_requirement boolean,
        location_compatibility       text,
        needs_improvement            boolean,
        failure_reason               text,
        model                        text,
        prompt_tokens                integer,
        completion_tokens            integer,
        duration_ms                  integer,
        requested_at                 timestamptz NOT NULL,
        started_at                   timestamptz,
        finished_at                  timestamptz,
        updated_at                   timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS reviews_application_idx ON reviews (application_id, requested_at DESC);
    """
)

_OUTPUTS = (
    "fit_score", "recommendation", "confidence_level", "overall_summary", "strengths", "concerns", "matched_skills",
    "missing_skills", "skills_match_percentage", "matched_requirements", "missing_requirements", "required_years",
    "candidate_years", "meets_experience_requirement", "location_compatibility", "needs_improvement",
)
_COSTS = ("model", "prompt_tokens", "completion_tokens", "duration_ms")


@ai.handles(AIReviewRetryRequested)
def _(e: AIReviewRetryRequested) -> Sql:
    return Sql(
        "INSERT INTO reviews (review_id, application_id, trigger, retry, stuck_since, status, requested_at, updated_at)"
        " VALUES (%s, %s, 'retry', %s, %s, 'requested', %s, %s) ON CONFLICT (review_id) DO NOTHING",
        (e.review_id, e.application_id, e.retry, e.stuck_since, e.at, e.at),
    )


@ai.handles(AIReviewStarted)
def _(e: AIReviewStarted) -> Sql:
    return Sql(
        "INSERT INTO reviews (review_id, application_id, job_id, candidate_id, trigger, status, attempts, requested_at,"
        " started_at, updated_at) VALUES (%(review_id)s, %(application_id)s, %(job_id)s, %(candidate_id)s,"
        " %(trigger)s, 'started', %(attempt)s, %(at)s, %(at)s, %(at)s)"
        " ON CONFLICT (review_id) DO UPDATE SET job_id = excluded.job_id, candidate_id = excluded.candidate_id,"
        " status = 'started', attempts = excluded.attempts, started_at = excluded.started_at,"
        " updated_at = excluded.updated_at",
        {"review_id": e.review_id, "application_id": e.application_id, "job_id": e.job_id,
         "candidate_id": e.candidate_id, "trigger": e.trigger, "attempt": e.attempt, "at": e.at},
    )


@ai.handles(AIReviewInterrupted)
def _(e: AIReviewInterrupted) -> Sql:
    return Sql(
        "UPDATE reviews SET status = 'interrupted', last_error = %s, updated_at = %s"
        " WHERE review_id = %s AND status = 'started' AND attempts = %s",
        (e.reason, e.at, e.review_id, e.attempt),
    )


@ai.handles(AIReviewCompleted)
def _(e: AIReviewCompleted) -> Sql:
    columns = (*_OUTPUTS, *_COSTS)
    assignments = ", ".join(f"{c} = %({c})s" for c in columns)
    return Sql(
        f"UPDATE reviews SET status = 'completed', {assignments}, finished_at = %(at)s, updated_at = %(at)s"
        " WHERE review_id = %(review_id)s",
        {**e.model_dump(include=set(columns)), "review_id": e.review_id, "at": e.at},
    )


@ai.handles(AIReviewFailed)
def _(e: AIReviewFailed) -> Sql:
    assignments = ", ".join(f"{c} = %({c})s" for c in _COSTS)
    return Sql(
        f"UPDATE reviews SET status = 'failed', failure_reason = %(reason)s, {assignments}, finished_at = %(at)s,"
        " updated_at = %(at)s WHERE review_id = %(review_id)s",
        {**e.model_dump(include=set(_COSTS)), "reason": e.reason, "review_id": e.review_id, "at": e.at},
    )
