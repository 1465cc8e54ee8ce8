"""The billing context's account events: plans and their split rates, recruiter subscriptions, billing profiles
of companies and firms, Stripe Connect accounts, and the record of every Stripe webhook (domain §3.4, §4.5, §13).

Money is integer cents and rates integer basis points (2000 = 20%). A plan is named by its tier
(`starter`, `pro`, `partner`), which is also its stream's entity id. The events of a placement's money
(snapshot, splits, invoice, payouts, holds, disputes) are in `placement_events`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from commands.core import Event, Personal
from commands.identity.events import Json

PlanTier = Literal["starter", "pro", "partner"]
BillingPeriod = Literal["monthly", "annual"]
# Stripe's subscription statuses, copied verbatim from its webhooks, and `canceled` when cancelled here.
SubscriptionStatus = Literal[
    "active", "trialing", "past_due", "incomplete", "incomplete_expired", "unpaid", "canceled", "paused"
]
BillingTerms = Literal["immediate", "net_30", "net_60", "net_90"]
BillingOwnerKind = Literal["company", "firm"]
PayeeKind = Literal["recruiter", "firm"]
EntitlementValue = bool | int | str | None  # None: unlimited


# --- plans and rates ------------------------------------------------------------------------------------

class PlanDefined(Event):
    """A plan and its entitlements (domain §13). Seeded at start-up; defining it again with other values
    is a PlanUpdated."""

    tier: PlanTier
    name: str
    price_monthly_cents: int
    price_annual_cents: int
    trial_days: int
    entitlements: dict[str, EntitlementValue]
    features: list[str]
    stripe_price_id_monthly: str | None
    stripe_price_id_annual: str | None
    active: bool
    by: str
    at: datetime

    not_personal = frozenset({"name"})  # the plan's name


class PlanUpdated(Event):
    tier: PlanTier
    changes: dict[str, Json]
    by: str
    at: datetime

    not_personal = frozenset({"changes"})  # the plan's own fields (see PlanDefined)


class SplitsRatesSet(Event):
    """A new version of a plan's split rates, in force from `effective_from` until the next version's.
    Each rate is the share of the placement fee the holder of that role earns when on this plan."""

    tier: PlanTier
    version: int
    effective_from: datetime
    candidate_recruiter_bps: int
    job_owner_bps: int
    company_recruiter_bps: int
    candidate_sourcer_bps: int
    company_sourcer_bps: int
    by: str
    at: datetime


# --- subscriptions ---------------------------------------------------------------------------------------

class SubscriptionCustomerCreated(Event):
    user_id: UUID
    stripe_customer_id: str
    by: str
    at: datetime


class SubscriptionActivated(Event):
    """The user is on `tier`. A free plan has no Stripe subscription."""

    user_id: UUID
    tier: PlanTier
    billing_period: BillingPeriod
    status: SubscriptionStatus
    stripe_subscription_id: str | None
    stripe_subscription_item_id: str | None
    stripe_price_id: str | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    by: str
    at: datetime


class SubscriptionPlanChanged(Event):
    user_id: UUID
    from_tier: PlanTier
    to_tier: PlanTier
    billing_period: BillingPeriod
    stripe_price_id: str | None
    by: str
    at: datetime


class SubscriptionCanceled(Event):
    """Cancelled by the user: Stripe stops at the period's end, when the entitlements end too."""

    user_id: UUID
    cancel_at: datetime | None
    by: str
    at: datetime


class SubscriptionSynced(Event):
    """Stripe's view of the subscription, from a `customer.subscription.*` webhook. Only a view newer than
    the last one applied is recorded, so webhooks arriving out of order leave the newest standing."""

    user_id: UUID
    stripe_subscription_id: str
    status: SubscriptionStatus
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at: datetime | None
    canceled_at: datetime | None
    stripe_event_id: str
    observed_at: datetime
    at: datetime


# --- billing profiles (companies and firms) ----------------------------------------------------------------

class BillingProfileSaved(Event):
    owner_kind: BillingOwnerKind
    owner_id: UUID
    billing_terms: BillingTerms
    billing_email: str
    billing_contact_name: str | None
    tax_id: str | None
    address: dict[str, Json] | None
    by: str
    at: datetime

    # The contact's email and name, and a firm's tax id and address, which for a one-person firm are its owner's.
    personal = Personal(("billing_email", "billing_contact_name", "tax_id", "address"), kind="billing", key="owner_id")


class BillingCustomerAttached(Event):
    owner_kind: BillingOwnerKind
    owner_id: UUID
    stripe_customer_id: str
    by: str
    at: datetime


class BillingPaymentMethodAttached(Event):
    owner_kind: BillingOwnerKind
    owner_id: UUID
    payment_method_id: str
    by: str
    at: datetime


class BillingPaymentMethodRemoved(Event):
    owner_kind: BillingOwnerKind
    owner_id: UUID
    payment_method_id: str
    by: str
    at: datetime


class BillingCustomerDeleted(Event):
    owner_kind: BillingOwnerKind
    owner_id: UUID
    stripe_customer_id: str
    by: str
    at: datetime


class BillingReadinessChanged(Event):
    """Whether the owner's jobs may leave draft: billing email, Stripe customer and default payment method
    all present. Recorded with the change that flipped it; `missing` names what is lacking."""

    owner_kind: BillingOwnerKind
    owner_id: UUID
    ready: bool
    missing: list[str]
    at: datetime


# --- Stripe Connect accounts (recruiters and firms) ---------------------------------------------------------

class ConnectAccountCreated(Event):
    payee_kind: PayeeKind
    payee_id: UUID
    stripe_account_id: str
    by: str
    at: datetime


class ConnectAccountSynced(Event):
    """Stripe's view of the account from `account.updated`, newer than the last one applied."""

    payee_kind: PayeeKind
    payee_id: UUID
    stripe_account_id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    stripe_event_id: str
    observed_at: datetime
    at: datetime


class ConnectAccountOnboarded(Event):
    """Charges, payouts and details are all enabled: transfers to this account may be made."""

    payee_kind: PayeeKind
    payee_id: UUID
    stripe_account_id: str
    at: datetime


class ConnectAccountDisabled(Event):
    payee_kind: PayeeKind
    payee_id: UUID
    stripe_account_id: str
    reason: str
    at: datetime

    not_personal = frozenset({"reason"})  # Stripe's reason code for the disabled account


# --- Stripe webhooks --------------------------------------------------------------------------------------

def stripe_payload_subject(data: Mapping[str, Any]) -> str:
    """Whose data a Stripe event holds: the connected account it happened on, else the account or customer its
    object is or belongs to (`stripe:<id>`), else the event itself (`stripewebhook:<event id>`: the platform's own
    balance and payouts), so that every payload is sealed under some key."""
    payload = data.get("payload")
    inner = payload.get("data") if isinstance(payload, Mapping) else None
    obj = inner.get("object") if isinstance(inner, Mapping) else None
    obj = obj if isinstance(obj, Mapping) else {}
    customer = obj.get("customer")
    if isinstance(customer, Mapping):  # an expanded customer
        customer = customer.get("id")
    destination = obj.get("destination")
    for ident in (
        data.get("account"),
        obj.get("id") if obj.get("object") in ("account", "customer") else None,
        customer,
        destination if isinstance(destination, str) and destination.startswith("acct_") else None,
    ):
        if isinstance(ident, str) and ident:
            return f"stripe:{ident}"
    return f"stripewebhook:{data.get('stripe_event_id')}"


class StripeWebhookReceived(Event):
    """A verified Stripe event, as delivered (floats, which jsonb would not keep exactly, as their text)."""

    stripe_event_id: str
    event_type: str
    api_version: str | None
    livemode: bool
    account: str | None
    created: datetime
    payload: dict[str, Json]
    received_at: datetime

    personal = Personal(("payload",), subject_of_data=stripe_payload_subject)


class StripeWebhookProcessed(Event):
    stripe_event_id: str
    outcome: Literal["processed", "ignored"]
    reason: str | None
    at: datetime

    not_personal = frozenset({"reason"})  # our own account of the outcome, not the payload
