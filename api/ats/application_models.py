"""The HTTP contract of the application, note and placement routes: request bodies and responses, apart from
events and commands."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.ats.models import Pagination
from api.bounds import Day, Reason, text
from api.responses import ListOf
from commands.ats.application_commands import MovableStage
from commands.ats.application_events import ActorRole, ApplicationSource, ApplicationStage
from commands.ats.events import PreScreenQuestionType
from commands.ats.note_events import NoteAuthorType, NoteType, NoteVisibility
from commands.ats.placement_events import PlacementState

CoverLetter = text(20_000)
Pitch = text(5000)
Message = text(10_000)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateApplicationBody(_Body):
    """A candidate applies for themself (no candidate_id, or their own); a recruiter names the candidate."""

    job_id: UUID
    candidate_id: UUID | None = None
    cover_letter: CoverLetter | None = None


class ProposeApplicationBody(_Body):
    job_id: UUID
    candidate_id: UUID
    pitch: Pitch
    notes: Pitch | None = None


class DeclineProposalBody(_Body):
    reason: Reason


class ReasonBody(_Body):
    reason: Reason | None = None


class MoveStageBody(_Body):
    to: MovableStage
    reason: Reason | None = None


class PrescreenBody(_Body):
    company_recruiter_id: UUID | None = None
    message: Pitch | None = None


class HireBody(_Body):
    salary_cents: int = Field(gt=0, le=10_000_000_000, strict=True, description="annual salary in cents")
    start_date: Day
    confirm_guarantee_over: bool = Field(
        default=False, strict=True,
        description="Hire although start_date plus the job's guarantee days is already past. Platform admins "
                    "only: from anyone else the hire is refused (403).")


MAX_PRE_SCREEN_ANSWERS = 25  # a job asks at most this many (commands/ats/job_rules.py)
AnswerText = text(5000)
ChosenOption = text(200)


class PreScreenAnswerIn(_Body):
    """`answer` by the question's type: text a string, yes_no true or false, select one of the question's
    options, multi_select a list of them."""

    question_id: UUID
    answer: StrictBool | AnswerText | Annotated[list[ChosenOption], Field(min_length=1, max_length=50)]


class AnswerPreScreenBody(_Body):
    """Answers to some or all of the job's pre-screen questions; each replaces an earlier answer to its question."""

    answers: list[PreScreenAnswerIn] = Field(min_length=1, max_length=MAX_PRE_SCREEN_ANSWERS)


class PreScreenAnswerOut(BaseModel):
    """One answer with the question as it was asked; `answered_by` (a user id) only for platform admins
    (api/visibility.py)."""

    question_id: UUID
    question: str
    question_type: PreScreenQuestionType
    answer: bool | str | list[str]
    answered_by: str | None = None
    answered_by_role: ActorRole
    answered_at: datetime


class StageMove(BaseModel):
    """One move of an application; `by` (the mover's user id) only for platform admins (api/visibility.py)."""

    event_type: str
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    by: str | None = None
    by_role: ActorRole
    reason: str | None
    at: datetime


class ApplicationOut(BaseModel):
    """An application as one party sees it (api/visibility.py): the fields their side does not see are left
    out."""

    id: UUID
    job_id: UUID
    job_title: str | None
    candidate_id: UUID
    company_id: UUID | None
    source: ApplicationSource
    candidate_recruiter_id: UUID | None
    company_recruiter_id: UUID | None
    stage: ApplicationStage
    stage_before_expiry: ApplicationStage | None
    proposal: str | None
    pitch: str | None = None
    proposal_notes: str | None = None
    cover_letter: str | None
    submitted_at: datetime | None
    ai_review_id: UUID | None
    ai_reviewed: bool
    needs_improvement: bool
    accepted_by_candidate: bool
    offer_accepted_at: datetime | None
    placement_id: UUID | None
    salary_cents: int | None
    start_date: date | None
    hired_at: datetime | None
    expiry_warned_at: datetime | None
    expires_at: datetime | None
    last_activity_at: datetime
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ApplicationOut:
        return cls(**row)


class ApplicationDetail(ApplicationOut):
    stage_history: list[StageMove]
    pre_screen_answers: list[PreScreenAnswerOut]


class ApplicationPage(BaseModel):
    data: list[ApplicationOut]
    pagination: Pagination


class ApplicationEnvelope(BaseModel):
    data: ApplicationDetail


class AddNoteBody(_Body):
    visibility: NoteVisibility
    message: Message
    note_type: NoteType = "note"
    in_response_to_id: UUID | None = None


class EditNoteBody(_Body):
    """Only the fields sent change; neither can be cleared."""

    message: Message = None  # type: ignore[assignment]
    visibility: NoteVisibility = None  # type: ignore[assignment]


class NoteOut(BaseModel):
    """A note as one reader sees it: the author's user id only for the author and platform admins
    (api/visibility.py)."""

    id: UUID
    application_id: UUID
    created_by_user_id: UUID | None = None
    created_by_type: NoteAuthorType
    note_type: NoteType
    visibility: NoteVisibility
    message: str
    in_response_to_id: UUID | None
    created_at: datetime
    updated_at: datetime
    edited_at: datetime | None


class NoteList(ListOf[NoteOut]):
    pass


class FailPlacementBody(_Body):
    reason: Reason


class ReplacementBody(_Body):
    replacement_placement_id: UUID = Field(description="The placement (a hire for the same job) that replaces this"
                                                       " failed one")


class PlacementOut(BaseModel):
    """A placement as one party sees it (api/visibility.py): the candidate does not see the fee, the guarantee
    terms or who earns from it; those fields are then left out."""

    id: UUID
    application_id: UUID
    job_id: UUID
    candidate_id: UUID
    company_id: UUID | None
    state: PlacementState
    salary_cents: int
    fee_bps: int | None = None
    fee_cents: int | None = None
    guarantee_days: int | None = None
    guarantee_expires_at: datetime | None = None
    hired_at: datetime
    start_date: date
    candidate_recruiter_id: UUID | None = None
    company_recruiter_id: UUID | None = None
    job_owner_recruiter_id: UUID | None = None
    candidate_sourcer_recruiter_id: UUID | None = None
    company_sourcer_recruiter_id: UUID | None = None
    activated_at: datetime | None
    completed_at: datetime | None
    failed_at: datetime | None
    failure_reason: str | None = None
    replacement_placement_id: UUID | None = None
    replaces_placement_id: UUID | None = None
    created_at: datetime
    updated_at: datetime


class PlacementPage(BaseModel):
    data: list[PlacementOut]
    pagination: Pagination


class PlacementEnvelope(BaseModel):
    data: PlacementOut
