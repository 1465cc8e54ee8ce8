"""The plan catalogue: the three plans, their entitlements and their first split rates, as seed commands
(domain §3.4, §5.3, §13). Pure data: sending the commands is the start-up's job.

Seeding is safe to repeat: `DefinePlan` records nothing once the plan exists, and the rates are sent
`only_if_unset`, so a restart leaves what admins changed since as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from commands.billing.events import EntitlementValue, PlanTier
from commands.billing.plan import DefinePlan, SetSplitsRates
from commands.core import Command

SEED_ACTOR: Final = "system:seed"
TIERS: tuple[PlanTier, ...] = ("starter", "pro", "partner")
RATES_V1_EFFECTIVE_FROM: Final = datetime(2026, 1, 1, tzinfo=UTC)

# Every entitlement of every plan; None means unlimited.
_ENTITLEMENTS: Mapping[str, tuple[EntitlementValue, EntitlementValue, EntitlementValue]] = {
    "messaging_initiations_per_month": (5, None, None),
    "max_saved_candidates": (10, 100, None),
    "max_saved_jobs": (10, 50, None),
    "max_referral_codes": (1, 5, None),
    "email_notifications": (False, True, True),
    "email_integration": (False, True, True),
    "calendar_integration": (False, True, True),
    "early_access_roles": (False, True, True),
    "call_recording": (False, True, True),
    "call_transcription": (False, True, True),
    "advanced_analytics": (False, True, True),
    "data_export": (False, True, True),
    "priority_roles": (False, False, True),
    "ai_match_scoring": (False, False, True),
    "ai_call_summary": (False, False, True),
    "firm_creation": (False, False, True),
    "api_access": (False, False, True),
    "marketplace_priority": ("standard", "boosted", "featured"),
}
ENTITLEMENT_KEYS: tuple[str, ...] = tuple(_ENTITLEMENTS)


def default_entitlements(tier: PlanTier) -> dict[str, EntitlementValue]:
    """The seeded entitlements of a plan (a new dict each call)."""
    column = TIERS.index(tier)
    return {key: values[column] for key, values in _ENTITLEMENTS.items()}


# name, monthly cents, annual cents, trial days (domain §3.4, §13: the Partner trial is configured, though paid
# activation charges at once).
PLANS: Mapping[PlanTier, tuple[str, int, int, int]] = {
    "starter": ("Starter", 0, 0, 0),
    "pro": ("Pro", 9_900, 99_900, 0),
    "partner": ("Partner", 24_900, 249_900, 14),
}
DEFAULT_PRICE_IDS: Mapping[PlanTier, tuple[str | None, str | None]] = {
    "starter": (None, None),
    "pro": ("price_pro_monthly", "price_pro_annual"),
    "partner": ("price_partner_monthly", "price_partner_annual"),
}
FEATURES: Mapping[PlanTier, tuple[str, ...]] = {
    "starter": (
        "Access to the split-fee marketplace",
        "5 new conversations a month",
        "Save up to 10 candidates and 10 jobs",
        "20% of the fee as the candidate's recruiter",
    ),
    "pro": (
        "Unlimited conversations",
        "Early access to new roles",
        "Email and calendar integration",
        "Call recording, transcripts and analytics",
        "30% of the fee as the candidate's recruiter",
    ),
    "partner": (
        "Everything in Pro",
        "Priority roles and featured marketplace placement",
        "AI match scoring and call summaries",
        "Create a firm; API access",
        "40% of the fee as the candidate's recruiter",
    ),
}
# Version 1 of the rates in basis points (domain §5.3): candidate recruiter, job owner, company recruiter,
# candidate sourcer, company sourcer.
RATES_V1: Mapping[PlanTier, tuple[int, int, int, int, int]] = {
    "starter": (2000, 1000, 1000, 600, 600),
    "pro": (3000, 1500, 1500, 800, 800),
    "partner": (4000, 2000, 2000, 1000, 1000),
}


def seed_commands(
    at: datetime, *, price_ids: Mapping[PlanTier, tuple[str | None, str | None]] | None = None
) -> list[tuple[str, Command]]:
    """(tier, command) for each plan: its DefinePlan, then its version-1 rates. `price_ids` overrides the
    default Stripe price ids (monthly, annual) of the tiers it names."""
    prices = {**DEFAULT_PRICE_IDS, **(price_ids or {})}
    commands: list[tuple[str, Command]] = []
    for tier in TIERS:
        name, monthly, annual, trial_days = PLANS[tier]
        price_monthly, price_annual = prices[tier]
        commands.append((tier, DefinePlan(
            tier=tier, name=name, price_monthly_cents=monthly, price_annual_cents=annual, trial_days=trial_days,
            entitlements=default_entitlements(tier), features=list(FEATURES[tier]),
            stripe_price_id_monthly=price_monthly, stripe_price_id_annual=price_annual, active=True,
            by=SEED_ACTOR, at=at,
        )))
        candidate_recruiter, job_owner, company_recruiter, candidate_sourcer, company_sourcer = RATES_V1[tier]
        commands.append((tier, SetSplitsRates(
            tier=tier, effective_from=RATES_V1_EFFECTIVE_FROM, candidate_recruiter_bps=candidate_recruiter,
            job_owner_bps=job_owner, company_recruiter_bps=company_recruiter, candidate_sourcer_bps=candidate_sourcer,
            company_sourcer_bps=company_sourcer, only_if_unset=True, by=SEED_ACTOR, at=at,
        )))
    return commands
