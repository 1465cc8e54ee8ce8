"""Payouts on the real PostgreSQL, through our payout reactor and the real `stripe` SDK against the fake Stripe:
at most one transfer per transaction whatever the reactor goes through, refusals retried then failed for good,
and disputes and escrow holds holding a placement's payouts until they end (the scheduler with a hand-moved
clock, the billing read model built by the projector as in production).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
import pytest
import stripe

from commands.ats import placement as placements
from commands.billing import billing_profile as profiles
from commands.billing import connect_account as connect
from commands.billing import placement_billing as money
from commands.billing.placement_events import ROLES, RoleSnapshot
from commands.billing.splits import transaction_id
from consumers.billing.schedules import billing_schedules
from consumers.runtime.projector import Projector
from consumers.billing.reactions import invoicing, payouts
from consumers.runtime.reactor import ReactorContext, ReactorRunner
from consumers.runtime.scheduler import Scheduler
from eventstore import EventStore, RecordedEvent, handle, load, stream_id_for
from adapters.clock import FixedClock
from adapters.payments import payments_for
from adapters.settings import Settings
from projections.registry import all_projections
from tests.api import SEEDER, dev_auth, seed_organization, seed_user, serving
from tests.fakes import stripe as fake_stripe
from tests.fakes.stripe import FakeStripe
from tests.helpers import feed_settled, settled_head

stripe_fake = fake_stripe.stripe_fake

# The SDK's own use of httpx (`data=` with raw bytes) warns on every async call.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

FEE = 2_000_000  # $20,000
REFUSAL = "Your destination account cannot receive transfers right now."


def suffix() -> str:
    """Clerk ids unique to the test: the Redis access cache outlives the test databases."""
    return secrets.token_hex(4)


@dataclass
class Money:
    """The test's world: the store, the fake Stripe, and what runs the payout reactor and the scheduler."""

    store: EventStore
    fake: FakeStripe
    settings: Settings

    def sdk(self) -> stripe.StripeClient:
        return stripe.StripeClient("sk_test_setup", base_addresses={"api": self.fake.url}, max_network_retries=0)

    def runner(self) -> ReactorRunner:
        return ReactorRunner(payouts, self.store.pool, self.store, self.store.registry,
                             ReactorContext(self.settings, payments_for(self.settings)))

    async def project(self) -> None:
        """Every read model up to the last stored event (what the consumers would do)."""
        await feed_settled(self.store)
        for projection in all_projections().values():
            await Projector(self.store.pool, projection, self.store.registry).catch_up()

    async def stream(self, placement_id: UUID) -> list[RecordedEvent]:
        return await self.store.read_stream(f"placementbilling-{placement_id}")

    async def events(self, placement_id: UUID, type_: str) -> list[Any]:
        return [self.store.registry.decode(e) for e in await self.stream(placement_id) if e.type == type_]

    async def last(self, placement_id: UUID, type_: str) -> RecordedEvent:
        return [e for e in await self.stream(placement_id) if e.type == type_][-1]

    async def state(self, placement_id: UUID) -> money.PlacementBilling:
        state, _, _ = await load(self.store, money.placement_billing,
                                 stream_id_for(money.placement_billing, placement_id))
        return state

    async def execute(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        async with self.store.pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall() if cur.description else []

    def transfer_calls(self) -> list[Any]:
        return [c for c in self.fake.requests if (c.method, c.path) == ("POST", "/v1/transfers")]


@pytest.fixture
async def world(fresh_store: EventStore, stripe_fake: FakeStripe) -> Money:
    settings = Settings(database_url=fresh_store.pool.conninfo, stripe_secret_key="sk_test_payouts",
                        stripe_api_base=stripe_fake.url, stripe_webhook_secret="whsec_payouts",
                        splits_dev_auth=True, consistency_wait_s=10)
    return Money(fresh_store, stripe_fake, settings)


@pytest.fixture
async def api(world: Money) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(world.store, world.settings) as (client, _):
        yield client


# --- seeding the money state -------------------------------------------------------------------------------------

@dataclass
class Placement:
    id: UUID
    company_id: UUID
    payees: list[tuple[str, UUID]]  # (payee kind, payee id)
    transactions: list[UUID]


def _empty(role: str) -> RoleSnapshot:
    return RoleSnapshot(role=role, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                        firm_take_bps=None)


async def seed_placement(w: Money, *, firm: bool = True, paid_days_ago: float | None = 8,
                         recruiter_id: UUID | None = None) -> Placement:
    """A placement whose snapshot credits a pro recruiter (30%) and, with `firm`, a second one (15%) in a firm
    that takes 10% of their split; invoiced and paid `paid_days_ago` (its first payout schedule due a day ago)."""
    placement_id, company_id, now = uuid4(), uuid4(), datetime.now(UTC)
    first, second, firm_id = recruiter_id or uuid4(), uuid4(), uuid4()
    roles = {r: _empty(r) for r in ROLES}
    roles["candidate_recruiter"] = RoleSnapshot(role="candidate_recruiter", recruiter_id=first, user_id=uuid4(),
                                                tier="pro", rate_bps=3000, firm_id=None, firm_take_bps=None)
    txns = [transaction_id(placement_id, "candidate_recruiter", "member_payout")]
    payees = [("recruiter", first)]
    if firm:
        roles["company_recruiter"] = RoleSnapshot(role="company_recruiter", recruiter_id=second, user_id=uuid4(),
                                                  tier="pro", rate_bps=1500, firm_id=firm_id, firm_take_bps=1000)
        txns += [transaction_id(placement_id, "company_recruiter", "member_payout"),
                 transaction_id(placement_id, "company_recruiter", "firm_admin_take")]
        payees += [("recruiter", second), ("firm", firm_id)]
    await handle(w.store, money.placement_billing, placement_id, money.FreezeSnapshot(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), company_id=company_id, fee_cents=FEE,
        hired_at=now - timedelta(days=100), roles=list(roles.values()), at=now - timedelta(days=10)), SEEDER)
    if paid_days_ago is not None:
        processing = money.processing_fee_cents(FEE)
        stripe_invoice_id = f"in_{secrets.token_hex(7)}"
        await handle(w.store, money.placement_billing, placement_id, money.RecordInvoiceIssued(
            placement_id=placement_id, invoice_id=uuid4(), company_id=company_id, stripe_customer_id="cus_seeded",
            stripe_invoice_id=stripe_invoice_id, billing_terms="net_30", collection_method="send_invoice",
            fee_cents=FEE, processing_fee_cents=processing, amount_due_cents=FEE + processing, status="open",
            number="INV-0001", by="test", at=now - timedelta(days=9)), SEEDER)
        paid_at = now - timedelta(days=paid_days_ago)
        await handle(w.store, money.placement_billing, placement_id, money.ApplyInvoiceUpdate(
            placement_id=placement_id, stripe_invoice_id=stripe_invoice_id, status="paid",
            amount_paid_cents=FEE + processing, paid_at=paid_at, at=paid_at), SEEDER)
    state = await w.state(placement_id)
    assert sorted(state.transactions) == sorted(txns)
    return Placement(placement_id, company_id, payees, txns)


async def onboard(w: Money, payees: list[tuple[str, UUID]]) -> dict[UUID, str]:
    """A Connect account in Stripe for each payee, onboarded there, recorded and synced here."""
    accounts: dict[UUID, str] = {}
    for kind, payee_id in payees:
        account = w.sdk().v1.accounts.create(params={
            "type": "express", "country": "US", "capabilities": {"transfers": {"requested": True}}})
        w.fake.complete_onboarding(account.id)
        key, now = connect.connect_account_key(kind, payee_id), datetime.now(UTC)
        await handle(w.store, connect.connect_account, key, connect.RecordConnectAccount(
            payee_kind=kind, payee_id=payee_id, stripe_account_id=account.id, by="test", at=now), SEEDER)
        await handle(w.store, connect.connect_account, key, connect.SyncConnectAccount(
            payee_kind=kind, payee_id=payee_id, stripe_account_id=account.id, charges_enabled=True,
            payouts_enabled=True, details_submitted=True, stripe_event_id=f"evt_{account.id}", observed_at=now,
            at=now), SEEDER)
        accounts[payee_id] = account.id
    return accounts


async def start_by_hand(w: Money, placement_id: UUID) -> RecordedEvent:
    await handle(w.store, money.placement_billing, placement_id, money.StartPayouts(
        placement_id=placement_id, trigger="manual", by="admin", at=datetime.now(UTC)), SEEDER)
    return await w.last(placement_id, "PayoutsStarted")


async def assert_paid_once(w: Money, p: Placement, accounts: dict[UUID, str]) -> None:
    """Exactly one Stripe transfer per transaction, to its payee, recorded once, as the transaction's."""
    transfers = w.fake.objects("transfer")
    by_txn = {UUID(t["metadata"]["transaction_id"]): t for t in transfers}
    assert len(transfers) == len(p.transactions) and sorted(by_txn) == sorted(p.transactions), transfers
    state = await w.state(p.id)
    for txn in p.transactions:
        t = state.transactions[txn]
        assert (t.status, t.stripe_transfer_id) == ("paid", by_txn[txn]["id"])
        assert by_txn[txn]["amount"] == t.plan.amount_cents
        assert by_txn[txn]["destination"] == accounts[t.plan.payee_id] == t.stripe_account_id
        assert by_txn[txn]["metadata"]["placement_id"] == str(p.id)
    recorded = await w.events(p.id, "PayoutTransferred")
    assert sorted(e.transaction_id for e in recorded) == sorted(p.transactions)


# --- 1. a reactor killed between Stripe's answer and our record --------------------------------------------------

CRASH = """
CREATE SEQUENCE public.test_crash_countdown;  -- not rolled back with the failed insert, unlike a row would be
CREATE FUNCTION public.test_crash_on_transfer_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.type = 'PayoutTransferred' AND nextval('public.test_crash_countdown') <= %(fires)s THEN
        RAISE EXCEPTION 'simulated crash: the process died before recording the transfer';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER test_crash_on_transfer_record BEFORE INSERT ON eventstore.events
    FOR EACH ROW EXECUTE FUNCTION public.test_crash_on_transfer_record();
"""
UNCRASH = """
DROP TRIGGER IF EXISTS test_crash_on_transfer_record ON eventstore.events;
DROP FUNCTION IF EXISTS public.test_crash_on_transfer_record();
DROP SEQUENCE IF EXISTS public.test_crash_countdown;
"""


async def test_a_reactor_killed_after_stripe_answered_makes_no_second_transfer(world: Money) -> None:
    p = await seed_placement(world)
    accounts = await onboard(world, p.payees)
    started = await start_by_hand(world, p.id)
    assert sorted(world.store.registry.decode(started).transaction_ids) == sorted(p.transactions)

    async with world.store.pool.connection() as conn:
        await conn.execute(CRASH.replace("%(fires)s", "1"))
    try:
        runner = world.runner()
        with pytest.raises(psycopg.errors.RaiseException, match="simulated crash"):
            await runner.react(started)
        # Stripe made the first transfer; nothing of it is recorded, and the event is not done.
        assert len(world.fake.objects("transfer")) == 1
        assert await world.events(p.id, "PayoutTransferred") == []
        assert not await runner.seen(started.event_id)

        await runner.react(started)  # the event comes back
    finally:
        async with world.store.pool.connection() as conn:
            await conn.execute(UNCRASH)

    await assert_paid_once(world, p, accounts)
    assert await runner.seen(started.event_id)
    # The retry asked Stripe again under the same key, and got the first transfer back.
    keys = [c.idempotency_key for c in world.transfer_calls()]
    assert len(keys) == len(p.transactions) + 1 and keys[0] == keys[1] == str(p.transactions[0])
    assert sorted(set(keys)) == sorted(str(t) for t in p.transactions)


# --- 2. the same event delivered many times -------------------------------------------------------------------------

async def test_payouts_started_delivered_many_times_pays_each_transaction_once(world: Money) -> None:
    p = await seed_placement(world)
    accounts = await onboard(world, p.payees)
    started = await start_by_hand(world, p.id)

    runners = [world.runner() for _ in range(5)]
    await asyncio.gather(*(r.react(started) for r in runners))
    assert sum(r.stats.handled for r in runners) == 5  # all five ran the side effect, at once
    await assert_paid_once(world, p, accounts)

    late = world.runner()
    await late.react(started)  # the inbox knows it
    assert (late.stats.handled, late.stats.duplicates) == (0, 1)
    for _ in range(3):  # a reactor that died after recording, before its inbox row: the handler runs again
        await world.execute("DELETE FROM eventstore.inbox WHERE reactor = %s AND event_id = %s", payouts.name,
                            started.event_id)
        again = world.runner()
        await again.react(started)
        assert again.stats.handled == 1
    await assert_paid_once(world, p, accounts)


# --- 3. refusals: retried an hour later, the fourth final -----------------------------------------------------------

async def test_a_refused_transfer_is_retried_hourly_and_fails_for_good_on_the_fourth_refusal(
        world: Money, api: httpx.AsyncClient) -> None:
    p = await seed_placement(world, firm=False)
    [txn] = p.transactions
    await onboard(world, p.payees)
    other_recruiter = uuid4()
    other = await seed_placement(world, firm=False, paid_days_ago=None, recruiter_id=other_recruiter)
    admin, recruiter = f"user_payouts_admin_{suffix()}", f"user_payouts_recruiter_{suffix()}"
    await seed_user(world.store, admin, roles=[("platform_admin", None)])
    await seed_user(world.store, recruiter, roles=[("recruiter", other_recruiter)])
    world.fake.fail_next("POST", "/v1/transfers", status=400, error_type="invalid_request_error", times=4,
                         message=REFUSAL)
    await world.project()
    clock = FixedClock(datetime.now(UTC))
    scheduler = Scheduler(world.store.pool, world.store, billing_schedules(), clock=clock)

    for attempt in range(1, 5):
        assert (await scheduler.run_once()).sent == {"payout-schedules": 1}, attempt
        started = await world.last(p.id, "PayoutsStarted")
        assert world.store.registry.decode(started).transaction_ids == [txn]
        await world.runner().react(started)

        failure = (await world.events(p.id, "PayoutTransferFailed"))[-1]
        assert (failure.transaction_id, failure.retry_count, failure.final) == (txn, attempt, attempt == 4)
        assert REFUSAL in failure.reason
        if attempt == 4:
            break
        retry = (await world.events(p.id, "PayoutScheduled"))[-1]
        assert (retry.trigger, retry.scheduled_for) == ("retry", failure.at + timedelta(hours=1))
        await world.project()
        clock.at = retry.scheduled_for - timedelta(seconds=1)
        assert (await scheduler.run_once()).sent == {}  # not due yet
        clock.at = retry.scheduled_for

    state = await world.state(p.id)
    assert (state.transactions[txn].status, state.transactions[txn].retry_count) == ("failed", 4)
    assert len(await world.events(p.id, "PayoutScheduled")) == 4  # the first, and three retries: no fifth
    assert (await world.events(p.id, "PayoutScheduleCompleted"))[-1].status == "failed"
    assert world.fake.objects("transfer") == []
    assert [c.idempotency_key for c in world.transfer_calls()] == [
        str(txn), f"{txn}:retry-1", f"{txn}:retry-2", f"{txn}:retry-3"]
    await world.project()
    clock.at += timedelta(days=30)
    assert (await scheduler.run_once()).sent == {}  # it waits for a platform admin

    listed = await api.get("/v1/payout-transactions", params={"status": "failed"}, headers=dev_auth(admin))
    assert listed.status_code == 200, listed.text
    [row] = listed.json()["data"]
    assert (row["id"], row["placement_id"], row["status"], row["retry_count"]) == (str(txn), str(p.id), "failed", 4)
    assert REFUSAL in row["failure_reason"]

    theirs = await api.get("/v1/payout-transactions", params={"status": "failed"}, headers=dev_auth(recruiter))
    assert theirs.status_code == 200, theirs.text
    assert (theirs.json()["data"], theirs.json()["pagination"]["total"]) == ([], 0)
    own = await api.get("/v1/payout-transactions", headers=dev_auth(recruiter))
    assert [r["id"] for r in own.json()["data"]] == [str(t) for t in other.transactions]


# --- 4. a dispute holds the payouts until it is resolved ------------------------------------------------------------

async def test_an_open_dispute_holds_payouts_until_a_platform_admin_resolves_it(
        world: Money, api: httpx.AsyncClient) -> None:
    p = await seed_placement(world, firm=False)
    [schedule_id] = [e.schedule_id for e in await world.events(p.id, "PayoutScheduled")]
    company_admin, stranger, admin = (f"user_disp_ca_{suffix()}", f"user_disp_x_{suffix()}",
                                      f"user_disp_admin_{suffix()}")
    await seed_user(world.store, company_admin)
    await seed_organization(world.store, p.company_id, [(company_admin, "company_admin", False)])
    await seed_user(world.store, stranger)
    await seed_user(world.store, admin, roles=[("platform_admin", None)])
    await world.project()
    clock = FixedClock(datetime.now(UTC))
    scheduler = Scheduler(world.store.pool, world.store, billing_schedules(), clock=clock)

    opened = await api.post("/v1/disputes", headers=dev_auth(company_admin), json={
        "placement_id": str(p.id), "dispute_type": "fee_amount", "reason": "The fee was agreed at 18%."})
    assert opened.status_code == 201, opened.text
    dispute_id = opened.json()["id"]
    [raised] = await world.events(p.id, "DisputeOpened")
    assert (str(raised.dispute_id), raised.raised_by_role) == (dispute_id, "company_admin")

    # The scheduler first runs before the read model knows of the dispute: the decider itself holds the payout.
    assert (await scheduler.run_once()).unchanged == {"payout-schedules": 1}
    await world.project()
    assert (await scheduler.run_once()).sent == {}
    assert await world.events(p.id, "PayoutsStarted") == []

    await feed_settled(world.store)
    head = await settled_head(world.store)
    refused = await api.post("/v1/disputes", headers=dev_auth(stranger), json={
        "placement_id": str(p.id), "dispute_type": "other", "reason": "Not mine to dispute."})
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
    await feed_settled(world.store)
    assert await settled_head(world.store) == head

    reviewed = await api.post(f"/v1/disputes/{dispute_id}/review", headers=dev_auth(admin))
    assert reviewed.status_code == 200, reviewed.text
    await world.project()
    assert (await scheduler.run_once()).sent == {}  # under review still holds
    assert await world.events(p.id, "PayoutsStarted") == []

    resolved = await api.post(f"/v1/disputes/{dispute_id}/resolve", headers=dev_auth(admin),
                              json={"notes": "Checked the agreement: 20% stands."})
    assert resolved.status_code == 200, resolved.text
    [closed] = await world.events(p.id, "DisputeClosed")
    assert (closed.outcome, closed.notes) == ("resolved", "Checked the agreement: 20% stands.")

    await world.project()
    schedules = await api.get("/v1/payout-schedules", headers=dev_auth(admin), params={
        "placement_id": str(p.id), "status": "scheduled", "after": resolved.json()["consistency_token"]})
    assert schedules.status_code == 200, schedules.text
    [scheduled] = schedules.json()["data"]  # the payout waiting since the invoice was paid, due now
    assert scheduled["id"] == str(schedule_id)
    assert datetime.fromisoformat(scheduled["scheduled_for"]) <= clock.at
    assert (await scheduler.run_once()).sent == {"payout-schedules": 1}
    [started] = await world.events(p.id, "PayoutsStarted")
    assert (started.schedule_id, started.transaction_ids) == (schedule_id, p.transactions)


# --- 5. an escrow hold released on its date -------------------------------------------------------------------------

async def test_an_escrow_hold_blocks_payouts_until_the_scheduler_releases_it_on_its_date(
        world: Money, api: httpx.AsyncClient) -> None:
    p = await seed_placement(world, firm=False)
    admin = f"user_escrow_admin_{suffix()}"
    await seed_user(world.store, admin, roles=[("platform_admin", None)])
    await world.project()
    clock = FixedClock(datetime.now(UTC))
    scheduler = Scheduler(world.store.pool, world.store, billing_schedules(), clock=clock)
    release_on = (clock.at + timedelta(days=3)).replace(microsecond=0)

    placed = await api.post("/v1/escrow-holds", headers=dev_auth(admin), json={
        "placement_id": str(p.id), "reason": "Guarantee period questioned", "release_on": release_on.isoformat()})
    assert placed.status_code == 201, placed.text
    hold_id = UUID(placed.json()["id"])
    [hold] = await world.events(p.id, "EscrowHoldPlaced")
    assert (hold.hold_id, hold.release_on) == (hold_id, release_on)

    # The scheduler first runs before the read model knows of the hold: the decider itself holds the payout.
    assert (await scheduler.run_once()).unchanged == {"payout-schedules": 1}
    await world.project()
    for now in (clock.at, release_on - timedelta(days=1), release_on - timedelta(seconds=1)):
        clock.at = now
        assert (await scheduler.run_once()).sent == {}, now
    assert await world.events(p.id, "PayoutsStarted") == []
    assert await world.events(p.id, "EscrowHoldReleased") == []
    # An automatic release sent early (a scheduler whose clock runs fast) records nothing either.
    early = await handle(world.store, money.placement_billing, p.id, money.ReleaseEscrowHold(
        placement_id=p.id, hold_id=hold_id, automatic=True, by="scheduler", at=release_on - timedelta(seconds=1)),
        SEEDER)
    assert early.event_types == ()

    clock.at = release_on
    assert (await scheduler.run_once()).sent == {"escrow-auto-release": 1}
    [released] = await world.events(p.id, "EscrowHoldReleased")
    assert (released.hold_id, released.automatic, released.at) == (hold_id, True, release_on)

    await world.project()
    assert (await scheduler.run_once()).sent == {"payout-schedules": 1}
    [started] = await world.events(p.id, "PayoutsStarted")
    assert started.transaction_ids == p.transactions


# --- 6. the company's invoice: one in Stripe however often the guarantee's end is delivered ---------------------------

async def test_the_invoice_is_made_once_however_often_the_completion_is_delivered(world: Money) -> None:
    w, now = world, datetime.now(UTC)
    placement_id, company_id = uuid4(), uuid4()
    await handle(w.store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), candidate_id=uuid4(),
        company_id=company_id, salary_cents=10_000_000, fee_bps=2000, guarantee_days=0, hired_at=now,
        start_date=now.date(), by="reactor:placements", at=now), SEEDER)
    await handle(w.store, money.placement_billing, placement_id, money.FreezeSnapshot(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), company_id=company_id, fee_cents=FEE,
        hired_at=now, roles=[_empty(r) for r in ROLES], at=now), SEEDER)
    customer = w.sdk().v1.customers.create({"email": "ap@acme.example"})
    card = await asyncio.to_thread(w.fake.attach_payment_method, customer.id, set_default=True)
    key = profiles.billing_profile_key("company", company_id)
    for command in (
        profiles.SaveBillingProfile(owner_kind="company", owner_id=company_id, billing_terms="net_30",
                                    billing_email="ap@acme.example", by="cora", at=now),
        profiles.AttachBillingCustomer(owner_kind="company", owner_id=company_id, stripe_customer_id=customer.id,
                                       by="cora", at=now),
        profiles.SetDefaultPaymentMethod(owner_kind="company", owner_id=company_id, payment_method_id=card,
                                         by="cora", at=now),
    ):
        await handle(w.store, profiles.billing_profile, key, command, SEEDER)
    completed = await handle(w.store, placements.placement, placement_id, placements.CompletePlacementGuarantee(
        placement_id=placement_id, by="scheduler", at=now), SEEDER)
    event = (await w.store.read_stream(completed.stream_id))[-1]
    assert event.type == "PlacementStateChanged"

    def runner() -> ReactorRunner:
        return ReactorRunner(invoicing, w.store.pool, w.store, w.store.registry,
                             ReactorContext(w.settings, payments_for(w.settings)))

    await asyncio.gather(*(runner().react(event) for _ in range(5)))  # five deliveries at once
    for _ in range(2):  # and again, as after a crash before the inbox row
        await w.execute("DELETE FROM eventstore.inbox WHERE reactor = %s AND event_id = %s", invoicing.name,
                        event.event_id)
        await runner().react(event)
    assert len(w.fake.objects("invoice")) == 1
    [issued] = await w.events(placement_id, "InvoiceIssued")
    assert (issued.stripe_invoice_id, issued.amount_due_cents) == (
        w.fake.objects("invoice")[0]["id"], FEE + money.processing_fee_cents(FEE))
    assert len(w.fake.objects("invoiceitem")) == 2  # the fee and the processing-fee lines, once each
