"""Who reads what in an audit bundle (`projections/audit/scope.py`), on the billing story's trail: the
platform admin everything; the company admin the money of their placement but no one's Stripe transfer
payloads; each recruiter their own payout and its webhooks, not the other's; the firm admin their firm's take;
the company's billing email to nobody but the platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventstore import Position, RecordedEvent
from projections.audit.scope import MASK, Viewer, masked, view, withheld
from tests.unit.audit import FIRM, REX, SAM, TX_FIRM, TX_REX, TX_SAM, billing_story


def _trail() -> tuple[list[RecordedEvent], dict[UUID, dict[str, Any]]]:
    events = [RecordedEvent(position=Position.parse(line["position"]), event_id=UUID(line["event_id"]),
                            stream_id=line["stream_id"], stream_type=line["stream_type"], version=line["version"],
                            type=line["type"], schema_version=1, data=line["data"], metadata=line["metadata"],
                            recorded_at=datetime.fromisoformat(line["recorded_at"]), hash=b"")
              for line in billing_story().lines]
    return events, {e.event_id: e.data for e in events}


def _shown(viewer: Viewer) -> list[tuple[str, Any]]:
    events, opened = _trail()
    hidden = withheld(events, opened, viewer)
    return [(e.type, e.data.get("transaction_id") or e.stream_id) for e in events if e.event_id not in hidden]


def _transfers(shown: list[tuple[str, Any]]) -> set[str]:
    return {str(ident) for kind, ident in shown if kind in ("PayoutTransferred", "PayoutConnectRequired",
                                                            "PayoutReachedBank")}


def test_a_platform_admin_reads_everything() -> None:
    events, opened = _trail()
    assert withheld(events, opened, Viewer("platform_admin")) == set()
    assert masked(events, Viewer("platform_admin"), set()) == {}


def test_each_recruiter_reads_their_own_payout_and_no_one_elses() -> None:
    rex = _shown(Viewer("recruiter", user_id=str(REX), recruiter_id=str(REX)))
    sam = _shown(Viewer("recruiter", user_id=str(SAM), recruiter_id=str(SAM)))
    assert _transfers(rex) == {str(TX_REX)}
    assert _transfers(sam) == {str(TX_SAM)}
    for shown in (rex, sam):  # the billing email, the invoice's Stripe payload: the company's, not theirs
        assert not any(kind in ("EmailSent", "StripeWebhookReceived") for kind, _ in shown)
        assert any(kind == "PlacementSplitsComputed" for kind, _ in shown)  # the splits the money API shows


def test_a_firm_admin_reads_the_firms_take_and_a_company_admin_every_payout_but_no_transfer_payload() -> None:
    firm = _shown(Viewer("firm_admin", firm_ids=frozenset({str(FIRM)})))
    assert _transfers(firm) == {str(TX_FIRM)}
    company = _shown(Viewer("company_admin"))
    assert _transfers(company) == {str(TX_REX), str(TX_SAM), str(TX_FIRM)}
    assert ("StripeWebhookReceived", "stripewebhook-evt_paid") in company  # the invoice's payment: theirs
    assert not any(kind == "EmailSent" for kind, _ in company)  # sent to nobody known as them


def test_the_invoice_is_shown_to_a_party_without_the_stripe_customer() -> None:
    events, _ = _trail()
    views = masked(events, Viewer("company_admin"), set())
    [issued] = [e for e in events if e.event_id in views]
    assert issued.type == "InvoiceIssued"
    shown = view(issued.data, views[issued.event_id])
    assert shown["stripe_customer_id"] == MASK and shown["stripe_invoice_id"] == issued.data["stripe_invoice_id"]
