"""The commands of an application (domain §4.1), checked when they are built.

A command that depends on who acts carries `by_role`: the caller's role relative to this application
(see commands/ats/application.py). Scheduler and reactor commands carry none: only the system sends them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from commands.ats.application_events import ActorRole, ApplicationSource
from commands.ats.events import PreScreenQuestionItem
from commands.ats.job import GuaranteeDays
from commands.ats.job_commands import Option
from commands.ats.job_rules import MAX_OPTIONS, MAX_QUESTIONS
from commands.core import Command

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PositiveCents = Annotated[int, Field(gt=0)]
MAX_ANSWER_CHARS = 5000
AnswerText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ANSWER_CHARS)]
# The stages MoveStage reaches; every other stage has its own command, which records what it needs.
MovableStage = Literal["company_review", "company_feedback", "interview", "offer", "recruiter_request", "rejected"]


class _ApplicationCommand(Command):
    application_id: UUID
    by: Actor
    at: AwareDatetime


class ActorCommand(_ApplicationCommand):
    """A command whose rules depend on who sends it."""

    by_role: ActorRole


class CreateApplication(_ApplicationCommand):
    """→ draft. `company_id` is the job's company, None for an off-platform firm job; the caller checks
    that a recruiter may apply (a consented RTR, or can_submit_candidates at the company, domain §2.4)."""

    job_id: UUID
    candidate_id: UUID
    company_id: UUID | None
    source: ApplicationSource = "direct"
    candidate_recruiter_id: UUID | None = None
    company_recruiter_id: UUID | None = None
    cover_letter: str | None = None

    @model_validator(mode="after")
    def _recruiter_of_source_given(self) -> Self:
        if self.source == "recruiter" and self.candidate_recruiter_id is None:
            raise ValueError("an application from the candidate's recruiter needs candidate_recruiter_id")
        if self.source == "company_recruiter" and self.company_recruiter_id is None:
            raise ValueError("an application from a company recruiter needs company_recruiter_id")
        return self


class ProposeApplication(_ApplicationCommand):
    """→ recruiter_proposed: the candidate's recruiter proposes the job; the candidate answers."""

    job_id: UUID
    candidate_id: UUID
    company_id: UUID | None
    candidate_recruiter_id: UUID
    pitch: Text
    notes: str | None = None


class AcceptProposal(ActorCommand):
    """recruiter_proposed → draft."""


class DeclineProposal(ActorCommand):
    """recruiter_proposed → rejected."""

    reason: Text


class TriggerAIReview(ActorCommand):
    """draft, ai_failed or recruiter_request → ai_review."""


class RecordAIReviewCompleted(_ApplicationCommand):
    """Sent by the AI review reactor: ai_review → ai_reviewed. A late or repeated outcome is a no-op."""

    review_id: UUID
    needs_improvement: bool = False


class RecordAIReviewFailed(_ApplicationCommand):
    """Sent by the AI review reactor: ai_review → ai_failed. A late or repeated outcome is a no-op."""

    reason: Text
    review_id: UUID | None = None


class ReturnToDraft(ActorCommand):
    """ai_failed, ai_reviewed, recruiter_request, recruiter_review or screen → draft."""

    reason: str | None = None


class SubmitApplication(ActorCommand):
    """ai_reviewed → recruiter_review (represented) or submitted; recruiter_review or screen → submitted.

    `pre_screen_questions` are the job's questions as they stand, looked up by the caller and passed in: a
    submission to the company needs each required one answered (commands/ats/application_prescreen.py)."""

    pre_screen_questions: Annotated[list[PreScreenQuestionItem], Field(max_length=MAX_QUESTIONS)] = []


class PreScreenAnswerInput(BaseModel):
    """One answer: a string (text, select), a boolean (yes_no) or a list of options (multi_select)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: UUID
    answer: StrictBool | AnswerText | Annotated[list[Option], Field(min_length=1, max_length=MAX_OPTIONS)]


class AnswerPreScreen(ActorCommand):
    """The candidate side answers some of the job's pre-screen questions. `questions` are the job's questions
    as they stand, looked up by the caller and passed in (the decider stays pure)."""

    questions: Annotated[list[PreScreenQuestionItem], Field(max_length=MAX_QUESTIONS)]
    answers: Annotated[list[PreScreenAnswerInput], Field(min_length=1, max_length=MAX_QUESTIONS)]

    @model_validator(mode="after")
    def _one_answer_per_question(self) -> Self:
        ids = [a.question_id for a in self.answers]
        if len(set(ids)) != len(ids):
            raise ValueError("each question is answered at most once per request")
        return self


class RequestPrescreen(ActorCommand):
    """→ screen. `company_recruiter_id` is the recruiter chosen to screen (the caller may pick the company's
    first active recruiter); a recruiter already on the application keeps it."""

    company_recruiter_id: UUID | None = None
    message: str | None = None


class MoveStage(ActorCommand):
    """Progression by the company or a recruiter. `may_advance` is a recruiter's can_advance_candidates
    at the job's company (True when the recruiter has no relationship row there); ignored for others."""

    to: MovableStage
    reason: str | None = None
    may_advance: bool = False

    @model_validator(mode="after")
    def _rejection_has_reason(self) -> Self:
        if self.to == "rejected" and not (self.reason and self.reason.strip()):
            raise ValueError("a rejection needs a reason")
        return self


class AcceptOffer(ActorCommand):
    """At offer: the candidate accepts; the stage stays offer until the hire."""


class HireCandidate(ActorCommand):
    """offer → hired. `placement_id` is the id of the placement stream the hire creates.

    `guarantee_days` is the job's, looked up by the caller and passed in (the decider stays pure).
    `confirm_guarantee_over` accepts a hire whose guarantee would already be over; only a platform admin's
    command may carry it (the decider checks `by_role`, which comes from the caller's identity)."""

    placement_id: UUID
    salary_cents: PositiveCents
    start_date: date
    guarantee_days: GuaranteeDays
    confirm_guarantee_over: bool = False


class WithdrawApplication(ActorCommand):
    """Any open stage → withdrawn."""

    reason: str | None = None


class ReactivateApplication(ActorCommand):
    """expired → the stage it expired from."""


class ExpireApplication(_ApplicationCommand):
    """Sent by the scheduler: a no-op unless the application has been idle past its stage's limit."""


class RecordExpiryWarning(_ApplicationCommand):
    """Sent by the scheduler: a no-op unless expiry is due within WARNING_LEAD and not yet warned of."""


ApplicationCommand = (
    CreateApplication | ProposeApplication | AcceptProposal | DeclineProposal | TriggerAIReview
    | RecordAIReviewCompleted | RecordAIReviewFailed | ReturnToDraft | SubmitApplication | RequestPrescreen
    | MoveStage | AcceptOffer | HireCandidate | WithdrawApplication | ReactivateApplication | ExpireApplication
    | RecordExpiryWarning | AnswerPreScreen
)

def application_id_for(job_id: UUID, candidate_id: UUID) -> UUID:
    """One application per candidate and job: applying twice, by whoever, meets the first on its stream."""
    return uuid5(NAMESPACE_URL, f"splits:application:{job_id}:{candidate_id}")
