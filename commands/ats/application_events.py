"""The events of an application (domain §4.1): the one definition of each.

Every event that moves the application carries `from_stage` and `to_stage`, so a read model can keep
the stage with one rule for all of them (`STAGE_EVENTS`); `ApplicationOfferAccepted` and
`ApplicationExpiryWarned` leave the stage where it is. Events carry types, not the business limits
of the commands. Money is integer cents.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from commands.ats.events import PreScreenQuestionType
from commands.core import Event, Personal

ApplicationStage = Literal[
    "draft",
    "ai_review",
    "ai_reviewed",
    "ai_failed",
    "recruiter_request",
    "recruiter_proposed",
    "recruiter_review",
    "screen",
    "submitted",
    "company_review",
    "company_feedback",
    "interview",
    "offer",
    "hired",
    "rejected",
    "withdrawn",
    "expired",
]
ApplicationSource = Literal["direct", "recruiter", "company_recruiter"]
# The caller's role relative to one application; see commands/ats/application.py.
ActorRole = Literal["candidate", "candidate_recruiter", "company_recruiter", "company", "platform_admin", "system"]
# Who is expected to act on an application that is about to expire (domain §4.1, expiry warnings).
ResponsibleParty = Literal["candidate", "recruiter", "company"]


class ApplicationCreated(Event):
    """A candidate applied, or a recruiter applied for them; the application starts in draft."""

    application_id: UUID
    job_id: UUID
    candidate_id: UUID
    company_id: UUID | None  # None for an off-platform firm job
    source: ApplicationSource
    candidate_recruiter_id: UUID | None
    company_recruiter_id: UUID | None
    cover_letter: str | None
    stage: ApplicationStage
    created_by: str
    at: datetime

    # Under the application, not the candidate: retention of a closed application removes it from the log too.
    personal = Personal(("cover_letter",), kind="application", key="application_id")


class ApplicationProposed(Event):
    """A recruiter proposed a job to a candidate they represent; the candidate answers it."""

    application_id: UUID
    job_id: UUID
    candidate_id: UUID
    company_id: UUID | None
    candidate_recruiter_id: UUID
    pitch: str
    notes: str | None
    stage: ApplicationStage
    proposed_by: str
    at: datetime

    personal = Personal(("pitch", "notes"), kind="application", key="application_id")


class ApplicationProposalAccepted(Event):
    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    by: str
    by_role: ActorRole
    at: datetime


class ApplicationProposalDeclined(Event):
    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    reason: str
    by: str
    by_role: ActorRole
    at: datetime

    personal = Personal(("reason",), kind="application", key="application_id")


class ApplicationStageChanged(Event):
    """A move with nothing more to record than its reason: progression by the company or a recruiter,
    an AI review requested, a return to draft."""

    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    reason: str | None
    by: str
    by_role: ActorRole
    at: datetime

    personal = Personal(("reason",), kind="application", key="application_id")


class ApplicationAIReviewed(Event):
    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    review_id: UUID
    needs_improvement: bool
    by: str
    at: datetime


class ApplicationAIReviewFailed(Event):
    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    review_id: UUID | None
    reason: str
    by: str
    at: datetime

    # The review's failure as told to the application; it may quote the model's answer about the candidate.
    personal = Personal(("reason",), kind="application", key="application_id")


class ApplicationSubmitted(Event):
    """Sent to the candidate's recruiter for review or to the company. `submitted_at` is the first
    submission and never changes afterwards."""

    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    submitted_at: datetime
    by: str
    by_role: ActorRole
    at: datetime


class ApplicationPrescreenRequested(Event):
    """`company_recruiter_id` is the recruiter who screens: the one already on the application, else
    the one chosen by the requester, else None."""

    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    company_recruiter_id: UUID | None
    message: str | None
    by: str
    by_role: ActorRole
    at: datetime

    personal = Personal(("message",), kind="application", key="application_id")


class PreScreenAnswerItem(BaseModel):
    """One answer to a pre-screen question of the job, with the question as it was asked. `answer` by the
    question's type: text a string, yes_no a boolean, select one option, multi_select a list of options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: UUID
    question: str
    question_type: PreScreenQuestionType
    answer: bool | str | list[str]


class ApplicationPreScreenAnswered(Event):
    """The candidate side answered some of the job's pre-screen questions at `stage` (not a move); each
    answer replaces an earlier one to the same question (commands/ats/application_prescreen.py)."""

    application_id: UUID
    stage: ApplicationStage
    answers: list[PreScreenAnswerItem]
    by: str
    by_role: ActorRole
    at: datetime

    personal = Personal(("answers",), kind="application", key="application_id")


class ApplicationOfferAccepted(Event):
    application_id: UUID
    by: str
    by_role: ActorRole
    at: datetime


class ApplicationHired(Event):
    """The hire. `placement_id` names the placement stream the hire creates."""

    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    placement_id: UUID
    salary_cents: int
    start_date: date
    by: str
    by_role: ActorRole
    at: datetime
    # A platform admin confirmed a hire whose guarantee was already over at the hire (absent before that rule).
    guarantee_over_confirmed: bool = False

    # The hire's salary is the candidate's pay; the placement's fee is computed from it and kept as money.
    personal = Personal(("salary_cents",), kind="application", key="application_id")


class ApplicationWithdrawn(Event):
    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    reason: str | None
    by: str
    by_role: ActorRole
    at: datetime

    personal = Personal(("reason",), kind="application", key="application_id")


class ApplicationExpired(Event):
    """Idle too long in `from_stage`; reactivation returns it there. `idle_since` is its last activity."""

    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    idle_since: datetime
    by: str
    at: datetime


class ApplicationExpiryWarned(Event):
    application_id: UUID
    stage: ApplicationStage
    idle_since: datetime
    expires_at: datetime
    responsible_party: ResponsibleParty
    by: str
    at: datetime


class ApplicationReactivated(Event):
    application_id: UUID
    from_stage: ApplicationStage
    to_stage: ApplicationStage
    by: str
    by_role: ActorRole
    at: datetime


STAGE_EVENTS: tuple[type[Event], ...] = (
    ApplicationProposalAccepted,
    ApplicationProposalDeclined,
    ApplicationStageChanged,
    ApplicationAIReviewed,
    ApplicationAIReviewFailed,
    ApplicationSubmitted,
    ApplicationPrescreenRequested,
    ApplicationHired,
    ApplicationWithdrawn,
    ApplicationExpired,
    ApplicationReactivated,
)
"""The events that move an application from `from_stage` to `to_stage`."""
