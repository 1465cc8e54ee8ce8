from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.billing.events import (
    SubscriptionActivated,
    SubscriptionCanceled,
    SubscriptionCustomerCreated,
    SubscriptionPlanChanged,
    SubscriptionSynced,
)
from commands.billing.subscription import (
    ActivateSubscription,
    CancelSubscription,
    ChangeSubscriptionPlan,
    RecordSubscriptionCustomer,
    Subscription,
    SyncSubscription,
    effective_tier,
    subscription,
)
from commands.core import Command, Conflict, Event, Invalid, NotFound, RuleViolation
from tests.unit.dsl import given

USER = UUID("00000000-0000-4000-8000-0000000000a1")
ACTOR = "user_2abc"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)
PERIOD_START = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 4, 1, tzinfo=UTC)
SUB = "sub_1"
OTHER_SUB = "sub_2"
US = timedelta(microseconds=1)


def customer_created(customer: str = "cus_1") -> SubscriptionCustomerCreated:
    return SubscriptionCustomerCreated(user_id=USER, stripe_customer_id=customer, by=ACTOR, at=T0)


def record_customer(customer: str = "cus_1") -> RecordSubscriptionCustomer:
    return RecordSubscriptionCustomer(user_id=USER, stripe_customer_id=customer, by=ACTOR, at=T0)


PAID: dict[str, Any] = {"tier": "pro", "stripe_subscription_id": SUB, "stripe_subscription_item_id": "si_1",
                        "stripe_price_id": "price_pro_monthly", "current_period_start": PERIOD_START,
                        "current_period_end": PERIOD_END}
FREE: dict[str, Any] = {"tier": "starter"}


def activate(**overrides: Any) -> ActivateSubscription:
    return ActivateSubscription(**{"user_id": USER, **PAID, "by": ACTOR, "at": T0} | overrides)


def activated(**overrides: Any) -> SubscriptionActivated:
    return SubscriptionActivated(**{
        "user_id": USER, "tier": "pro", "billing_period": "monthly", "status": "active",
        "stripe_subscription_id": SUB, "stripe_subscription_item_id": "si_1", "stripe_price_id": "price_pro_monthly",
        "current_period_start": PERIOD_START, "current_period_end": PERIOD_END, "by": ACTOR, "at": T0,
    } | overrides)


def free_activated(**overrides: Any) -> SubscriptionActivated:
    return activated(**{"tier": "starter", "stripe_subscription_id": None, "stripe_subscription_item_id": None,
                        "stripe_price_id": None, "current_period_start": None, "current_period_end": None} | overrides)


def change(to_tier: str = "partner", billing_period: str = "monthly", price: str | None = "price_partner_monthly"
           ) -> ChangeSubscriptionPlan:
    return ChangeSubscriptionPlan(user_id=USER, to_tier=to_tier, billing_period=billing_period,
                                  stripe_price_id=price, by=ACTOR, at=T1)


def changed(from_tier: str = "pro", to_tier: str = "partner", billing_period: str = "monthly",
            price: str | None = "price_partner_monthly") -> SubscriptionPlanChanged:
    return SubscriptionPlanChanged(user_id=USER, from_tier=from_tier, to_tier=to_tier, billing_period=billing_period,
                                   stripe_price_id=price, by=ACTOR, at=T1)


def cancel(cancel_at: datetime | None = PERIOD_END) -> CancelSubscription:
    return CancelSubscription(user_id=USER, cancel_at=cancel_at, by=ACTOR, at=T1)


def canceled(cancel_at: datetime | None = PERIOD_END) -> SubscriptionCanceled:
    return SubscriptionCanceled(user_id=USER, cancel_at=cancel_at, by=ACTOR, at=T1)


SYNC: dict[str, Any] = {"user_id": USER, "stripe_subscription_id": SUB, "status": "active",
                        "current_period_start": PERIOD_START, "current_period_end": PERIOD_END, "cancel_at": None,
                        "canceled_at": None, "stripe_event_id": "evt_1", "observed_at": T1, "at": T2}


def sync(**overrides: Any) -> SyncSubscription:
    return SyncSubscription(**SYNC | overrides)


def synced(**overrides: Any) -> SubscriptionSynced:
    return SubscriptionSynced(**SYNC | overrides)


# --- the Stripe customer -----------------------------------------------------------------------------------

def test_customer_is_recorded():
    given(subscription).when(record_customer()).then(customer_created())
    state = given(subscription, customer_created()).state
    assert (state.stripe_customer_id, state.user_id, state.exists) == ("cus_1", USER, False)


def test_same_customer_again_records_nothing():
    given(subscription, customer_created()).when(record_customer()).then()


def test_another_customer_raises_conflict():
    given(subscription, customer_created()).when(record_customer("cus_2")).then_raises(Conflict, "cus_1")


# --- activation --------------------------------------------------------------------------------------------

def test_paid_subscription_is_activated():
    given(subscription, customer_created()).when(activate()).then(activated())
    state = given(subscription, customer_created(), activated()).state
    assert (state.exists, state.tier, state.status, state.billing_period) == (True, "pro", "active", "monthly")
    assert (state.stripe_subscription_id, state.stripe_subscription_item_id) == (SUB, "si_1")
    assert (state.current_period_start, state.current_period_end) == (PERIOD_START, PERIOD_END)
    assert state.stripe_customer_id == "cus_1"


def test_free_plan_is_activated_without_stripe():
    given(subscription).when(activate(**FREE, stripe_subscription_id=None, stripe_subscription_item_id=None,
                                      stripe_price_id=None, current_period_start=None, current_period_end=None)
                             ).then(free_activated())


def test_activation_carries_period_and_status():
    given(subscription).when(activate(billing_period="annual", status="trialing")).then(
        activated(billing_period="annual", status="trialing")
    )


@pytest.mark.parametrize("tier", ["pro", "partner"])
def test_paid_tier_without_stripe_subscription_is_invalid(tier: str):
    given(subscription).when(activate(tier=tier, stripe_subscription_id=None)).then_raises(Invalid, "paid")


@pytest.mark.parametrize(
    "history, cmd",
    [([activated()], activate()),
     ([activated(status="past_due")], activate()),
     ([free_activated()], activate(**FREE, stripe_subscription_id=None))],
    ids=["paid", "paid past due", "free"],
)
def test_activating_the_current_subscription_again_records_nothing(history: list[Event], cmd: Command):
    given(subscription, *history).when(cmd).then()


@pytest.mark.parametrize(
    "history, cmd",
    [([activated()], activate(stripe_subscription_id=OTHER_SUB)),
     ([activated()], activate(tier="partner", stripe_subscription_id=OTHER_SUB)),
     ([activated()], activate(**FREE, stripe_subscription_id=None)),
     ([activated(), synced(status="past_due")], activate(stripe_subscription_id=OTHER_SUB))],
    ids=["other subscription", "other tier", "free over paid", "past due"],
)
def test_activating_over_a_current_subscription_raises_conflict(history: list[Event], cmd: Command):
    error = given(subscription, *history).when(cmd).then_raises(Conflict, "plan is changed instead")
    assert not {"type", "title", "status", "detail", "instance"} & set(error.details)  # type: ignore[attr-defined]


def test_paid_subscription_over_the_free_plan_is_the_upgrade():
    given(subscription, free_activated()).when(activate()).then(activated())
    assert given(subscription, free_activated(), activated()).state.tier == "pro"


def test_upgrade_whose_webhook_came_first_is_recorded():
    history = [free_activated(), synced()]
    given(subscription, *history).when(activate(current_period_start=None, current_period_end=None)).then(
        activated(current_period_start=None, current_period_end=None)
    )
    state = given(subscription, *history, activated(current_period_start=None, current_period_end=None)).state
    assert (state.tier, state.last_observed_at, state.current_period_end) == ("pro", T1, PERIOD_END)


def test_canceled_subscription_is_replaced_by_a_new_one():
    history = [activated(), canceled()]
    given(subscription, *history).when(activate(tier="partner", stripe_subscription_id=OTHER_SUB)).then(
        activated(tier="partner", stripe_subscription_id=OTHER_SUB)
    )
    state = given(subscription, *history, activated(tier="partner", stripe_subscription_id=OTHER_SUB)).state
    assert (state.status, state.cancel_at, state.canceled_at, state.tier) == ("active", None, None, "partner")


def test_expired_incomplete_subscription_is_replaced_by_a_new_one():
    history = [activated(status="incomplete"), synced(status="incomplete_expired")]
    given(subscription, *history).when(activate(stripe_subscription_id=OTHER_SUB)).then(
        activated(stripe_subscription_id=OTHER_SUB)
    )
    given(subscription, *history).when(change()).then_raises(RuleViolation, "incomplete_expired")


def test_canceled_subscription_reactivated_under_the_same_stripe_id_is_recorded():
    given(subscription, activated(), canceled()).when(activate()).then(activated())


@pytest.mark.parametrize(
    "field, value",
    [("user_id", "nope"), ("tier", "gold"), ("billing_period", "weekly"), ("status", "frozen"), ("by", " "),
     ("at", datetime(2026, 3, 1)), ("stripe_subscription_id", " "), ("current_period_end", PERIOD_START - US)],
)
def test_activation_with_bad_field_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        activate(**{field: value})


# --- plan change -------------------------------------------------------------------------------------------

def test_plan_is_changed():
    given(subscription, activated()).when(change()).then(changed())
    state = given(subscription, activated(), changed()).state
    assert (state.tier, state.billing_period, state.stripe_price_id, state.status) == (
        "partner", "monthly", "price_partner_monthly", "active")


def test_billing_period_alone_is_a_change():
    given(subscription, activated()).when(change("pro", "annual", "price_pro_annual")).then(
        changed("pro", "pro", "annual", "price_pro_annual")
    )


def test_change_to_the_same_tier_and_period_records_nothing():
    given(subscription, activated()).when(change("pro", "monthly", "price_x")).then()


def test_paid_plan_down_to_starter_is_a_change():
    given(subscription, activated()).when(change("starter", "monthly", None)).then(
        changed("pro", "starter", "monthly", None)
    )


def test_change_from_the_free_plan_to_a_paid_one_is_invalid():
    given(subscription, free_activated()).when(change("pro")).then_raises(Invalid, "Stripe subscription")


def test_change_of_a_canceled_subscription_raises():
    given(subscription, activated(), canceled()).when(change()).then_raises(RuleViolation, "canceled")


@pytest.mark.parametrize("history", [[], [customer_created()], [synced()]], ids=["nothing", "customer", "webhook"])
@pytest.mark.parametrize("cmd", [change(), cancel()], ids=["change", "cancel"])
def test_change_or_cancel_without_subscription_raises_not_found(history: list[Event], cmd: Command):
    given(subscription, *history).when(cmd).then_raises(NotFound, "has no subscription")


# --- cancellation ------------------------------------------------------------------------------------------

def test_subscription_is_canceled():
    given(subscription, activated()).when(cancel()).then(canceled())
    state = given(subscription, activated(), canceled()).state
    assert (state.status, state.cancel_at, state.canceled_at) == ("canceled", PERIOD_END, T1)


def test_cancel_without_date_is_recorded():
    given(subscription, free_activated()).when(cancel(None)).then(canceled(None))


def test_canceling_again_records_nothing():
    given(subscription, activated(), canceled()).when(cancel()).then()


# --- Stripe's view -----------------------------------------------------------------------------------------

def test_newer_view_is_recorded():
    given(subscription, activated()).when(sync(status="past_due")).then(synced(status="past_due"))
    state = given(subscription, activated(), synced(status="past_due")).state
    assert (state.status, state.last_observed_at) == ("past_due", T1)


@pytest.mark.parametrize("observed_at", [T1 - US, T0], ids=["just older", "older"])
def test_older_view_records_nothing(observed_at: datetime):
    given(subscription, activated(), synced()).when(sync(status="unpaid", observed_at=observed_at)).then()


def test_the_same_view_again_records_nothing():
    given(subscription, activated(), synced()).when(sync()).then()


def test_another_view_of_the_same_second_is_the_later_delivery():
    given(subscription, activated(), synced()).when(sync(status="unpaid", observed_at=T1)).then(
        synced(status="unpaid", observed_at=T1))


def test_view_of_another_subscription_records_nothing():
    given(subscription, activated()).when(sync(stripe_subscription_id=OTHER_SUB, observed_at=T2)).then()


@pytest.mark.parametrize("history", [[], [customer_created()], [free_activated()]],
                         ids=["nothing", "customer", "free plan"])
def test_view_before_any_stripe_subscription_is_recorded(history: list[Event]):
    given(subscription, *history).when(sync()).then(synced())


def test_view_without_a_period_keeps_the_known_one():
    state = given(subscription, activated(), synced(current_period_start=None, current_period_end=None)).state
    assert (state.current_period_start, state.current_period_end) == (PERIOD_START, PERIOD_END)


def test_view_copies_cancellation_dates_as_they_are():
    later = PERIOD_END + timedelta(days=1)
    state = given(subscription, activated(), canceled(), synced(status="active", cancel_at=None, observed_at=later)
                  ).state
    assert (state.status, state.cancel_at, state.canceled_at) == ("active", None, None)


def test_deletion_webhook_cancels():
    history = [activated(), synced(status="canceled", canceled_at=T2, observed_at=T2)]
    state = given(subscription, *history).state
    assert (state.status, state.canceled_at) == ("canceled", T2)
    assert effective_tier(state, T2) == "starter"


def test_out_of_order_webhooks_leave_the_newest_standing():
    deliveries = [("evt_3", T0 + timedelta(minutes=3), "past_due"), ("evt_1", T0 + timedelta(minutes=1), "active"),
                  ("evt_4", T0 + timedelta(minutes=4), "unpaid"), ("evt_2", T0 + timedelta(minutes=2), "incomplete")]
    state = given(subscription, activated()).state
    recorded = []
    for event_id, observed_at, status in deliveries:
        for e in subscription.decide(sync(stripe_event_id=event_id, observed_at=observed_at, status=status), state):
            recorded.append(e.stripe_event_id)  # type: ignore[union-attr]
            state = subscription.evolve(state, e)
    assert recorded == ["evt_3", "evt_4"]
    assert (state.status, state.last_observed_at) == ("unpaid", T0 + timedelta(minutes=4))


def test_a_new_subscription_restarts_the_webhook_clock():
    history = [activated(), synced(observed_at=T2), canceled(),
               activated(stripe_subscription_id=OTHER_SUB, tier="partner")]
    given(subscription, *history).when(sync(stripe_subscription_id=OTHER_SUB, observed_at=T1)).then(
        synced(stripe_subscription_id=OTHER_SUB, observed_at=T1)
    )
    given(subscription, *history).when(sync(observed_at=T2 + timedelta(hours=1))).then()  # the old one


def test_last_event_sets_the_status_in_stream_order():
    assert given(subscription, synced(status="past_due"), activated()).state.status == "active"
    assert given(subscription, activated(), synced(status="past_due")).state.status == "past_due"


@pytest.mark.parametrize("field, value", [("observed_at", datetime(2026, 3, 1)), ("stripe_event_id", ""),
                                          ("status", "gone"), ("current_period_end", PERIOD_START - US)])
def test_view_with_bad_field_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        sync(**{field: value})


# --- the tier in force -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "history, now, tier",
    [
        ([], T0, "starter"),
        ([customer_created()], T0, "starter"),
        ([synced()], T2, "starter"),  # Stripe's view alone names no plan
        ([free_activated()], T2, "starter"),
        ([activated()], T2, "pro"),
        ([activated(status="trialing")], T2, "pro"),
        ([activated(), synced(status="past_due")], T2, "pro"),
        ([activated(), synced(status="incomplete")], T2, "starter"),
        ([activated(), synced(status="unpaid")], T2, "starter"),
        ([activated(), synced(status="paused")], T2, "starter"),
        ([activated(), synced(status="incomplete_expired")], T2, "starter"),
        ([activated(), changed()], T2, "partner"),
        ([activated(), canceled()], PERIOD_END - US, "pro"),
        ([activated(), canceled()], PERIOD_END, "starter"),
        ([activated(), canceled()], PERIOD_END + timedelta(days=1), "starter"),
        ([activated(), canceled(None)], T2, "starter"),
    ],
    ids=["none", "customer only", "webhook only", "free", "active", "trialing", "past due", "incomplete", "unpaid",
         "paused", "incomplete expired", "changed", "canceled before cancel_at", "canceled at cancel_at",
         "canceled after cancel_at", "canceled without date"],
)
def test_effective_tier(history: list[Event], now: datetime, tier: str):
    assert effective_tier(given(subscription, *history).state, now) == tier


def test_initial_state_is_no_subscription():
    assert subscription.initial_state() == Subscription()
    assert subscription.stream_type == "subscription"
