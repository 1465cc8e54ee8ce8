"""A recruiter's subscription (domain §7.5): its Stripe customer, setup intent, subscribing, changing plan and
cancelling. Calls to Stripe come first and are keyed by what they create (the user, the stream's version), so a
retried request finds what the first one made; the outcome is then recorded as a command. Answers are read
from the subscription's stream, so a caller sees their own change at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from psycopg import AsyncConnection

from api.billing.accounts import _email_of, _token
from api.billing.account_models import (
    ChangePlanBody,
    SetupIntentOut,
    SetupIntentWritten,
    SubscribeBody,
    SubscriptionEnvelope,
    SubscriptionOut,
    SubscriptionWritten,
)
from api.deps import CommandMetadata, CurrentUser, Db, Now, PaymentsDep, Store
from api.network.common import known
from commands.billing import plan as plans
from commands.billing import subscription as subscriptions
from commands.billing.events import PlanTier
from commands.core import Forbidden, NotFound, RuleViolation
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from eventstore.handle import handled_before
from adapters.payments import Payments
from projections.identity.access import Access

router = APIRouter(prefix="/v1", tags=["billing"])


async def _subscription(store: EventStore, user_id: UUID) -> tuple[subscriptions.Subscription, int]:
    state, version, _ = await load(store, subscriptions.subscription,
                                   stream_id_for(subscriptions.subscription, user_id))
    return state, version


async def _subscription_written(store: EventStore, user_id: UUID, simulated: bool,
                                now: datetime) -> SubscriptionWritten:
    """The subscription as its stream now stands, with the token a read of it may wait for."""
    state, version, position = await load(store, subscriptions.subscription,
                                          stream_id_for(subscriptions.subscription, user_id))
    return SubscriptionWritten(id=user_id, version=version, consistency_token=_token(position),
                               data=_subscription_out(user_id, state, simulated, now))


def _subscription_out(user_id: UUID, s: subscriptions.Subscription, simulated: bool,
                      now: datetime) -> SubscriptionOut:
    return SubscriptionOut(
        user_id=user_id, tier=s.tier if s.exists else "starter", effective_tier=subscriptions.effective_tier(s, now),
        billing_period=s.billing_period if s.exists else None, status=s.status if s.exists else None,
        stripe_customer_id=s.stripe_customer_id, stripe_subscription_id=s.stripe_subscription_id,
        current_period_start=s.current_period_start, current_period_end=s.current_period_end, cancel_at=s.cancel_at,
        canceled_at=s.canceled_at, simulated=simulated and s.stripe_subscription_id is not None)


def _subscriber(user: Access) -> UUID:
    user_id = known(user)
    if not (user.is_recruiter or user.is_platform_admin):
        raise Forbidden("subscriptions are for recruiters: create your recruiter profile first (POST /v1/recruiters)")
    return user_id


async def _customer(store: EventStore, payments: Payments, db: AsyncConnection, user_id: UUID,
                    meta: Metadata, now: datetime) -> str:
    """The user's Stripe customer, created (once) when first needed."""
    state, _ = await _subscription(store, user_id)
    if state.stripe_customer_id:
        return state.stripe_customer_id
    customer = await payments.create_customer(email=await _email_of(db, user_id) or f"{user_id}@users.splits",
                                              name=None, metadata={"user_id": str(user_id)},
                                              key=f"subscription-customer:{user_id}")
    await handle(store, subscriptions.subscription, user_id, subscriptions.RecordSubscriptionCustomer(
        user_id=user_id, stripe_customer_id=customer, by=meta.actor, at=now), meta)
    return customer


@router.get("/subscriptions/me", response_model=SubscriptionEnvelope, responses={401: {}})
async def my_subscription(user: CurrentUser, store: Store, payments: PaymentsDep, now: Now) -> SubscriptionEnvelope:
    user_id = known(user)
    state, _ = await _subscription(store, user_id)
    return SubscriptionEnvelope(data=_subscription_out(user_id, state, payments.simulated, now))


@router.post("/subscriptions/setup-intent", response_model=SetupIntentWritten, responses={401: {}, 403: {}, 503: {}})
async def subscription_setup_intent(user: CurrentUser, store: Store, payments: PaymentsDep, db: Db,
                                    meta: CommandMetadata, now: Now) -> SetupIntentWritten:
    """A SetupIntent for the portal to collect a card for the subscription."""
    user_id = _subscriber(user)
    customer = await _customer(store, payments, db, user_id, meta, now)
    _, version, position = await load(store, subscriptions.subscription,
                                      stream_id_for(subscriptions.subscription, user_id))
    intent, secret = await payments.create_setup_intent(
        customer=customer, key=meta.idempotency_key or f"subscription-setup:{user_id}:{version}:{now.isoformat()}")
    return SetupIntentWritten(id=user_id, version=version, consistency_token=_token(position),
                              data=SetupIntentOut(setup_intent_id=intent, client_secret=secret,
                                                  stripe_customer_id=customer))


async def _price(store: EventStore, tier: PlanTier, period: str) -> str:
    plan, _, _ = await load(store, plans.plan, stream_id_for(plans.plan, tier))
    price = plan.stripe_price_id_monthly if period == "monthly" else plan.stripe_price_id_annual
    if not plan.exists or not plan.active or price is None:
        raise RuleViolation(f"plan {tier} cannot be subscribed to {period}", tier=tier, billing_period=period)
    return price


@router.post("/subscriptions", status_code=201, response_model=SubscriptionWritten,
             responses={401: {}, 402: {}, 403: {}, 409: {}, 422: {}, 503: {}})
async def subscribe(body: SubscribeBody, user: CurrentUser, store: Store, payments: PaymentsDep, db: Db,
                    meta: CommandMetadata, now: Now) -> SubscriptionWritten:
    """Starter needs no card; Pro and Partner start a Stripe subscription charged at once (no trial)."""
    user_id = _subscriber(user)
    fields: dict[str, Any] = {}
    if body.tier != "starter":
        state, version = await _subscription(store, user_id)
        if state.exists and state.status != "canceled":
            if await handled_before(store, subscriptions.subscription, user_id, subscriptions.ActivateSubscription,
                                    meta):  # this request, retried with its Idempotency-Key: its first answer
                return await _subscription_written(store, user_id, payments.simulated, now)
            raise RuleViolation("you already have a subscription: change its plan instead (PATCH /v1/subscriptions/me)")
        price = await _price(store, body.tier, body.billing_period)
        customer = await _customer(store, payments, db, user_id, meta, now)
        view = await payments.create_subscription(
            customer=customer, price=price, payment_method=body.payment_method_id,
            metadata={"user_id": str(user_id), "tier": body.tier},
            # A request sent again with its Idempotency-Key meets the subscription its first run made in Stripe,
            # although that run's customer moved the stream's version; without a key, one per version.
            key=f"subscription:{user_id}:{f'key:{meta.idempotency_key}' if meta.idempotency_key else version}:"
                f"{body.tier}:{body.billing_period}")
        fields = {"status": view.status, "stripe_subscription_id": view.id, "stripe_subscription_item_id": view.item_id,
                  "stripe_price_id": view.price_id, "current_period_start": view.current_period_start,
                  "current_period_end": view.current_period_end}
    command = subscriptions.ActivateSubscription(user_id=user_id, tier=body.tier, billing_period=body.billing_period,
                                                 by=meta.actor, at=now, **fields)
    await handle(store, subscriptions.subscription, user_id, command, meta)
    return await _subscription_written(store, user_id, payments.simulated, now)


@router.patch("/subscriptions/me", response_model=SubscriptionWritten,
              responses={401: {}, 403: {}, 404: {}, 422: {}, 503: {}})
async def change_plan(body: ChangePlanBody, user: CurrentUser, store: Store, payments: PaymentsDep,
                      meta: CommandMetadata, now: Now) -> SubscriptionWritten:
    """Between paid plans (Stripe prorates). To leave a paid plan, cancel; from Starter, subscribe."""
    user_id = _subscriber(user)
    state, version = await _subscription(store, user_id)
    if not state.exists or state.status == "canceled":
        raise NotFound("you have no current subscription to change")
    if body.tier == "starter" or state.stripe_subscription_id is None or state.stripe_subscription_item_id is None:
        raise RuleViolation("only a paid plan changes to another paid plan: cancel to leave one, subscribe to "
                            "start one", from_tier=state.tier, to_tier=body.tier)
    price = await _price(store, body.tier, body.billing_period)
    await payments.change_subscription_price(subscription=state.stripe_subscription_id,
                                             item=state.stripe_subscription_item_id, price=price,
                                             key=f"subscription-change:{user_id}:{version}:{body.tier}")
    command = subscriptions.ChangeSubscriptionPlan(user_id=user_id, to_tier=body.tier,
                                                   billing_period=body.billing_period, stripe_price_id=price,
                                                   by=meta.actor, at=now)
    await handle(store, subscriptions.subscription, user_id, command, meta)
    return await _subscription_written(store, user_id, payments.simulated, now)


@router.delete("/subscriptions/me", response_model=SubscriptionWritten, responses={401: {}, 403: {}, 404: {}})
async def cancel_subscription(user: CurrentUser, store: Store, payments: PaymentsDep,
                              meta: CommandMetadata, now: Now) -> SubscriptionWritten:
    """Stripe stops charging at the period's end; the plan's entitlements last until then."""
    user_id = _subscriber(user)
    state, version = await _subscription(store, user_id)
    if not state.exists:
        raise NotFound("you have no subscription to cancel")
    cancel_at = None
    if state.stripe_subscription_id and state.status != "canceled":
        view = await payments.cancel_subscription_at_period_end(subscription=state.stripe_subscription_id,
                                                                key=f"subscription-cancel:{user_id}:{version}")
        cancel_at = view.cancel_at
    command = subscriptions.CancelSubscription(user_id=user_id, cancel_at=cancel_at, by=meta.actor, at=now)
    await handle(store, subscriptions.subscription, user_id, command, meta)
    return await _subscription_written(store, user_id, payments.simulated, now)
