"""A report on a conversation: new → in_review → resolved / dismissed, every transition allowed and refused."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from commands.conversations.report import (
    DismissReport,
    FileReport,
    ReportAlreadyFiled,
    ReportAlreadyInReview,
    ReportClosed,
    ReportNotFound,
    ReportNotInReview,
    ResolveReport,
    StartReportReview,
    report,
)
from commands.conversations.report_events import (
    ConversationReportDismissed,
    ConversationReported,
    ConversationReportResolved,
    ConversationReportReviewStarted,
)
from tests.unit.dsl import given

T = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
R, CONVERSATION, REPORTER, REPORTED, MESSAGE = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
ADMIN, OTHER_ADMIN, SANCTION = uuid4(), uuid4(), uuid4()


def file(**overrides) -> FileReport:
    return FileReport(**{"report_id": R, "conversation_id": CONVERSATION, "reporter_id": REPORTER,
                         "reported_user_id": REPORTED, "category": "harassment", "details": " insults ",
                         "message_id": MESSAGE, "at": T, **overrides})


def filed() -> ConversationReported:
    return ConversationReported(report_id=R, conversation_id=CONVERSATION, reporter_id=REPORTER,
                                reported_user_id=REPORTED, category="harassment", details="insults",
                                message_id=MESSAGE, at=T)


def in_review(admin=ADMIN) -> ConversationReportReviewStarted:
    return ConversationReportReviewStarted(report_id=R, conversation_id=CONVERSATION, admin_id=admin, at=T)


def resolve(action="warn", sanction=SANCTION, redacted=False) -> ResolveReport:
    return ResolveReport(report_id=R, admin_id=ADMIN, action=action, sanction_id=sanction, message_redacted=redacted,
                         reason="abusive", at=T)


def resolved(action="warn", sanction=SANCTION, redacted=False) -> ConversationReportResolved:
    return ConversationReportResolved(report_id=R, conversation_id=CONVERSATION, reported_user_id=REPORTED,
                                      action=action, sanction_id=sanction, message_redacted=redacted,
                                      reason="abusive", admin_id=ADMIN, at=T)


def dismiss() -> DismissReport:
    return DismissReport(report_id=R, admin_id=ADMIN, reason="banter between friends", at=T)


def dismissed() -> ConversationReportDismissed:
    return ConversationReportDismissed(report_id=R, conversation_id=CONVERSATION, reported_user_id=REPORTED,
                                       reason="banter between friends", admin_id=ADMIN, at=T)


@pytest.mark.parametrize("category", ["spam", "harassment", "fraud", "other"])
def test_a_participant_files_a_report_of_each_category(category: str) -> None:
    given(report).when(file(category=category)).then(filed().model_copy(update={"category": category}))


def test_a_report_without_details_or_message_is_filed() -> None:
    given(report).when(file(details="", message_id=None)).then(
        filed().model_copy(update={"details": "", "message_id": None}))


def test_a_report_is_filed_once() -> None:
    given(report, filed()).when(file()).then_raises(ReportAlreadyFiled)


def test_a_report_is_about_someone_else_and_of_a_known_category() -> None:
    with pytest.raises(ValidationError):
        file(reported_user_id=REPORTER)
    with pytest.raises(ValidationError):
        file(category="rudeness")
    with pytest.raises(ValidationError):
        file(details="x" * 2001)


def test_an_admin_takes_a_new_report_into_review() -> None:
    given(report, filed()).when(StartReportReview(report_id=R, admin_id=ADMIN, at=T)).then(in_review())


def test_taking_it_again_records_nothing_for_the_same_admin_and_is_refused_for_another() -> None:
    given(report, filed(), in_review()).when(StartReportReview(report_id=R, admin_id=ADMIN, at=T)).then()
    given(report, filed(), in_review()).when(
        StartReportReview(report_id=R, admin_id=OTHER_ADMIN, at=T)).then_raises(ReportAlreadyInReview)


@pytest.mark.parametrize("action", ["warn", "mute", "suspend_messaging"])
def test_a_report_in_review_is_resolved_with_a_sanction(action: str) -> None:
    given(report, filed(), in_review()).when(resolve(action)).then(resolved(action))


def test_a_report_in_review_is_resolved_without_action_and_with_the_message_redacted() -> None:
    given(report, filed(), in_review()).when(resolve("none", None, True)).then(resolved("none", None, True))


def test_a_resolution_names_its_sanction_exactly_when_it_has_one() -> None:
    with pytest.raises(ValidationError):
        resolve("warn", None)
    with pytest.raises(ValidationError):
        resolve("none", SANCTION)
    with pytest.raises(ValidationError):
        ResolveReport(report_id=R, admin_id=ADMIN, action="none", reason="  ", at=T)


def test_a_report_in_review_is_dismissed() -> None:
    given(report, filed(), in_review()).when(dismiss()).then(dismissed())


def test_a_new_report_is_not_decided_before_review() -> None:
    given(report, filed()).when(resolve()).then_raises(ReportNotInReview)
    given(report, filed()).when(dismiss()).then_raises(ReportNotInReview)


@pytest.mark.parametrize("closing", [resolved(), dismissed()], ids=["resolved", "dismissed"])
def test_a_closed_report_does_not_move_again(closing) -> None:
    for command in (StartReportReview(report_id=R, admin_id=ADMIN, at=T), resolve(), dismiss()):
        given(report, filed(), in_review(), closing).when(command).then_raises(ReportClosed)


def test_an_unknown_report_is_not_found() -> None:
    for command in (StartReportReview(report_id=R, admin_id=ADMIN, at=T), resolve(), dismiss()):
        given(report).when(command).then_raises(ReportNotFound)
