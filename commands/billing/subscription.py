"""The subscription decider: a recruiter's plan and Stripe's view of its subscription (domain §3.4, §4.5, §8.2).

One stream per user, `subscription-<user_id>`.

    (none) ─activate→ active ─change plan→ active (another tier or period)
                        │  ↕ Stripe's webhooks copy its status verbatim (past_due, trialing, incomplete, ...)
                        └─cancel→ canceled (entitlements run until cancel_at) ─activate→ active

Decisions where domain.md is silent or inconsistent:
- A free plan (`starter`) has no Stripe subscription; a paid one (`pro`, `partner`) always has one, so
  activating or changing to a paid tier without a Stripe subscription is Invalid.
- Activating while another subscription is current (neither canceled nor `incomplete_expired`, the two
  statuses Stripe never leaves) is a Conflict: the plan is changed
  instead. The free plan is the exception: it has nothing in Stripe to change, so activating a paid
  subscription over it is the upgrade (even when that subscription's webhook came first and its id is
  already known). Activating the current one again (same Stripe subscription and tier, or for the free
  plan the same tier) records nothing.
- Every event sets the status it carries, last writer wins in stream order; a plan change keeps the status.
- `SyncSubscription` is Stripe's view from a webhook. It is recorded only when observed later than the
  last applied one (out of order deliveries: the newest stands), and only for the current Stripe
  subscription, or when none is recorded yet (the webhook may come before our own record). A period
  missing from the view keeps the one known; `cancel_at` and `canceled_at` are copied as they are (Stripe
  clears them when a cancellation is undone). Activating a new Stripe subscription restarts the clock.
- The tier in force (`effective_tier`) is the plan's while it is active, trialing or past due, and after a
  cancellation until `cancel_at`; otherwise, and without a subscription, it is `starter`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints, model_validator

from commands.billing.events import (
    BillingPeriod,
    PlanTier,
    SubscriptionActivated,
    SubscriptionCanceled,
    SubscriptionCustomerCreated,
    SubscriptionPlanChanged,
    SubscriptionStatus,
    SubscriptionSynced,
)
from commands.core import Command, Conflict, Decider, Invalid, NotFound, RuleViolation

PAID_TIERS: frozenset[PlanTier] = frozenset({"pro", "partner"})
ENTITLED: frozenset[SubscriptionStatus] = frozenset({"active", "trialing", "past_due"})
# Statuses a subscription never leaves in Stripe: a new one is activated instead.
ENDED: frozenset[SubscriptionStatus] = frozenset({"canceled", "incomplete_expired"})

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
StripeId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _check_period(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError("current_period_end is before current_period_start")


class _SubscriptionCommand(Command):
    user_id: UUID
    at: AwareDatetime


class RecordSubscriptionCustomer(_SubscriptionCommand):
    stripe_customer_id: StripeId
    by: Actor


class ActivateSubscription(_SubscriptionCommand):
    tier: PlanTier
    billing_period: BillingPeriod = "monthly"
    status: SubscriptionStatus = "active"
    stripe_subscription_id: StripeId | None = None
    stripe_subscription_item_id: StripeId | None = None
    stripe_price_id: StripeId | None = None
    current_period_start: AwareDatetime | None = None
    current_period_end: AwareDatetime | None = None
    by: Actor

    @model_validator(mode="after")
    def _period(self) -> Self:
        _check_period(self.current_period_start, self.current_period_end)
        return self


class ChangeSubscriptionPlan(_SubscriptionCommand):
    to_tier: PlanTier
    billing_period: BillingPeriod
    stripe_price_id: StripeId | None = None
    by: Actor


class CancelSubscription(_SubscriptionCommand):
    """Stripe stops the subscription at `cancel_at` (the period's end); the entitlements last until then."""

    cancel_at: AwareDatetime | None = None
    by: Actor


class SyncSubscription(_SubscriptionCommand):
    """Stripe's view of the subscription, from a `customer.subscription.*` webhook observed at `observed_at`."""

    stripe_subscription_id: StripeId
    status: SubscriptionStatus
    current_period_start: AwareDatetime | None = None
    current_period_end: AwareDatetime | None = None
    cancel_at: AwareDatetime | None = None
    canceled_at: AwareDatetime | None = None
    stripe_event_id: StripeId
    observed_at: AwareDatetime

    @model_validator(mode="after")
    def _period(self) -> Self:
        _check_period(self.current_period_start, self.current_period_end)
        return self


SubscriptionCommand = (
    RecordSubscriptionCustomer | ActivateSubscription | ChangeSubscriptionPlan | CancelSubscription | SyncSubscription
)
SubscriptionEvent = (
    SubscriptionCustomerCreated | SubscriptionActivated | SubscriptionPlanChanged | SubscriptionCanceled
    | SubscriptionSynced
)


@dataclass(frozen=True)
class Subscription:
    exists: bool = False  # a subscription has been activated
    user_id: UUID | None = None
    tier: PlanTier | None = None
    billing_period: BillingPeriod | None = None
    status: SubscriptionStatus | None = None
    stripe_customer_id: str | None = None
    stripe_subscription_id: str | None = None
    stripe_subscription_item_id: str | None = None
    stripe_price_id: str | None = None
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    last_observed_at: datetime | None = None

    @property
    def current(self) -> bool:
        """Activated and not ended (canceled, or expired before its first payment)."""
        return self.exists and self.status not in ENDED


def effective_tier(state: Subscription, now: datetime) -> PlanTier:
    """The tier whose entitlements and rates apply to the user at `now`."""
    if not state.exists or state.tier is None:
        return "starter"
    if state.status in ENTITLED:
        return state.tier
    if state.status == "canceled" and state.cancel_at is not None and now < state.cancel_at:
        return state.tier
    return "starter"


def initial_state() -> Subscription:
    return Subscription()


def evolve(s: Subscription, e: SubscriptionEvent) -> Subscription:
    match e:
        case SubscriptionCustomerCreated():
            return replace(s, user_id=e.user_id, stripe_customer_id=e.stripe_customer_id)
        case SubscriptionActivated():
            same_stripe = e.stripe_subscription_id is not None and e.stripe_subscription_id == s.stripe_subscription_id
            return replace(
                s, exists=True, user_id=e.user_id, tier=e.tier, billing_period=e.billing_period, status=e.status,
                stripe_subscription_id=e.stripe_subscription_id,
                stripe_subscription_item_id=e.stripe_subscription_item_id, stripe_price_id=e.stripe_price_id,
                current_period_start=e.current_period_start or (s.current_period_start if same_stripe else None),
                current_period_end=e.current_period_end or (s.current_period_end if same_stripe else None),
                cancel_at=None, canceled_at=None, last_observed_at=s.last_observed_at if same_stripe else None,
            )
        case SubscriptionPlanChanged():
            return replace(s, tier=e.to_tier, billing_period=e.billing_period, stripe_price_id=e.stripe_price_id)
        case SubscriptionCanceled():
            return replace(s, status="canceled", cancel_at=e.cancel_at, canceled_at=e.at)
        case SubscriptionSynced():
            return replace(
                s, user_id=e.user_id, stripe_subscription_id=e.stripe_subscription_id, status=e.status,
                current_period_start=e.current_period_start or s.current_period_start,
                current_period_end=e.current_period_end or s.current_period_end,
                cancel_at=e.cancel_at, canceled_at=e.canceled_at, last_observed_at=e.observed_at,
            )
        case _:
            return s


def decide(cmd: SubscriptionCommand, s: Subscription) -> list[SubscriptionEvent]:
    match cmd:
        case RecordSubscriptionCustomer() if s.stripe_customer_id == cmd.stripe_customer_id:
            return []
        case RecordSubscriptionCustomer() if s.stripe_customer_id is not None:
            raise Conflict(f"user {cmd.user_id} already has Stripe customer {s.stripe_customer_id}",
                           user_id=str(cmd.user_id), stripe_customer_id=s.stripe_customer_id)
        case RecordSubscriptionCustomer():
            return [SubscriptionCustomerCreated(**cmd.model_dump())]
        case ActivateSubscription():
            return _activate(cmd, s)
        case SyncSubscription():
            return _sync(cmd, s)
        case _ if not s.exists:
            raise NotFound(f"user {cmd.user_id} has no subscription", user_id=str(cmd.user_id))
        case ChangeSubscriptionPlan() if not s.current:
            raise RuleViolation(f"the subscription of user {cmd.user_id} is {s.status}: a new one is activated "
                                "instead", user_id=str(cmd.user_id), subscription_status=s.status)
        case ChangeSubscriptionPlan() if (cmd.to_tier, cmd.billing_period) == (s.tier, s.billing_period):
            return []
        case ChangeSubscriptionPlan() if cmd.to_tier in PAID_TIERS and s.stripe_subscription_id is None:
            raise Invalid(f"the {cmd.to_tier} plan is paid: it is activated with a Stripe subscription",
                          user_id=str(cmd.user_id), tier=cmd.to_tier)
        case ChangeSubscriptionPlan():
            assert s.tier is not None
            return [SubscriptionPlanChanged(user_id=cmd.user_id, from_tier=s.tier, to_tier=cmd.to_tier,
                                            billing_period=cmd.billing_period, stripe_price_id=cmd.stripe_price_id,
                                            by=cmd.by, at=cmd.at)]
        case CancelSubscription() if s.status == "canceled":
            return []
        case CancelSubscription():
            return [SubscriptionCanceled(**cmd.model_dump())]
        case _:
            raise TypeError(f"the subscription decider has no case for {type(cmd).__name__}")


def _activate(cmd: ActivateSubscription, s: Subscription) -> list[SubscriptionEvent]:
    if cmd.tier in PAID_TIERS and cmd.stripe_subscription_id is None:
        raise Invalid(f"the {cmd.tier} plan is paid: it needs a Stripe subscription", user_id=str(cmd.user_id),
                      tier=cmd.tier)
    if s.current:
        same_stripe = cmd.stripe_subscription_id == s.stripe_subscription_id
        if same_stripe and cmd.tier == s.tier:
            return []  # the current subscription, activated again
        upgrade_from_free = s.stripe_subscription_id is None and cmd.stripe_subscription_id is not None
        if not (upgrade_from_free or (same_stripe and cmd.stripe_subscription_id is not None)):
            raise Conflict(
                f"user {cmd.user_id} already has a current {s.tier} subscription: its plan is changed instead",
                user_id=str(cmd.user_id), current_tier=s.tier, stripe_subscription_id=s.stripe_subscription_id,
            )
    return [SubscriptionActivated(**cmd.model_dump())]


def _sync(cmd: SyncSubscription, s: Subscription) -> list[SubscriptionEvent]:
    if s.last_observed_at is not None and cmd.observed_at < s.last_observed_at:
        return []  # an older view than the one applied: the newest stands
    if cmd.observed_at == s.last_observed_at and (cmd.status, cmd.current_period_end, cmd.cancel_at) == (
            s.status, s.current_period_end, s.cancel_at):
        return []  # the view applied already; a different view of the same second is the later one
    if s.stripe_subscription_id is not None and cmd.stripe_subscription_id != s.stripe_subscription_id:
        return []  # a subscription that is no longer (or not yet) the user's
    return [SubscriptionSynced(**cmd.model_dump())]


subscription: Decider[SubscriptionCommand, SubscriptionEvent, Subscription] = Decider(
    "subscription", initial_state, evolve, decide,
    events=(SubscriptionCustomerCreated, SubscriptionActivated, SubscriptionPlanChanged, SubscriptionCanceled,
            SubscriptionSynced),
)
