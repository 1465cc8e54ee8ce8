"""Bounces and complaints (issue 20 item 6): the suppression, delivery report and Resend webhook deciders, and
how a Resend payload is read (which bounce is hard)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import Conflict, Invalid, NotFound
from commands.notifications import email_delivery as d
from commands.notifications import resend_webhook as w
from commands.notifications import suppression as s
from commands.notifications.addresses import address_id_for, normalized_address
from commands.notifications.delivery_events import (
    EmailAddressSuppressed,
    EmailDeliveryReported,
    EmailSuppressionCleared,
    ResendWebhookProcessed,
    ResendWebhookReceived,
)
from commands.notifications.resend_events import Unreadable, read, suppresses
from tests.unit.dsl import given

AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
USER = UUID("00000000-0000-4000-8000-0000000000a1")
NOTE = UUID("00000000-0000-4000-8000-0000000000c3")
ADDRESS = "ann@example.com"
ID = address_id_for(ADDRESS)


def suppressed(reason: str = "bounced", svix: str = "msg_1") -> EmailAddressSuppressed:
    return EmailAddressSuppressed(address_id=ID, address=ADDRESS, reason=reason, provider_message_id="re_1",
                                  svix_id=svix, at=AT)


def suppress(reason: str = "bounced", svix: str = "msg_1") -> s.SuppressAddress:
    return s.SuppressAddress.of("Ann <ANN@example.com> ", reason=reason, provider_message_id="re_1", svix_id=svix,
                                at=AT)


def clear() -> s.ClearSuppression:
    return s.ClearSuppression(address_id=ID, by_user_id=USER, at=AT)


def test_every_spelling_of_an_address_is_one_address() -> None:
    assert normalized_address("Ann <Ann@Example.COM>") == normalized_address(" ann@example.com") == ADDRESS
    assert address_id_for("ANN@example.com") == ID != address_id_for("bob@example.com")


def test_a_hard_bounce_suppresses_the_address_once() -> None:
    given(s.suppression).when(suppress()).then(suppressed())
    given(s.suppression, suppressed()).when(suppress("complained", "msg_2")).then()


def test_a_complaint_suppresses_the_address() -> None:
    given(s.suppression).when(suppress("complained")).then(suppressed("complained"))


def test_a_suppression_names_the_id_of_its_address() -> None:
    with pytest.raises(ValidationError):
        s.SuppressAddress(address_id=address_id_for("bob@example.com"), address=ADDRESS, reason="bounced",
                          svix_id="msg_1", at=AT)


def test_clearing_lifts_it_and_a_later_bounce_suppresses_again() -> None:
    given(s.suppression, suppressed()).when(clear()).then(EmailSuppressionCleared(address_id=ID, by_user_id=USER,
                                                                                  at=AT))
    given(s.suppression, suppressed(), EmailSuppressionCleared(address_id=ID, by_user_id=USER, at=AT)).when(
        suppress(svix="msg_3")).then(suppressed(svix="msg_3"))


def test_clearing_an_address_not_suppressed_records_nothing() -> None:
    given(s.suppression).when(clear()).then()


def report(svix: str = "msg_1", status: str = "bounced", bounce: str | None = "hard") -> d.ReportDelivery:
    return d.ReportDelivery(notification_id=NOTE, user_id=USER, provider_message_id="re_1", status=status,
                            bounce_type=bounce, detail="Permanent · General", svix_id=svix, at=AT)


def test_a_delivery_report_is_recorded_once_per_webhook_delivery() -> None:
    event = EmailDeliveryReported(**report().model_dump())
    given(d.email_delivery).when(report()).then(event)
    given(d.email_delivery, event).when(report()).then()
    given(d.email_delivery, event).when(report("msg_2", "delivered", None)).then(
        EmailDeliveryReported(**report("msg_2", "delivered", None).model_dump()))


def test_only_a_bounce_says_whether_it_was_hard() -> None:
    given(d.email_delivery).when(report(bounce=None)).then_raises(Invalid)
    given(d.email_delivery).when(report(status="delivered")).then_raises(Invalid)


def record(payload: dict | None = None) -> w.RecordResendWebhook:
    return w.RecordResendWebhook(svix_id="msg_1", event_type="email.bounced", payload=payload or {"type": "x"},
                                 received_at=AT)


def test_a_resend_webhook_is_recorded_once_and_another_payload_under_its_id_is_a_conflict() -> None:
    received = ResendWebhookReceived(**record().model_dump())
    given(w.resend_webhook).when(record()).then(received)
    given(w.resend_webhook, received).when(record()).then()
    given(w.resend_webhook, received).when(record({"type": "y"})).then_raises(Conflict)


def test_a_resend_webhook_is_marked_processed_once_and_only_when_received() -> None:
    done = w.MarkResendWebhookProcessed(svix_id="msg_1", outcome="processed", at=AT)
    given(w.resend_webhook).when(done).then_raises(NotFound)
    received = ResendWebhookReceived(**record().model_dump())
    processed = ResendWebhookProcessed(svix_id="msg_1", outcome="processed", reason=None, at=AT)
    given(w.resend_webhook, received).when(done).then(processed)
    given(w.resend_webhook, received, processed).when(done).then()


def payload(event_type: str, **data: object) -> dict:
    return {"type": event_type, "created_at": "2026-05-01T09:00:00.000Z",
            "data": {"email_id": "re_1", "from": "Splits <n@splits.network>", "to": [ADDRESS], "subject": "S",
                     "created_at": "2026-05-01T08:59:00.000Z", **data}}


@pytest.mark.parametrize(("kind", "hard"), [("Permanent", True), ("Transient", False), ("Undetermined", False)])
def test_only_a_permanent_bounce_is_hard_and_suppresses(kind: str, hard: bool) -> None:
    found = read(payload("email.bounced", bounce={"type": kind, "subType": "General", "message": "m"}))
    assert found is not None and found.bounce_type == ("hard" if hard else "soft")
    assert suppresses(found) == ("bounced" if hard else None)
    assert found.detail == "General · m"


def test_a_complaint_suppresses_and_a_delivery_does_not() -> None:
    complaint, delivery = read(payload("email.complained")), read(payload("email.delivered"))
    assert complaint is not None and suppresses(complaint) == "complained"
    assert delivery is not None and suppresses(delivery) is None and delivery.to == (ADDRESS,)


def test_opens_clicks_and_unknown_types_are_not_acted_on() -> None:
    for event_type in ("email.opened", "email.clicked", "contact.created"):
        assert read(payload(event_type)) is None


@pytest.mark.parametrize("data", [
    {"to": []}, {"to": ["not-an-address"]}, {"email_id": ""}, {"to": None},
])
def test_an_email_event_without_what_we_need_is_unreadable(data: dict) -> None:
    with pytest.raises(Unreadable):
        read(payload("email.delivered", **data))


def test_a_bounce_without_its_bounce_is_unreadable() -> None:
    with pytest.raises(Unreadable):
        read(payload("email.bounced"))
