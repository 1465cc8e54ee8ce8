"""The Stripe webhook process manager: a recorded Stripe event (`StripeWebhookReceived`) turned into billing
commands (domain §8.2).

`POST /webhooks/stripe` (api/billing/webhooks.py) only verifies and records; this reactor plans what the event
asks for (one planner per event type, reading the billing read model through projections/billing/queries.py,
and asking Stripe what a connected account's payout carried), applies each step, then marks the webhook
processed, or ignored with the reason when a refusal that retrying cannot change stops it.

Each command is keyed by the Stripe event id and its place in the plan (`<event id>:<n>`), so a retry after a
failure half way repeats only what had not happened. Out-of-order deliveries are the deciders' business:
subscriptions and Connect accounts keep the newest view (by the event's `created`), invoices only move forward,
and a bank payout's outcome is recorded only for the transfers that payout carried (decided on each placement's
stream: commands/billing/placement_bank.py). A webhook about an invoice we have not recorded yet (our record is
written just after Stripe answers) raises `NotYetRecorded`, which the reactor runtime retries later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, get_args
from uuid import UUID

import structlog
from psycopg import AsyncConnection
from pydantic import ValidationError

from adapters.payments import PaymentRefused, Payments
from commands.billing import billing_profile as profiles
from commands.billing import connect_account as connect
from commands.billing import placement_billing as money
from commands.billing import subscription as subscriptions
from commands.billing.events import StripeWebhookReceived, SubscriptionStatus
from commands.billing.stripe_webhook import MarkStripeWebhookProcessed, stripe_webhook
from commands.core import DomainError, NotYetRecorded
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from eventstore.handle import DeciderLike
from projections.billing import queries

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Step:
    decider: DeciderLike
    entity_id: UUID | str
    command: Any


class Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- helpers over Stripe objects ------------------------------------------------------------------------

def _at(seconds: Any) -> datetime | None:
    return datetime.fromtimestamp(int(seconds), UTC) if isinstance(seconds, int) else None


def _day(seconds: Any) -> date | None:
    moment = _at(seconds)
    return moment.date() if moment else None


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


# --- what each event type asks for ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    id: str
    type: str
    created: datetime
    account: str | None
    obj: dict[str, Any]
    previous: dict[str, Any]


# A planner is given the delivery's moment of receipt (`now`): the time of every command it plans.
Planner = Callable[[AsyncConnection, Delivery, datetime], Awaitable[list[Step]]]


async def _subscription(db: AsyncConnection, d: Delivery, now: datetime) -> list[Step]:
    obj = d.obj
    status = "canceled" if d.type == "customer.subscription.deleted" else obj.get("status")
    if status not in get_args(SubscriptionStatus):
        raise Skip(f"subscription status {status!r} is not one we keep")
    user_id = _uuid(_metadata(obj).get("user_id"))
    if user_id is None:
        user_id = await queries.find_subscriber(db, obj.get("id"), obj.get("customer"))
    if user_id is None:
        raise Skip(f"subscription {obj.get('id')} belongs to no user we know")
    item = (obj.get("items") or {}).get("data") or [{}]
    return [Step(subscriptions.subscription, user_id, subscriptions.SyncSubscription(
        user_id=user_id, stripe_subscription_id=obj["id"], status=status,
        current_period_start=_at(obj.get("current_period_start") or item[0].get("current_period_start")),
        current_period_end=_at(obj.get("current_period_end") or item[0].get("current_period_end")),
        cancel_at=_at(obj.get("cancel_at")), canceled_at=_at(obj.get("canceled_at")),
        stripe_event_id=d.id, observed_at=d.created, at=now))]


async def _account(db: AsyncConnection, d: Delivery, now: datetime) -> list[Step]:
    """The payee is named in the account's metadata (we set it at creation) or found by the account id."""
    obj, metadata = d.obj, _metadata(d.obj)
    payee_id = _uuid(metadata.get("payee_id"))
    if payee_id is not None and metadata.get("payee_kind") in ("recruiter", "firm"):
        payee = (metadata["payee_kind"], payee_id)
    else:
        payee = await queries.find_payee_by_account(db, obj["id"])
    if payee is None:
        raise Skip(f"Connect account {obj['id']} belongs to no recruiter or firm we know")
    kind, payee_id = payee
    return [Step(connect.connect_account, connect.connect_account_key(kind, payee_id), connect.SyncConnectAccount(
        payee_kind=kind, payee_id=payee_id, stripe_account_id=obj["id"],
        charges_enabled=bool(obj.get("charges_enabled")), payouts_enabled=bool(obj.get("payouts_enabled")),
        details_submitted=bool(obj.get("details_submitted")), stripe_event_id=d.id, observed_at=d.created,
        at=now))]


async def _placement_of_transfer(db: AsyncConnection, obj: dict[str, Any]) -> tuple[UUID, UUID]:
    metadata = _metadata(obj)
    placement_id, transaction_id = _uuid(metadata.get("placement_id")), _uuid(metadata.get("transaction_id"))
    if placement_id and transaction_id:
        return placement_id, transaction_id
    found = await queries.find_transaction_by_transfer(db, obj["id"])
    if found is None:
        raise Skip(f"transfer {obj['id']} pays no payout transaction we know")
    return found


async def _transfer(db: AsyncConnection, d: Delivery, now: datetime) -> list[Step]:
    obj = d.obj
    placement_id, transaction_id = await _placement_of_transfer(db, obj)
    steps = [Step(money.placement_billing, placement_id, money.RecordTransfer(
        placement_id=placement_id, transaction_id=transaction_id, stripe_transfer_id=obj["id"],
        stripe_account_id=str(obj.get("destination")), amount_cents=int(obj["amount"]), at=now))]
    if d.type == "transfer.reversed" or obj.get("reversed"):
        reversed_ = money.RecordTransferReversed(placement_id=placement_id, stripe_transfer_id=obj["id"], at=now)
        steps.append(Step(money.placement_billing, placement_id, reversed_))
    return steps


async def _payout(db: AsyncConnection, d: Delivery, now: datetime) -> list[Step]:
    """The platform's own payout: the invoices it carried have their funds available. (A connected account's
    payout is `_bank_payout`'s.)"""
    outcome = d.type.removeprefix("payout.")
    if outcome != "paid":
        raise Skip(f"a platform payout was {outcome}: nothing of ours depends on it")
    return await _funds_available(db, "payout", now)


async def _bank_payout(payments: Payments, d: Delivery, now: datetime) -> list[Step]:
    """A connected account's payout reached its outcome: it is the outcome of the transfers that payout carried,
    as Stripe's balance transactions of the payout tell (asked now, not guessed from the account's transfers),
    and each transaction's placement decides from its own stream whether it applies (placement_bank.py).
    The transfer is recorded first (a no-op when it is), so the order of Stripe's deliveries does not matter."""
    assert d.account is not None
    try:
        carried = await payments.payout_transfers(account=d.account, payout=d.obj["id"])
    except PaymentRefused as exc:
        raise Skip(f"Stripe will not tell what payout {d.obj['id']} carried: {exc}") from exc
    outcome = d.type.removeprefix("payout.")
    reason = d.obj.get("failure_message") or d.obj.get("failure_code")
    steps: list[Step] = []
    for transfer in carried:
        placement_id, transaction_id = (_uuid(transfer.metadata.get(k)) for k in ("placement_id", "transaction_id"))
        if placement_id is None or transaction_id is None:
            continue  # not a payout transaction's transfer
        steps += [Step(money.placement_billing, placement_id, money.RecordTransfer(
                      placement_id=placement_id, transaction_id=transaction_id, stripe_transfer_id=transfer.transfer_id,
                      stripe_account_id=transfer.destination, amount_cents=transfer.amount_cents, at=now)),
                  Step(money.placement_billing, placement_id, money.RecordBankPayout(
                      placement_id=placement_id, transaction_id=transaction_id, stripe_transfer_id=transfer.transfer_id,
                      stripe_payout_id=d.obj["id"], supersedes=transfer.supersedes, outcome=outcome, reason=reason,
                      at=now))]
    if not steps:
        raise Skip(f"payout {d.obj['id']} of {d.account} carried no payout transaction's transfer")
    return steps


async def _funds_available(db: AsyncConnection, detected_by: Literal["payout", "balance"],
                           now: datetime) -> list[Step]:
    return [Step(money.placement_billing, placement_id,
                 money.MarkFundsAvailable(placement_id=placement_id, detected_by=detected_by, at=now))
            for placement_id, _ in await queries.invoices_awaiting_funds(db, 50)]


async def _balance(db: AsyncConnection, d: Delivery, now: datetime) -> list[Step]:
    return await _funds_available(db, "balance", now)


_INVOICE_STATUS: dict[str, str] = {
    "invoice.payment_succeeded": "paid", "invoice.paid": "paid", "invoice.payment_failed": "failed",
    "invoice.voided": "void", "invoice.marked_uncollectible": "uncollectible",
}


async def _invoice(db: AsyncConnection, d: Delivery, now: datetime) -> list[Step]:
    obj = d.obj
    placement_id = _uuid(_metadata(obj).get("placement_id")) or await queries.find_placement_by_stripe_invoice(
        db, obj["id"])
    if placement_id is None:
        raise Skip(f"invoice {obj['id']} is not a placement invoice")
    status = _INVOICE_STATUS.get(d.type) or obj.get("status")
    if status not in ("draft", "open", "paid", "uncollectible", "void", "failed"):
        raise Skip(f"invoice status {status!r} is not one we keep")
    transitions = obj.get("status_transitions") or {}
    error = obj.get("last_finalization_error") or {}
    return [Step(money.placement_billing, placement_id, money.ApplyInvoiceUpdate(
        placement_id=placement_id, stripe_invoice_id=obj["id"], status=status,
        amount_paid_cents=int(obj.get("amount_paid") or 0), paid_at=_at(transitions.get("paid_at")) or (
            d.created if status == "paid" else None),
        number=obj.get("number"), hosted_invoice_url=obj.get("hosted_invoice_url"),
        invoice_pdf_url=obj.get("invoice_pdf"), due_date=_day(obj.get("due_date")),
        failure_reason=error.get("message") if isinstance(error, dict) else None, at=now))]


async def _owner_of_customer(db: AsyncConnection, customer: Any, what: str) -> tuple[str, UUID]:
    owner = await queries.find_billing_owner_by_customer(db, str(customer)) if customer else None
    if owner is None:
        raise Skip(f"{what}: customer {customer} has no company or firm billing profile")
    return owner


async def _payment_method(db: AsyncConnection, d: Delivery, now: datetime) -> list[Step]:
    obj = d.obj
    if d.type == "payment_method.updated":
        raise Skip("a payment method's details changed: nothing we keep depends on them")
    if d.type == "payment_method.attached":
        kind, owner_id = await _owner_of_customer(db, obj.get("customer"), "payment method attached")
        command: Any = profiles.SetDefaultPaymentMethod(owner_kind=kind, owner_id=owner_id, payment_method_id=obj["id"],
                                                        only_if_missing=True, by="stripe", at=now)
    else:
        customer = obj.get("customer") or d.previous.get("customer")
        owner = await queries.find_billing_owner_by_payment_method(db, obj["id"], customer)
        if owner is None:
            raise Skip(f"payment method {obj['id']} is no billing profile's default")
        kind, owner_id = owner
        command = profiles.RemovePaymentMethod(owner_kind=kind, owner_id=owner_id, payment_method_id=obj["id"],
                                               by="stripe", at=now)
    return [Step(profiles.billing_profile, profiles.billing_profile_key(kind, owner_id), command)]


async def _customer_deleted(db: AsyncConnection, d: Delivery, now: datetime) -> list[Step]:
    kind, owner_id = await _owner_of_customer(db, d.obj["id"], "customer deleted")
    return [Step(profiles.billing_profile, profiles.billing_profile_key(kind, owner_id), profiles.DeleteBillingCustomer(
        owner_kind=kind, owner_id=owner_id, stripe_customer_id=d.obj["id"], by="stripe", at=now))]


PLANNERS: dict[str, Planner] = {
    **dict.fromkeys(("customer.subscription.created", "customer.subscription.updated",
                     "customer.subscription.deleted"), _subscription),
    "account.updated": _account,
    **dict.fromkeys(("transfer.created", "transfer.updated", "transfer.reversed"), _transfer),
    **dict.fromkeys(("payout.paid", "payout.failed", "payout.canceled"), _payout),
    "balance.available": _balance,
    **dict.fromkeys(("invoice.created", "invoice.finalized", "invoice.sent", "invoice.updated",
                     "invoice.payment_succeeded", "invoice.paid", "invoice.payment_failed", "invoice.voided",
                     "invoice.marked_uncollectible"), _invoice),
    **dict.fromkeys(("payment_method.attached", "payment_method.detached", "payment_method.updated"), _payment_method),
    "customer.deleted": _customer_deleted,
}



# --- the reactor -------------------------------------------------------------------------------------------------

def _delivery(e: StripeWebhookReceived) -> Delivery:
    data = e.payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):  # erased with its person: nothing left to act on
        raise Skip("the event's payload is no longer recorded")
    previous = data.get("previous_attributes") if isinstance(data, dict) else None
    return Delivery(id=e.stripe_event_id, type=e.event_type, created=e.created, account=e.account, obj=obj,
                    previous=previous if isinstance(previous, dict) else {})


async def _plan(reaction: Reaction, e: StripeWebhookReceived, now: datetime) -> list[Step]:
    planner = PLANNERS.get(e.event_type)
    if planner is None:
        raise Skip(f"event type {e.event_type} is not handled")
    delivery = _delivery(e)
    if planner is _payout and delivery.account is not None:  # asks Stripe: no pool connection held meanwhile
        if reaction.context is None:
            raise RuntimeError("the stripe-webhooks reactor needs a context with the payment provider")
        return await _bank_payout(reaction.context.payments, delivery, now)
    async with reaction.store.pool.connection() as db:
        return await planner(db, delivery, now)


async def _apply(store: EventStore, steps: list[Step], meta: Metadata, event_id: str) -> None:
    for n, step in enumerate(steps):
        keyed = Metadata(actor=meta.actor, correlation_id=meta.correlation_id, causation_id=meta.causation_id,
                         idempotency_key=f"{event_id}:{n}", source=meta.source)
        await handle(store, step.decider, step.entity_id, step.command, keyed)


async def on_stripe_webhook(reaction: Reaction) -> None:
    e: StripeWebhookReceived = reaction.event
    state, _, _ = await load(reaction.store, stripe_webhook, stream_id_for(stripe_webhook, e.stripe_event_id))
    if state.processed:
        return
    now = reaction.clock.now()
    base = reaction.metadata()
    meta = Metadata(actor="stripe", correlation_id=base.correlation_id, causation_id=base.causation_id,
                    source="stripe-webhook")
    reason: str | None = None
    try:
        await _apply(reaction.store, await _plan(reaction, e, now), meta, e.stripe_event_id)
    except Skip as exc:
        reason = exc.reason
    except NotYetRecorded as exc:
        # Ahead of our own record: the runtime brings the event back after its retry delay.
        log.info("stripe webhook ahead of our record; retried later", event_id=e.stripe_event_id, reason=exc.message)
        raise
    except (DomainError, ValidationError) as exc:
        # A validation error's text quotes the input (a person's data, perhaps): keep only where and what.
        reason = exc.message if isinstance(exc, DomainError) else "the event's values are refused: " + "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_input=False)
        )
    done = MarkStripeWebhookProcessed(stripe_event_id=e.stripe_event_id, outcome="ignored" if reason else "processed",
                                      reason=reason, at=now)
    await handle(reaction.store, stripe_webhook, e.stripe_event_id, done,
                 Metadata(actor=meta.actor, correlation_id=meta.correlation_id, causation_id=meta.causation_id,
                          idempotency_key=reaction.idempotency_key, source=meta.source))
    if reason:
        log.info("stripe webhook ignored", event_id=e.stripe_event_id, event_type=e.event_type, reason=reason)


stripe_webhooks = Reactor("stripe-webhooks", [StripeWebhookReceived], on_stripe_webhook)
