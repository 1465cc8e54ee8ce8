"""Recruiters' subscriptions: one row per user (domain §3.4, §4.5).

The columns follow the decider's state (commands/billing/subscription.py). A user with a Stripe customer but
no subscription yet (`SubscriptionCustomerCreated` before any activation) has a row on the free `starter` tier
with `status` and `billing_period` NULL: a NULL status means "no subscription", never one of Stripe's statuses.
Every handler upserts, so whichever of a customer, an activation or a Stripe view comes first makes the row (a
Stripe view before any activation leaves the tier `starter`, the tier in force without a subscription).

`synced_at` is the `observed_at` of the Stripe view last applied: a view older than it leaves the row as it is
(the decider records only newer views; the projection keeps to the same rule, so applying the events again
cannot let an older view win). Activating another Stripe subscription starts that clock again.
"""

from __future__ import annotations

from commands.billing.events import (
    SubscriptionActivated,
    SubscriptionCanceled,
    SubscriptionCustomerCreated,
    SubscriptionPlanChanged,
    SubscriptionSynced,
)
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS subscriptions (
        user_id                     uuid PRIMARY KEY,
        tier                        text NOT NULL,
        billing_period              text,
        status                      text,
        stripe_customer_id          text,
        stripe_subscription_id      text,
        stripe_subscription_item_id text,
        stripe_price_id             text,
        current_period_start        timestamptz,
        current_period_end          timestamptz,
        cancel_at                   timestamptz,
        canceled_at                 timestamptz,
        synced_at                   timestamptz,
        created_at                  timestamptz NOT NULL,
        updated_at                  timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS subscriptions_customer_idx ON subscriptions (stripe_customer_id);
    CREATE INDEX IF NOT EXISTS subscriptions_stripe_idx ON subscriptions (stripe_subscription_id);
    """
)


@billing.handles(SubscriptionCustomerCreated)
def _(e: SubscriptionCustomerCreated) -> Sql:
    return Sql(
        "INSERT INTO subscriptions (user_id, tier, stripe_customer_id, created_at, updated_at)"
        " VALUES (%s, 'starter', %s, %s, %s) ON CONFLICT (user_id) DO UPDATE"
        " SET stripe_customer_id = EXCLUDED.stripe_customer_id, updated_at = EXCLUDED.updated_at",
        (e.user_id, e.stripe_customer_id, e.at, e.at),
    )


_ACTIVATED = ("tier", "billing_period", "status", "stripe_subscription_id", "stripe_subscription_item_id",
              "stripe_price_id", "current_period_start", "current_period_end")
_PERIOD = ("current_period_start", "current_period_end")
# The row's Stripe subscription is the one activated (again): its known period and clock carry over.
_SAME = ("EXCLUDED.stripe_subscription_id IS NOT NULL"
         " AND EXCLUDED.stripe_subscription_id = subscriptions.stripe_subscription_id")


@billing.handles(SubscriptionActivated)
def _(e: SubscriptionActivated) -> Sql:
    # As the decider's evolve: an activation (after a cancellation too) starts a subscription with nothing
    # cancelled; a new Stripe subscription also starts Stripe's clock (`synced_at`) and period again.
    assignments = [f"{c} = COALESCE(EXCLUDED.{c}, CASE WHEN {_SAME} THEN subscriptions.{c} END)"
                   if c in _PERIOD else f"{c} = EXCLUDED.{c}" for c in _ACTIVATED]
    return Sql(
        f"INSERT INTO subscriptions (user_id, {', '.join(_ACTIVATED)}, created_at, updated_at)"
        f" VALUES (%(user_id)s, {', '.join(f'%({c})s' for c in _ACTIVATED)}, %(at)s, %(at)s)"
        f" ON CONFLICT (user_id) DO UPDATE SET {', '.join(assignments)}, cancel_at = NULL, canceled_at = NULL,"
        f" synced_at = CASE WHEN {_SAME} THEN subscriptions.synced_at END, updated_at = EXCLUDED.updated_at",
        {**e.model_dump(include={"user_id", *_ACTIVATED}), "at": e.at},
    )


@billing.handles(SubscriptionPlanChanged)
def _(e: SubscriptionPlanChanged) -> Sql:
    return Sql(
        "UPDATE subscriptions SET tier = %s, billing_period = %s, stripe_price_id = %s, updated_at = %s"
        " WHERE user_id = %s",
        (e.to_tier, e.billing_period, e.stripe_price_id, e.at, e.user_id),
    )


@billing.handles(SubscriptionCanceled)
def _(e: SubscriptionCanceled) -> Sql:
    # Cancelled here: `canceled` at once, Stripe stopping at `cancel_at` (domain §4.5); Stripe's later views
    # overwrite the status with its own.
    return Sql(
        "UPDATE subscriptions SET status = 'canceled', cancel_at = %s, canceled_at = %s, updated_at = %s"
        " WHERE user_id = %s",
        (e.cancel_at, e.at, e.at, e.user_id),
    )


_SYNCED = ("stripe_subscription_id", "status", "current_period_start", "current_period_end", "cancel_at",
           "canceled_at")


@billing.handles(SubscriptionSynced)
def _(e: SubscriptionSynced) -> Sql:
    # Stripe's view overwrites ours, but a period it leaves out keeps the one known.
    assignments = [f"{c} = COALESCE(EXCLUDED.{c}, subscriptions.{c})" if c in _PERIOD else f"{c} = EXCLUDED.{c}"
                   for c in _SYNCED]
    return Sql(
        f"INSERT INTO subscriptions (user_id, tier, {', '.join(_SYNCED)}, synced_at, created_at, updated_at)"
        f" VALUES (%(user_id)s, 'starter', {', '.join(f'%({c})s' for c in _SYNCED)}, %(observed_at)s, %(at)s,"
        f" %(at)s) ON CONFLICT (user_id) DO UPDATE SET {', '.join(assignments)}, synced_at = EXCLUDED.synced_at,"
        " updated_at = EXCLUDED.updated_at"
        " WHERE subscriptions.synced_at IS NULL OR subscriptions.synced_at <= EXCLUDED.synced_at",
        {**e.model_dump(include={"user_id", "observed_at", *_SYNCED}), "at": e.at},
    )
