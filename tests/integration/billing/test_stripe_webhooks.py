"""Stripe webhooks through HTTP on the real PostgreSQL: signed like Stripe signs (the real `stripe` SDK verifies
them), shaped like Stripe's events (built by the fake Stripe, or from its objects), delivered to
`POST /webhooks/stripe` in-process, which records them; the `stripe-webhooks` reactor then applies them (run
here event by event, or by the consumers where a test follows the retries). What each delivery records is read
back from the streams and, where the webhook path depends on it, from the billing read model the projector builds.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import stripe

from commands.ats import company as companies
from commands.ats import job as jobs
from commands.billing import billing_profile as profiles
from commands.billing import connect_account as connect
from commands.billing import placement_billing as money
from commands.billing import subscription as subscriptions
from commands.billing.placement_events import ROLES, RoleSnapshot
from consumers.billing.stripe_webhooks import stripe_webhooks
from consumers.runtime.projector import Projector
from consumers.runtime.reactor import ReactorContext, ReactorRunner
from eventstore import EventStore, handle, load, stream_id_for
from adapters.system import System
from adapters.settings import Settings
from projections.billing import billing
from tests.api import SEEDER, running_consumers, serving
from tests.conftest import RABBITMQ_URL
from tests.fakes import stripe as fake_stripe
from tests.fakes.stripe import FakeStripe
from tests.helpers import feed_settled, settled_head, wait_until

stripe_fake = fake_stripe.stripe_fake

# The SDK's own use of httpx (`data=` with raw bytes) warns on every async call.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

URL = "/webhooks/stripe"
SECRET = f"whsec_{secrets.token_urlsafe(24)}"
FEE = 2_000_000  # $20,000


def settings_for(store: EventStore, fake: FakeStripe, rabbitmq_prefix: str | None = None) -> Settings:
    return Settings(
        database_url=store.pool.conninfo, stripe_secret_key="sk_test_webhooks", stripe_api_base=fake.url,
        stripe_webhook_secret=SECRET, splits_dev_auth=True, rabbitmq_url=RABBITMQ_URL if rabbitmq_prefix else None,
        rabbitmq_prefix=rabbitmq_prefix or "splits", consistency_wait_s=10,
    )


@dataclass
class Hooks:
    client: httpx.AsyncClient
    system: System
    store: EventStore
    fake: FakeStripe

    async def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(URL, content=body, headers={"Content-Type": "application/json", **headers})

    async def deliver(self, event: dict[str, Any]) -> httpx.Response:
        """The event as Stripe sends it: JSON, signed now with the endpoint's secret."""
        body = json.dumps(event, indent=2).encode()
        return await self.post(body, {"Stripe-Signature": self.fake.sign(body, SECRET)})

    async def process(self, event: dict[str, Any]) -> Any:
        """What the `stripe-webhooks` reactor does with the recorded event (the consumers do not run here); the
        webhook's outcome (StripeWebhookProcessed)."""
        return await process_webhook(self.store, ReactorContext(
            settings=self.system.settings, payments=self.system.adapters.payments, clock=self.system.adapters.clock),
            event)

    async def applied(self, event: dict[str, Any], reason: str | None = None) -> Any:
        """Deliver `event` (a first delivery: "recorded"), run the reactor on it, and check its outcome."""
        ok(await self.deliver(event))
        done = await self.process(event)
        assert (done.outcome, done.reason) == ("ignored" if reason else "processed", reason), done
        return done

    async def types(self, stream_id: str) -> list[str]:
        return [e.type for e in await self.store.read_stream(stream_id)]

    async def events(self, stream_id: str) -> list[Any]:
        return [self.store.registry.decode(e) for e in await self.store.read_stream(stream_id)]

    async def project(self) -> None:
        """Bring the billing read model up to the last stored event (what the consumers would do)."""
        await feed_settled(self.store)
        await Projector(self.store.pool, billing, self.store.registry).catch_up()

    async def row(self, query: str, *params: Any) -> tuple[Any, ...] | None:
        async with self.store.pool.connection() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchone()

    def sdk(self) -> stripe.StripeClient:
        return stripe.StripeClient("sk_test_setup", base_addresses={"api": self.fake.url}, max_network_retries=0)


@pytest.fixture
async def hooks(fresh_store: EventStore, stripe_fake: FakeStripe) -> AsyncIterator[Hooks]:
    async with serving(fresh_store, settings_for(fresh_store, stripe_fake)) as (client, system):
        yield Hooks(client, system, fresh_store, stripe_fake)


def ok(answer: httpx.Response, status: str = "recorded") -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == status, answer.text
    return answer.json()


def webhook_stream(event: dict[str, Any]) -> str:
    return f"stripewebhook-{event['id']}"


async def process_webhook(store: EventStore, context: ReactorContext, event: dict[str, Any]) -> Any:
    """Run the `stripe-webhooks` reactor on the recorded `event`, as the consumers would; its outcome
    (StripeWebhookProcessed)."""
    runner = ReactorRunner(stripe_webhooks, store.pool, store, store.registry, context)
    for recorded in await store.read_stream(webhook_stream(event)):
        await runner.react(recorded)
    *_, done = [store.registry.decode(e) for e in await store.read_stream(webhook_stream(event))]
    assert type(done).__name__ == "StripeWebhookProcessed", done
    return done


# --- seeding the money state (not what these tests are about) -------------------------------------------------

async def seed_placement(store: EventStore, company_id: UUID | None = None) -> UUID:
    """A placement whose snapshot credits one pro recruiter (30%) in the candidate recruiter role."""
    placement_id, now = uuid4(), datetime.now(UTC)
    roles = [RoleSnapshot(role=r, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                          firm_take_bps=None) for r in ROLES]
    roles[0] = RoleSnapshot(role="candidate_recruiter", recruiter_id=uuid4(), user_id=uuid4(), tier="pro",
                            rate_bps=3000, firm_id=None, firm_take_bps=None)
    await handle(store, money.placement_billing, placement_id, money.FreezeSnapshot(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), company_id=company_id or uuid4(),
        fee_cents=FEE, hired_at=now - timedelta(days=100), roles=roles, at=now), SEEDER)
    return placement_id


async def record_invoice(store: EventStore, placement_id: UUID, stripe_invoice_id: str, status: str = "open",
                         number: str | None = None) -> None:
    processing = money.processing_fee_cents(FEE)
    await handle(store, money.placement_billing, placement_id, money.RecordInvoiceIssued(
        placement_id=placement_id, invoice_id=uuid4(), company_id=None, stripe_customer_id="cus_seeded",
        stripe_invoice_id=stripe_invoice_id, billing_terms="net_30", collection_method="send_invoice",
        fee_cents=FEE, processing_fee_cents=processing, amount_due_cents=FEE + processing, status=status,
        number=number, by="test", at=datetime.now(UTC)), SEEDER)


def invoice_object(stripe_invoice_id: str, placement_id: UUID, status: str, *, number: str | None = None,
                   hosted: str | None = None, pdf: str | None = None, paid_at: int | None = None,
                   finalized_at: int | None = None) -> dict[str, Any]:
    """A Stripe invoice as its webhooks carry it (the fields our webhook route reads, and a few more)."""
    due = FEE + money.processing_fee_cents(FEE)
    return {
        "id": stripe_invoice_id, "object": "invoice", "customer": "cus_seeded", "collection_method": "send_invoice",
        "status": status, "currency": "usd", "amount_due": due, "amount_paid": due if status == "paid" else 0,
        "amount_remaining": 0 if status == "paid" else due, "number": number, "hosted_invoice_url": hosted,
        "invoice_pdf": pdf, "due_date": None, "livemode": False, "created": int(datetime.now(UTC).timestamp()),
        "metadata": {"placement_id": str(placement_id)},
        "status_transitions": {"finalized_at": finalized_at, "paid_at": paid_at, "voided_at": None,
                               "marked_uncollectible_at": None},
    }


def older(event: dict[str, Any], seconds: int) -> dict[str, Any]:
    """The same event as if Stripe had created it `seconds` earlier."""
    return {**event, "created": event["created"] - seconds}


# --- 1. signatures ------------------------------------------------------------------------------------------------

async def test_unverifiable_deliveries_answer_400_and_write_nothing(hooks: Hooks) -> None:
    event = hooks.fake.event("customer.created", {"id": "cus_sig", "object": "customer", "email": "a@b.test"})
    body = json.dumps(event).encode()
    tampered = json.dumps({**event, "type": "customer.deleted"}).encode()
    stale = int((datetime.now(UTC) - timedelta(seconds=301)).timestamp())

    async def count() -> int:
        row = await hooks.row("SELECT count(*) FROM eventstore.events")
        assert row is not None
        return row[0]

    await feed_settled(hooks.store)
    head, stored = await hooks.store.head(), await count()
    refusals = {
        "forged": await hooks.post(body, {"Stripe-Signature": hooks.fake.sign(body, "whsec_not_ours")}),
        "tampered": await hooks.post(tampered, {"Stripe-Signature": hooks.fake.sign(body, SECRET)}),
        "stale": await hooks.post(body, {"Stripe-Signature": hooks.fake.sign(body, SECRET, timestamp=stale)}),
        "missing": await hooks.post(body, {}),
    }
    for name, answer in refusals.items():
        assert answer.status_code == 400, (name, answer.text)
        assert answer.headers["content-type"] == "application/problem+json", name
        assert answer.json()["status"] == 400, name
    await feed_settled(hooks.store)
    assert (await hooks.store.head(), await count()) == (head, stored)
    assert await hooks.types(webhook_stream(event)) == []

    # The same body, signed now with the endpoint's secret, is taken: the refusals above were the signatures'.
    ok(await hooks.post(body, {"Stripe-Signature": hooks.fake.sign(body, SECRET)}))
    assert (await hooks.process(event)).outcome == "ignored"  # not a type we act on
    assert await hooks.types(webhook_stream(event)) == ["StripeWebhookReceived", "StripeWebhookProcessed"]


# --- 2. duplicates ------------------------------------------------------------------------------------------------

async def test_a_redelivered_payment_is_a_duplicate_with_no_second_effect(hooks: Hooks) -> None:
    placement_id = await seed_placement(hooks.store)
    sdk = hooks.sdk()
    customer = sdk.v1.customers.create(params={"email": "ap@acme.test"})
    invoice = sdk.v1.invoices.create(params={"customer": customer.id, "collection_method": "send_invoice",
                                             "days_until_due": 30, "metadata": {"placement_id": str(placement_id)}})
    sdk.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": FEE,
                                        "currency": "usd", "description": "Placement fee"})
    finalized = sdk.v1.invoices.finalize_invoice(invoice.id)
    await record_invoice(hooks.store, placement_id, invoice.id, "open", finalized.number)
    hooks.fake.pay_invoice(invoice.id)  # Stripe collects it: invoice.payment_succeeded, then invoice.paid
    [succeeded] = hooks.fake.events("invoice.payment_succeeded")

    first = ok(await hooks.deliver(succeeded))
    await hooks.process(succeeded)
    await feed_settled(hooks.store)
    head = await settled_head(hooks.store)
    again = ok(await hooks.deliver(succeeded), "duplicate")
    assert again == {"status": "duplicate", "stripe_event_id": succeeded["id"]} != first
    await hooks.process(succeeded)  # the reactor's redelivery of the recorded event: nothing more

    await feed_settled(hooks.store)
    assert await settled_head(hooks.store) == head
    types = await hooks.types(f"placementbilling-{placement_id}")
    assert (types.count("InvoicePaid"), types.count("PayoutScheduled")) == (1, 1), types
    assert await hooks.types(webhook_stream(succeeded)) == ["StripeWebhookReceived", "StripeWebhookProcessed"]
    state, _, _ = await load(hooks.store, money.placement_billing,
                             stream_id_for(money.placement_billing, placement_id))
    assert state.invoice.status == "paid"
    assert state.invoice.amount_paid_cents == FEE  # what Stripe collected, from the event


async def test_one_event_delivered_several_times_at_once_has_one_effect(hooks: Hooks) -> None:
    placement_id = await seed_placement(hooks.store)
    stripe_id = f"in_{secrets.token_hex(7)}"
    await record_invoice(hooks.store, placement_id, stripe_id, "open", "INV-0100")
    now = int(datetime.now(UTC).timestamp())
    paid = hooks.fake.event("invoice.paid", invoice_object(stripe_id, placement_id, "paid", number="INV-0100",
                                                           paid_at=now, finalized_at=now - 100))

    answers = await asyncio.gather(*(hooks.deliver(paid) for _ in range(4)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert sorted(a.json()["status"] for a in answers) == ["duplicate"] * 3 + ["recorded"]
    await hooks.process(paid)
    types = await hooks.types(f"placementbilling-{placement_id}")
    assert (types.count("InvoicePaid"), types.count("PayoutScheduled")) == (1, 1), types
    assert await hooks.types(webhook_stream(paid)) == ["StripeWebhookReceived", "StripeWebhookProcessed"]


# --- 3. out of order ------------------------------------------------------------------------------------------------

async def test_a_late_finalized_invoice_fills_in_its_details_and_never_moves_payment_back(hooks: Hooks) -> None:
    placement_id = await seed_placement(hooks.store)
    stripe_id = f"in_{secrets.token_hex(7)}"
    await record_invoice(hooks.store, placement_id, stripe_id, "draft")
    now = int(datetime.now(UTC).timestamp())
    finalized = hooks.fake.event("invoice.finalized", invoice_object(
        stripe_id, placement_id, "open", number="INV-0042", hosted=f"https://invoice.test/{stripe_id}",
        pdf=f"https://invoice.test/{stripe_id}.pdf", finalized_at=now - 60))
    paid = hooks.fake.event("invoice.payment_succeeded", invoice_object(stripe_id, placement_id, "paid",
                                                                        paid_at=now - 30, finalized_at=now - 60))
    finalized = older(finalized, 60)

    await hooks.applied(paid)
    await hooks.applied(finalized)

    state, _, _ = await load(hooks.store, money.placement_billing,
                             stream_id_for(money.placement_billing, placement_id))
    invoice = state.invoice
    assert (invoice.status, invoice.number, invoice.hosted_invoice_url, invoice.invoice_pdf_url) == (
        "paid", "INV-0042", f"https://invoice.test/{stripe_id}", f"https://invoice.test/{stripe_id}.pdf")
    assert invoice.paid_at == datetime.fromtimestamp(now - 30, UTC)
    types = await hooks.types(f"placementbilling-{placement_id}")
    assert types.count("InvoicePaid") == 1 and types[-1] == "InvoiceFinalized", types

    await hooks.project()
    row = await hooks.row("SELECT status, number, hosted_invoice_url, paid_at FROM billing.invoices"
                          " WHERE stripe_invoice_id = %s", stripe_id)
    assert row == ("paid", "INV-0042", f"https://invoice.test/{stripe_id}", datetime.fromtimestamp(now - 30, UTC))


async def test_subscription_views_delivered_newest_first_leave_the_newest_standing(hooks: Hooks) -> None:
    user_id = uuid4()
    sdk = hooks.sdk()
    customer = sdk.v1.customers.create(params={"email": "rec@example.test"})
    # No payment method yet: Stripe creates it incomplete.
    created = sdk.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": "price_pro_m"}],
                                                  "metadata": {"user_id": str(user_id)}})
    assert created.status == "incomplete"
    hooks.fake.set_subscription_status(created.id, "active")
    [updated] = hooks.fake.events("customer.subscription.updated")
    stale = older(hooks.fake.event("customer.subscription.created", created.to_dict()), 60)

    await hooks.applied(updated)
    await hooks.applied(stale)

    state, _, _ = await load(hooks.store, subscriptions.subscription,
                             stream_id_for(subscriptions.subscription, user_id))
    assert (state.stripe_subscription_id, state.status) == (created.id, "active")
    assert await hooks.types(f"subscription-{user_id}") == ["SubscriptionSynced"]
    await hooks.project()
    row = await hooks.row("SELECT stripe_subscription_id, status FROM billing.subscriptions WHERE user_id = %s",
                          user_id)
    assert row == (created.id, "active")


async def test_connect_account_views_delivered_newest_first_leave_it_onboarded(hooks: Hooks) -> None:
    recruiter_id = uuid4()
    account = hooks.sdk().v1.accounts.create(params={
        "type": "express", "country": "US", "capabilities": {"transfers": {"requested": True}}})
    await handle(hooks.store, connect.connect_account, connect.connect_account_key("recruiter", recruiter_id),
                 connect.RecordConnectAccount(payee_kind="recruiter", payee_id=recruiter_id,
                                              stripe_account_id=account.id, by="test", at=datetime.now(UTC)), SEEDER)
    await hooks.project()  # the webhook finds the payee by the account, in the read model
    hooks.fake.complete_onboarding(account.id)
    [onboarded] = hooks.fake.events("account.updated")
    not_yet = older(hooks.fake.event("account.updated", account.to_dict()), 60)
    assert not_yet["data"]["object"]["charges_enabled"] is False

    await hooks.applied(onboarded)
    await hooks.applied(not_yet)

    state, _, _ = await load(hooks.store, connect.connect_account, stream_id_for(
        connect.connect_account, connect.connect_account_key("recruiter", recruiter_id)))
    assert state.onboarded and state.charges_enabled and state.payouts_enabled and state.details_submitted
    assert await hooks.types(f"connectaccount-recruiter-{recruiter_id}") == [
        "ConnectAccountCreated", "ConnectAccountSynced", "ConnectAccountOnboarded"]


# --- 4. ahead of our record -----------------------------------------------------------------------------------------

async def test_an_invoice_webhook_ahead_of_our_record_is_recorded_and_applied_once_the_invoice_is(
        hooks: Hooks) -> None:
    """It used to answer 503 for Stripe to bring it back; now it is taken, and our reactor retries it."""
    placement_id = await seed_placement(hooks.store)
    stripe_id = f"in_{secrets.token_hex(7)}"
    now = int(datetime.now(UTC).timestamp())
    paid = hooks.fake.event("invoice.paid", invoice_object(
        stripe_id, placement_id, "paid", number="INV-0007", paid_at=now, finalized_at=now))

    async with running_consumers(hooks.system, only={"stripe-webhooks"}) as consumers:
        [runner] = consumers.reactors
        ok(await hooks.deliver(paid))

        async def tried() -> bool:
            return "not recorded yet" in (runner.stats.last_error or "")  # InvoiceNotRecorded, a NotYetRecorded

        await wait_until(tried)
        assert await hooks.types(webhook_stream(paid)) == ["StripeWebhookReceived"]  # received, not processed
        assert "InvoicePaid" not in await hooks.types(f"placementbilling-{placement_id}")

        await record_invoice(hooks.store, placement_id, stripe_id, "open", "INV-0007")

        async def processed() -> bool:
            return await hooks.types(webhook_stream(paid)) == ["StripeWebhookReceived", "StripeWebhookProcessed"]

        await wait_until(processed, timeout=30)
    *_, done = await hooks.events(webhook_stream(paid))
    assert (done.outcome, done.reason) == ("processed", None)
    types = await hooks.types(f"placementbilling-{placement_id}")
    assert (types.count("InvoicePaid"), types.count("PayoutScheduled")) == (1, 1), types
    assert runner.stats.dead_lettered == 0


# --- 5. unhandled types ---------------------------------------------------------------------------------------------

async def test_an_unhandled_event_type_is_ignored_and_recorded(hooks: Hooks) -> None:
    event = hooks.fake.event("charge.refunded", {"id": "ch_unhandled", "object": "charge", "amount": 500})
    answer = ok(await hooks.deliver(event))
    assert answer == {"status": "recorded", "stripe_event_id": event["id"]}
    await hooks.process(event)
    received, processed = await hooks.events(webhook_stream(event))
    assert (received.event_type, received.payload) == ("charge.refunded", event)
    assert (processed.outcome, processed.reason) == ("ignored", "event type charge.refunded is not handled")


# --- 6. a detached payment method takes the company's jobs back to draft ------------------------------------------

async def test_a_detached_default_payment_method_returns_the_companys_active_job_to_draft(
        fresh_store: EventStore, stripe_fake: FakeStripe, topology: Any) -> None:
    store, now = fresh_store, datetime.now(UTC)
    company_id, job_id = uuid4(), uuid4()
    sdk = stripe.StripeClient("sk_test_setup", base_addresses={"api": stripe_fake.url}, max_network_retries=0)
    customer = sdk.v1.customers.create(params={"email": "ap@acme.test"})
    pm = stripe_fake.attach_payment_method(customer.id, set_default=True)

    settings = settings_for(store, stripe_fake, topology.prefix)
    async with serving(store, settings) as (client, system), running_consumers(system):
        hooks = Hooks(client, system, store, stripe_fake)
        await handle(store, companies.company, company_id, companies.CreateCompany(
            company_id=company_id, identity_organization_id=uuid4(), name="Acme", slug=f"acme-{company_id.hex[:8]}",
            by="test", at=now), SEEDER)
        owner = {"owner_kind": "company", "owner_id": company_id, "by": "test", "at": now}
        key = profiles.billing_profile_key("company", company_id)
        for command in (profiles.SaveBillingProfile(**owner, billing_terms="net_30", billing_email="ap@acme.test"),
                        profiles.AttachBillingCustomer(**owner, stripe_customer_id=customer.id),
                        profiles.SetDefaultPaymentMethod(**owner, payment_method_id=pm)):
            await handle(store, profiles.billing_profile, key, command, SEEDER)
        await handle(store, jobs.job, job_id, jobs.CreateJob(job_id=job_id, company_id=company_id, title="Staff SRE",
                                                             fee_bps=2000, by="test", at=now), SEEDER)
        await handle(store, jobs.job, job_id, jobs.PublishJob(job_id=job_id, billing_ready=True, by="test", at=now),
                     SEEDER)

        async def job_status() -> str | None:
            row = await hooks.row("SELECT status FROM ats.jobs WHERE id = %s", job_id)
            return row[0] if row else None

        async def company_ready() -> bool | None:
            row = await hooks.row("SELECT billing_ready FROM ats.company_billing WHERE company_id = %s", company_id)
            return row[0] if row else None

        async def profile() -> tuple[Any, ...] | None:
            return await hooks.row("SELECT default_payment_method_id, ready, missing FROM billing.billing_profiles"
                                   " WHERE owner_kind = 'company' AND owner_id = %s", company_id)

        async def before() -> bool:
            return (await job_status() == "active" and await company_ready() is True
                    and await profile() == (pm, True, []))

        await wait_until(before)

        stripe_fake.detach_payment_method(pm)  # the card is removed in Stripe
        [detached] = stripe_fake.events("payment_method.detached")
        assert detached["data"]["object"]["customer"] is None
        assert detached["data"]["previous_attributes"] == {"customer": customer.id}
        ok(await hooks.deliver(detached))

        async def back_in_draft() -> bool:
            return await job_status() == "draft"

        await wait_until(back_in_draft)
        assert await company_ready() is False
        await wait_until(lambda: _equals(profile, (None, False, ["payment_method"])))

    state, _, _ = await load(store, profiles.billing_profile, stream_id_for(profiles.billing_profile, key))
    assert (state.payment_method_id, state.ready, state.missing) == (None, False, ["payment_method"])
    company, _, _ = await load(store, companies.company, stream_id_for(companies.company, company_id))
    assert company.billing_ready is False
    job_events = await store.read_stream(f"job-{job_id}")
    assert job_events[-1].data["to_status"] == "draft"
    assert "payment_method" in job_events[-1].data["reason"]


async def _equals(read: Any, expected: Any) -> bool:
    return await read() == expected


# --- about a person whose data was erased ----------------------------------------------------------------------

async def test_an_event_about_an_erased_customer_is_ignored_and_its_redelivery_is_a_duplicate(hooks: Hooks) -> None:
    customer = {"id": "cus_gone", "object": "customer", "email": "gone@example.com", "name": "Gone Person"}
    first = hooks.fake.event("customer.updated", customer)
    ok(await hooks.deliver(first))
    assert (await hooks.process(first)).outcome == "ignored"  # not a type we act on, recorded all the same
    await hooks.store.keyring.erase(["stripe:cus_gone"])

    # Stripe redelivering it: the recorded payload reads as erased, and it is still the same delivery.
    assert ok(await hooks.deliver(first), "duplicate")["stripe_event_id"] == first["id"]
    # A new event about the erased customer records nothing of theirs and is not refused (Stripe would retry).
    later = hooks.fake.event("customer.updated", {**customer, "email": "back@example.com"})
    answer = ok(await hooks.deliver(later), "ignored")
    assert "erased" in answer["reason"]
    assert await hooks.types(webhook_stream(later)) == []
