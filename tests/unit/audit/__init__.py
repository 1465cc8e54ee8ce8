"""A placement's money trail as `events.jsonl` lines, for the audit report's tests (unit and integration).

The billing story's numbers (tests/integration/billing/test_billing_story.py): a $30,000.00 fee; Rex (partner, 40%)
closed the candidate: $12,000.00; Sam (starter, 10%) facilitated for the company: $3,000.00, of which his firm
takes 10% ($300.00); the platform keeps $15,000.00. The company is invoiced $30,900.00 (3% processing fee) and
pays; the payouts run; Sam onboards to Connect late and is paid after.

The billing events come out of the real placement billing decider (so their shapes are the stored shapes),
serialised as the event store serialises them (`model_dump(mode="json")`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from commands.ats.application_events import ApplicationHired
from commands.ats.placement_events import PlacementCreated
from commands.billing.events import StripeWebhookReceived
from commands.billing.placement_billing import (
    ApplyInvoiceUpdate,
    FreezeSnapshot,
    PlacementBilling,
    RecordBankPayout,
    RecordConnectRequired,
    RecordInvoiceIssued,
    RecordTransfer,
    StartPayouts,
    first_schedule_id,
    placement_billing,
)
from commands.billing.placement_events import RoleSnapshot
from commands.billing.splits import transaction_id
from commands.core import Command, Event
from commands.notifications.events import EmailSent

P = UUID("00000000-0000-4000-8000-0000000000b1")
APP = UUID("00000000-0000-4000-8000-0000000000a1")
JOB = UUID("00000000-0000-4000-8000-000000000001")
CANDIDATE = UUID("00000000-0000-4000-8000-000000000002")
COMPANY = UUID("00000000-0000-4000-8000-0000000000c0")
REX = UUID("00000000-0000-4000-8000-0000000000e1")
SAM = UUID("00000000-0000-4000-8000-0000000000e2")
FIRM = UUID("00000000-0000-4000-8000-0000000000f1")
INVOICE = UUID("00000000-0000-4000-8000-0000000000d1")
STRIPE_INVOICE = "in_1Story"

FEE = 3_000_000
PROCESSING_FEE = 90_000
AMOUNT_DUE = 3_090_000
TX_REX = transaction_id(P, "candidate_recruiter", "member_payout")
TX_SAM = transaction_id(P, "company_recruiter", "member_payout")
TX_FIRM = transaction_id(P, "company_recruiter", "firm_admin_take")
TRANSFERS = {TX_REX: ("tr_rex", "acct_rex", 1_200_000), TX_FIRM: ("tr_firm", "acct_firm", 30_000),
             TX_SAM: ("tr_sam", "acct_sam", 270_000)}

HIRED = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
ISSUED_AT = datetime(2026, 10, 2, 0, 0, tzinfo=UTC)
PAID_AT = datetime(2026, 10, 20, 15, 10, 49, 637658, tzinfo=UTC)
RUN_AT = PAID_AT + timedelta(days=7, hours=1)
BILLING_STREAM = f"placementbilling-{P}"


@dataclass
class Trail:
    """The lines of a placement's export, appended one event at a time; billing commands go through the
    decider, other events are recorded as given."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    state: PlacementBilling = field(default_factory=placement_billing.initial_state)
    versions: dict[str, int] = field(default_factory=dict)

    def record(self, event: Event, stream_id: str, actor: str, at: datetime) -> None:
        version = self.versions[stream_id] = self.versions.get(stream_id, 0) + 1
        data = event.model_dump(mode="json")
        self.lines.append({
            "position": f"{1000 + len(self.lines)}.{len(self.lines) % 3}", "stream_id": stream_id,
            "stream_type": stream_id.split("-", 1)[0], "version": version,
            "event_id": str(UUID(int=len(self.lines) + 1)), "type": event.type_name(), "schema_version": 1,
            "recorded_at": at.isoformat(), "data": data,
            "metadata": {"actor": actor, "correlation_id": str(P), "causation_id": None, "source": "test"},
            "hash": hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest(),
        })

    def decide(self, command: Command, actor: str) -> None:
        for event in placement_billing.decide(command, self.state):
            self.state = placement_billing.evolve(self.state, event)
            self.record(event, BILLING_STREAM, actor, command.at)  # type: ignore[attr-defined]


def _role(role: Any, recruiter: UUID | None = None, tier: Any = None, rate: int | None = None,
          firm: UUID | None = None, take: int | None = None) -> RoleSnapshot:
    return RoleSnapshot(role=role, recruiter_id=recruiter, user_id=recruiter, tier=tier, rate_bps=rate, firm_id=firm,
                        firm_take_bps=take)


def billing_story() -> Trail:
    """The whole money path of the billing story, from the hire to the last transfer reaching a bank."""
    t = Trail()
    t.record(ApplicationHired(application_id=APP, from_stage="offer", to_stage="hired", placement_id=P,
                              salary_cents=15_000_000, start_date=date(2026, 9, 1), by="user_cora",
                              by_role="company", at=HIRED), f"application-{APP}", "user_cora", HIRED)
    t.record(PlacementCreated(
        placement_id=P, application_id=APP, job_id=JOB, candidate_id=CANDIDATE, company_id=COMPANY, state="hired",
        salary_cents=15_000_000, fee_bps=2000, fee_cents=FEE, guarantee_days=30,
        guarantee_expires_at=HIRED + timedelta(days=30), hired_at=HIRED, start_date=date(2026, 9, 1),
        candidate_recruiter_id=REX, company_recruiter_id=SAM, job_owner_recruiter_id=None,
        candidate_sourcer_recruiter_id=None, company_sourcer_recruiter_id=None, created_by="reactor:placements",
        at=HIRED), f"placement-{P}", "reactor:placements", HIRED)
    t.decide(FreezeSnapshot(placement_id=P, at=HIRED, application_id=APP, job_id=JOB, company_id=COMPANY,
                            fee_cents=FEE, hired_at=HIRED, roles=[
                                _role("candidate_recruiter", REX, "partner", 4000),
                                _role("company_recruiter", SAM, "starter", 1000, FIRM, 1000),
                                _role("job_owner"), _role("candidate_sourcer"), _role("company_sourcer")]),
             "reactor:billing")
    t.decide(RecordInvoiceIssued(
        placement_id=P, at=ISSUED_AT, invoice_id=INVOICE, company_id=COMPANY, stripe_customer_id="cus_acme",
        stripe_invoice_id=STRIPE_INVOICE, billing_terms="net_30", collection_method="send_invoice", fee_cents=FEE,
        processing_fee_cents=PROCESSING_FEE, amount_due_cents=AMOUNT_DUE, status="open", number="SPLT-0001",
        due_date=date(2026, 11, 1), by="scheduler"), "scheduler")
    t.record(StripeWebhookReceived(
        stripe_event_id="evt_paid", event_type="invoice.payment_succeeded", api_version="2025-01-01", livemode=False,
        account=None, created=PAID_AT, payload={"id": "evt_paid", "data": {"object": {"id": STRIPE_INVOICE}}},
        received_at=PAID_AT), "stripewebhook-evt_paid", "stripe", PAID_AT)
    t.decide(ApplyInvoiceUpdate(placement_id=P, at=PAID_AT, stripe_invoice_id=STRIPE_INVOICE, status="paid",
                                amount_paid_cents=AMOUNT_DUE, paid_at=PAID_AT), "webhook:stripe")
    t.record(EmailSent(
        notification_id=UUID(int=77), user_id=None, recipient_email="ap@acme.example", category="billing",
        template="invoice_paid", subject="Invoice SPLT-0001 paid", text="Thanks", html="<p>Thanks</p>",
        provider="mailbox", provider_message_id="msg_1", idempotency_key="k1", source_event_id=UUID(int=5),
        at=PAID_AT), "notification-77", "reactor:notifications", PAID_AT)
    t.decide(StartPayouts(placement_id=P, at=RUN_AT, schedule_id=first_schedule_id(INVOICE), trigger="invoice_paid",
                          by="scheduler"), "scheduler")
    for tx in (TX_REX, TX_FIRM):
        transfer, account, amount = TRANSFERS[tx]
        t.decide(RecordTransfer(placement_id=P, at=RUN_AT, transaction_id=tx, stripe_transfer_id=transfer,
                                stripe_account_id=account, amount_cents=amount), "reactor:payouts")
    t.decide(RecordConnectRequired(placement_id=P, at=RUN_AT, transaction_id=TX_SAM, reason="no_connect_account"),
             "reactor:payouts")
    onboarded = RUN_AT + timedelta(days=2)
    t.decide(StartPayouts(placement_id=P, at=onboarded, trigger="connect_onboarded", by="reactor:connect"),
             "reactor:connect")
    transfer, account, amount = TRANSFERS[TX_SAM]
    t.decide(RecordTransfer(placement_id=P, at=onboarded, transaction_id=TX_SAM, stripe_transfer_id=transfer,
                            stripe_account_id=account, amount_cents=amount), "reactor:payouts")
    t.decide(RecordBankPayout(placement_id=P, at=onboarded + timedelta(days=2), transaction_id=TX_REX,
                              stripe_transfer_id=TRANSFERS[TX_REX][0], stripe_payout_id="po_rex", outcome="paid"),
             "webhook:stripe")
    return t
