"""The rules of an application's stages (domain §4.1, §2.3–§2.4, §14) and the errors that enforce them.

Who acts. `by_role` is the caller's role relative to one application, computed by the caller from the
access context and the application:
  candidate            the application's candidate
  candidate_recruiter  the recruiter in its candidate_recruiter_id
  company_recruiter    a recruiter working the job for its company, or a firm member on a firm job
  company              a company admin or hiring manager of the job's company
  platform_admin       may do anything any role may
  system               a scheduler or reactor
From it the decider enforces §2.4: a company acts only on the stages a company sees (§2.3) and never on a
firm job; on a company job a recruiter moves stages only with `may_advance`, never to offer, never rejects at
offer and never hires; on a firm job (company_id None) recruiters have full control; candidates act through
their own commands (proposal answers, AI review, submit, offer acceptance, withdraw, reactivate).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from uuid import UUID

from commands.ats.application_events import (
    ActorRole,
    ApplicationStage,
    ResponsibleParty,
)
from commands.core import Forbidden, Invalid, RuleViolation

# Domain §4.1 with the decisions in commands/ats/application.py. The command that makes each move:
# → withdrawn WithdrawApplication; → expired ExpireApplication; expired → ReactivateApplication (only back to
# the stage it expired from); recruiter_proposed → draft AcceptProposal, → rejected DeclineProposal; any other
# → draft ReturnToDraft; → ai_review TriggerAIReview; → ai_reviewed / ai_failed the AI review outcomes;
# → recruiter_review / submitted SubmitApplication; → screen RequestPrescreen; → hired HireCandidate;
# every other move MoveStage.
ALLOWED: Mapping[ApplicationStage, frozenset[ApplicationStage]] = {
    "draft": frozenset({"ai_review", "screen", "rejected", "withdrawn"}),
    "ai_review": frozenset({"ai_reviewed", "ai_failed", "rejected", "withdrawn"}),
    "ai_failed": frozenset({"ai_review", "draft", "rejected", "withdrawn"}),
    "ai_reviewed": frozenset({"draft", "screen", "recruiter_review", "submitted", "rejected", "withdrawn"}),
    "recruiter_request": frozenset({"draft", "ai_review", "rejected", "withdrawn", "expired"}),
    "recruiter_proposed": frozenset({"draft", "rejected", "withdrawn", "expired"}),
    "recruiter_review": frozenset({"draft", "screen", "submitted", "rejected", "withdrawn"}),
    "screen": frozenset({"draft", "submitted", "company_review", "rejected", "withdrawn", "expired"}),
    "submitted": frozenset({"screen", "company_review", "interview", "rejected", "withdrawn", "expired"}),
    "company_review": frozenset(
        {"screen", "company_feedback", "interview", "offer", "rejected", "withdrawn", "expired"}
    ),
    "company_feedback": frozenset({"interview", "offer", "recruiter_request", "rejected", "withdrawn", "expired"}),
    "interview": frozenset({"offer", "rejected", "withdrawn"}),
    "offer": frozenset({"hired", "rejected", "withdrawn"}),
    "hired": frozenset(),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
    "expired": frozenset(
        {"recruiter_request", "recruiter_proposed", "screen", "submitted", "company_review", "company_feedback"}
    ),
}
TERMINAL: frozenset[ApplicationStage] = frozenset({"hired", "rejected", "withdrawn", "expired"})

# Domain §14: how long an application may stay idle in a stage before it expires; other stages never do.
IDLE_LIMITS: Mapping[ApplicationStage, timedelta] = {
    "recruiter_proposed": timedelta(days=7),
    "recruiter_request": timedelta(days=7),
    "screen": timedelta(days=14),
    "submitted": timedelta(days=14),
    "company_review": timedelta(days=14),
    "company_feedback": timedelta(days=14),
}
WARNING_LEAD = timedelta(days=2)  # the expiry warning goes out this long before the expiry
RESPONSIBLE_PARTY: Mapping[ApplicationStage, ResponsibleParty] = {
    "recruiter_proposed": "candidate",
    "recruiter_request": "candidate",
    "screen": "recruiter",
    "submitted": "company",
    "company_review": "company",
    "company_feedback": "company",
}

# Domain §2.3: the stages at which a company sees, and so may act on, an application.
COMPANY_VISIBLE: frozenset[ApplicationStage] = frozenset(
    {"screen", "submitted", "company_review", "company_feedback", "interview", "offer", "hired", "rejected"}
)
RECRUITERS: frozenset[ActorRole] = frozenset({"candidate_recruiter", "company_recruiter"})
# Who works on an application before a company sees it.
PREPARERS: frozenset[ActorRole] = frozenset({"candidate", "platform_admin"}) | RECRUITERS
CANDIDATE_SIDE: frozenset[ActorRole] = frozenset({"candidate", "candidate_recruiter", "platform_admin"})
# Who moves an application along a company's pipeline, within the limits above.
PIPELINE: frozenset[ActorRole] = frozenset({"company", "platform_admin"}) | RECRUITERS


class StageTransitionNotAllowed(RuleViolation):
    def __init__(self, from_stage: ApplicationStage, to_stage: ApplicationStage, why: str | None = None) -> None:
        message = f"an application cannot move from {from_stage} to {to_stage}" + (f": {why}" if why else "")
        super().__init__(message, from_stage=from_stage, to_stage=to_stage)
        self.from_stage = from_stage
        self.to_stage = to_stage


class ActionNotPermitted(Forbidden):
    def __init__(self, by_role: ActorRole, action: str, why: str | None = None) -> None:
        super().__init__(f"a {by_role} may not {action}" + (f": {why}" if why else ""), by_role=by_role, action=action)
        self.by_role = by_role


class ApplicationIsExpired(RuleViolation):
    def __init__(self, application_id: UUID | None, expired_from: ApplicationStage | None) -> None:
        super().__init__(f"application {application_id} expired at {expired_from}; reactivate it first",
                         application_id=str(application_id), expired_from_stage=expired_from)


class NotExpired(RuleViolation):
    def __init__(self, application_id: UUID | None, stage: ApplicationStage) -> None:
        super().__init__(f"application {application_id} is {stage}, not expired: it cannot be reactivated",
                         application_id=str(application_id), stage=stage)


class NoPendingProposal(RuleViolation):
    def __init__(self, application_id: UUID | None, stage: ApplicationStage) -> None:
        super().__init__(f"application {application_id} is at {stage}: only a pending proposal is answered",
                         application_id=str(application_id), stage=stage)


class OfferNotOpen(RuleViolation):
    def __init__(self, application_id: UUID | None, stage: ApplicationStage) -> None:
        super().__init__(f"application {application_id} is at {stage}: only an offer can be accepted",
                         application_id=str(application_id), stage=stage)


class GuaranteeAlreadyOver(RuleViolation):
    """A hire whose start date and guarantee put the end of the guarantee in the past: it would be invoiced at
    once with no guarantee left, which is usually a mistyped date. A platform admin may confirm it."""

    code = "guarantee_already_over"

    def __init__(self, application_id: UUID | None, start_date: date, guarantee_days: int, ended_at: datetime) -> None:
        super().__init__(f"application {application_id}: a start on {start_date} with a {guarantee_days}-day guarantee "
                         f"ended the guarantee at {ended_at.isoformat()}, before the hire; check the start date, or "
                         "have a platform admin confirm the hire", application_id=str(application_id),
                         start_date=start_date.isoformat(), guarantee_days=guarantee_days,
                         guarantee_expires_at=ended_at.isoformat())


class OfferNotAccepted(RuleViolation):
    def __init__(self, application_id: UUID | None) -> None:
        super().__init__(f"application {application_id}: the candidate has not accepted the offer; "
                         "record their acceptance before the hire", application_id=str(application_id))


class PreScreenAnswerInvalid(Invalid):
    """An answer that does not fit its question: an unknown question, the wrong type, an option not offered."""

    code = "pre_screen_answer_invalid"

    def __init__(self, question_id: UUID, why: str) -> None:
        super().__init__(f"pre-screen question {question_id}: {why}", question_id=str(question_id))


class PreScreenAnswersClosed(RuleViolation):
    """Answers are given while the candidate side prepares the application; what the company received stays."""

    code = "pre_screen_answers_closed"

    def __init__(self, application_id: UUID | None, stage: ApplicationStage) -> None:
        super().__init__(f"application {application_id} is at {stage}: pre-screen answers are given before it is "
                         "submitted to the company, and not while its AI review runs",
                         application_id=str(application_id), stage=stage)


class PreScreenAnswersMissing(RuleViolation):
    """The job asks required pre-screen questions the application has not answered (as they stand now)."""

    code = "pre_screen_answers_missing"

    def __init__(self, application_id: UUID | None, question_ids: list[UUID]) -> None:
        super().__init__(f"application {application_id} cannot go to the company before the job's required "
                         f"pre-screen questions are answered ({len(question_ids)} unanswered)",
                         application_id=str(application_id), question_ids=[str(q) for q in question_ids])
