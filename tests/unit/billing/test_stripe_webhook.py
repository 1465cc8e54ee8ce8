from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from commands.billing.events import StripeWebhookProcessed, StripeWebhookReceived
from commands.billing.stripe_webhook import MarkStripeWebhookProcessed, RecordStripeWebhook, stripe_webhook
from commands.core import Conflict, NotFound
from tests.unit.dsl import given

EVENT_ID = "evt_1NqL"
CREATED = datetime(2026, 3, 2, 8, 59, 58, tzinfo=UTC)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAYLOAD: dict[str, Any] = {
    "id": EVENT_ID, "type": "customer.subscription.updated",
    "data": {"object": {"id": "sub_1", "status": "past_due", "current_period_end": 1775000000,
                        "items": {"data": [{"id": "si_1", "price": {"id": "price_pro_monthly"}}]},
                        "cancel_at": None, "cancel_at_period_end": False}},
}
DELIVERY: dict[str, Any] = {"stripe_event_id": EVENT_ID, "event_type": "customer.subscription.updated",
                            "api_version": "2025-03-31.basil", "livemode": False, "account": None,
                            "created": CREATED, "payload": PAYLOAD, "received_at": AT}


def record(**overrides: Any) -> RecordStripeWebhook:
    return RecordStripeWebhook(**DELIVERY | overrides)


def received(**overrides: Any) -> StripeWebhookReceived:
    return StripeWebhookReceived(**DELIVERY | overrides)


def mark(outcome: str = "processed", reason: str | None = None) -> MarkStripeWebhookProcessed:
    return MarkStripeWebhookProcessed(stripe_event_id=EVENT_ID, outcome=outcome, reason=reason, at=AT)


def processed(outcome: str = "processed", reason: str | None = None) -> StripeWebhookProcessed:
    return StripeWebhookProcessed(stripe_event_id=EVENT_ID, outcome=outcome, reason=reason, at=AT)


def test_first_delivery_records_the_event():
    given(stripe_webhook).when(record()).then(received())
    state = given(stripe_webhook, received()).state
    assert (state.received, state.processed) == (received(), False)


def test_connect_delivery_records_its_account():
    given(stripe_webhook).when(record(account="acct_1", livemode=True, api_version=None)).then(
        received(account="acct_1", livemode=True, api_version=None)
    )


@pytest.mark.parametrize("overrides", [{}, {"received_at": AT + timedelta(minutes=5)}, {"api_version": None}],
                         ids=["same", "later", "other api version"])
def test_redelivery_records_nothing(overrides: dict[str, Any]):
    given(stripe_webhook, received()).when(record(**overrides)).then()


@pytest.mark.parametrize("overrides", [{"payload": {"id": EVENT_ID}}, {"event_type": "invoice.paid"}],
                         ids=["payload", "type"])
def test_another_delivery_under_a_known_id_raises_conflict(overrides: dict[str, Any]):
    error = given(stripe_webhook, received()).when(record(**overrides)).then_raises(Conflict, EVENT_ID)
    assert not {"type", "title", "status", "detail", "instance"} & set(error.details)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "field, value",
    [("payload", {"amount": 0.5}), ("stripe_event_id", " "), ("event_type", ""), ("created", datetime(2026, 3, 2)),
     ("received_at", datetime(2026, 3, 2)), ("livemode", "sometimes")],
)
def test_delivery_with_bad_field_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        record(**{field: value})


@pytest.mark.parametrize("outcome, reason", [("processed", None), ("ignored", "unhandled event type")])
def test_received_event_is_marked_once(outcome: str, reason: str | None):
    given(stripe_webhook, received()).when(mark(outcome, reason)).then(processed(outcome, reason))
    assert given(stripe_webhook, received(), processed(outcome, reason)).state.processed


def test_marking_again_records_nothing():
    given(stripe_webhook, received(), processed()).when(mark("ignored", "late")).then()


def test_marking_an_event_never_received_raises_not_found():
    given(stripe_webhook).when(mark()).then_raises(NotFound, "never received")


def test_marking_with_unknown_outcome_is_rejected():
    with pytest.raises(ValidationError, match="outcome"):
        mark("failed")


def test_a_redelivery_after_processing_records_nothing():
    given(stripe_webhook, received(), processed()).when(record()).then()


def test_webhook_streams_are_named_by_event_id():
    assert stripe_webhook.stream_type == "stripewebhook"
