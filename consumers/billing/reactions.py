"""Billing's side effects in Stripe: the company's invoice when a guarantee completes, and the transfers of
a payout run (domain §5.5).

Both are safe to run again at any point, and each run does what the stream does not record yet. The invoice's
Stripe calls are keyed by the placement, so a retry after a crash finds the invoice Stripe already made, and
a retry after the invoice was recorded goes on to record its payment; a transfer is keyed by its transaction (and attempt),
so a payout reactor killed after Stripe answered and before the outcome was recorded makes no second
transfer when the event comes back: Stripe answers the first one again, and that is what gets recorded.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import structlog

from commands.ats import job as jobs
from commands.ats import placement as placements
from commands.ats.placement_events import PlacementStateChanged
from commands.billing import billing_profile as profiles
from commands.billing import connect_account as connect
from commands.billing import placement_billing as money
from commands.billing.events import BillingOwnerKind
from commands.billing.placement_events import CollectionMethod, InvoiceIssued, InvoiceRequested, PayoutsStarted
from consumers.runtime.reactor import PermanentError, Reaction, Reactor
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from adapters.clock import Clock
from adapters.payments import InvoiceLine, InvoiceView, PaymentRefused, Payments
from commands.billing.placement_billing_rules import invoice_id_for

log = structlog.get_logger(__name__)

DAYS_UNTIL_DUE = {"net_30": 30, "net_60": 60, "net_90": 90}


class NotInvoiceable(Exception):
    """The placement cannot be invoiced yet: why, for a person to fix."""




async def _billed_party(store: EventStore, placement: placements.Placement) -> tuple[BillingOwnerKind, UUID]:
    if placement.company_id is not None:
        return "company", placement.company_id
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, placement.job_id))
    if job.source_firm_id is None:
        raise NotInvoiceable(f"placement {placement.id} has neither a company nor a firm to invoice")
    return "firm", job.source_firm_id


async def issue_invoice(store: EventStore, payments: Payments, placement_id: UUID, by: str,
                        meta: Metadata, clock: Clock) -> money.PlacementBilling:
    """Invoice the placement's company (or firm) for its fee plus the processing fee: once, whoever asks.

    Two steps, each its own command keyed by the triggering event (`meta`): the invoice Stripe made
    (`RecordInvoiceIssued`), then, when Stripe charged it at once, its payment (`ApplyInvoiceUpdate`, which
    schedules the payouts). Every run starts from what the stream records and does what is left, so a run
    stopped between the steps is finished by the next: it makes no second invoice, and asks Stripe whether
    the one recorded open has been paid."""
    state = await _billing(store, placement_id)
    if not state.exists:
        raise NotInvoiceable(f"placement {placement_id} has no billing record yet")
    if state.invoice is None:
        view, collection = await _record_invoice(store, payments, state, placement_id, by, meta, clock)
        paid = view.status == "paid" or (payments.simulated and collection == "charge_automatically")
    elif state.invoice.status in ("draft", "open"):
        paid = await _collected(store, payments, placement_id, state.invoice)
    else:
        return state  # paid already, or failed, void, uncollectible: Stripe's webhooks tell what follows
    if paid:
        invoice = (await _billing(store, placement_id)).invoice
        assert invoice is not None
        now = clock.now()
        await handle(store, money.placement_billing, placement_id, money.ApplyInvoiceUpdate(
            placement_id=placement_id, stripe_invoice_id=invoice.stripe_invoice_id, status="paid",
            amount_paid_cents=invoice.amount_due_cents, paid_at=now, at=now), meta)
    return await _billing(store, placement_id)


async def _billing(store: EventStore, placement_id: UUID) -> money.PlacementBilling:
    state, _, _ = await load(store, money.placement_billing, stream_id_for(money.placement_billing, placement_id))
    return state


async def _record_invoice(store: EventStore, payments: Payments, state: money.PlacementBilling, placement_id: UUID,
                          by: str, meta: Metadata, clock: Clock) -> tuple[InvoiceView, CollectionMethod]:
    """Step one: the invoice in Stripe (its calls keyed by the placement, so a retry meets the same invoice),
    recorded on the placement's stream. Returns Stripe's view of it and how it is collected."""
    placement, _, _ = await load(store, placements.placement, stream_id_for(placements.placement, placement_id))
    owner_kind, owner_id = await _billed_party(store, placement)
    profile_stream = stream_id_for(profiles.billing_profile, profiles.billing_profile_key(owner_kind, owner_id))
    profile, _, _ = await load(store, profiles.billing_profile, profile_stream)
    if not profile.exists or profile.stripe_customer_id is None:
        raise NotInvoiceable(f"the {owner_kind} {owner_id} has no billing profile with a Stripe customer")
    fee = state.snapshot.fee_cents if state.snapshot else 0
    processing = money.processing_fee_cents(fee)
    immediate = profile.billing_terms == "immediate"
    collection: CollectionMethod = "charge_automatically" if immediate else "send_invoice"
    invoice_id = invoice_id_for(placement_id)
    view = await payments.invoice(
        customer=profile.stripe_customer_id,
        lines=[InvoiceLine(fee, f"Placement fee ({placement_id})"), InvoiceLine(processing, "Processing fee (3%)")],
        collection_method=collection,
        days_until_due=None if immediate else DAYS_UNTIL_DUE[profile.billing_terms],
        payment_method=profile.payment_method_id,
        metadata={"placement_id": str(placement_id), "invoice_id": str(invoice_id)},
        key=f"placement-invoice:{placement_id}",
    )
    issued = money.RecordInvoiceIssued(
        placement_id=placement_id, invoice_id=invoice_id, company_id=placement.company_id,
        stripe_customer_id=profile.stripe_customer_id, stripe_invoice_id=view.id,
        billing_terms=profile.billing_terms, collection_method=collection, fee_cents=fee,
        processing_fee_cents=processing, amount_due_cents=view.amount_due_cents,
        # A charge that already went through is recorded by its payment (step two, or Stripe's webhook).
        status="open" if view.status == "paid" else view.status, number=view.number,
        hosted_invoice_url=view.hosted_invoice_url, invoice_pdf_url=view.invoice_pdf_url, due_date=view.due_date,
        by=by, at=clock.now(),
    )
    await handle(store, money.placement_billing, placement_id, issued, meta)
    return view, collection


async def _collected(store: EventStore, payments: Payments, placement_id: UUID, invoice: money.Invoice) -> bool:
    """Whether an invoice the stream records as open was paid when it was issued (a run stopped before
    recording it): Stripe says; a simulated invoice on immediate terms (as its issue records) always was."""
    if not payments.simulated:
        return await payments.invoice_status(invoice.stripe_invoice_id) == "paid"
    assert store.registry is not None
    for recorded in await store.read_stream(stream_id_for(money.placement_billing, placement_id)):
        if recorded.type == InvoiceIssued.type_name():
            issued: InvoiceIssued = store.registry.decode(recorded)
            return issued.collection_method == "charge_automatically"
    return False


async def on_invoice_due(reaction: Reaction) -> None:
    """The guarantee ran out (`PlacementStateChanged` to completed), or an admin asked (`InvoiceRequested`)."""
    e: PlacementStateChanged | InvoiceRequested = reaction.event
    if isinstance(e, PlacementStateChanged) and e.to_state != "completed":
        return
    assert reaction.context is not None
    try:
        await issue_invoice(reaction.store, reaction.context.payments, e.placement_id,
                            f"reactor:{reaction.reactor}", reaction.metadata(), reaction.clock)
    except PaymentRefused as exc:
        raise PermanentError(f"Stripe refused to invoice placement {e.placement_id}: {exc}") from exc
    except NotInvoiceable as exc:
        # Retried first (the snapshot may still be on its way), then dead-lettered for a person:
        # `POST /v1/placements/{id}/invoices` asks again once the cause is fixed.
        raise RuntimeError(str(exc)) from exc


async def _pay(reaction: Reaction, placement_id: UUID, transaction_id: UUID) -> None:
    assert reaction.context is not None
    store, payments = reaction.store, reaction.context.payments
    meta = replace(reaction.metadata(), idempotency_key=None)
    state, _, _ = await load(store, money.placement_billing, stream_id_for(money.placement_billing, placement_id))
    t = state.transactions[transaction_id]
    if t.status != "processing":
        return  # this run already has its outcome
    now = reaction.clock.now()
    account, _, _ = await load(store, connect.connect_account, stream_id_for(
        connect.connect_account, connect.connect_account_key(t.plan.payee_kind, t.plan.payee_id)))
    if not account.exists or not account.onboarded:
        reason = "no_connect_account" if not account.exists else "not_onboarded"
        command: money.PlacementBillingCommand = money.RecordConnectRequired(
            placement_id=placement_id, transaction_id=transaction_id, reason=reason, at=now)
    else:
        try:
            transfer_id = await payments.transfer(
                amount_cents=t.plan.amount_cents, destination=account.stripe_account_id,
                metadata={"placement_id": str(placement_id), "transaction_id": str(transaction_id),
                          "role": t.plan.role, "kind": t.plan.kind},
                transfer_group=f"placement_{placement_id}", key=t.idempotency_key())
        except PaymentRefused as exc:
            command = money.RecordTransferFailure(placement_id=placement_id, transaction_id=transaction_id,
                                                  reason=str(exc), at=now)
        else:
            command = money.RecordTransfer(placement_id=placement_id, transaction_id=transaction_id,
                                           stripe_transfer_id=transfer_id, stripe_account_id=account.stripe_account_id,
                                           amount_cents=t.plan.amount_cents, at=now)
    await handle(store, money.placement_billing, placement_id, command, meta)


async def on_payouts_started(reaction: Reaction) -> None:
    """Each transaction of the run in turn; an unreachable Stripe raises, and the whole run is retried
    (transactions that already have an outcome are skipped)."""
    e: PayoutsStarted = reaction.event
    for transaction_id in e.transaction_ids:
        await _pay(reaction, e.placement_id, transaction_id)


invoicing = Reactor("invoicing", [PlacementStateChanged, InvoiceRequested], on_invoice_due)
payouts = Reactor("payouts", [PayoutsStarted], on_payouts_started)
