"""The application decider: an application from proposal or draft to hire (domain §4.1, §14).

The stage table, the role rules and the errors are in commands/ats/application_rules.py, the commands in
commands/ats/application_commands.py; both are re-exported here so a caller imports one module.

Decisions where domain.md is silent or inconsistent:
- A hire needs the offer accepted first (§15.5): the placement, and the fee invoiced on it, rests on the
  candidate's yes. For a candidate without an account their recruiter or an admin records it, with that role.
- Withdrawal is refused from hired, rejected and expired, and is a no-op when already withdrawn (§15.5).
- `expired` is a stage; the stage it expired from is kept, and reactivation returns there with a fresh idle
  clock. Every other command on an expired application is refused until it is reactivated.
- Idleness is the time since the last event on the application other than the scheduler's own (warning,
  expiry). A warning goes out once per idle period (identified by its start), and only before the expiry.
- A proposal leaves recruiter_proposed only by the candidate's answer (→ draft or → rejected), withdrawal or
  expiry: nothing reaches a company before the candidate has agreed to the job.
- draft and recruiter_request are reached only along the table, not from any stage: a company that is done
  with an application rejects it, with a reason.
- A company may request a pre-screen of an application it has received (submitted, company_review → screen).
- Submitting from screen goes to submitted (the screen was the recruiter's review); a submission by the
  candidate's own recruiter skips recruiter_review.
- CreateApplication always starts in draft, whoever applies (the recruiter ids record who brought it); a
  recruiter who wants the candidate's answer first uses ProposeApplication.
- The offer may be accepted by the candidate, their recruiter (for a candidate without an account) or an
  admin; reactivation likewise belongs to the candidate side and admins; withdrawal also to the system (the
  process that ends a recruiter relationship). A company ends an application by rejecting it.
- TriggerAIReview during ai_review is a no-op, for admins too: re-running a stuck review is the AI reactor's
  retry, not a new fact about the application.
- gpt_review is not a stage: an application made through the Custom GPT is AI-reviewed like any other.
- An AI review outcome arriving when the application is no longer in ai_review is a no-op, so a withdrawal
  during the review never leaves the reactor holding a message it cannot deliver.
- Pre-screen answers, and why a submission to the company needs the job's required questions answered:
  commands/ats/application_prescreen.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from commands.ats.application_commands import (
    application_id_for,
    AcceptOffer,
    AcceptProposal,
    ActorCommand,
    AnswerPreScreen,
    ApplicationCommand,
    CreateApplication,
    DeclineProposal,
    ExpireApplication,
    HireCandidate,
    MoveStage,
    ProposeApplication,
    ReactivateApplication,
    RecordAIReviewCompleted,
    RecordAIReviewFailed,
    RecordExpiryWarning,
    RequestPrescreen,
    ReturnToDraft,
    SubmitApplication,
    TriggerAIReview,
    WithdrawApplication,
)
from commands.ats.application_events import (
    ActorRole, ApplicationAIReviewed, ApplicationAIReviewFailed, ApplicationCreated, ApplicationExpired,
    ApplicationExpiryWarned, ApplicationHired, ApplicationOfferAccepted, ApplicationPreScreenAnswered,
    ApplicationPrescreenRequested, ApplicationProposalAccepted, ApplicationProposalDeclined, ApplicationProposed,
    ApplicationReactivated, ApplicationSource, ApplicationStage, ApplicationStageChanged, ApplicationSubmitted,
    ApplicationWithdrawn, PreScreenAnswerItem,
)
from commands.ats.application_rules import (
    ALLOWED,
    CANDIDATE_SIDE,
    COMPANY_VISIBLE,
    IDLE_LIMITS,
    PIPELINE,
    PREPARERS,
    RECRUITERS,
    RESPONSIBLE_PARTY,
    TERMINAL,
    WARNING_LEAD,
    ActionNotPermitted,
    ApplicationIsExpired,
    GuaranteeAlreadyOver,
    NoPendingProposal,
    NotExpired,
    OfferNotAccepted,
    OfferNotOpen,
    StageTransitionNotAllowed,
)
from commands.ats.application_prescreen import answer_prescreen, check_answered, with_answers
from commands.ats.placement import guarantee_expires_at
from commands.core import Conflict, Decider, NotFound

__all__ = [
    "ALLOWED", "COMPANY_VISIBLE", "IDLE_LIMITS", "RESPONSIBLE_PARTY", "TERMINAL", "WARNING_LEAD",
    "AcceptOffer", "AcceptProposal", "ActionNotPermitted", "AnswerPreScreen", "Application", "ApplicationCommand",
    "ApplicationEvent", "ApplicationIsExpired", "CreateApplication", "DeclineProposal", "ExpireApplication",
    "GuaranteeAlreadyOver", "HireCandidate", "application_id_for",
    "MoveStage", "NoPendingProposal", "NotExpired", "OfferNotAccepted", "OfferNotOpen", "ProposeApplication",
    "ReactivateApplication", "RecordAIReviewCompleted", "RecordAIReviewFailed", "RecordExpiryWarning",
    "RequestPrescreen", "ReturnToDraft", "StageTransitionNotAllowed", "SubmitApplication", "TriggerAIReview",
    "WithdrawApplication", "application", "decide", "evolve", "initial_state",
]

ProposalStatus = Literal["pending", "accepted", "declined"]
ApplicationEvent = (
    ApplicationCreated | ApplicationProposed | ApplicationProposalAccepted | ApplicationProposalDeclined
    | ApplicationStageChanged | ApplicationAIReviewed | ApplicationAIReviewFailed | ApplicationSubmitted
    | ApplicationPrescreenRequested | ApplicationOfferAccepted | ApplicationHired | ApplicationWithdrawn
    | ApplicationExpired | ApplicationExpiryWarned | ApplicationReactivated | ApplicationPreScreenAnswered
)


@dataclass(frozen=True)
class Application:
    exists: bool = False
    id: UUID | None = None
    job_id: UUID | None = None
    candidate_id: UUID | None = None
    company_id: UUID | None = None  # None: an off-platform firm job
    source: ApplicationSource = "direct"
    candidate_recruiter_id: UUID | None = None
    company_recruiter_id: UUID | None = None
    stage: ApplicationStage = "draft"
    proposal: ProposalStatus | None = None  # None unless the application began as a proposal
    stage_before_expiry: ApplicationStage | None = None
    last_activity_at: datetime | None = None  # the start of the current idle period
    warned_idle_since: datetime | None = None  # the idle period an expiry warning was sent for
    submitted_at: datetime | None = None
    ai_review_id: UUID | None = None
    ai_reviewed: bool = False
    needs_improvement: bool = False
    accepted_by_candidate: bool = False
    placement_id: UUID | None = None
    salary_cents: int | None = None
    start_date: date | None = None
    hired_at: datetime | None = None
    pre_screen_answers: tuple[PreScreenAnswerItem, ...] = ()  # the latest answer to each question

    @property
    def firm_job(self) -> bool:
        return self.company_id is None


def initial_state() -> Application:
    return Application()


def evolve(s: Application, e: ApplicationEvent) -> Application:
    match e:
        case ApplicationCreated():
            return Application(
                exists=True, id=e.application_id, job_id=e.job_id, candidate_id=e.candidate_id,
                company_id=e.company_id, source=e.source, candidate_recruiter_id=e.candidate_recruiter_id,
                company_recruiter_id=e.company_recruiter_id, stage=e.stage, last_activity_at=e.at,
            )
        case ApplicationProposed():
            return Application(
                exists=True, id=e.application_id, job_id=e.job_id, candidate_id=e.candidate_id,
                company_id=e.company_id, source="recruiter", candidate_recruiter_id=e.candidate_recruiter_id,
                stage=e.stage, proposal="pending", last_activity_at=e.at,
            )
        case ApplicationOfferAccepted():
            return replace(s, accepted_by_candidate=True, last_activity_at=e.at)
        case ApplicationPreScreenAnswered():
            return replace(s, pre_screen_answers=with_answers(s.pre_screen_answers, e.answers), last_activity_at=e.at)
        case ApplicationExpiryWarned():
            return replace(s, warned_idle_since=e.idle_since)  # the scheduler's own event is no activity
        case ApplicationExpired():
            return replace(s, stage=e.to_stage, stage_before_expiry=e.from_stage)
        case ApplicationReactivated():
            return replace(s, stage=e.to_stage, stage_before_expiry=None, last_activity_at=e.at)
        case ApplicationProposalAccepted():
            return _moved(replace(s, proposal="accepted"), e.to_stage, e.at)
        case ApplicationProposalDeclined():
            return _moved(replace(s, proposal="declined"), e.to_stage, e.at)
        case ApplicationAIReviewed():
            moved = _moved(s, e.to_stage, e.at)
            return replace(moved, ai_reviewed=True, needs_improvement=e.needs_improvement, ai_review_id=e.review_id)
        case ApplicationAIReviewFailed():
            return _moved(replace(s, ai_review_id=e.review_id or s.ai_review_id), e.to_stage, e.at)
        case ApplicationSubmitted():
            return _moved(replace(s, submitted_at=e.submitted_at), e.to_stage, e.at)
        case ApplicationPrescreenRequested():
            return _moved(replace(s, company_recruiter_id=e.company_recruiter_id), e.to_stage, e.at)
        case ApplicationHired():
            hired = replace(s, placement_id=e.placement_id, salary_cents=e.salary_cents, start_date=e.start_date,
                            hired_at=e.at)
            return _moved(hired, e.to_stage, e.at)
        case ApplicationStageChanged() | ApplicationWithdrawn():
            return _moved(s, e.to_stage, e.at)
        case _:
            return s


def _moved(s: Application, to: ApplicationStage, at: datetime) -> Application:
    if to == "draft":  # a draft is reviewed again before it is submitted
        s = replace(s, ai_reviewed=False, needs_improvement=False)
    return replace(s, stage=to, last_activity_at=at)


def decide(cmd: ApplicationCommand, s: Application) -> list[ApplicationEvent]:
    match cmd:
        case CreateApplication() | ProposeApplication() if s.exists:
            raise Conflict(f"application {cmd.application_id} already exists", application_id=str(cmd.application_id))
        case CreateApplication():
            return [ApplicationCreated(**cmd.model_dump(exclude={"by"}), stage="draft", created_by=cmd.by)]
        case ProposeApplication():
            return [ApplicationProposed(**cmd.model_dump(exclude={"by"}), stage="recruiter_proposed",
                                        proposed_by=cmd.by)]
        case _ if not s.exists:
            raise NotFound(f"application {cmd.application_id} does not exist", application_id=str(cmd.application_id))
        case RecordAIReviewCompleted() | RecordAIReviewFailed() if s.stage != "ai_review":
            return []  # a repeated or late outcome: the application has moved on
        case RecordAIReviewCompleted():
            return [ApplicationAIReviewed(
                application_id=cmd.application_id, from_stage=s.stage, to_stage="ai_reviewed", review_id=cmd.review_id,
                needs_improvement=cmd.needs_improvement, by=cmd.by, at=cmd.at,
            )]
        case RecordAIReviewFailed():
            return [ApplicationAIReviewFailed(
                application_id=cmd.application_id, from_stage=s.stage, to_stage="ai_failed", review_id=cmd.review_id,
                reason=cmd.reason, by=cmd.by, at=cmd.at,
            )]
        case ExpireApplication():
            return _expire(cmd, s)
        case RecordExpiryWarning():
            return _warn(cmd, s)
        case ReactivateApplication():
            return _reactivate(cmd, s)
        case ActorCommand() if s.stage == "expired":
            raise ApplicationIsExpired(s.id, s.stage_before_expiry)
        case AcceptProposal() | DeclineProposal():
            return _answer_proposal(cmd, s)
        case TriggerAIReview():
            _permit(cmd, s, PREPARERS, "request an AI review")
            return [] if s.stage == "ai_review" else [_changed(cmd, s, "ai_review")]
        case ReturnToDraft():
            _permit(cmd, s, PREPARERS, "return an application to draft")
            if s.stage == "draft":
                return []
            if s.stage == "recruiter_proposed":
                raise StageTransitionNotAllowed(s.stage, "draft", "a proposal is answered by the candidate")
            return [_changed(cmd, s, "draft", cmd.reason)]
        case SubmitApplication():
            return _submit(cmd, s)
        case AnswerPreScreen():
            return answer_prescreen(cmd, s)
        case RequestPrescreen():
            return _request_prescreen(cmd, s)
        case MoveStage():
            return _move(cmd, s)
        case AcceptOffer():
            return _accept_offer(cmd, s)
        case HireCandidate():
            return _hire(cmd, s)
        case WithdrawApplication():
            return _withdraw(cmd, s)
        case _:
            raise TypeError(f"the application decider has no case for {type(cmd).__name__}")


def _permit(cmd: ActorCommand, s: Application, roles: frozenset[ActorRole], action: str) -> None:
    role = cmd.by_role
    if role not in roles:
        raise ActionNotPermitted(role, action)
    if role == "company" and s.firm_job:
        raise ActionNotPermitted(role, action, "a firm job has no company users; its firm's recruiters act for it")
    if role == "company" and s.stage not in COMPANY_VISIBLE:
        raise ActionNotPermitted(role, action, f"a company does not see an application at {s.stage}")


def _checked(s: Application, to: ApplicationStage) -> ApplicationStage:
    if to not in ALLOWED[s.stage]:
        raise StageTransitionNotAllowed(s.stage, to)
    return to


def _changed(cmd: ActorCommand, s: Application, to: ApplicationStage, reason: str | None = None) -> ApplicationEvent:
    return ApplicationStageChanged(application_id=cmd.application_id, from_stage=s.stage, to_stage=_checked(s, to),
                                   reason=reason, by=cmd.by, by_role=cmd.by_role, at=cmd.at)


def _answer_proposal(cmd: AcceptProposal | DeclineProposal, s: Application) -> list[ApplicationEvent]:
    accepting = isinstance(cmd, AcceptProposal)
    _permit(cmd, s, frozenset({"candidate", "platform_admin"}), f"{'accept' if accepting else 'decline'} a proposal")
    if s.proposal == ("accepted" if accepting else "declined"):
        return []  # a retried answer
    if s.stage != "recruiter_proposed":
        raise NoPendingProposal(s.id, s.stage)
    common = {"application_id": cmd.application_id, "from_stage": s.stage, "by": cmd.by, "by_role": cmd.by_role,
              "at": cmd.at}
    if isinstance(cmd, DeclineProposal):
        return [ApplicationProposalDeclined(**common, to_stage=_checked(s, "rejected"), reason=cmd.reason)]
    return [ApplicationProposalAccepted(**common, to_stage=_checked(s, "draft"))]


def _submit(cmd: SubmitApplication, s: Application) -> list[ApplicationEvent]:
    role = cmd.by_role
    _permit(cmd, s, PREPARERS, "submit an application")
    reviewer = role in ("candidate_recruiter", "platform_admin")
    if s.stage == "submitted" or (s.stage == "recruiter_review" and not reviewer):
        return []  # already as far as this role takes it
    if s.stage not in ("ai_reviewed", "recruiter_review", "screen"):
        raise StageTransitionNotAllowed(
            s.stage, "submitted", "only an AI-reviewed, recruiter-reviewed or pre-screened application is submitted"
        )
    if s.stage == "screen" and role == "candidate":
        raise ActionNotPermitted(role, "submit an application", "the recruiter who screens it submits it")
    represented = s.candidate_recruiter_id is not None and role != "candidate_recruiter"
    to = _checked(s, "recruiter_review" if s.stage == "ai_reviewed" and represented else "submitted")
    if to == "submitted":
        check_answered(s, cmd.pre_screen_questions)
    return [ApplicationSubmitted(application_id=cmd.application_id, from_stage=s.stage, to_stage=to,
                                 submitted_at=s.submitted_at or cmd.at, by=cmd.by, by_role=role, at=cmd.at)]


def _request_prescreen(cmd: RequestPrescreen, s: Application) -> list[ApplicationEvent]:
    _permit(cmd, s, PIPELINE, "request a pre-screen")
    if s.stage == "screen":
        return []
    return [ApplicationPrescreenRequested(
        application_id=cmd.application_id, from_stage=s.stage, to_stage=_checked(s, "screen"),
        company_recruiter_id=s.company_recruiter_id or cmd.company_recruiter_id, message=cmd.message, by=cmd.by,
        by_role=cmd.by_role, at=cmd.at,
    )]


def _move(cmd: MoveStage, s: Application) -> list[ApplicationEvent]:
    role, action = cmd.by_role, f"move an application to {cmd.to}"
    _permit(cmd, s, PIPELINE, action)
    if role in RECRUITERS and not s.firm_job:
        if not cmd.may_advance:
            raise ActionNotPermitted(role, action, "the recruiter may not advance candidates at this company")
        if cmd.to == "offer":
            raise ActionNotPermitted(role, action, "on a company job only the company makes an offer")
        if cmd.to == "rejected" and s.stage == "offer":
            raise ActionNotPermitted(role, action, "on a company job only the company rejects at offer")
    if s.stage == cmd.to:
        return []
    if s.stage == "recruiter_proposed":
        raise StageTransitionNotAllowed(s.stage, cmd.to, "a proposal is answered by the candidate or withdrawn")
    return [_changed(cmd, s, cmd.to, cmd.reason)]


def _accept_offer(cmd: AcceptOffer, s: Application) -> list[ApplicationEvent]:
    _permit(cmd, s, CANDIDATE_SIDE, "accept an offer")
    if s.accepted_by_candidate:
        return []
    if s.stage != "offer":
        raise OfferNotOpen(s.id, s.stage)
    return [ApplicationOfferAccepted(application_id=cmd.application_id, by=cmd.by, by_role=cmd.by_role, at=cmd.at)]


def _hire(cmd: HireCandidate, s: Application) -> list[ApplicationEvent]:
    _permit(cmd, s, PIPELINE, "hire")
    if cmd.by_role in RECRUITERS and not s.firm_job:
        raise ActionNotPermitted(cmd.by_role, "hire", "on a company job only the company hires")
    if s.stage == "hired" and s.placement_id == cmd.placement_id:
        return []
    if s.stage == "hired":
        raise Conflict(f"application {s.id} is already hired under placement {s.placement_id}",
                       application_id=str(s.id), placement_id=str(s.placement_id))
    if s.stage != "offer":
        raise StageTransitionNotAllowed(s.stage, "hired", "only an application at offer is hired")
    if not s.accepted_by_candidate:
        raise OfferNotAccepted(s.id)
    if cmd.confirm_guarantee_over and cmd.by_role != "platform_admin":
        raise ActionNotPermitted(cmd.by_role, "confirm a hire whose guarantee is already over",
                                 "only a platform admin confirms one")
    ends = guarantee_expires_at(cmd.start_date, cmd.guarantee_days)
    over = cmd.at >= ends  # as the placement's guarantee completes (commands/ats/placement.py)
    if over and not cmd.confirm_guarantee_over:
        raise GuaranteeAlreadyOver(s.id, cmd.start_date, cmd.guarantee_days, ends)
    return [ApplicationHired(
        application_id=cmd.application_id, from_stage=s.stage, to_stage="hired", placement_id=cmd.placement_id,
        salary_cents=cmd.salary_cents, start_date=cmd.start_date, by=cmd.by, by_role=cmd.by_role, at=cmd.at,
        guarantee_over_confirmed=over,
    )]


def _withdraw(cmd: WithdrawApplication, s: Application) -> list[ApplicationEvent]:
    _permit(cmd, s, CANDIDATE_SIDE | {"system"}, "withdraw an application")
    if s.stage == "withdrawn":
        return []
    if s.stage in TERMINAL:
        raise StageTransitionNotAllowed(s.stage, "withdrawn", f"a {s.stage} application stays {s.stage}")
    return [ApplicationWithdrawn(application_id=cmd.application_id, from_stage=s.stage,
                                 to_stage=_checked(s, "withdrawn"), reason=cmd.reason, by=cmd.by, by_role=cmd.by_role,
                                 at=cmd.at)]


def _reactivate(cmd: ReactivateApplication, s: Application) -> list[ApplicationEvent]:
    _permit(cmd, s, CANDIDATE_SIDE, "reactivate an application")
    if s.stage != "expired" and s.stage in TERMINAL:
        raise NotExpired(s.id, s.stage)
    if s.stage != "expired":
        return []  # live already: a retried reactivation
    assert s.stage_before_expiry is not None
    return [ApplicationReactivated(application_id=cmd.application_id, from_stage=s.stage,
                                   to_stage=_checked(s, s.stage_before_expiry), by=cmd.by, by_role=cmd.by_role,
                                   at=cmd.at)]


def _expires_at(s: Application) -> datetime | None:
    limit = IDLE_LIMITS.get(s.stage)
    return None if limit is None or s.last_activity_at is None else s.last_activity_at + limit


def _expire(cmd: ExpireApplication, s: Application) -> list[ApplicationEvent]:
    expires_at = _expires_at(s)
    if expires_at is None or cmd.at < expires_at:
        return []
    assert s.last_activity_at is not None
    return [ApplicationExpired(application_id=cmd.application_id, from_stage=s.stage, to_stage="expired",
                               idle_since=s.last_activity_at, by=cmd.by, at=cmd.at)]


def _warn(cmd: RecordExpiryWarning, s: Application) -> list[ApplicationEvent]:
    expires_at = _expires_at(s)
    if expires_at is None or not expires_at - WARNING_LEAD <= cmd.at < expires_at:
        return []
    if s.warned_idle_since == s.last_activity_at:
        return []  # this idle period has had its warning
    assert s.last_activity_at is not None
    return [ApplicationExpiryWarned(
        application_id=cmd.application_id, stage=s.stage, idle_since=s.last_activity_at, expires_at=expires_at,
        responsible_party=RESPONSIBLE_PARTY[s.stage], by=cmd.by, at=cmd.at,
    )]


application: Decider[ApplicationCommand, ApplicationEvent, Application] = Decider(
    "application",
    initial_state,
    evolve,
    decide,
    events=(
        ApplicationCreated, ApplicationProposed, ApplicationProposalAccepted, ApplicationProposalDeclined,
        ApplicationStageChanged, ApplicationAIReviewed, ApplicationAIReviewFailed, ApplicationSubmitted,
        ApplicationPrescreenRequested, ApplicationOfferAccepted, ApplicationHired, ApplicationWithdrawn,
        ApplicationExpired, ApplicationExpiryWarned, ApplicationReactivated, ApplicationPreScreenAnswered,
    ),
)
