"""The invoicing reactor resumes from what the placement's stream records: a run stopped between its steps
(the invoice recorded, its payment not yet) is finished by the runtime's retry, which records the payment
and so schedules the payouts, and makes no second invoice in Stripe.

The crash is real, not a mock of our code: PostgreSQL refuses the first insert of the event the step writes
(a trigger counting with a sequence, which a rollback does not undo), so the reactor's run fails there
as it would if the process died at that point, and the retry runs the same handler again on the same event.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
import stripe

from commands.ats import placement as placements
from commands.billing import billing_profile as profiles
from commands.billing import placement_billing as money
from commands.billing.placement_events import ROLES, RoleSnapshot
from consumers.billing.reactions import invoicing
from consumers.runtime.reactor import ReactorContext, ReactorRunner
from eventstore import EventStore, RecordedEvent, handle, load, stream_id_for
from adapters.payments import payments_for
from adapters.settings import Settings
from tests.api import SEEDER
from tests.faults import crash_once_at
from tests.fakes import stripe as fake_stripe
from tests.fakes.stripe import FakeStripe

stripe_fake = fake_stripe.stripe_fake

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

FEE = 2_000_000


def _empty(role: str) -> RoleSnapshot:
    return RoleSnapshot(role=role, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                        firm_take_bps=None)


async def _completed_placement(store: EventStore, customer: str, card: str | None) -> tuple[UUID, RecordedEvent]:
    """A placement with its money frozen, its company's billing profile on immediate terms (charged at once),
    and its guarantee just completed: the event the invoicing reactor answers."""
    now, placement_id, company_id = datetime.now(UTC), uuid4(), uuid4()
    await handle(store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), candidate_id=uuid4(),
        company_id=company_id, salary_cents=10_000_000, fee_bps=2000, guarantee_days=0, hired_at=now,
        start_date=now.date(), by="reactor:placements", at=now), SEEDER)
    await handle(store, money.placement_billing, placement_id, money.FreezeSnapshot(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), company_id=company_id, fee_cents=FEE,
        hired_at=now, roles=[_empty(r) for r in ROLES], at=now), SEEDER)
    key = profiles.billing_profile_key("company", company_id)
    commands: list[Any] = [
        profiles.SaveBillingProfile(owner_kind="company", owner_id=company_id, billing_terms="immediate",
                                    billing_email="ap@acme.example", by="cora", at=now),
        profiles.AttachBillingCustomer(owner_kind="company", owner_id=company_id, stripe_customer_id=customer,
                                       by="cora", at=now),
    ]
    if card is not None:
        commands.append(profiles.SetDefaultPaymentMethod(owner_kind="company", owner_id=company_id,
                                                         payment_method_id=card, by="cora", at=now))
    for command in commands:
        await handle(store, profiles.billing_profile, key, command, SEEDER)
    completed = await handle(store, placements.placement, placement_id, placements.CompletePlacementGuarantee(
        placement_id=placement_id, by="scheduler", at=now), SEEDER)
    event = (await store.read_stream(completed.stream_id))[-1]
    assert event.type == "PlacementStateChanged"
    return placement_id, event


async def _types(store: EventStore, placement_id: UUID) -> list[str]:
    return [e.type for e in await store.read_stream(f"placementbilling-{placement_id}")]


async def _react_crashing_once(store: EventStore, settings: Settings, event: RecordedEvent) -> None:
    """The delivery that crashes, then the runtime's retry of the same event: the same handler, run again."""
    def runner() -> ReactorRunner:
        return ReactorRunner(invoicing, store.pool, store, store.registry,
                             ReactorContext(settings, payments_for(settings)))

    with pytest.raises(psycopg.errors.RaiseException, match="injected crash"):
        await runner().react(event)
    await runner().react(event)


@pytest.mark.parametrize("crash_before", ["InvoicePaid", "InvoiceIssued"])
async def test_a_crash_between_the_invoicing_steps_is_finished_by_the_retry(
        fresh_store: EventStore, stripe_fake: FakeStripe, crash_before: str) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, stripe_secret_key="sk_test_invoicing",
                        stripe_api_base=stripe_fake.url)
    sdk = stripe.StripeClient("sk_test_setup", base_addresses={"api": stripe_fake.url}, max_network_retries=0)
    customer = sdk.v1.customers.create({"email": "ap@acme.example"})
    card = await asyncio.to_thread(stripe_fake.attach_payment_method, customer.id, set_default=True)
    placement_id, event = await _completed_placement(fresh_store, customer.id, card)
    await crash_once_at(fresh_store, crash_before)

    await _react_crashing_once(fresh_store, settings, event)

    assert await _types(fresh_store, placement_id) == [
        "PlacementSnapshotFrozen", "PlacementSplitsComputed", "InvoiceIssued", "InvoicePaid", "PayoutScheduled"]
    [invoice] = stripe_fake.objects("invoice")  # one invoice in Stripe, charged once
    assert invoice["status"] == "paid"
    pays = [c for c in stripe_fake.requests if c.method == "POST" and c.path.endswith("/pay")]
    assert {c.idempotency_key for c in pays} == {f"placement-invoice:{placement_id}:pay"}
    state, _, _ = await load(fresh_store, money.placement_billing,
                             stream_id_for(money.placement_billing, placement_id))
    assert state.invoice is not None and state.invoice.status == "paid"
    assert state.invoice.amount_paid_cents == FEE + money.processing_fee_cents(FEE)
    assert len(state.schedules) == 1  # the payouts are scheduled: the placement will be paid


async def test_a_simulated_invoice_on_immediate_terms_is_recorded_paid_by_the_retry(fresh_store: EventStore) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_payments="simulated")
    placement_id, event = await _completed_placement(fresh_store, f"sim_cus_{secrets.token_hex(10)}", "pm_card_visa")
    await crash_once_at(fresh_store, "InvoicePaid")

    await _react_crashing_once(fresh_store, settings, event)

    assert await _types(fresh_store, placement_id) == [
        "PlacementSnapshotFrozen", "PlacementSplitsComputed", "InvoiceIssued", "InvoicePaid", "PayoutScheduled"]
    [issued] = [e for e in await fresh_store.read_stream(f"placementbilling-{placement_id}")
                if e.type == "InvoiceIssued"]
    assert issued.data["stripe_invoice_id"].startswith("sim_in_")

