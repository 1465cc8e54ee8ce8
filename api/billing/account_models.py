"""Request and response bodies of the plan, subscription, billing profile and Connect routes.

Rates travel as percentages with two decimals (as the firm take rate does) and are kept as basis points."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.bounds import MAX_COUNT, Cents, Email, Flag, Line, Moment, StripeId, Tag, percentage, whole
from api.responses import CommandResponse, ListOf
from commands.billing.events import BillingPeriod, BillingTerms, EntitlementValue, PlanTier

Percentage = percentage()
Text = Line
TrialDays = whole(0, 365)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# An entitlement: a switch, a count, or a word; null is unlimited.
Entitlements = Annotated[
    dict[Tag, Flag | whole(0, MAX_COUNT) | Tag | None],  # type: ignore[misc]
    Field(max_length=100),
]


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PlanOut(_Row):
    tier: PlanTier
    name: str
    price_monthly_cents: int
    price_annual_cents: int
    trial_days: int
    entitlements: dict[str, EntitlementValue]
    features: list[str]
    active: bool


class PlanList(ListOf[PlanOut]):
    pass


class PlanEnvelope(BaseModel):
    data: PlanOut


class UpdatePlanBody(_Body):
    name: Text | None = None
    price_monthly_cents: Cents | None = None
    price_annual_cents: Cents | None = None
    trial_days: TrialDays | None = None
    entitlements: Entitlements | None = None
    features: Annotated[list[Text], Field(max_length=50)] | None = None
    stripe_price_id_monthly: StripeId | None = None
    stripe_price_id_annual: StripeId | None = None
    active: Flag | None = None


class RatesOut(_Row):
    tier: PlanTier
    version: int
    effective_from: datetime
    effective_to: datetime | None
    candidate_recruiter_bps: int
    job_owner_bps: int
    company_recruiter_bps: int
    candidate_sourcer_bps: int
    company_sourcer_bps: int
    total_bps: int
    platform_remainder_bps: int = 0

    @model_validator(mode="after")
    def _remainder(self) -> RatesOut:
        self.platform_remainder_bps = 10_000 - self.total_bps
        return self


class RatesList(ListOf[RatesOut]):
    pass


class PlanWritten(CommandResponse):
    """A plan's stream is named by its tier, which is the `id` here."""

    id: PlanTier  # type: ignore[assignment]


class SetRatesBody(_Body):
    """Percentages of the placement fee per role; they may add up to at most 100. A new version in force
    from `effective_from` (now when omitted); the current one ends then."""

    candidate_recruiter_rate: Percentage
    job_owner_rate: Percentage
    company_recruiter_rate: Percentage
    candidate_sourcer_rate: Percentage
    company_sourcer_rate: Percentage
    effective_from: Moment | None = None


class EntitlementsOut(BaseModel):
    tier: PlanTier
    subscription_status: str | None
    entitlements: dict[str, EntitlementValue]


class SubscriptionOut(BaseModel):
    user_id: Any
    tier: PlanTier
    effective_tier: PlanTier
    billing_period: str | None
    status: str | None
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at: datetime | None
    canceled_at: datetime | None
    simulated: bool = False


class SubscriptionEnvelope(BaseModel):
    data: SubscriptionOut


class SubscriptionWritten(CommandResponse):
    """A command's answer (the user's id, the stream's version, the consistency token) with the subscription."""

    data: SubscriptionOut


class SubscribeBody(_Body):
    tier: PlanTier
    billing_period: BillingPeriod = "monthly"
    payment_method_id: StripeId | None = None


class ChangePlanBody(_Body):
    tier: PlanTier
    billing_period: BillingPeriod = "monthly"


class SetupIntentOut(BaseModel):
    setup_intent_id: str
    client_secret: str
    stripe_customer_id: str


class SetupIntentWritten(CommandResponse):
    """A SetupIntent for the portal's card form, under `data`, beside the subscription's or billing profile's id,
    version and consistency token (asking for one may first create the Stripe customer, which is a write)."""

    data: SetupIntentOut


class BillingProfileBody(_Body):
    billing_terms: BillingTerms = "immediate"
    billing_email: Email
    billing_contact_name: Text | None = None
    tax_id: Text | None = None
    address: Annotated[dict[Tag, Text], Field(max_length=20)] | None = None


class PaymentMethodBody(_Body):
    payment_method_id: StripeId


class BillingProfileOut(BaseModel):
    owner_kind: str
    owner_id: Any
    billing_terms: str | None
    billing_email: str | None
    billing_contact_name: str | None
    tax_id: str | None
    address: dict[str, Any] | None
    stripe_customer_id: str | None
    payment_method_id: str | None
    ready: bool
    missing: list[str]


class BillingProfileEnvelope(BaseModel):
    data: BillingProfileOut


class BillingProfileWritten(CommandResponse):
    """A command's answer (the owner's id, the stream's version, the consistency token) with the profile."""

    data: BillingProfileOut


class ReadinessOut(BaseModel):
    ready: bool
    missing: list[str]


class ReadinessEnvelope(BaseModel):
    data: ReadinessOut


class ConnectAccountOut(BaseModel):
    payee_kind: str
    payee_id: Any
    stripe_account_id: str | None
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    onboarded: bool
    simulated: bool = False


class ConnectAccountEnvelope(BaseModel):
    data: ConnectAccountOut


class ConnectAccountWritten(CommandResponse):
    """A command's answer (the payee's id, the stream's version, the consistency token) with the account."""

    data: ConnectAccountOut


class OnboardingLinkOut(BaseModel):
    url: str
