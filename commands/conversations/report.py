"""A report on a conversation (domain §3.5 `chat_reports`, §4.6) on `conversationreport-<report id>`.

new → in_review → resolved / dismissed. A participant files it, about the other participant (the route checks
that the reporter takes part and names the other as `reported_user_id`); a platform admin takes it into review,
then resolves it (with an action on the reported user: none, warn, mute or suspend messaging, recorded on the
user's sanctions stream under `sanction_id`, and perhaps the reported message redacted) or dismisses it.

Decisions where the domain is silent:
- a report is resolved or dismissed only from in_review, as the domain's machine says: the admin who decides
  has taken it first, and the trail shows who reviewed it and who closed it;
- taking a report into review again by the same admin records nothing (a retry); by another admin it is
  refused (409 `report_already_in_review`): two admins do not work one report unknowingly;
- a closed report stays closed (422 `report_closed`): a new finding is a new report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Self
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints, model_validator

from commands.conversations.report_events import (
    ConversationReportDismissed,
    ConversationReported,
    ConversationReportResolved,
    ConversationReportReviewStarted,
    ReportCategory,
    ReportEvent,
    ReportStatus,
    ResolveAction,
)
from commands.core import Command, Conflict, Decider, NotFound, RuleViolation

MAX_DETAILS_CHARS = 2000
MAX_REASON_CHARS = 2000

Details = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_DETAILS_CHARS)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON_CHARS)]


class FileReport(Command):
    report_id: UUID
    conversation_id: UUID
    reporter_id: UUID
    reported_user_id: UUID
    category: ReportCategory
    details: Details = ""
    message_id: UUID | None = None
    at: AwareDatetime

    @model_validator(mode="after")
    def _about_someone_else(self) -> Self:
        if self.reporter_id == self.reported_user_id:
            raise ValueError("a report is about the other participant, not the reporter")
        return self


class StartReportReview(Command):
    report_id: UUID
    admin_id: UUID
    at: AwareDatetime


class ResolveReport(Command):
    report_id: UUID
    admin_id: UUID
    action: ResolveAction
    sanction_id: UUID | None = None
    message_redacted: bool = False
    reason: Reason
    at: AwareDatetime

    @model_validator(mode="after")
    def _sanction_named(self) -> Self:
        if (self.action == "none") != (self.sanction_id is None):
            raise ValueError("a resolution with an action names the sanction it recorded, and only then")
        return self


class DismissReport(Command):
    report_id: UUID
    admin_id: UUID
    reason: Reason
    at: AwareDatetime


ReportCommand = FileReport | StartReportReview | ResolveReport | DismissReport


class ReportNotFound(NotFound):
    code = "report_not_found"

    def __init__(self, report_id: UUID) -> None:
        super().__init__(f"report {report_id} not found", report_id=str(report_id))


class ReportAlreadyFiled(Conflict):
    code = "report_already_filed"

    def __init__(self, report_id: UUID) -> None:
        super().__init__(f"report {report_id} already exists", report_id=str(report_id))


class ReportAlreadyInReview(Conflict):
    code = "report_already_in_review"

    def __init__(self, report_id: UUID, admin_id: UUID | None) -> None:
        super().__init__(f"report {report_id} is in review by another admin", report_id=str(report_id),
                         reviewed_by=str(admin_id))


class ReportNotInReview(RuleViolation):
    code = "report_not_in_review"

    def __init__(self, report_id: UUID) -> None:
        super().__init__(f"report {report_id} is new: take it into review before deciding it",
                         report_id=str(report_id))


class ReportClosed(RuleViolation):
    code = "report_closed"

    def __init__(self, report_id: UUID, status: ReportStatus) -> None:
        super().__init__(f"report {report_id} is {status}", report_id=str(report_id), report_status=status)


@dataclass(frozen=True)
class Report:
    exists: bool = False
    id: UUID | None = None
    conversation_id: UUID | None = None
    reporter_id: UUID | None = None
    reported_user_id: UUID | None = None
    message_id: UUID | None = None
    status: ReportStatus = "new"
    reviewed_by: UUID | None = None


def initial_state() -> Report:
    return Report()


def evolve(s: Report, e: ReportEvent) -> Report:
    match e:
        case ConversationReported():
            return Report(exists=True, id=e.report_id, conversation_id=e.conversation_id, reporter_id=e.reporter_id,
                          reported_user_id=e.reported_user_id, message_id=e.message_id)
        case ConversationReportReviewStarted():
            return replace(s, status="in_review", reviewed_by=e.admin_id)
        case ConversationReportResolved():
            return replace(s, status="resolved")
        case ConversationReportDismissed():
            return replace(s, status="dismissed")
    return s


def decide(cmd: ReportCommand, s: Report) -> list[ReportEvent]:
    match cmd:
        case FileReport() if s.exists:
            raise ReportAlreadyFiled(cmd.report_id)
        case FileReport():
            return [ConversationReported(**cmd.model_dump())]
        case _ if not s.exists:
            raise ReportNotFound(cmd.report_id)
        case _ if s.status in ("resolved", "dismissed"):
            raise ReportClosed(cmd.report_id, s.status)
        case StartReportReview() if s.status == "in_review" and s.reviewed_by == cmd.admin_id:
            return []
        case StartReportReview() if s.status == "in_review":
            raise ReportAlreadyInReview(cmd.report_id, s.reviewed_by)
        case StartReportReview():
            return [ConversationReportReviewStarted(report_id=cmd.report_id, conversation_id=_conversation(s),
                                                    admin_id=cmd.admin_id, at=cmd.at)]
        case ResolveReport() | DismissReport() if s.status != "in_review":
            raise ReportNotInReview(cmd.report_id)
        case ResolveReport():
            return [ConversationReportResolved(
                report_id=cmd.report_id, conversation_id=_conversation(s), reported_user_id=_reported(s),
                action=cmd.action, sanction_id=cmd.sanction_id, message_redacted=cmd.message_redacted,
                reason=cmd.reason, admin_id=cmd.admin_id, at=cmd.at)]
        case DismissReport():
            return [ConversationReportDismissed(report_id=cmd.report_id, conversation_id=_conversation(s),
                                                reported_user_id=_reported(s), reason=cmd.reason,
                                                admin_id=cmd.admin_id, at=cmd.at)]
    raise TypeError(f"the report decider has no case for {type(cmd).__name__}")


def _conversation(s: Report) -> UUID:
    assert s.conversation_id is not None
    return s.conversation_id


def _reported(s: Report) -> UUID:
    assert s.reported_user_id is not None
    return s.reported_user_id


report: Decider[ReportCommand, ReportEvent, Report] = Decider(
    "conversationreport", initial_state, evolve, decide,
    events=(ConversationReported, ConversationReportReviewStarted, ConversationReportResolved,
            ConversationReportDismissed),
)
