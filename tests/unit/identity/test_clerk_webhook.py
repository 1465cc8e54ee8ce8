from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from commands.core import Conflict, NotFound
from commands.identity.clerk_webhook import MarkClerkWebhookProcessed, RecordClerkWebhook, clerk_webhook
from commands.identity.events import ClerkWebhookProcessed, ClerkWebhookReceived
from tests.unit.dsl import given

SVIX_ID = "msg_2abc"
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAYLOAD: dict[str, Any] = {
    "type": "user.created",
    "data": {"id": "user_2abc", "email_addresses": [{"email_address": "ada@example.com"}], "created_at": 1772442000000,
             "image_url": None, "banned": False},
}


def record(**overrides: Any) -> RecordClerkWebhook:
    return RecordClerkWebhook(**{"svix_id": SVIX_ID, "instance": "portal", "event_type": "user.created",
                                 "payload": PAYLOAD, "received_at": AT} | overrides)


def received(**overrides: Any) -> ClerkWebhookReceived:
    return ClerkWebhookReceived(**{"svix_id": SVIX_ID, "instance": "portal", "event_type": "user.created",
                                   "payload": PAYLOAD, "received_at": AT} | overrides)


def test_first_delivery_records_the_payload():
    given(clerk_webhook).when(record()).then(received())


def test_delivery_from_unknown_instance_is_recorded():
    given(clerk_webhook).when(record(instance="unknown")).then(received(instance="unknown"))


def test_redelivery_is_a_no_op():
    given(clerk_webhook, received()).when(record(received_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))).then()


def test_other_payload_under_known_id_raises_conflict():
    given(clerk_webhook, received()).when(record(payload={"type": "user.deleted"})).then_raises(Conflict, SVIX_ID)


def test_payload_with_float_is_rejected():
    with pytest.raises(ValidationError, match="payload"):
        record(payload={"score": 0.5})


def test_webhook_streams_are_named_by_svix_id():
    assert clerk_webhook.stream_type == "clerkwebhook"


def processed(outcome: str = "processed", reason: str | None = None) -> ClerkWebhookProcessed:
    return ClerkWebhookProcessed(svix_id=SVIX_ID, outcome=outcome, reason=reason, at=AT)


def mark(outcome: str = "processed", reason: str | None = None) -> MarkClerkWebhookProcessed:
    return MarkClerkWebhookProcessed(svix_id=SVIX_ID, outcome=outcome, reason=reason, at=AT)


def test_received_delivery_marked_processed_records_the_outcome():
    given(clerk_webhook, received()).when(mark("ignored", "no email")).then(processed("ignored", "no email"))


def test_processed_delivery_marked_again_is_a_no_op():
    given(clerk_webhook, received(), processed()).when(mark()).then()


def test_delivery_never_received_cannot_be_marked_processed():
    given(clerk_webhook).when(mark()).then_raises(NotFound)


def test_redelivery_of_a_processed_delivery_records_nothing():
    given(clerk_webhook, received(), processed()).when(record()).then()
