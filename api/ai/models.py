"""The HTTP contract of the AI review routes: the review as the API shows it, apart from its events."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from api.responses import ListOf

from commands.ai.events import LocationCompatibility, Recommendation, ReviewTrigger

ReviewStatus = Literal["requested", "started", "interrupted", "completed", "failed"]


class AIReviewOut(BaseModel):
    """One review. The outputs of §9 are null until it is completed; `failure_reason` says why a failed one
    failed; `model` is `provider/model` (`local/keyword-overlap` for the local scorer). `last_error` (the
    latest interrupted attempt's error) is shown to platform admins only."""

    id: UUID
    application_id: UUID
    job_id: UUID | None
    candidate_id: UUID | None
    trigger: ReviewTrigger
    retry: int
    status: ReviewStatus
    attempts: int
    fit_score: int | None
    recommendation: Recommendation | None
    confidence_level: int | None
    overall_summary: str | None
    strengths: list[str] | None
    concerns: list[str] | None
    matched_skills: list[str] | None
    missing_skills: list[str] | None
    skills_match_percentage: int | None
    matched_requirements: list[str] | None
    missing_requirements: list[str] | None
    required_years: int | None
    candidate_years: int | None
    meets_experience_requirement: bool | None
    location_compatibility: LocationCompatibility | None
    needs_improvement: bool | None
    failure_reason: str | None
    last_error: str | None = None
    model: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    duration_ms: int | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class AIReviewList(ListOf[AIReviewOut]):
    pass
