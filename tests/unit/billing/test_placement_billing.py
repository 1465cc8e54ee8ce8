"""The placement billing decider (domain §4.5, §5): the snapshot and its splits, the invoice to the company,
payout runs and their outcomes, escrow holds and disputes, each told as a story of events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import pytest
from pydantic import ValidationError

from commands.billing.placement_billing import (
    COLLECTIBLE_AFTER,
    MAX_RETRIES,
    RETRY_AFTER,
    ApplyInvoiceUpdate,
    CancelEscrowHold,
    CancelPayoutSchedule,
    CloseDispute,
    FreezeSnapshot,
    InvoiceNotRecorded,
    MarkFundsAvailable,
    NotCollectible,
    OpenDispute,
    PayoutsBlocked,
    PlaceEscrowHold,
    RecordBankPayout,
    RecordConnectRequired,
    RecordInvoiceIssued,
    RecordTransfer,
    RecordTransferFailure,
    RecordTransferReversed,
    ReleaseEscrowHold,
    RequestInvoice,
    ReviewDispute,
    StartPayouts,
    first_schedule_id,
    placement_billing,
    processing_fee_cents,
)
from commands.billing.placement_events import (
    DisputeClosed,
    DisputeOpened,
    DisputeUnderReview,
    EscrowHoldCancelled,
    EscrowHoldPlaced,
    EscrowHoldReleased,
    InvoiceClosed,
    InvoiceFinalized,
    InvoiceFundsAvailable,
    InvoiceIssued,
    InvoicePaid,
    InvoicePaymentFailed,
    InvoiceRequested,
    PayoutBankFailed,
    PayoutConnectRequired,
    PayoutReachedBank,
    PayoutScheduleCancelled,
    PayoutScheduleCompleted,
    PayoutScheduled,
    PayoutsStarted,
    PayoutTransaction,
    PayoutTransferFailed,
    PayoutTransferred,
    PayoutTransferReversed,
    PayoutTrigger,
    PlacementSnapshotFrozen,
    PlacementSplitsComputed,
    RoleSnapshot,
    Split,
)
from commands.billing.splits import transaction_id
from commands.core import Command, Conflict, Event, Invalid, NotFound, RuleViolation
from tests.unit.dsl import given

P = UUID("00000000-0000-4000-8000-0000000000b1")
APP = UUID("00000000-0000-4000-8000-0000000000a1")
JOB = UUID("00000000-0000-4000-8000-000000000001")
COMPANY = UUID("00000000-0000-4000-8000-0000000000c0")
CLOSER = UUID("00000000-0000-4000-8000-0000000000e1")
FACILITATOR = UUID("00000000-0000-4000-8000-0000000000e2")
SOURCER = UUID("00000000-0000-4000-8000-0000000000e4")
FIRM = UUID("00000000-0000-4000-8000-0000000000f1")
INVOICE = UUID("00000000-0000-4000-8000-0000000000d1")
HOLD = UUID("00000000-0000-4000-8000-000000000011")
OTHER_HOLD = UUID("00000000-0000-4000-8000-000000000012")
DISPUTE = UUID("00000000-0000-4000-8000-000000000021")
OTHER_DISPUTE = UUID("00000000-0000-4000-8000-000000000022")
STRIPE_INVOICE = "in_1PlacementFee"
NUMBER = "SPLT-0042"
URL = "https://invoice.stripe.com/i/acct_1/test_1"
PDF = "https://pay.stripe.com/invoice/acct_1/test_1/pdf"
DUE = date(2026, 8, 8)
ACTOR = "user_admin"
SCHEDULER = "scheduler"

FEE = 3_000_000  # $30,000
PROCESSING_FEE = 90_000  # 3%
AMOUNT_DUE = 3_090_000
HIRED = datetime(2026, 4, 10, 15, 30, tzinfo=UTC)
ISSUED_AT = datetime(2026, 7, 9, 16, 0, tzinfo=UTC)
PAID_AT = datetime(2026, 7, 20, 9, 0, tzinfo=UTC)
COLLECTIBLE = datetime(2026, 7, 27, 9, 0, tzinfo=UTC)  # PAID_AT + 7 days, written out
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)

# The closer (partner, in a firm that takes 20%), the facilitator (pro) and the candidate's sourcer (starter);
# nobody owns the job or sourced the company.
TX_CLOSER = transaction_id(P, "candidate_recruiter", "member_payout")
TX_FIRM = transaction_id(P, "candidate_recruiter", "firm_admin_take")
TX_FACILITATOR = transaction_id(P, "company_recruiter", "member_payout")
TX_SOURCER = transaction_id(P, "candidate_sourcer", "member_payout")
ALL_TX = [TX_CLOSER, TX_FIRM, TX_FACILITATOR, TX_SOURCER]
AMOUNT = {TX_CLOSER: 960_000, TX_FIRM: 240_000, TX_FACILITATOR: 450_000, TX_SOURCER: 180_000}
S1 = first_schedule_id(INVOICE)
R1 = uuid5(S1, "retry-1")
R2 = uuid5(R1, "retry-2")
R3 = uuid5(R2, "retry-3")


# --- factories ----------------------------------------------------------------------------------------------

def snapshot_roles() -> list[RoleSnapshot]:
    return [
        RoleSnapshot(role="candidate_recruiter", recruiter_id=CLOSER, user_id=CLOSER, tier="partner", rate_bps=4000,
                     firm_id=FIRM, firm_take_bps=2000),
        RoleSnapshot(role="company_recruiter", recruiter_id=FACILITATOR, user_id=FACILITATOR, tier="pro",
                     rate_bps=1500, firm_id=None, firm_take_bps=None),
        RoleSnapshot(role="job_owner", recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                     firm_take_bps=None),
        RoleSnapshot(role="candidate_sourcer", recruiter_id=SOURCER, user_id=SOURCER, tier="starter", rate_bps=600,
                     firm_id=None, firm_take_bps=None),
    ]


def filled(role: Any, rate_bps: int, recruiter: UUID = CLOSER, **fields: Any) -> RoleSnapshot:
    return RoleSnapshot(**{"role": role, "recruiter_id": recruiter, "user_id": recruiter, "tier": "partner",
                           "rate_bps": rate_bps, "firm_id": None, "firm_take_bps": None, **fields})


def freeze(**overrides: Any) -> FreezeSnapshot:
    fields: dict[str, Any] = {"placement_id": P, "application_id": APP, "job_id": JOB, "company_id": COMPANY,
                              "fee_cents": FEE, "hired_at": HIRED, "roles": snapshot_roles(), "at": HIRED}
    return FreezeSnapshot(**fields | overrides)


def frozen() -> PlacementSnapshotFrozen:
    return PlacementSnapshotFrozen(placement_id=P, application_id=APP, job_id=JOB, company_id=COMPANY, fee_cents=FEE,
                                   hired_at=HIRED, roles=snapshot_roles(), at=HIRED)


def splits_computed() -> PlacementSplitsComputed:
    """By hand: 40% = 1,200,000 of which the firm takes 20% = 240,000; 15% = 450,000; 6% = 180,000; the
    platform keeps the 39% the empty roles and its own share leave: 1,170,000."""
    return PlacementSplitsComputed(
        placement_id=P, fee_cents=FEE,
        splits=[
            Split(role="candidate_recruiter", recruiter_id=CLOSER, tier="partner", rate_bps=4000,
                  amount_cents=1_200_000, firm_id=FIRM, firm_take_bps=2000, firm_take_cents=240_000,
                  net_cents=960_000),
            Split(role="company_recruiter", recruiter_id=FACILITATOR, tier="pro", rate_bps=1500, amount_cents=450_000,
                  firm_id=None, firm_take_bps=0, firm_take_cents=0, net_cents=450_000),
            Split(role="candidate_sourcer", recruiter_id=SOURCER, tier="starter", rate_bps=600, amount_cents=180_000,
                  firm_id=None, firm_take_bps=0, firm_take_cents=0, net_cents=180_000),
        ],
        transactions=[
            PayoutTransaction(transaction_id=TX_CLOSER, role="candidate_recruiter", kind="member_payout",
                              payee_kind="recruiter", payee_id=CLOSER, amount_cents=960_000),
            PayoutTransaction(transaction_id=TX_FIRM, role="candidate_recruiter", kind="firm_admin_take",
                              payee_kind="firm", payee_id=FIRM, amount_cents=240_000),
            PayoutTransaction(transaction_id=TX_FACILITATOR, role="company_recruiter", kind="member_payout",
                              payee_kind="recruiter", payee_id=FACILITATOR, amount_cents=450_000),
            PayoutTransaction(transaction_id=TX_SOURCER, role="candidate_sourcer", kind="member_payout",
                              payee_kind="recruiter", payee_id=SOURCER, amount_cents=180_000),
        ],
        platform_remainder_cents=1_170_000, at=HIRED,
    )


def issue(**overrides: Any) -> RecordInvoiceIssued:
    fields: dict[str, Any] = {
        "placement_id": P, "invoice_id": INVOICE, "company_id": COMPANY, "stripe_customer_id": "cus_1",
        "stripe_invoice_id": STRIPE_INVOICE, "billing_terms": "net_30", "collection_method": "send_invoice",
        "fee_cents": FEE, "processing_fee_cents": PROCESSING_FEE, "amount_due_cents": AMOUNT_DUE, "status": "open",
        "number": NUMBER, "hosted_invoice_url": URL, "invoice_pdf_url": PDF, "due_date": DUE, "by": SCHEDULER,
        "at": ISSUED_AT,
    }
    return RecordInvoiceIssued(**fields | overrides)


def issued(**overrides: Any) -> InvoiceIssued:
    return InvoiceIssued(**issue(**overrides).model_dump())


def draft_issued() -> InvoiceIssued:
    return issued(status="draft", number=None, hosted_invoice_url=None, invoice_pdf_url=None, due_date=None)


def webhook(status: Any, at: datetime = PAID_AT, **fields: Any) -> ApplyInvoiceUpdate:
    return ApplyInvoiceUpdate(placement_id=P, stripe_invoice_id=STRIPE_INVOICE, status=status, at=at, **fields)


def paid_webhook(at: datetime = PAID_AT, **fields: Any) -> ApplyInvoiceUpdate:
    return webhook("paid", at=at, **{"amount_paid_cents": AMOUNT_DUE, "paid_at": at, "number": NUMBER,
                                     "hosted_invoice_url": URL, "invoice_pdf_url": PDF, "due_date": DUE, **fields})


def finalized(at: datetime = ISSUED_AT, **overrides: Any) -> InvoiceFinalized:
    fields: dict[str, Any] = {"number": NUMBER, "hosted_invoice_url": URL, "invoice_pdf_url": PDF, "due_date": DUE}
    return InvoiceFinalized(placement_id=P, invoice_id=INVOICE, at=at, **fields | overrides)


def paid(at: datetime = PAID_AT, amount: int = AMOUNT_DUE) -> InvoicePaid:
    return InvoicePaid(placement_id=P, invoice_id=INVOICE, amount_paid_cents=amount, paid_at=at,
                       collectible_at=at + COLLECTIBLE_AFTER, at=at)


def scheduled(schedule_id: UUID = S1, scheduled_for: datetime = COLLECTIBLE, trigger: PayoutTrigger = "invoice_paid",
              at: datetime = PAID_AT) -> PayoutScheduled:
    return PayoutScheduled(placement_id=P, schedule_id=schedule_id, scheduled_for=scheduled_for, trigger=trigger,
                           at=at)


def start(schedule_id: UUID | None = S1, trigger: PayoutTrigger = "invoice_paid", at: datetime = COLLECTIBLE,
          by: str = SCHEDULER) -> StartPayouts:
    return StartPayouts(placement_id=P, schedule_id=schedule_id, trigger=trigger, by=by, at=at)


def manual(at: datetime = COLLECTIBLE, schedule_id: UUID | None = None) -> StartPayouts:
    return start(schedule_id=schedule_id, trigger="manual", at=at, by=ACTOR)


def started(transaction_ids: list[UUID] = ALL_TX, schedule_id: UUID | None = S1,
            trigger: PayoutTrigger = "invoice_paid", at: datetime = COLLECTIBLE, by: str = SCHEDULER
            ) -> PayoutsStarted:
    return PayoutsStarted(placement_id=P, schedule_id=schedule_id, transaction_ids=transaction_ids, trigger=trigger,
                          by=by, at=at)


def transfer(tx: UUID, transfer_id: str | None = None, at: datetime = COLLECTIBLE) -> RecordTransfer:
    return RecordTransfer(placement_id=P, transaction_id=tx, stripe_transfer_id=transfer_id or f"tr_{tx.hex[:8]}",
                          stripe_account_id="acct_payee", amount_cents=AMOUNT[tx], at=at)


def transferred(tx: UUID, transfer_id: str | None = None, at: datetime = COLLECTIBLE) -> PayoutTransferred:
    return PayoutTransferred(placement_id=P, transaction_id=tx, stripe_transfer_id=transfer_id or f"tr_{tx.hex[:8]}",
                             stripe_account_id="acct_payee", amount_cents=AMOUNT[tx], at=at)


def failure(tx: UUID, at: datetime = COLLECTIBLE, reason: str = "insufficient platform balance"
            ) -> RecordTransferFailure:
    return RecordTransferFailure(placement_id=P, transaction_id=tx, reason=reason, at=at)


def failed(tx: UUID, retry_count: int, final: bool = False, at: datetime = COLLECTIBLE,
           reason: str = "insufficient platform balance") -> PayoutTransferFailed:
    return PayoutTransferFailed(placement_id=P, transaction_id=tx, reason=reason, retry_count=retry_count, final=final,
                                at=at)


def connect_required(tx: UUID, payee: UUID = SOURCER, at: datetime = COLLECTIBLE) -> PayoutConnectRequired:
    return PayoutConnectRequired(placement_id=P, transaction_id=tx, payee_kind="recruiter", payee_id=payee,
                                 amount_cents=AMOUNT[tx], reason="not_onboarded", at=at)


def completed(schedule_id: UUID = S1, status: Any = "processed", at: datetime = COLLECTIBLE
              ) -> PayoutScheduleCompleted:
    return PayoutScheduleCompleted(placement_id=P, schedule_id=schedule_id, status=status, at=at)


def retry(schedule_id: UUID, at: datetime) -> PayoutScheduled:
    return scheduled(schedule_id, scheduled_for=at + HOUR, trigger="retry", at=at)


def place(hold_id: UUID = HOLD, at: datetime = PAID_AT, release_on: datetime | None = None) -> PlaceEscrowHold:
    return PlaceEscrowHold(placement_id=P, hold_id=hold_id, amount_cents=None, reason="guarantee review",
                           release_on=release_on, by=ACTOR, at=at)


def placed(hold_id: UUID = HOLD, at: datetime = PAID_AT, release_on: datetime | None = None) -> EscrowHoldPlaced:
    return EscrowHoldPlaced(**place(hold_id, at, release_on).model_dump())


def release(hold_id: UUID = HOLD, at: datetime = COLLECTIBLE + HOUR, automatic: bool = False) -> ReleaseEscrowHold:
    return ReleaseEscrowHold(placement_id=P, hold_id=hold_id, automatic=automatic,
                             by=SCHEDULER if automatic else ACTOR, at=at)


def released(hold_id: UUID = HOLD, at: datetime = COLLECTIBLE + HOUR, automatic: bool = False) -> EscrowHoldReleased:
    return EscrowHoldReleased(placement_id=P, hold_id=hold_id, automatic=automatic,
                              by=SCHEDULER if automatic else ACTOR, at=at)


def open_dispute(dispute_id: UUID = DISPUTE, at: datetime = PAID_AT) -> OpenDispute:
    return OpenDispute(placement_id=P, dispute_id=dispute_id, dispute_type="fee_split", reason="the split is wrong",
                       raised_by="user_recruiter", raised_by_role="recruiter", at=at)


def opened(dispute_id: UUID = DISPUTE, at: datetime = PAID_AT) -> DisputeOpened:
    return DisputeOpened(**open_dispute(dispute_id, at).model_dump())


def review(dispute_id: UUID = DISPUTE, at: datetime = PAID_AT + HOUR) -> ReviewDispute:
    return ReviewDispute(placement_id=P, dispute_id=dispute_id, by=ACTOR, at=at)


def under_review(dispute_id: UUID = DISPUTE, at: datetime = PAID_AT + HOUR) -> DisputeUnderReview:
    return DisputeUnderReview(placement_id=P, dispute_id=dispute_id, by=ACTOR, at=at)


def close(outcome: Any = "resolved", dispute_id: UUID = DISPUTE, at: datetime = COLLECTIBLE + HOUR) -> CloseDispute:
    return CloseDispute(placement_id=P, dispute_id=dispute_id, outcome=outcome, notes="checked the attribution",
                        by=ACTOR, at=at)


def closed(outcome: Any = "resolved", dispute_id: UUID = DISPUTE, at: datetime = COLLECTIBLE + HOUR) -> DisputeClosed:
    return DisputeClosed(**close(outcome, dispute_id, at).model_dump())


def resume_id(schedules_before: int) -> UUID:
    return uuid5(P, f"resume-{schedules_before}")


SNAPSHOT: list[Event] = [frozen(), splits_computed()]
INVOICED: list[Event] = [*SNAPSHOT, issued()]
PAID: list[Event] = [*INVOICED, paid(), scheduled()]
RUNNING: list[Event] = [*PAID, started()]


def step(history: list[Event], cmd: Command, *expected: Event) -> list[Event]:
    """One turn of a story: `cmd` on `history` decides exactly `expected`, which then joins the history."""
    given(placement_billing, *history).when(cmd).then(*expected)
    return [*history, *expected]


def state(*events: Event) -> Any:
    return given(placement_billing, *events).state


# --- snapshot and splits -------------------------------------------------------------------------------------

def test_freezing_the_snapshot_records_it_and_its_splits_to_the_cent():
    given(placement_billing).when(freeze()).then(frozen(), splits_computed())


def test_frozen_snapshot_leaves_every_transaction_pending():
    s = state(*SNAPSHOT)
    assert s.exists and s.remainder_cents == 1_170_000
    assert list(s.transactions) == ALL_TX
    assert {t.status for t in s.transactions.values()} == {"pending"}
    assert {t.id: t.plan.amount_cents for t in s.transactions.values()} == AMOUNT


def test_freezing_again_records_nothing_even_with_other_terms():
    given(placement_billing, *SNAPSHOT).when(freeze()).then()
    given(placement_billing, *SNAPSHOT).when(freeze(fee_cents=1, roles=[])).then()


def test_snapshot_with_a_role_twice_is_invalid():
    roles = [filled("candidate_recruiter", 2000), filled("candidate_recruiter", 2000, recruiter=SOURCER)]
    given(placement_billing).when(freeze(roles=roles)).then_raises(Invalid, "at most once")


def test_snapshot_with_rates_over_the_whole_fee_is_invalid():
    roles = [filled("candidate_recruiter", 6000), filled("company_recruiter", 4001, recruiter=FACILITATOR)]
    error = given(placement_billing).when(freeze(roles=roles)).then_raises(Invalid, "10001 bps")
    assert error.details == {"rates_bps": 10_001}  # type: ignore[attr-defined]


def test_snapshot_with_rates_of_exactly_the_whole_fee_leaves_the_platform_nothing():
    roles = [filled("candidate_recruiter", 6000), filled("company_recruiter", 4000, recruiter=FACILITATOR)]
    [_, computed] = given(placement_billing).when(freeze(roles=roles, fee_cents=1_000_001)).then(
        PlacementSnapshotFrozen(**freeze(roles=roles, fee_cents=1_000_001).model_dump()),
        PlacementSplitsComputed(
            placement_id=P, fee_cents=1_000_001,
            splits=[Split(role="candidate_recruiter", recruiter_id=CLOSER, tier="partner", rate_bps=6000,
                          amount_cents=600_000, firm_id=None, firm_take_bps=0, firm_take_cents=0, net_cents=600_000),
                    Split(role="company_recruiter", recruiter_id=FACILITATOR, tier="partner", rate_bps=4000,
                          amount_cents=400_000, firm_id=None, firm_take_bps=0, firm_take_cents=0,
                          net_cents=400_000)],
            transactions=[
                PayoutTransaction(transaction_id=TX_CLOSER, role="candidate_recruiter", kind="member_payout",
                                  payee_kind="recruiter", payee_id=CLOSER, amount_cents=600_000),
                PayoutTransaction(transaction_id=TX_FACILITATOR, role="company_recruiter", kind="member_payout",
                                  payee_kind="recruiter", payee_id=FACILITATOR, amount_cents=400_000),
            ],
            platform_remainder_cents=1,  # 600,000.6 + 400,000.4: the two dropped fractions make a cent
            at=HIRED,
        ),
    )
    assert computed.platform_remainder_cents == 1  # type: ignore[attr-defined]


def test_a_rate_left_on_an_empty_role_does_not_count_towards_the_whole_fee():
    roles = [filled("candidate_recruiter", 10_000),
             RoleSnapshot(role="job_owner", recruiter_id=None, user_id=None, tier=None, rate_bps=5000, firm_id=None,
                          firm_take_bps=None)]
    [_, computed] = placement_billing.decide(freeze(roles=roles), state())
    assert [s.amount_cents for s in computed.splits] == [FEE]  # type: ignore[attr-defined]
    assert computed.platform_remainder_cents == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("field, value", [("fee_cents", 0), ("fee_cents", -1), ("hired_at", datetime(2026, 4, 10)),
                                          ("at", datetime(2026, 4, 10))])
def test_snapshot_with_bad_terms_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        freeze(**{field: value})


def test_snapshot_with_a_negative_rate_is_rejected():
    """-50% and 150% add up to 100%, so the sum check passes; the 150% role is then paid half the fee more than
    the whole fee and the other role a negative split (domain §3.4: each rate is 0–100)."""
    roles = [filled("candidate_recruiter", -5000), filled("company_recruiter", 15_000, recruiter=FACILITATOR)]
    with pytest.raises((Invalid, ValidationError)):
        placement_billing.decide(freeze(roles=roles), state())


def test_snapshot_with_a_firm_take_over_the_whole_split_is_rejected():
    """A 150% firm take would pay the firm more than the split and leave the member a negative net."""
    roles = [filled("candidate_recruiter", 4000, firm_id=FIRM, firm_take_bps=15_000)]
    with pytest.raises((Invalid, ValidationError)):
        placement_billing.decide(freeze(roles=roles), state())


NOT_FROZEN: list[Command] = [
    issue(), paid_webhook(), MarkFundsAvailable(placement_id=P, detected_by="payout", at=PAID_AT), start(), manual(),
    transfer(TX_CLOSER), failure(TX_CLOSER),
    RecordConnectRequired(placement_id=P, transaction_id=TX_SOURCER, reason="no_connect_account", at=COLLECTIBLE),
    RecordTransferReversed(placement_id=P, stripe_transfer_id="tr_1", at=COLLECTIBLE),
    RecordBankPayout(placement_id=P, transaction_id=TX_CLOSER, stripe_transfer_id="tr_1", stripe_payout_id="po_1",
                     outcome="paid", at=COLLECTIBLE),
    CancelPayoutSchedule(placement_id=P, schedule_id=S1, reason="held", by=ACTOR, at=PAID_AT),
    place(), release(), CancelEscrowHold(placement_id=P, hold_id=HOLD, by=ACTOR, at=PAID_AT),
    open_dispute(), review(), close(),
]


@pytest.mark.parametrize("cmd", NOT_FROZEN, ids=lambda cmd: type(cmd).__name__)
def test_command_on_a_placement_without_snapshot_raises_not_found(cmd: Command):
    error = given(placement_billing).when(cmd).then_raises(NotFound, "no billing record")
    assert error.details == {"placement_id": str(P)}  # type: ignore[attr-defined]


# --- the invoice ---------------------------------------------------------------------------------------------

def test_invoice_issued_is_recorded():
    given(placement_billing, *SNAPSHOT).when(issue()).then(issued())
    invoice = state(*INVOICED).invoice
    assert (invoice.id, invoice.status, invoice.amount_due_cents, invoice.number) == (INVOICE, "open", AMOUNT_DUE,
                                                                                      NUMBER)


def test_processing_fee_is_three_percent_rounded_half_up():
    assert processing_fee_cents(FEE) == PROCESSING_FEE
    assert (processing_fee_cents(50), processing_fee_cents(49)) == (2, 1)  # 1.5 → 2, 1.47 → 1


def test_invoice_issued_again_records_nothing():
    given(placement_billing, *INVOICED).when(issue(at=ISSUED_AT + HOUR)).then()


def test_second_invoice_for_the_placement_raises_conflict():
    error = given(placement_billing, *INVOICED).when(issue(stripe_invoice_id="in_2")).then_raises(
        Conflict, "already invoiced")
    assert error.details["stripe_invoice_id"] == STRIPE_INVOICE  # type: ignore[attr-defined]


@pytest.mark.parametrize("history, cmd", [
    (SNAPSHOT, paid_webhook()),
    (INVOICED, ApplyInvoiceUpdate(placement_id=P, stripe_invoice_id="in_unknown", status="paid", at=PAID_AT)),
], ids=["no invoice", "another invoice"])
def test_webhook_for_an_invoice_not_recorded_yet_raises(history: list[Event], cmd: Command):
    error = given(placement_billing, *history).when(cmd).then_raises(InvoiceNotRecorded, "not recorded yet")
    assert isinstance(error, NotFound)


def test_draft_invoice_finalized_gets_its_number_and_links_and_opens():
    history = [*SNAPSHOT, draft_issued()]
    given(placement_billing, *history).when(
        webhook("open", at=ISSUED_AT, number=NUMBER, hosted_invoice_url=URL, invoice_pdf_url=PDF, due_date=DUE)
    ).then(finalized())
    invoice = state(*history, finalized()).invoice
    assert (invoice.status, invoice.number, invoice.hosted_invoice_url, invoice.due_date) == ("open", NUMBER, URL, DUE)


def test_finalized_again_records_nothing():
    history = [*SNAPSHOT, draft_issued(), finalized()]
    given(placement_billing, *history).when(
        webhook("open", at=ISSUED_AT + HOUR, number=NUMBER, hosted_invoice_url=URL, invoice_pdf_url=PDF, due_date=DUE)
    ).then()


def test_finalized_then_paid_makes_the_invoice_collectible_seven_days_later_and_schedules_the_payout():
    history = [*SNAPSHOT, draft_issued(), finalized()]
    given(placement_billing, *history).when(paid_webhook()).then(paid(), scheduled())
    assert paid().collectible_at == COLLECTIBLE
    invoice = state(*history, paid(), scheduled()).invoice
    assert (invoice.status, invoice.amount_paid_cents, invoice.paid_at, invoice.collectible_at) == (
        "paid", AMOUNT_DUE, PAID_AT, COLLECTIBLE)
    schedule = state(*history, paid(), scheduled()).schedules[S1]
    assert (schedule.status, schedule.scheduled_for, schedule.trigger) == ("scheduled", COLLECTIBLE, "invoice_paid")


def test_paid_on_an_open_invoice_records_the_payment_and_its_schedule():
    given(placement_billing, *INVOICED).when(paid_webhook()).then(paid(), scheduled())


def test_payment_time_defaults_to_the_webhook_time_and_the_amount_to_the_amount_due():
    at = PAID_AT + timedelta(minutes=3)
    given(placement_billing, *INVOICED).when(webhook("paid", at=at, number=NUMBER, hosted_invoice_url=URL)).then(
        paid(at=at), scheduled(scheduled_for=at + COLLECTIBLE_AFTER, at=at))


def test_paid_before_finalized_the_late_finalized_only_fills_in_number_and_links():
    history = [*SNAPSHOT, draft_issued()]
    history = step(history, webhook("paid", amount_paid_cents=AMOUNT_DUE, paid_at=PAID_AT),
                   finalized(at=PAID_AT, number=None, hosted_invoice_url=None, invoice_pdf_url=None, due_date=None),
                   paid(), scheduled())
    assert state(*history).invoice.status == "paid"
    late = webhook("open", at=PAID_AT + HOUR, number=NUMBER, hosted_invoice_url=URL, invoice_pdf_url=PDF,
                   due_date=DUE)
    history = step(history, late, finalized(at=PAID_AT + HOUR))
    invoice = state(*history).invoice
    assert (invoice.status, invoice.number, invoice.hosted_invoice_url, invoice.collectible_at) == (
        "paid", NUMBER, URL, COLLECTIBLE)


def test_paid_again_records_nothing():
    given(placement_billing, *PAID).when(paid_webhook(at=PAID_AT + HOUR)).then()


def test_payment_failure_on_an_open_invoice_is_recorded_and_a_later_payment_still_counts():
    history = step(INVOICED, webhook("failed", at=PAID_AT - HOUR, failure_reason="card_declined", number=NUMBER,
                                     hosted_invoice_url=URL),
                   InvoicePaymentFailed(placement_id=P, invoice_id=INVOICE, reason="card_declined", at=PAID_AT - HOUR))
    assert state(*history).invoice.status == "failed"
    given(placement_billing, *history).when(webhook("failed", at=PAID_AT - US)).then()
    step(history, paid_webhook(), paid(), scheduled())


def test_payment_failure_without_a_reason_gets_one():
    given(placement_billing, *INVOICED).when(webhook("failed", number=NUMBER, hosted_invoice_url=URL)).then(
        InvoicePaymentFailed(placement_id=P, invoice_id=INVOICE, reason="the payment failed", at=PAID_AT))


def test_payment_failure_after_payment_records_nothing():
    given(placement_billing, *PAID).when(
        webhook("failed", at=PAID_AT + HOUR, failure_reason="card_declined", number=NUMBER, hosted_invoice_url=URL)
    ).then()
    assert state(*PAID).invoice.status == "paid"


@pytest.mark.parametrize("status", ["void", "uncollectible"])
def test_open_invoice_voided_or_uncollectible_is_closed(status: Any):
    given(placement_billing, *INVOICED).when(webhook(status, number=NUMBER, hosted_invoice_url=URL)).then(
        InvoiceClosed(placement_id=P, invoice_id=INVOICE, status=status, at=PAID_AT))
    assert state(*INVOICED, InvoiceClosed(placement_id=P, invoice_id=INVOICE, status=status,
                                          at=PAID_AT)).invoice.status == status


def test_uncollectible_invoice_may_still_be_voided_but_not_the_other_way_round():
    uncollectible = InvoiceClosed(placement_id=P, invoice_id=INVOICE, status="uncollectible", at=PAID_AT)
    void = InvoiceClosed(placement_id=P, invoice_id=INVOICE, status="void", at=PAID_AT + HOUR)
    given(placement_billing, *INVOICED, uncollectible).when(webhook("void", at=PAID_AT + HOUR)).then(void)
    given(placement_billing, *INVOICED, void).when(webhook("uncollectible", at=PAID_AT + HOUR)).then()


def test_uncollectible_invoice_paid_after_all_is_paid_and_schedules_the_payout():
    uncollectible = InvoiceClosed(placement_id=P, invoice_id=INVOICE, status="uncollectible", at=PAID_AT - HOUR)
    given(placement_billing, *INVOICED, uncollectible).when(paid_webhook()).then(paid(), scheduled())


@pytest.mark.parametrize("status", ["void", "uncollectible"])
def test_paid_invoice_cannot_be_closed(status: Any):
    given(placement_billing, *PAID).when(webhook(status, at=PAID_AT + HOUR)).then()


def test_voided_invoice_paid_records_nothing():
    void = InvoiceClosed(placement_id=P, invoice_id=INVOICE, status="void", at=PAID_AT - HOUR)
    given(placement_billing, *INVOICED, void).when(paid_webhook()).then()


def test_invoice_update_without_the_links_keeps_the_recorded_ones():
    """An update records what it adds, not what it lacks: a paid webhook that carries the number but no links
    or due date must not wipe the hosted URL and due date recorded at issue."""
    s = state(*INVOICED)
    events = placement_billing.decide(webhook("paid", amount_paid_cents=AMOUNT_DUE, paid_at=PAID_AT, number=NUMBER),
                                      s)
    for event in events:
        s = placement_billing.evolve(s, event)
    assert (s.invoice.status, s.invoice.number, s.invoice.hosted_invoice_url, s.invoice.due_date) == (
        "paid", NUMBER, URL, DUE)


# --- funds available -----------------------------------------------------------------------------------------

def test_funds_available_on_a_paid_invoice_is_recorded_once():
    mark = MarkFundsAvailable(placement_id=P, detected_by="balance", at=PAID_AT + HOUR)
    funds = InvoiceFundsAvailable(placement_id=P, invoice_id=INVOICE, detected_by="balance", at=PAID_AT + HOUR)
    given(placement_billing, *PAID).when(mark).then(funds)
    given(placement_billing, *PAID, funds).when(mark).then()
    assert state(*PAID, funds).invoice.funds_available


@pytest.mark.parametrize("history", [SNAPSHOT, INVOICED], ids=["no invoice", "open invoice"])
def test_funds_available_before_payment_records_nothing(history: list[Event]):
    given(placement_billing, *history).when(MarkFundsAvailable(placement_id=P, detected_by="payout", at=PAID_AT)
                                            ).then()


def test_funds_available_lets_an_admin_pay_out_before_the_seven_days():
    funds = InvoiceFundsAvailable(placement_id=P, invoice_id=INVOICE, detected_by="payout", at=PAID_AT + HOUR)
    at = PAID_AT + timedelta(days=1)
    given(placement_billing, *PAID).when(manual(at=at)).then_raises(NotCollectible, "not collectible")
    given(placement_billing, *PAID, funds).when(manual(at=at)).then(
        started(schedule_id=None, trigger="manual", at=at, by=ACTOR))


# --- starting payouts ------------------------------------------------------------------------------------------

def test_scheduler_before_the_schedule_is_due_does_nothing():
    given(placement_billing, *PAID).when(start(at=COLLECTIBLE - US)).then()


def test_scheduler_when_due_and_collectible_starts_every_pending_transaction():
    given(placement_billing, *PAID).when(start()).then(started())
    s = state(*RUNNING)
    assert {t.status for t in s.transactions.values()} == {"processing"}
    assert (s.schedules[S1].status, s.schedules[S1].batch) == ("processing", tuple(ALL_TX))


def test_scheduler_late_starts_at_its_own_time():
    given(placement_billing, *PAID).when(start(at=COLLECTIBLE + timedelta(hours=5))).then(
        started(at=COLLECTIBLE + timedelta(hours=5)))


def test_scheduler_repeating_a_started_schedule_does_nothing():
    given(placement_billing, *RUNNING).when(start(at=COLLECTIBLE + HOUR)).then()


def test_starting_an_unknown_schedule_raises_not_found():
    given(placement_billing, *PAID).when(start(schedule_id=R1)).then_raises(NotFound, "does not exist")


@pytest.mark.parametrize("block", [[placed()], [opened()], [opened(), under_review()]],
                         ids=["active hold", "open dispute", "dispute under review"])
def test_scheduler_due_but_blocked_does_nothing(block: list[Event]):
    given(placement_billing, *PAID, *block).when(start()).then()


@pytest.mark.parametrize("block, holds, disputes", [([placed()], 1, 0), ([opened()], 0, 1),
                                                    ([placed(), placed(OTHER_HOLD), opened(), under_review()], 2, 1)])
def test_manual_start_while_blocked_raises_payouts_blocked(block: list[Event], holds: int, disputes: int):
    error = given(placement_billing, *PAID, *block).when(manual()).then_raises(PayoutsBlocked, "held")
    assert error.details == {"placement_id": str(P), "active_holds": holds,  # type: ignore[attr-defined]
                             "open_disputes": disputes}
    assert isinstance(error, RuleViolation)


@pytest.mark.parametrize("history, at", [(SNAPSHOT, COLLECTIBLE), (INVOICED, COLLECTIBLE), (PAID, COLLECTIBLE - US)],
                         ids=["no invoice", "open invoice", "paid less than seven days ago"])
def test_manual_start_when_not_collectible_raises(history: list[Event], at: datetime):
    given(placement_billing, *history).when(manual(at=at)).then_raises(NotCollectible, "not collectible")


def test_scheduler_on_a_due_schedule_of_an_uncollectible_invoice_does_nothing():
    resume = scheduled(resume_id(0), scheduled_for=COLLECTIBLE, trigger="hold_released", at=PAID_AT)
    given(placement_billing, *INVOICED, resume).when(start(resume_id(0), trigger="hold_released")).then()


def test_manual_start_pays_every_unpaid_transaction_failed_ones_included():
    history = [*RUNNING, transferred(TX_CLOSER), transferred(TX_FIRM), transferred(TX_FACILITATOR),
               failed(TX_SOURCER, MAX_RETRIES + 1, final=True), completed(status="failed")]
    at = COLLECTIBLE + timedelta(days=2)
    given(placement_billing, *history).when(manual(at=at)).then(
        started([TX_SOURCER], schedule_id=None, trigger="manual", at=at, by=ACTOR))
    # The scheduler never restarts a transaction that failed for good.
    given(placement_billing, *history, retry(R1, at)).when(start(R1, trigger="retry", at=at + HOUR)).then(
        started([], schedule_id=R1, trigger="retry", at=at + HOUR), completed(R1, at=at + HOUR))


def test_admin_may_run_a_failed_schedule_again():
    history = [*RUNNING, transferred(TX_CLOSER), transferred(TX_FIRM), transferred(TX_FACILITATOR),
               failed(TX_SOURCER, MAX_RETRIES + 1, final=True), completed(status="failed")]
    at = COLLECTIBLE + timedelta(days=2)
    history = step(history, manual(at=at, schedule_id=S1),
                   started([TX_SOURCER], schedule_id=S1, trigger="manual", at=at, by=ACTOR))
    step(history, transfer(TX_SOURCER, at=at + HOUR), transferred(TX_SOURCER, at=at + HOUR),
         completed(S1, at=at + HOUR))


def test_manual_start_of_some_transactions_starts_only_those_not_yet_paid():
    history = [*PAID, started([TX_CLOSER], schedule_id=None, trigger="manual", by=ACTOR), transferred(TX_CLOSER)]
    cmd = StartPayouts(placement_id=P, trigger="manual", only=[TX_SOURCER, TX_CLOSER, TX_FACILITATOR], by=ACTOR,
                       at=COLLECTIBLE + HOUR)
    given(placement_billing, *history).when(cmd).then(
        started([TX_FACILITATOR, TX_SOURCER], schedule_id=None, trigger="manual", at=COLLECTIBLE + HOUR, by=ACTOR))


def test_manual_start_with_nothing_left_to_pay_does_nothing():
    history = [*RUNNING, *(transferred(tx) for tx in ALL_TX), completed()]
    given(placement_billing, *history).when(manual(at=COLLECTIBLE + HOUR)).then()


# --- outcomes: transfers ----------------------------------------------------------------------------------------

def test_transfers_complete_the_run_once_every_transaction_has_an_outcome():
    history = RUNNING
    for tx in ALL_TX[:-1]:
        history = step(history, transfer(tx), transferred(tx))
    history = step(history, transfer(TX_SOURCER), transferred(TX_SOURCER), completed())
    s = state(*history)
    assert {t.status for t in s.transactions.values()} == {"paid"}
    assert s.schedules[S1].status == "processed"
    assert s.transactions[TX_CLOSER].stripe_transfer_id == f"tr_{TX_CLOSER.hex[:8]}"


def test_transfer_recorded_again_with_the_same_transfer_records_nothing():
    history = [*RUNNING, transferred(TX_CLOSER)]
    given(placement_billing, *history).when(transfer(TX_CLOSER, at=COLLECTIBLE + HOUR)).then()


def test_transfer_recorded_again_with_another_transfer_raises_conflict():
    history = [*RUNNING, transferred(TX_CLOSER)]
    error = given(placement_billing, *history).when(transfer(TX_CLOSER, "tr_other")).then_raises(
        Conflict, "already paid")
    assert error.details["stripe_transfer_id"] == f"tr_{TX_CLOSER.hex[:8]}"  # type: ignore[attr-defined]


def test_outcome_of_an_unknown_transaction_raises_not_found():
    unknown = UUID("00000000-0000-4000-8000-0000000000ff")
    given(placement_billing, *RUNNING).when(
        RecordTransfer(placement_id=P, transaction_id=unknown, stripe_transfer_id="tr_1", stripe_account_id="acct_1",
                       amount_cents=1, at=COLLECTIBLE)
    ).then_raises(NotFound, "no payout transaction")


def test_refused_transfer_is_retried_an_hour_later():
    history = [*RUNNING, transferred(TX_CLOSER), transferred(TX_FIRM), transferred(TX_FACILITATOR)]
    at = COLLECTIBLE + timedelta(minutes=2)
    history = step(history, failure(TX_SOURCER, at=at), failed(TX_SOURCER, 1, at=at), completed(at=at), retry(R1, at))
    t = state(*history).transactions[TX_SOURCER]
    assert (t.status, t.retry_count, t.failure_reason) == ("pending", 1, "insufficient platform balance")
    assert state(*history).schedules[R1].scheduled_for == at + RETRY_AFTER
    # Not before the hour is up; then the retry run starts the transaction again.
    given(placement_billing, *history).when(start(R1, trigger="retry", at=at + HOUR - US)).then()
    history = step(history, start(R1, trigger="retry", at=at + HOUR),
                   started([TX_SOURCER], schedule_id=R1, trigger="retry", at=at + HOUR))
    step(history, transfer(TX_SOURCER, at=at + 2 * HOUR), transferred(TX_SOURCER, at=at + 2 * HOUR),
         completed(R1, at=at + 2 * HOUR))


def test_a_failure_recorded_again_records_nothing():
    history = [*RUNNING, failed(TX_SOURCER, 1)]
    given(placement_billing, *history).when(failure(TX_SOURCER, at=COLLECTIBLE + US)).then()


def test_fourth_failure_is_final_and_fails_the_run():
    assert MAX_RETRIES == 3
    history = [*RUNNING, transferred(TX_CLOSER), transferred(TX_FIRM), transferred(TX_FACILITATOR)]
    at = COLLECTIBLE
    for attempt, (run, next_run) in enumerate([(S1, R1), (R1, R2), (R2, R3)], start=1):
        history = step(history, failure(TX_SOURCER, at=at), failed(TX_SOURCER, attempt, at=at),
                       completed(run, at=at), retry(next_run, at))
        at += HOUR
        history = step(history, start(next_run, trigger="retry", at=at),
                       started([TX_SOURCER], schedule_id=next_run, trigger="retry", at=at))
    history = step(history, failure(TX_SOURCER, at=at), failed(TX_SOURCER, 4, final=True, at=at),
                   completed(R3, status="failed", at=at))
    t = state(*history).transactions[TX_SOURCER]
    assert (t.status, t.retry_count) == ("failed", 4)
    assert state(*history).schedules[R3].status == "failed"


def test_idempotency_key_is_the_transaction_id_until_a_failure():
    t = state(*RUNNING).transactions[TX_SOURCER]
    assert t.idempotency_key() == str(TX_SOURCER)
    after = state(*RUNNING, failed(TX_SOURCER, 1)).transactions[TX_SOURCER]
    assert after.idempotency_key() != str(TX_SOURCER)
    assert after.idempotency_key() == f"{TX_SOURCER}:retry-1"
    again = state(*RUNNING, failed(TX_SOURCER, 1), failed(TX_SOURCER, 2)).transactions[TX_SOURCER]
    assert len({t.idempotency_key(), after.idempotency_key(), again.idempotency_key()}) == 3


# --- outcomes: Connect ------------------------------------------------------------------------------------------

def test_payee_without_connect_keeps_the_transaction_pending_and_the_run_processes():
    history = [*RUNNING, transferred(TX_CLOSER), transferred(TX_FIRM), transferred(TX_FACILITATOR)]
    history = step(history, RecordConnectRequired(placement_id=P, transaction_id=TX_SOURCER, reason="not_onboarded",
                                                  at=COLLECTIBLE),
                   connect_required(TX_SOURCER), completed())
    t = state(*history).transactions[TX_SOURCER]
    assert (t.status, t.connect_required, t.retry_count) == ("pending", "not_onboarded", 0)


def test_onboarding_starts_only_the_transactions_waiting_for_connect():
    at = COLLECTIBLE + timedelta(days=3)
    history = [*RUNNING, transferred(TX_CLOSER), transferred(TX_FIRM), failed(TX_FACILITATOR, 1),
               connect_required(TX_SOURCER), completed(), retry(R1, COLLECTIBLE)]
    history = step(history, start(None, trigger="connect_onboarded", at=at, by="stripe"),
                   started([TX_SOURCER], schedule_id=None, trigger="connect_onboarded", at=at, by="stripe"))
    history = step(history, transfer(TX_SOURCER, at=at + HOUR), transferred(TX_SOURCER, at=at + HOUR))
    assert state(*history).transactions[TX_SOURCER].connect_required is None


def test_onboarding_with_nothing_waiting_for_connect_does_nothing():
    history = [*RUNNING, *(transferred(tx) for tx in ALL_TX), completed()]
    given(placement_billing, *history).when(start(None, trigger="connect_onboarded", by="stripe")).then()


def test_refused_transfer_of_a_once_connect_required_transaction_is_retried():
    """The sourcer had no Connect account on the first run; on the retry run (scheduled for the facilitator's
    refused transfer) the sourcer's transfer is refused too. It should be retried an hour later like any refusal."""
    history = [*RUNNING, transferred(TX_CLOSER), transferred(TX_FIRM), failed(TX_FACILITATOR, 1),
               connect_required(TX_SOURCER), completed(), retry(R1, COLLECTIBLE),
               started([TX_FACILITATOR, TX_SOURCER], schedule_id=R1, trigger="retry", at=COLLECTIBLE + HOUR),
               transferred(TX_FACILITATOR, at=COLLECTIBLE + HOUR)]
    at = COLLECTIBLE + HOUR
    given(placement_billing, *history).when(failure(TX_SOURCER, at=at, reason="account closed")).then(
        failed(TX_SOURCER, 1, at=at, reason="account closed"), completed(R1, at=at),
        retry(uuid5(R1, "retry-1"), at))


def test_refused_transfer_after_connect_onboarding_is_retried():
    """A transfer started by onboarding runs with no schedule; when Stripe refuses it, nothing is scheduled,
    so the transaction waits forever although refusals are to be retried an hour later."""
    at = COLLECTIBLE + timedelta(days=3)
    history = [*RUNNING, *(transferred(tx) for tx in ALL_TX[:-1]), connect_required(TX_SOURCER), completed(),
               started([TX_SOURCER], schedule_id=None, trigger="connect_onboarded", at=at, by="stripe")]
    events = placement_billing.decide(failure(TX_SOURCER, at=at + US), state(*history))
    assert events[0] == failed(TX_SOURCER, 1, at=at + US)
    retries = [e for e in events if isinstance(e, PayoutScheduled)]
    assert [(e.trigger, e.scheduled_for) for e in retries] == [("retry", at + US + RETRY_AFTER)]


# --- outcomes: reversal and the bank ---------------------------------------------------------------------------

PAID_OUT: list[Event] = [*RUNNING, *(transferred(tx) for tx in ALL_TX), completed()]


def test_reversed_transfer_is_recorded_once():
    cmd = RecordTransferReversed(placement_id=P, stripe_transfer_id=f"tr_{TX_FIRM.hex[:8]}", at=COLLECTIBLE + HOUR)
    event = PayoutTransferReversed(placement_id=P, transaction_id=TX_FIRM, stripe_transfer_id=f"tr_{TX_FIRM.hex[:8]}",
                                   at=COLLECTIBLE + HOUR)
    given(placement_billing, *PAID_OUT).when(cmd).then(event)
    given(placement_billing, *PAID_OUT, event).when(cmd).then()
    assert state(*PAID_OUT, event).transactions[TX_FIRM].status == "reversed"
    # A reversed transaction is not paid again.
    given(placement_billing, *PAID_OUT, event).when(manual(at=COLLECTIBLE + 2 * HOUR)).then()


def test_reversal_of_an_unknown_transfer_raises_not_found():
    given(placement_billing, *PAID_OUT).when(
        RecordTransferReversed(placement_id=P, stripe_transfer_id="tr_unknown", at=COLLECTIBLE)
    ).then_raises(NotFound, "no transfer")


def bank(outcome: Any, tx: UUID = TX_FACILITATOR, payout: str = "po_1", reason: str | None = None,
         at: datetime = COLLECTIBLE + timedelta(days=2)) -> RecordBankPayout:
    return RecordBankPayout(placement_id=P, transaction_id=tx, stripe_transfer_id=f"tr_{tx.hex[:8]}",
                            stripe_payout_id=payout, outcome=outcome, reason=reason, at=at)


def test_bank_payout_paid_is_recorded_once():
    at = COLLECTIBLE + timedelta(days=2)
    event = PayoutReachedBank(placement_id=P, transaction_id=TX_FACILITATOR, stripe_payout_id="po_1", at=at)
    given(placement_billing, *PAID_OUT).when(bank("paid")).then(event)
    given(placement_billing, *PAID_OUT, event).when(bank("paid")).then()
    t = state(*PAID_OUT, event).transactions[TX_FACILITATOR]
    assert (t.status, t.stripe_payout_id) == ("paid", "po_1")


@pytest.mark.parametrize("outcome, reason, recorded", [("failed", "account_closed", "account_closed"),
                                                       ("failed", None, "the bank payout was failed"),
                                                       ("canceled", None, "the bank payout was canceled")])
def test_bank_payout_failed_fails_the_transaction(outcome: Any, reason: str | None, recorded: str):
    at = COLLECTIBLE + timedelta(days=2)
    event = PayoutBankFailed(placement_id=P, transaction_id=TX_FACILITATOR, stripe_payout_id="po_1", reason=recorded,
                             at=at)
    given(placement_billing, *PAID_OUT).when(bank(outcome, reason=reason)).then(event)
    given(placement_billing, *PAID_OUT, event).when(bank(outcome, reason=reason)).then()
    t = state(*PAID_OUT, event).transactions[TX_FACILITATOR]
    assert (t.status, t.failure_reason) == ("failed", recorded)


def test_bank_payout_failing_after_it_was_paid_is_recorded():
    at = COLLECTIBLE + timedelta(days=2)
    reached = PayoutReachedBank(placement_id=P, transaction_id=TX_FACILITATOR, stripe_payout_id="po_1", at=at)
    given(placement_billing, *PAID_OUT, reached).when(bank("failed", reason="account_closed", at=at + HOUR)).then(
        PayoutBankFailed(placement_id=P, transaction_id=TX_FACILITATOR, stripe_payout_id="po_1",
                         reason="account_closed", at=at + HOUR))


def test_transaction_whose_bank_payout_failed_is_not_transferred_again():
    """Its transfer was made (the money is back on the payee's connected account): a second transfer would pay
    the same transaction twice."""
    at = COLLECTIBLE + timedelta(days=2)
    bank_failed = PayoutBankFailed(placement_id=P, transaction_id=TX_FACILITATOR, stripe_payout_id="po_1",
                                   reason="account_closed", at=at)
    given(placement_billing, *PAID_OUT, bank_failed).when(manual(at=at + HOUR)).then()


# --- cancelling a schedule ---------------------------------------------------------------------------------------

def cancel_schedule(schedule_id: UUID = S1, at: datetime = PAID_AT + HOUR) -> CancelPayoutSchedule:
    return CancelPayoutSchedule(placement_id=P, schedule_id=schedule_id, reason="under review", by=ACTOR, at=at)


def schedule_cancelled(schedule_id: UUID = S1, at: datetime = PAID_AT + HOUR) -> PayoutScheduleCancelled:
    return PayoutScheduleCancelled(placement_id=P, schedule_id=schedule_id, reason="under review", by=ACTOR, at=at)


def test_scheduled_schedule_is_cancelled_once_and_then_never_runs():
    given(placement_billing, *PAID).when(cancel_schedule()).then(schedule_cancelled())
    given(placement_billing, *PAID, schedule_cancelled()).when(cancel_schedule()).then()
    given(placement_billing, *PAID, schedule_cancelled()).when(start()).then()
    assert state(*PAID, schedule_cancelled()).schedules[S1].status == "cancelled"


def test_running_schedule_cannot_be_cancelled():
    error = given(placement_billing, *RUNNING).when(cancel_schedule()).then_raises(RuleViolation, "is processing")
    assert error.details["schedule_status"] == "processing"  # type: ignore[attr-defined]


def test_cancelling_an_unknown_schedule_raises_not_found():
    given(placement_billing, *INVOICED).when(cancel_schedule()).then_raises(NotFound, "does not exist")


# --- escrow holds -----------------------------------------------------------------------------------------------

def test_escrow_hold_is_placed_once():
    given(placement_billing, *PAID).when(place()).then(placed())
    given(placement_billing, *PAID, placed()).when(place(at=PAID_AT + HOUR)).then()
    assert state(*PAID, placed()).active_holds == 1


def test_escrow_hold_is_released_by_an_admin():
    given(placement_billing, *PAID, placed()).when(release()).then(released())
    given(placement_billing, *PAID, placed(), released()).when(release()).then()
    assert not state(*PAID, placed(), released()).blocked


def test_escrow_hold_is_cancelled():
    cancel = CancelEscrowHold(placement_id=P, hold_id=HOLD, by=ACTOR, at=COLLECTIBLE + HOUR)
    cancelled = EscrowHoldCancelled(placement_id=P, hold_id=HOLD, by=ACTOR, at=COLLECTIBLE + HOUR)
    given(placement_billing, *PAID, placed()).when(cancel).then(cancelled)
    given(placement_billing, *PAID, placed(), cancelled).when(cancel).then()
    given(placement_billing, *PAID, placed(), cancelled).when(release()).then_raises(RuleViolation, "is cancelled")
    given(placement_billing, *PAID, placed(), released()).when(cancel).then_raises(RuleViolation, "is released")


def test_unknown_escrow_hold_raises_not_found():
    given(placement_billing, *PAID).when(release()).then_raises(NotFound, "does not exist")
    given(placement_billing, *PAID).when(CancelEscrowHold(placement_id=P, hold_id=HOLD, by=ACTOR, at=PAID_AT)
                                         ).then_raises(NotFound, "does not exist")


def test_automatic_release_waits_for_the_hold_date():
    on = PAID_AT + timedelta(days=3)
    history = [*PAID, placed(release_on=on)]
    given(placement_billing, *history).when(release(at=on - US, automatic=True)).then()
    given(placement_billing, *history).when(release(at=on, automatic=True)).then(released(at=on, automatic=True))
    given(placement_billing, *history).when(release(at=on + HOUR, automatic=True)).then(
        released(at=on + HOUR, automatic=True))


def test_automatic_release_of_a_hold_without_a_date_does_nothing_but_an_admin_may_release_it():
    given(placement_billing, *PAID, placed()).when(release(at=COLLECTIBLE + timedelta(days=30), automatic=True)).then()
    given(placement_billing, *PAID, placed()).when(release(at=PAID_AT + HOUR)).then(released(at=PAID_AT + HOUR))


def test_releasing_the_last_block_when_money_waits_schedules_a_payout_now():
    """The admin cancelled the invoice's schedule while the hold stood; the release puts a run in its place."""
    history = [*PAID, placed(), schedule_cancelled()]
    at = COLLECTIBLE + timedelta(days=1)
    history = step(history, release(at=at), released(at=at),
                   scheduled(resume_id(1), scheduled_for=at, trigger="hold_released", at=at))
    step(history, start(resume_id(1), trigger="hold_released", at=at),
         started(schedule_id=resume_id(1), trigger="hold_released", at=at))


def test_releasing_the_last_block_before_the_invoice_is_collectible_schedules_the_payout_for_then():
    history = [*PAID, placed(), schedule_cancelled()]
    at = PAID_AT + timedelta(days=1)
    given(placement_billing, *history).when(release(at=at)).then(
        released(at=at), scheduled(resume_id(1), scheduled_for=COLLECTIBLE, trigger="hold_released", at=at))


def test_cancelling_the_last_hold_resumes_payouts_too():
    history = [*PAID, placed(), schedule_cancelled()]
    at = COLLECTIBLE + HOUR
    given(placement_billing, *history).when(CancelEscrowHold(placement_id=P, hold_id=HOLD, by=ACTOR, at=at)).then(
        EscrowHoldCancelled(placement_id=P, hold_id=HOLD, by=ACTOR, at=at),
        scheduled(resume_id(1), scheduled_for=at, trigger="hold_released", at=at))


def test_releasing_one_of_two_holds_schedules_nothing():
    history = [*PAID, placed(), placed(OTHER_HOLD), schedule_cancelled()]
    history = step(history, release(HOLD), released(HOLD))
    step(history, release(OTHER_HOLD), released(OTHER_HOLD),
         scheduled(resume_id(1), scheduled_for=COLLECTIBLE + HOUR, trigger="hold_released", at=COLLECTIBLE + HOUR))


def test_releasing_a_hold_while_a_dispute_is_open_schedules_nothing():
    history = [*PAID, placed(), opened(), schedule_cancelled()]
    given(placement_billing, *history).when(release()).then(released())


def test_releasing_a_hold_while_the_invoice_schedule_still_waits_schedules_nothing_more():
    """The invoice's schedule is still scheduled: the scheduler runs it now that nothing blocks it."""
    history = step([*PAID, placed()], release(at=PAID_AT + HOUR), released(at=PAID_AT + HOUR))
    step(history, start(), started())


def test_releasing_a_hold_before_the_invoice_is_paid_schedules_nothing():
    given(placement_billing, *INVOICED, placed()).when(release()).then(released())


def test_releasing_a_hold_when_everything_is_paid_schedules_nothing():
    given(placement_billing, *PAID_OUT, placed(at=COLLECTIBLE + HOUR)).when(release(at=COLLECTIBLE + 2 * HOUR)).then(
        released(at=COLLECTIBLE + 2 * HOUR))


def test_releasing_a_hold_after_a_connect_wait_schedules_the_waiting_transaction():
    history = [*RUNNING, *(transferred(tx) for tx in ALL_TX[:-1]), connect_required(TX_SOURCER), completed(),
               placed(at=COLLECTIBLE + HOUR)]
    at = COLLECTIBLE + 2 * HOUR
    history = step(history, release(at=at), released(at=at),
                   scheduled(resume_id(1), scheduled_for=at, trigger="hold_released", at=at))
    step(history, start(resume_id(1), trigger="hold_released", at=at),
         started([TX_SOURCER], schedule_id=resume_id(1), trigger="hold_released", at=at))


# --- disputes ---------------------------------------------------------------------------------------------------

def test_dispute_is_opened_once():
    given(placement_billing, *PAID).when(open_dispute()).then(opened())
    given(placement_billing, *PAID, opened()).when(open_dispute(at=PAID_AT + HOUR)).then()
    assert state(*PAID, opened()).open_disputes == 1


def test_dispute_goes_under_review_once():
    given(placement_billing, *PAID, opened()).when(review()).then(under_review())
    given(placement_billing, *PAID, opened(), under_review()).when(review()).then()


@pytest.mark.parametrize("outcome", ["resolved", "dismissed"])
def test_dispute_under_review_is_closed(outcome: Any):
    history = [*PAID, opened(), under_review()]
    given(placement_billing, *history).when(close(outcome)).then(closed(outcome))
    given(placement_billing, *history, closed(outcome)).when(close(outcome)).then()
    assert state(*history, closed(outcome)).open_disputes == 0


@pytest.mark.parametrize("outcome", ["resolved", "dismissed"])
def test_open_dispute_may_be_closed_without_review(outcome: Any):
    given(placement_billing, *PAID, opened()).when(close(outcome)).then(closed(outcome))


@pytest.mark.parametrize("outcome, cmd", [("resolved", review()), ("dismissed", review()),
                                          ("resolved", close("dismissed")), ("dismissed", close("resolved"))],
                         ids=["review resolved", "review dismissed", "dismiss resolved", "resolve dismissed"])
def test_closed_dispute_cannot_move(outcome: Any, cmd: Command):
    error = given(placement_billing, *PAID, opened(), closed(outcome)).when(cmd).then_raises(
        RuleViolation, f"is {outcome}")
    assert error.details["dispute_status"] == outcome  # type: ignore[attr-defined]


@pytest.mark.parametrize("cmd", [review(), close()], ids=["review", "close"])
def test_unknown_dispute_raises_not_found(cmd: Command):
    given(placement_billing, *PAID).when(cmd).then_raises(NotFound, "does not exist")


def test_an_open_dispute_holds_payouts_and_resolving_it_releases_them():
    history = step(PAID, open_dispute(), opened())
    given(placement_billing, *history).when(start()).then()  # due, but held
    given(placement_billing, *history).when(manual()).then_raises(PayoutsBlocked)
    history = step(history, review(), under_review())
    given(placement_billing, *history).when(start()).then()  # still held
    at = COLLECTIBLE + HOUR
    history = step(history, close(at=at), closed(at=at))  # the invoice's schedule still waits: nothing more
    step(history, start(at=at + US), started(at=at + US))


def test_closing_the_last_dispute_resumes_payouts_like_a_hold_release():
    history = [*PAID, opened(), opened(OTHER_DISPUTE), schedule_cancelled()]
    at = COLLECTIBLE + HOUR
    history = step(history, close("dismissed", at=at), closed("dismissed", at=at))
    history = step(history, close(dispute_id=OTHER_DISPUTE, at=at), closed(dispute_id=OTHER_DISPUTE, at=at),
                   scheduled(resume_id(1), scheduled_for=at, trigger="hold_released", at=at))
    step(history, start(resume_id(1), trigger="hold_released", at=at),
         started(schedule_id=resume_id(1), trigger="hold_released", at=at))


def test_closing_a_dispute_while_a_hold_stands_schedules_nothing():
    given(placement_billing, *PAID, opened(), placed(), schedule_cancelled()).when(close()).then(closed())


# --- a whole story ----------------------------------------------------------------------------------------------

def test_a_placement_from_hire_to_the_last_transfer():
    h = step([], freeze(), frozen(), splits_computed())
    h = step(h, issue(status="draft", number=None, hosted_invoice_url=None, invoice_pdf_url=None, due_date=None),
             draft_issued())
    h = step(h, webhook("open", at=ISSUED_AT, number=NUMBER, hosted_invoice_url=URL, invoice_pdf_url=PDF,
                        due_date=DUE), finalized())
    h = step(h, paid_webhook(), paid(), scheduled())
    h = step(h, start(at=COLLECTIBLE - HOUR))
    h = step(h, start(), started())
    h = step(h, transfer(TX_CLOSER), transferred(TX_CLOSER))
    h = step(h, transfer(TX_FIRM), transferred(TX_FIRM))
    h = step(h, RecordConnectRequired(placement_id=P, transaction_id=TX_SOURCER, reason="not_onboarded",
                                      at=COLLECTIBLE), connect_required(TX_SOURCER))
    h = step(h, failure(TX_FACILITATOR), failed(TX_FACILITATOR, 1), completed(), retry(R1, COLLECTIBLE))
    h = step(h, start(R1, trigger="retry", at=COLLECTIBLE + HOUR),
             started([TX_FACILITATOR, TX_SOURCER], schedule_id=R1, trigger="retry", at=COLLECTIBLE + HOUR))
    h = step(h, transfer(TX_FACILITATOR, at=COLLECTIBLE + HOUR), transferred(TX_FACILITATOR, at=COLLECTIBLE + HOUR))
    h = step(h, RecordConnectRequired(placement_id=P, transaction_id=TX_SOURCER, reason="not_onboarded",
                                      at=COLLECTIBLE + HOUR), connect_required(TX_SOURCER, at=COLLECTIBLE + HOUR),
             completed(R1, at=COLLECTIBLE + HOUR))
    onboarded = COLLECTIBLE + timedelta(days=2)
    h = step(h, start(None, trigger="connect_onboarded", at=onboarded, by="stripe"),
             started([TX_SOURCER], schedule_id=None, trigger="connect_onboarded", at=onboarded, by="stripe"))
    h = step(h, transfer(TX_SOURCER, at=onboarded), transferred(TX_SOURCER, at=onboarded))
    s = state(*h)
    assert {t.status for t in s.transactions.values()} == {"paid"}
    assert sum(t.plan.amount_cents for t in s.transactions.values()) + s.remainder_cents == FEE
    assert {x.id: x.status for x in s.schedules.values()} == {S1: "processed", R1: "processed"}


# --- an invoice asked for by hand -------------------------------------------------------------------------------

def test_an_invoice_asked_for_is_requested_once_and_not_after_it_is_issued():
    ask = RequestInvoice(placement_id=P, by="admin", at=ISSUED_AT)
    given(placement_billing, frozen(), splits_computed()).when(ask).then(
        InvoiceRequested(placement_id=P, by="admin", at=ISSUED_AT))
    given(placement_billing, frozen(), splits_computed(), issued()).when(ask).then()
    given(placement_billing).when(ask).then_raises(NotFound)
