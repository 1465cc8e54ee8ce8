"""The billing read schema built from billing events on the real PostgreSQL, and every billing query on it.

One story, appended straight to the event store (the deciders that emit these events are tested on their
own): plans and two versions of a plan's rates; a subscription with a Stripe view arriving out of order and a
customer never activated; billing profiles going ready and back; Connect accounts onboarding; three placements
whose money runs from the snapshot through the invoice, payouts, holds and disputes; Stripe webhooks. The
projector then builds the schema from the feed, as in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest

from commands.billing import connect_account, subscription
from commands.billing import events as ev
from commands.billing import placement_events as pe
from commands.billing.placement_billing import evolve, first_schedule_id, initial_state
from commands.billing.splits import (
    compute_splits,
    payout_transactions,
    platform_remainder,
    transaction_id,
)
from commands.core import Event
from consumers.runtime.projector import Projector
from eventstore import EventStore
from projections.billing import billing
from projections.billing import queries as q
from projections.billing.queries import BillingVisibility
from tests.helpers import dump_schema, feed_settled

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TABLES = {"plans", "splits_rates", "subscriptions", "billing_profiles", "connect_accounts", "placement_snapshots",
          "placement_splits", "payout_transactions", "invoices", "payout_schedules", "escrow_holds", "disputes",
          "stripe_webhook_events"}


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def role(name: str, recruiter_id: UUID | None = None, tier: str | None = None, rate_bps: int | None = None,
         firm_id: UUID | None = None, firm_take_bps: int | None = None) -> pe.RoleSnapshot:
    return pe.RoleSnapshot(role=name, recruiter_id=recruiter_id, user_id=recruiter_id and uuid4(), tier=tier,
                           rate_bps=rate_bps, firm_id=firm_id, firm_take_bps=firm_take_bps)


@dataclass
class Story:
    """The ids of everything in the story, and its events by stream."""

    user_a: UUID = field(default_factory=uuid4)  # subscribes, changes plan, cancels
    user_b: UUID = field(default_factory=uuid4)  # a Stripe customer, never activated
    user_c: UUID = field(default_factory=uuid4)  # Stripe's view first, then two Stripe subscriptions in turn
    user_d: UUID = field(default_factory=uuid4)  # Stripe's view first, then that subscription activated
    company_c: UUID = field(default_factory=uuid4)
    company_c2: UUID = field(default_factory=uuid4)
    firm_f: UUID = field(default_factory=uuid4)
    firm_g: UUID = field(default_factory=uuid4)
    r1: UUID = field(default_factory=uuid4)  # in firm F, onboarded
    r2: UUID = field(default_factory=uuid4)  # no Connect account
    r3: UUID = field(default_factory=uuid4)  # a refused transfer
    r4: UUID = field(default_factory=uuid4)
    r5: UUID = field(default_factory=uuid4)
    p1: UUID = field(default_factory=uuid4)
    p2: UUID = field(default_factory=uuid4)
    p3: UUID = field(default_factory=uuid4)
    inv1: UUID = field(default_factory=uuid4)
    inv2: UUID = field(default_factory=uuid4)
    inv3: UUID = field(default_factory=uuid4)
    h1: UUID = field(default_factory=uuid4)
    h2: UUID = field(default_factory=uuid4)
    h3: UUID = field(default_factory=uuid4)
    d1: UUID = field(default_factory=uuid4)
    d2: UUID = field(default_factory=uuid4)
    streams: dict[str, list[Event]] = field(default_factory=dict)

    def txn(self, placement_id: UUID, role_name: str, kind: str = "member_payout") -> UUID:
        return transaction_id(placement_id, role_name, kind)

    @property
    def s1(self) -> UUID:
        return first_schedule_id(self.inv1)

    @property
    def s2(self) -> UUID:
        return uuid5(self.s1, "retry-1")

    @property
    def s3(self) -> UUID:
        return first_schedule_id(self.inv3)

    def add(self, stream: str, *events: Event) -> None:
        self.streams.setdefault(stream, []).extend(events)

    async def append_to(self, store: EventStore) -> None:
        assert store.registry is not None
        for stream, events in self.streams.items():
            await store.append(stream, [store.registry.encode(e) for e in events], None)


def plans_and_rates(s: Story) -> None:
    for tier, name, monthly, annual, trial in (("starter", "Starter", 0, 0, 0), ("pro", "Pro", 9900, 99900, 0),
                                               ("partner", "Partner", 24900, 249900, 14)):
        paid = tier != "starter"
        s.add(f"plan-{tier}", ev.PlanDefined(
            tier=tier, name=name, price_monthly_cents=monthly, price_annual_cents=annual, trial_days=trial,
            entitlements={"data_export": paid, "max_saved_candidates": None if tier == "partner" else 10,
                          "marketplace_priority": "standard"},
            features=[f"{name} features"], stripe_price_id_monthly=f"price_{tier}_m" if paid else None,
            stripe_price_id_annual=f"price_{tier}_y" if paid else None, active=True, by="seed", at=at(0)))
    # `trial_days: None` cannot be held by the column and `bogus` is not a column: both are left out.
    s.add("plan-pro", ev.PlanUpdated(tier="pro", changes={"price_monthly_cents": 10900, "features": ["More"],
                                                          "trial_days": None, "bogus": 1}, by="admin", at=at(1)))
    s.add("plan-partner", ev.PlanUpdated(tier="partner", changes={"active": False}, by="admin", at=at(1)))
    for tier, version, start, rates in (("starter", 1, 0, (2000, 1000, 1000, 600, 600)),
                                        ("pro", 1, 0, (3000, 1500, 1500, 800, 800)),
                                        ("partner", 1, 0, (4000, 2000, 2000, 1000, 1000)),
                                        ("pro", 2, 10, (3200, 1500, 1500, 800, 800))):
        s.add(f"plan-{tier}", ev.SplitsRatesSet(
            tier=tier, version=version, effective_from=at(start), candidate_recruiter_bps=rates[0],
            job_owner_bps=rates[1], company_recruiter_bps=rates[2], candidate_sourcer_bps=rates[3],
            company_sourcer_bps=rates[4], by="admin", at=at(start)))


def subscriptions(s: Story) -> None:
    def synced(status: str, end: float, event_id: str, observed: float, when: float) -> ev.SubscriptionSynced:
        return ev.SubscriptionSynced(user_id=s.user_a, stripe_subscription_id="sub_A", status=status,
                                     current_period_start=at(1), current_period_end=at(end), cancel_at=None,
                                     canceled_at=None, stripe_event_id=event_id, observed_at=at(observed),
                                     at=at(when))

    s.add(f"subscription-{s.user_a}",
          ev.SubscriptionCustomerCreated(user_id=s.user_a, stripe_customer_id="cus_A", by="u", at=at(1)),
          ev.SubscriptionActivated(user_id=s.user_a, tier="pro", billing_period="monthly", status="active",
                                   stripe_subscription_id="sub_A", stripe_subscription_item_id="si_A",
                                   stripe_price_id="price_pro_m", current_period_start=at(1),
                                   current_period_end=at(31), by="u", at=at(1)),
          synced("past_due", 31, "evt_sub_2", observed=2, when=2),
          synced("incomplete", 30, "evt_sub_1", observed=1.5, when=2.1),  # an older view, delivered late: left out
          ev.SubscriptionPlanChanged(user_id=s.user_a, from_tier="pro", to_tier="partner", billing_period="annual",
                                     stripe_price_id="price_partner_y", by="u", at=at(3)),
          ev.SubscriptionCanceled(user_id=s.user_a, cancel_at=at(31), by="u", at=at(4)))
    s.add(f"subscription-{s.user_b}",
          ev.SubscriptionCustomerCreated(user_id=s.user_b, stripe_customer_id="cus_B", by="u", at=at(1)))

    def activated(user_id: UUID, tier: str, stripe_id: str, when: float) -> ev.SubscriptionActivated:
        return ev.SubscriptionActivated(user_id=user_id, tier=tier, billing_period="monthly", status="active",
                                        stripe_subscription_id=stripe_id, stripe_subscription_item_id=None,
                                        stripe_price_id=None, current_period_start=None, current_period_end=None,
                                        by="u", at=at(when))

    def view(user_id: UUID, stripe_id: str, status: str, period: tuple[float, float] | None,
             observed: float) -> ev.SubscriptionSynced:
        return ev.SubscriptionSynced(user_id=user_id, stripe_subscription_id=stripe_id, status=status,
                                     current_period_start=period and at(period[0]),
                                     current_period_end=period and at(period[1]), cancel_at=None, canceled_at=None,
                                     stripe_event_id=f"evt_{stripe_id}_{observed}", observed_at=at(observed),
                                     at=at(observed))

    s.add(f"subscription-{s.user_c}",
          view(s.user_c, "sub_C1", "incomplete", (1, 31), 5),
          activated(s.user_c, "pro", "sub_C1", 5.5),
          ev.SubscriptionCanceled(user_id=s.user_c, cancel_at=None, by="u", at=at(6)),
          activated(s.user_c, "partner", "sub_C2", 7),  # another one: its period and Stripe's clock start again
          view(s.user_c, "sub_C2", "trialing", None, 4))
    s.add(f"subscription-{s.user_d}",
          view(s.user_d, "sub_D", "incomplete", (1, 31), 5),  # the webhook before our own record
          activated(s.user_d, "pro", "sub_D", 5.5))  # the same subscription: its period and clock carry over


def profiles_and_accounts(s: Story) -> None:
    def profile(kind: str, owner: UUID, terms: str, when: float) -> ev.BillingProfileSaved:
        return ev.BillingProfileSaved(owner_kind=kind, owner_id=owner, billing_terms=terms,
                                      billing_email=f"ap@{owner.hex[:6]}.test", billing_contact_name="Ann",
                                      tax_id="US-123", address={"city": "Austin", "country": "US"}, by="u",
                                      at=at(when))

    c = ("company", s.company_c)
    s.add(f"billingprofile-company-{s.company_c}",
          profile("company", s.company_c, "net_30", 1),
          ev.BillingCustomerAttached(owner_kind=c[0], owner_id=c[1], stripe_customer_id="cus_C", by="u", at=at(1)),
          ev.BillingPaymentMethodAttached(owner_kind=c[0], owner_id=c[1], payment_method_id="pm_1", by="u", at=at(1)),
          ev.BillingReadinessChanged(owner_kind=c[0], owner_id=c[1], ready=True, missing=[], at=at(1)),
          ev.BillingPaymentMethodRemoved(owner_kind=c[0], owner_id=c[1], payment_method_id="pm_1", by="u",
                                         at=at(2)),
          ev.BillingReadinessChanged(owner_kind=c[0], owner_id=c[1], ready=False, missing=["payment_method"],
                                     at=at(2)))
    c2 = ("company", s.company_c2)
    s.add(f"billingprofile-company-{s.company_c2}",  # the customer before the profile
          ev.BillingCustomerAttached(owner_kind=c2[0], owner_id=c2[1], stripe_customer_id="cus_C2", by="u", at=at(1)),
          profile("company", s.company_c2, "immediate", 1.5))
    g = ("firm", s.firm_g)
    s.add(f"billingprofile-firm-{s.firm_g}",
          profile("firm", s.firm_g, "immediate", 1),
          ev.BillingCustomerAttached(owner_kind=g[0], owner_id=g[1], stripe_customer_id="cus_G", by="u", at=at(1)),
          ev.BillingPaymentMethodAttached(owner_kind=g[0], owner_id=g[1], payment_method_id="pm_g", by="u", at=at(1)),
          ev.BillingCustomerDeleted(owner_kind=g[0], owner_id=g[1], stripe_customer_id="cus_G", by="u", at=at(2)))

    for kind, payee, account in (("recruiter", s.r1, "acct_R1"), ("firm", s.firm_f, "acct_F"),
                                 ("recruiter", s.r4, "acct_R4"), ("recruiter", s.r5, "acct_R5")):
        payee_account = {"payee_kind": kind, "payee_id": payee, "stripe_account_id": account}
        s.add(f"connectaccount-{kind}-{payee}",
              ev.ConnectAccountCreated(**payee_account, by="u", at=at(2)),
              *(ev.ConnectAccountSynced(**payee_account, charges_enabled=enabled, payouts_enabled=enabled,
                                        details_submitted=True, stripe_event_id=f"evt_{account}_{observed}",
                                        observed_at=at(observed), at=at(observed))
                for enabled, observed in ((False, 2.5), (True, 3))),
              ev.ConnectAccountOnboarded(**payee_account, at=at(3)))
    s.add(f"connectaccount-recruiter-{s.r4}", ev.ConnectAccountDisabled(
        payee_kind="recruiter", payee_id=s.r4, stripe_account_id="acct_R4", reason="requirements.past_due",
        at=at(20)))


def frozen(placement_id: UUID, company_id: UUID, fee: int, roles: list[pe.RoleSnapshot]) -> list[Event]:
    splits = compute_splits(fee, roles)
    return [pe.PlacementSnapshotFrozen(placement_id=placement_id, application_id=uuid4(), job_id=uuid4(),
                                       company_id=company_id, fee_cents=fee, hired_at=at(4), roles=roles, at=at(5)),
            pe.PlacementSplitsComputed(placement_id=placement_id, fee_cents=fee, splits=splits,
                                       transactions=payout_transactions(placement_id, splits),
                                       platform_remainder_cents=platform_remainder(fee, splits), at=at(5))]


def issued(placement_id: UUID, invoice_id: UUID, company_id: UUID, customer: str, stripe_id: str, fee: int,
           status: str, number: str | None = None) -> pe.InvoiceIssued:
    charge = status != "draft"
    return pe.InvoiceIssued(
        placement_id=placement_id, invoice_id=invoice_id, company_id=company_id, stripe_customer_id=customer,
        stripe_invoice_id=stripe_id, billing_terms="immediate" if charge else "net_30",
        collection_method="charge_automatically" if charge else "send_invoice", fee_cents=fee,
        processing_fee_cents=fee * 3 // 100, amount_due_cents=fee + fee * 3 // 100, currency="usd", status=status,
        number=number, hosted_invoice_url=None, invoice_pdf_url=None, due_date=None, by="system", at=at(6))


def placement_one(s: Story) -> None:
    """Fee $20,000: R1 (pro, 30%, firm F takes 10% of it), R2 and R3 (starter, 10% each); two roles empty."""
    p = s.p1
    t_r1, t_f, t_r2, t_r3 = (s.txn(p, "candidate_recruiter"), s.txn(p, "candidate_recruiter", "firm_admin_take"),
                             s.txn(p, "company_recruiter"), s.txn(p, "job_owner"))
    s.add(f"placementbilling-{p}", *frozen(p, s.company_c, 2_000_000, [
        role("candidate_recruiter", s.r1, "pro", 3000, s.firm_f, 1000),
        role("company_recruiter", s.r2, "starter", 1000), role("job_owner", s.r3, "starter", 1000),
        role("candidate_sourcer"), role("company_sourcer")]),
        issued(p, s.inv1, s.company_c, "cus_C", "in_1", 2_000_000, "draft"),
        pe.InvoicePaid(placement_id=p, invoice_id=s.inv1, amount_paid_cents=2_060_000, paid_at=at(7),
                       collectible_at=at(14), at=at(7)),
        pe.PayoutScheduled(placement_id=p, schedule_id=s.s1, scheduled_for=at(14), trigger="invoice_paid", at=at(7)),
        # finalized after payment (webhooks out of order): the number arrives, the invoice stays paid
        pe.InvoiceFinalized(placement_id=p, invoice_id=s.inv1, number="INV-0001",
                            hosted_invoice_url="https://pay.test/in_1", invoice_pdf_url="https://pay.test/in_1.pdf",
                            due_date=date(2027, 1, 5), at=at(7.1)),
        pe.EscrowHoldPlaced(placement_id=p, hold_id=s.h1, amount_cents=None, reason="guarantee check",
                            release_on=at(12), by="admin", at=at(8)),
        pe.DisputeOpened(placement_id=p, dispute_id=s.d1, dispute_type="fee_split", reason="split looks wrong",
                         raised_by="user_company_admin", raised_by_role="company_admin", at=at(9)),
        pe.DisputeUnderReview(placement_id=p, dispute_id=s.d1, by="admin", at=at(10)),
        pe.DisputeClosed(placement_id=p, dispute_id=s.d1, outcome="resolved", notes="rates confirmed", by="admin",
                         at=at(11)),
        pe.EscrowHoldReleased(placement_id=p, hold_id=s.h1, automatic=True, by="scheduler", at=at(12)),
        pe.PayoutsStarted(placement_id=p, schedule_id=s.s1, transaction_ids=[t_r1, t_f, t_r2, t_r3],
                          trigger="invoice_paid", by="scheduler", at=at(14)),
        pe.PayoutTransferred(placement_id=p, transaction_id=t_r1, stripe_transfer_id="tr_1",
                             stripe_account_id="acct_R1", amount_cents=540_000, at=at(14)),
        pe.PayoutTransferred(placement_id=p, transaction_id=t_f, stripe_transfer_id="tr_2",
                             stripe_account_id="acct_F", amount_cents=60_000, at=at(14)),
        pe.PayoutConnectRequired(placement_id=p, transaction_id=t_r2, payee_kind="recruiter", payee_id=s.r2,
                                 amount_cents=200_000, reason="no_connect_account", at=at(14)),
        pe.PayoutTransferFailed(placement_id=p, transaction_id=t_r3, reason="insufficient platform balance",
                                retry_count=1, final=False, at=at(14)),
        pe.PayoutScheduleCompleted(placement_id=p, schedule_id=s.s1, status="processed", at=at(14)),
        pe.PayoutScheduled(placement_id=p, schedule_id=s.s2, scheduled_for=at(14) + timedelta(hours=1),
                           trigger="retry", at=at(14)),
        pe.EscrowHoldPlaced(placement_id=p, hold_id=s.h2, amount_cents=100_000, reason="candidate left",
                            release_on=None, by="admin", at=at(14.02)),
        pe.PayoutScheduleCancelled(placement_id=p, schedule_id=s.s2, reason="held", by="admin", at=at(14.03)),
        pe.PayoutReachedBank(placement_id=p, transaction_id=t_f, stripe_payout_id="po_F", at=at(15)),
        pe.DisputeOpened(placement_id=p, dispute_id=s.d2, dispute_type="fee_amount", reason="fee too high",
                         raised_by="user_r3", raised_by_role="recruiter", at=at(16)))


def placements_two_and_three(s: Story) -> None:
    """At company C2, both with R4: P2's invoice fails and is voided; P3's is paid, payouts reversed and bounced."""
    s.add(f"placementbilling-{s.p2}", *frozen(s.p2, s.company_c2, 1_000_000, [
        role("candidate_recruiter", s.r4, "starter", 2000)]),
        issued(s.p2, s.inv2, s.company_c2, "cus_C2", "in_2", 1_000_000, "draft"),
        pe.InvoiceFinalized(placement_id=s.p2, invoice_id=s.inv2, number="INV-0002", hosted_invoice_url=None,
                            invoice_pdf_url=None, due_date=None, at=at(6.1)),
        pe.InvoicePaymentFailed(placement_id=s.p2, invoice_id=s.inv2, reason="card_declined", at=at(6.2)),
        pe.InvoiceClosed(placement_id=s.p2, invoice_id=s.inv2, status="void", at=at(8)))
    p = s.p3
    t_r4, t_r5 = s.txn(p, "candidate_recruiter"), s.txn(p, "company_recruiter")
    s.add(f"placementbilling-{p}", *frozen(p, s.company_c2, 500_000, [
        role("candidate_recruiter", s.r4, "starter", 2000), role("company_recruiter", s.r5, "pro", 1500)]),
        issued(p, s.inv3, s.company_c2, "cus_C2", "in_3", 500_000, "open", "INV-0003"),
        pe.InvoicePaid(placement_id=p, invoice_id=s.inv3, amount_paid_cents=515_000, paid_at=at(6.5),
                       collectible_at=at(13.5), at=at(6.5)),
        pe.PayoutScheduled(placement_id=p, schedule_id=s.s3, scheduled_for=at(13.5), trigger="invoice_paid",
                           at=at(6.5)),
        pe.InvoiceFundsAvailable(placement_id=p, invoice_id=s.inv3, detected_by="payout", at=at(8)),
        pe.EscrowHoldPlaced(placement_id=p, hold_id=s.h3, amount_cents=50_000, reason="check", release_on=None,
                            by="admin", at=at(9)),
        pe.EscrowHoldCancelled(placement_id=p, hold_id=s.h3, by="admin", at=at(10)),
        pe.PayoutsStarted(placement_id=p, schedule_id=s.s3, transaction_ids=[t_r4, t_r5], trigger="invoice_paid",
                          by="scheduler", at=at(13.5)),
        pe.PayoutTransferred(placement_id=p, transaction_id=t_r4, stripe_transfer_id="tr_3",
                             stripe_account_id="acct_R4", amount_cents=100_000, at=at(13.5)),
        pe.PayoutTransferred(placement_id=p, transaction_id=t_r5, stripe_transfer_id="tr_4",
                             stripe_account_id="acct_R5", amount_cents=75_000, at=at(13.5)),
        pe.PayoutScheduleCompleted(placement_id=p, schedule_id=s.s3, status="processed", at=at(13.5)),
        pe.PayoutTransferReversed(placement_id=p, transaction_id=t_r4, stripe_transfer_id="tr_3", at=at(15)),
        pe.PayoutBankFailed(placement_id=p, transaction_id=t_r5, stripe_payout_id="po_R5", reason="account_closed",
                            at=at(16)))


def webhooks(s: Story) -> None:
    for event_id, event_type, account, when, outcome in (
            ("evt_1", "invoice.paid", None, 7, ("processed", None)),
            ("evt_2", "account.updated", "acct_R1", 3, ("ignored", "an older view")),
            ("evt_3", "payout.paid", "acct_F", 15, None)):
        s.add(f"stripewebhook-{event_id}", ev.StripeWebhookReceived(
            stripe_event_id=event_id, event_type=event_type, api_version="2025-01-27", livemode=False,
            account=account, created=at(when), payload={"id": event_id, "type": event_type, "amount": "12.50"},
            received_at=at(when)))
        if outcome:
            s.add(f"stripewebhook-{event_id}", ev.StripeWebhookProcessed(
                stripe_event_id=event_id, outcome=outcome[0], reason=outcome[1], at=at(when)))


def story() -> Story:
    s = Story()
    for chapter in (plans_and_rates, subscriptions, profiles_and_accounts, placement_one, placements_two_and_three,
                    webhooks):
        chapter(s)
    return s


async def project(store: EventStore, schema: str, checkpoint: str | None = None) -> Projector:
    """Run the billing projection over the whole feed into `schema`."""
    assert store.registry is not None
    projector = Projector(store.pool, billing, store.registry, schema=schema,
                          checkpoint=checkpoint or f"projection:{schema}")
    await projector.ensure_schema()
    await feed_settled(store)
    await projector.catch_up()
    assert projector.stats.bad_events == 0
    return projector


@pytest.fixture
async def built(fresh_store: EventStore) -> tuple[EventStore, Story]:
    s = story()
    await s.append_to(fresh_store)
    projector = await project(fresh_store, "billing")
    assert projector.stats.applied == sum(len(events) for events in s.streams.values())
    return fresh_store, s


def pick(row: dict[str, Any] | None, *columns: str) -> dict[str, Any]:
    assert row is not None
    return {c: row[c] for c in columns}


# --- accounts: plans, rates, subscriptions, profiles, Connect, webhooks -------------------------------------------

async def test_plans_rates_subscriptions_profiles_accounts_and_webhooks_are_projected(built) -> None:
    store, s = built
    async with store.pool.connection() as db:
        assert [p["tier"] for p in await q.list_plans(db)] == ["starter", "pro"]
        assert [p["tier"] for p in await q.list_plans(db, active_only=False)] == ["starter", "pro", "partner"]
        assert pick(await q.get_plan(db, "pro"), "price_monthly_cents", "price_annual_cents", "trial_days",
                    "features", "stripe_price_id_monthly") == {
            "price_monthly_cents": 10900, "price_annual_cents": 99900, "trial_days": 0, "features": ["More"],
            "stripe_price_id_monthly": "price_pro_m"}
        partner = await q.get_plan(db, "partner")
        assert partner is not None and not partner["active"]
        assert partner["entitlements"] == {"data_export": True, "max_saved_candidates": None,
                                           "marketplace_priority": "standard"}
        assert await q.get_plan(db, "gold") is None

        current = await q.list_splits_rates(db)
        assert [(r["tier"], r["version"], r["total_bps"]) for r in current] == [
            ("partner", 1, 10000), ("pro", 2, 7800), ("starter", 1, 5200)]
        pro = await q.list_splits_rates(db, tier="pro", current_only=False)
        assert [(r["version"], r["effective_from"], r["effective_to"], r["candidate_recruiter_bps"]) for r in pro] == [
            (1, at(0), at(10), 3000), (2, at(10), None, 3200)]

        sub = await q.get_subscription(db, s.user_a)
        assert pick(sub, "tier", "billing_period", "status", "stripe_customer_id", "stripe_subscription_id",
                    "stripe_subscription_item_id", "stripe_price_id", "current_period_end", "cancel_at",
                    "canceled_at", "synced_at") == {
            "tier": "partner", "billing_period": "annual", "status": "canceled", "stripe_customer_id": "cus_A",
            "stripe_subscription_id": "sub_A", "stripe_subscription_item_id": "si_A",
            "stripe_price_id": "price_partner_y", "current_period_end": at(31), "cancel_at": at(31),
            "canceled_at": at(4), "synced_at": at(2)}  # the older view (observed at 1.5) did not win
        assert pick(await q.get_subscription(db, s.user_b), "tier", "billing_period", "status",
                    "stripe_customer_id") == {"tier": "starter", "billing_period": None, "status": None,
                                              "stripe_customer_id": "cus_B"}
        assert await q.get_subscription(db, uuid4()) is None
        columns = ("tier", "billing_period", "status", "stripe_subscription_id", "current_period_start",
                   "current_period_end", "cancel_at", "canceled_at", "synced_at")
        for user_id, expected in ((s.user_c, ("partner", "trialing", None, at(4))),
                                  (s.user_d, ("pro", "active", at(31), at(5)))):
            state = subscription.initial_state()
            for e in s.streams[f"subscription-{user_id}"]:
                state = subscription.evolve(state, e)
            row = pick(await q.get_subscription(db, user_id), *columns)
            # the decider's own state after the same events
            assert row == {c: getattr(state, "last_observed_at" if c == "synced_at" else c) for c in columns}
            assert (row["tier"], row["status"], row["current_period_end"], row["synced_at"]) == expected

        c = await q.get_billing_profile(db, "company", s.company_c)
        assert pick(c, "billing_terms", "stripe_customer_id", "default_payment_method_id", "ready", "missing",
                    "address") == {
            "billing_terms": "net_30", "stripe_customer_id": "cus_C", "default_payment_method_id": None,
            "ready": False, "missing": ["payment_method"], "address": {"city": "Austin", "country": "US"}}
        assert pick(await q.get_billing_profile(db, "company", s.company_c2), "billing_terms", "stripe_customer_id",
                    "created_at") == {"billing_terms": "immediate", "stripe_customer_id": "cus_C2",
                                      "created_at": at(1)}
        assert pick(await q.get_billing_profile(db, "firm", s.firm_g), "stripe_customer_id",
                    "default_payment_method_id") == {"stripe_customer_id": None, "default_payment_method_id": None}
        assert await q.find_billing_owner_by_customer(db, "cus_C") == ("company", s.company_c)
        assert await q.find_billing_owner_by_customer(db, "cus_C2") == ("company", s.company_c2)
        assert await q.find_billing_owner_by_customer(db, "cus_G") is None

        connect_columns = ("stripe_account_id", "charges_enabled", "payouts_enabled", "details_submitted",
                           "onboarded", "onboarded_at", "disabled_reason", "synced_at")
        assert pick(await q.get_connect_account(db, "recruiter", s.r1), *connect_columns) == {
            "stripe_account_id": "acct_R1", "charges_enabled": True, "payouts_enabled": True,
            "details_submitted": True, "onboarded": True, "onboarded_at": at(3), "disabled_reason": None,
            "synced_at": at(3)}
        assert pick(await q.get_connect_account(db, "recruiter", s.r4), "onboarded", "disabled_reason") == {
            "onboarded": False, "disabled_reason": "requirements.past_due"}
        assert await q.get_connect_account(db, "recruiter", s.r2) is None
        for kind, payee in (("recruiter", s.r1), ("firm", s.firm_f), ("recruiter", s.r4), ("recruiter", s.r5)):
            account = connect_account.initial_state()
            for e in s.streams[f"connectaccount-{kind}-{payee}"]:
                account = connect_account.evolve(account, e)
            assert pick(await q.get_connect_account(db, kind, payee), *connect_columns) == {
                c: getattr(account, "last_observed_at" if c == "synced_at" else c, None) for c in connect_columns
            } | {"disabled_reason": "requirements.past_due" if payee == s.r4 else None}
        assert await q.find_payee_by_account(db, "acct_F") == ("firm", s.firm_f)
        assert await q.find_payee_by_account(db, "acct_nope") is None

        events, total = await q.list_webhook_events(db)
        assert total == 3 and [(w["stripe_event_id"], w["status"]) for w in events] == [
            ("evt_3", "received"), ("evt_1", "processed"), ("evt_2", "ignored")]
        assert events[0]["payload"] == {"id": "evt_3", "type": "payout.paid", "amount": "12.50"}
        ignored, total = await q.list_webhook_events(db, status="ignored")
        assert total == 1 and pick(ignored[0], "stripe_event_id", "reason", "processed_at", "account") == {
            "stripe_event_id": "evt_2", "reason": "an older view", "processed_at": at(3), "account": "acct_R1"}
        paid, total = await q.list_webhook_events(db, event_type="invoice.paid", page=1, limit=1)
        assert total == 1 and paid[0]["stripe_event_id"] == "evt_1"
        assert await q.list_webhook_events(db, page=2, limit=2) == ([events[2]], 3)


# --- a placement's money -----------------------------------------------------------------------------------------

async def test_placement_money_is_projected_as_the_decider_sees_it(built) -> None:
    store, s = built
    async with store.pool.connection() as db:
        # Every placement's transactions, invoice, schedules, holds and disputes are what the decider's own
        # state holds after the same events.
        for placement_id in (s.p1, s.p2, s.p3):
            state = initial_state()
            for e in s.streams[f"placementbilling-{placement_id}"]:
                state = evolve(state, e)
            money = await q.get_placement_money(db, placement_id, BillingVisibility(everything=True))
            assert money is not None
            assert {t["id"]: (t["status"], t["retry_count"], t["connect_required"], t["stripe_transfer_id"],
                              t["stripe_account_id"], t["stripe_payout_id"], t["failure_reason"])
                    for t in money["transactions"]} == {
                t.id: (t.status, t.retry_count, t.connect_required, t.stripe_transfer_id, t.stripe_account_id,
                       t.stripe_payout_id, t.failure_reason) for t in state.transactions.values()}
            invoice, expected = money["invoice"], state.invoice
            assert expected is not None
            assert pick(invoice, "id", "status", "amount_paid_cents", "number", "paid_at", "collectible_at",
                        "funds_available") == {
                "id": expected.id, "status": expected.status, "amount_paid_cents": expected.amount_paid_cents,
                "number": expected.number, "paid_at": expected.paid_at, "collectible_at": expected.collectible_at,
                "funds_available": expected.funds_available}
            assert {x["id"]: (x["status"], tuple(x["transaction_ids"])) for x in money["schedules"]} == {
                x.id: (x.status, x.batch) for x in state.schedules.values()}
            assert {h["id"]: h["status"] for h in money["holds"]} == {k: v[0] for k, v in state.holds.items()}
            assert {d["id"]: d["status"] for d in money["disputes"]} == dict(state.disputes)

        one = await q.get_placement_money(db, s.p1, BillingVisibility(everything=True))
        assert one is not None
        assert pick(one, "company_id", "fee_cents", "platform_remainder_cents") == {
            "company_id": s.company_c, "fee_cents": 2_000_000, "platform_remainder_cents": 1_000_000}
        assert [r["role"] for r in one["roles"]] == list(pe.ROLES)
        assert [(x["role"], x["recruiter_id"], x["amount_cents"], x["firm_take_cents"], x["net_cents"])
                for x in one["splits"]] == [("candidate_recruiter", s.r1, 600_000, 60_000, 540_000),
                                            ("company_recruiter", s.r2, 200_000, 0, 200_000),
                                            ("job_owner", s.r3, 200_000, 0, 200_000)]
        assert one["totals"] == {"fee_cents": 2_000_000, "splits_cents": 1_000_000,
                                 "platform_remainder_cents": 1_000_000, "paid_out_cents": 600_000,
                                 "pending_cents": 400_000, "on_hold_cents": 400_000}  # d2 is open: all is held
        assert pick(one["invoice"], "status", "number", "hosted_invoice_url", "due_date", "finalized_at",
                    "amount_due_cents", "processing_fee_cents") == {
            "status": "paid", "number": "INV-0001", "hosted_invoice_url": "https://pay.test/in_1",
            "due_date": date(2027, 1, 5), "finalized_at": at(7.1), "amount_due_cents": 2_060_000,
            "processing_fee_cents": 60_000}
        assert [(x["id"], x["status"], x["cancellation_reason"]) for x in one["schedules"]] == [
            (s.s1, "processed", None), (s.s2, "cancelled", "held")]
        assert [(h["id"], h["status"], h["automatic"], h["released_at"]) for h in one["holds"]] == [
            (s.h1, "released", True, at(12)), (s.h2, "active", None, None)]
        assert [(d["id"], d["status"], d["reviewed_by"], d["resolution_notes"]) for d in one["disputes"]] == [
            (s.d1, "resolved", "admin", "rates confirmed"), (s.d2, "open", None, None)]
        failed = next(t for t in one["transactions"] if t["role"] == "job_owner")
        assert pick(failed, "status", "retry_count", "failed_at", "processing_started_at") == {
            "status": "pending", "retry_count": 1, "failed_at": None, "processing_started_at": at(14)}

        two = await q.get_placement_money(db, s.p2, BillingVisibility(everything=True))
        assert two is not None
        assert pick(two["invoice"], "status", "number", "failure_reason", "closed_at", "finalized_at") == {
            "status": "void", "number": "INV-0002", "failure_reason": "card_declined", "closed_at": at(8),
            "finalized_at": at(6.1)}
        three = await q.get_placement_money(db, s.p3, BillingVisibility(everything=True))
        assert three is not None
        assert pick(three["invoice"], "status", "finalized_at", "funds_available", "funds_available_at") == {
            "status": "paid", "finalized_at": at(6), "funds_available": True, "funds_available_at": at(8)}
        assert [(t["status"], t["reversed_at"], t["failed_at"]) for t in three["transactions"]] == [
            ("reversed", at(15), None), ("failed", None, at(16))]
        assert three["totals"]["on_hold_cents"] == 0 and three["holds"][0]["cancelled_by"] == "admin"

        # The lookups the webhooks and reactors run.
        assert await q.find_placement_by_stripe_invoice(db, "in_1") == s.p1
        assert await q.find_placement_by_stripe_invoice(db, "in_nope") is None
        assert await q.find_transaction_by_transfer(db, "tr_1") == (s.p1, s.txn(s.p1, "candidate_recruiter"))
        assert await q.find_transaction_by_transfer(db, "tr_nope") is None
        assert await q.placements_waiting_for_connect(db, "recruiter", s.r2) == [s.p1]
        assert await q.placements_waiting_for_connect(db, "recruiter", s.r3) == []  # a retry, not Connect
        assert await q.invoices_awaiting_funds(db) == [(s.p1, s.inv1)]
        assert await q.invoices_awaiting_funds(db, limit=0) == []

        assert await q.payout_stats(db) == {
            "transactions": {"pending": {"count": 3, "amount_cents": 600_000},
                             "processing": {"count": 0, "amount_cents": 0},
                             "paid": {"count": 2, "amount_cents": 600_000},
                             "failed": {"count": 1, "amount_cents": 75_000},
                             "reversed": {"count": 1, "amount_cents": 100_000}},
            "schedules": {"scheduled": 0, "processing": 0, "processed": 2, "failed": 0, "cancelled": 1},
            "active_holds": 1, "active_hold_cents": 100_000, "open_disputes": 1}


async def test_each_caller_sees_only_the_money_of_their_placements(built) -> None:
    store, s = built
    admin = BillingVisibility(everything=True)
    company = BillingVisibility(company_ids=(s.company_c,))
    company2 = BillingVisibility(company_ids=(s.company_c2,))
    r1 = BillingVisibility(recruiter_id=s.r1)
    r1_firm_admin = BillingVisibility(recruiter_id=s.r1, firm_ids=(s.firm_f,))
    firm_admin = BillingVisibility(firm_ids=(s.firm_f,))
    r2 = BillingVisibility(recruiter_id=s.r2)
    r4 = BillingVisibility(recruiter_id=s.r4)
    stranger = BillingVisibility(recruiter_id=uuid4(), company_ids=(uuid4(),), firm_ids=(uuid4(),))
    t = {name: s.txn(s.p1, *name.split(":")) for name in (
        "candidate_recruiter", "candidate_recruiter:firm_admin_take", "company_recruiter", "job_owner")}

    async with store.pool.connection() as db:
        async def money(vis: BillingVisibility, placement_id: UUID = s.p1) -> list[UUID] | None:
            found = await q.get_placement_money(db, placement_id, vis)
            return None if found is None else [x["id"] for x in found["transactions"]]

        assert await money(admin) == list(t.values())
        assert await money(company) == list(t.values())
        assert await money(r1) == [t["candidate_recruiter"]]
        assert await money(r1_firm_admin) == [t["candidate_recruiter"], t["candidate_recruiter:firm_admin_take"]]
        assert await money(firm_admin) == [t["candidate_recruiter:firm_admin_take"]]
        assert await money(r2) == [t["company_recruiter"]]
        for nobody in (stranger, BillingVisibility(), company2):
            assert await money(nobody) is None
        assert await money(company, s.p2) is None and await money(r1, s.p3) is None
        assert await q.get_placement_money(db, uuid4(), admin) is None
        mine = await q.get_placement_money(db, s.p1, r1)
        assert mine is not None and len(mine["splits"]) == 3 and mine["invoice"]["id"] == s.inv1
        assert mine["totals"]["paid_out_cents"] == 540_000 and mine["totals"]["pending_cents"] == 0
        assert (await q.get_placement_money(db, s.p1, r2))["totals"]["pending_cents"] == 200_000  # type: ignore[index]

        def ids(page: tuple[list[dict[str, Any]], int]) -> tuple[set[UUID], int]:
            rows, total = page
            return {r["id"] for r in rows}, total

        assert (await q.list_transactions(db, admin))[1] == 7
        assert ids(await q.list_transactions(db, admin, status="pending"))[1] == 3
        assert ids(await q.list_transactions(db, company)) == (set(t.values()), 4)
        assert ids(await q.list_transactions(db, company2))[1] == 3
        assert ids(await q.list_transactions(db, r1)) == ({t["candidate_recruiter"]}, 1)
        assert ids(await q.list_transactions(db, r1_firm_admin))[1] == 2
        assert ids(await q.list_transactions(db, r4))[1] == 2
        assert ids(await q.list_transactions(db, admin, payee_id=s.r4))[1] == 2
        assert ids(await q.list_transactions(db, r4, placement_id=s.p3, status="failed")) == (set(), 0)
        rows, total = await q.list_transactions(db, admin, placement_id=s.p1, page=2, limit=3)
        assert len(rows) == 1 and total == 4
        assert await q.list_transactions(db, stranger) == ([], 0)

        assert ids(await q.list_invoices(db, admin)) == ({s.inv1, s.inv2, s.inv3}, 3)
        assert ids(await q.list_invoices(db, company)) == ({s.inv1}, 1)
        assert ids(await q.list_invoices(db, admin, status="void")) == ({s.inv2}, 1)
        assert ids(await q.list_invoices(db, admin, company_id=s.company_c2)) == ({s.inv2, s.inv3}, 2)
        assert ids(await q.list_invoices(db, r1)) == ({s.inv1}, 1)
        assert ids(await q.list_invoices(db, firm_admin, placement_id=s.p1)) == ({s.inv1}, 1)
        assert await q.list_invoices(db, stranger) == ([], 0)

        assert ids(await q.list_payout_schedules(db, admin)) == ({s.s1, s.s2, s.s3}, 3)
        assert ids(await q.list_payout_schedules(db, r1, status="processed")) == ({s.s1}, 1)
        assert ids(await q.list_payout_schedules(db, company2)) == ({s.s3}, 1)
        assert await q.list_payout_schedules(db, stranger) == ([], 0)

        assert ids(await q.list_escrow_holds(db, admin, status="active")) == ({s.h2}, 1)
        assert ids(await q.list_escrow_holds(db, company2)) == ({s.h3}, 1)
        assert ids(await q.list_escrow_holds(db, r2, placement_id=s.p1)) == ({s.h1, s.h2}, 2)
        assert await q.list_escrow_holds(db, stranger) == ([], 0)

        disputes, total = await q.list_disputes(db, company)
        assert total == 2 and [d["id"] for d in disputes] == [s.d2, s.d1]  # newest first
        assert ids(await q.list_disputes(db, r2, status="open")) == ({s.d2}, 1)
        assert await q.list_disputes(db, company2) == ([], 0)
        assert await q.list_disputes(db, stranger) == ([], 0)


# --- replay -------------------------------------------------------------------------------------------------------

async def test_replaying_the_events_gives_the_same_rows(built) -> None:
    store, _ = built
    live = await dump_schema(store, "billing")
    assert set(live) == TABLES and all(live.values())

    await project(store, "billing_replay")  # from scratch, into another schema
    assert await dump_schema(store, "billing_replay") == live

    await project(store, "billing", checkpoint="projection:billing_again")  # every event again, over the rows
    assert await dump_schema(store, "billing") == live
