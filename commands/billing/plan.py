"""The plan decider: a plan's prices and entitlements, and the versions of its split rates (domain §3.4, §5.3, §13).

One stream per plan, `plan-<tier>` (`starter`, `pro`, `partner`).

Decisions where domain.md is silent or inconsistent:
- `DefinePlan` is the start-up seed: the first one records the plan, any later one records nothing, even
  with other values, so a restart never undoes what `UpdatePlan` changed since.
- `UpdatePlan` names only the fields it changes; `PlanUpdated.changes` holds those that really differ (a
  given field equal to the current value is left out, and nothing differing records nothing). A given
  `entitlements` or `features` replaces the whole map or list. A Stripe price id cannot be cleared this way.
- Rates are basis points (2000 = 20%), each 0..10 000 and their sum at most 10 000 (the platform keeps the
  rest). The original closed the old row and inserted a new one; here each `SplitsRatesSet` is a version
  (1, 2, ...) in force from its `effective_from` until the next version's. A version may not start before
  the latest one (history is not rewritten); one starting at the same instant corrects it and wins.
- `SetSplitsRates` identical to the latest version (rates and `effective_from`) records nothing. With
  `only_if_unset` (the seed's) it records nothing once the plan has any rates, so a restart does not
  collide with rates an admin set since.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from commands.billing.events import (
    EntitlementValue,
    PlanDefined,
    PlanTier,
    PlanUpdated,
    SplitsRatesSet,
)
from commands.billing.placement_events import Role
from commands.core import Command, Decider, NotFound, RuleViolation

BPS = 10_000
RATE_FIELDS: Mapping[Role, str] = {
    "candidate_recruiter": "candidate_recruiter_bps",
    "job_owner": "job_owner_bps",
    "company_recruiter": "company_recruiter_bps",
    "candidate_sourcer": "candidate_sourcer_bps",
    "company_sourcer": "company_sourcer_bps",
}
# The fields of a plan UpdatePlan may change, in the order they appear in `PlanUpdated.changes`.
UPDATABLE = ("name", "price_monthly_cents", "price_annual_cents", "trial_days", "entitlements", "features",
             "stripe_price_id_monthly", "stripe_price_id_annual", "active")

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Cents = Annotated[int, Field(ge=0)]
Days = Annotated[int, Field(ge=0)]
Bps = Annotated[int, Field(ge=0, le=BPS)]


def _check_entitlements(value: dict[str, EntitlementValue]) -> dict[str, EntitlementValue]:
    for key, v in value.items():
        if not key.strip():
            raise ValueError("an entitlement needs a name")
        if type(v) is int and v < 0:
            raise ValueError(f"entitlement {key} cannot be negative")
    return value


Entitlements = Annotated[dict[str, EntitlementValue], AfterValidator(_check_entitlements)]


class _PlanCommand(Command):
    tier: PlanTier
    by: Actor
    at: AwareDatetime


class DefinePlan(_PlanCommand):
    """The start-up seed of a plan: recorded the first time, a no-op once the plan exists."""

    name: Text
    price_monthly_cents: Cents
    price_annual_cents: Cents
    trial_days: Days
    entitlements: Entitlements
    features: list[Text] = Field(default_factory=list)
    stripe_price_id_monthly: Text | None = None
    stripe_price_id_annual: Text | None = None
    active: bool = True


class UpdatePlan(_PlanCommand):
    """Changes the given (non-None) fields of a plan."""

    name: Text | None = None
    price_monthly_cents: Cents | None = None
    price_annual_cents: Cents | None = None
    trial_days: Days | None = None
    entitlements: Entitlements | None = None
    features: list[Text] | None = None
    stripe_price_id_monthly: Text | None = None
    stripe_price_id_annual: Text | None = None
    active: bool | None = None


class SetSplitsRates(_PlanCommand):
    """A new version of the plan's split rates, in force from `effective_from`."""

    effective_from: AwareDatetime
    candidate_recruiter_bps: Bps
    job_owner_bps: Bps
    company_recruiter_bps: Bps
    candidate_sourcer_bps: Bps
    company_sourcer_bps: Bps
    only_if_unset: bool = False

    @model_validator(mode="after")
    def _at_most_the_whole_fee(self) -> Self:
        total = sum(getattr(self, name) for name in RATE_FIELDS.values())
        if total > BPS:
            raise ValueError(f"the rates add up to {total} basis points, more than the whole fee ({BPS})")
        return self


PlanCommand = DefinePlan | UpdatePlan | SetSplitsRates
PlanEvent = PlanDefined | PlanUpdated | SplitsRatesSet


@dataclass(frozen=True)
class Plan:
    exists: bool = False
    tier: PlanTier | None = None
    name: str | None = None
    price_monthly_cents: int = 0
    price_annual_cents: int = 0
    trial_days: int = 0
    entitlements: Mapping[str, EntitlementValue] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    stripe_price_id_monthly: str | None = None
    stripe_price_id_annual: str | None = None
    active: bool = False
    rates: tuple[SplitsRatesSet, ...] = ()

    @property
    def latest_rates(self) -> SplitsRatesSet | None:
        return self.rates[-1] if self.rates else None


def rates_at(plan_state: Plan, when: datetime) -> SplitsRatesSet | None:
    """The version of the plan's rates in force at `when`: the latest whose `effective_from` ≤ `when`."""
    in_force = [r for r in plan_state.rates if r.effective_from <= when]
    return max(in_force, key=lambda r: r.version) if in_force else None


def rate_bps(rates: SplitsRatesSet, role: Role) -> int:
    """The rate of one of the five roles, in basis points."""
    if role not in RATE_FIELDS:
        raise ValueError(f"{role!r} is not a commission role")
    return int(getattr(rates, RATE_FIELDS[role]))


def initial_state() -> Plan:
    return Plan()


def evolve(s: Plan, e: PlanEvent) -> Plan:
    match e:
        case PlanDefined():
            return Plan(exists=True, tier=e.tier, name=e.name, price_monthly_cents=e.price_monthly_cents,
                        price_annual_cents=e.price_annual_cents, trial_days=e.trial_days,
                        entitlements=dict(e.entitlements), features=tuple(e.features),
                        stripe_price_id_monthly=e.stripe_price_id_monthly,
                        stripe_price_id_annual=e.stripe_price_id_annual, active=e.active, rates=s.rates)
        case PlanUpdated():
            changes: dict[str, Any] = {k: v for k, v in e.changes.items() if k in UPDATABLE}
            if "features" in changes:
                changes["features"] = tuple(changes["features"])
            if "entitlements" in changes:
                changes["entitlements"] = dict(changes["entitlements"])
            return replace(s, **changes)
        case SplitsRatesSet():
            return replace(s, rates=(*s.rates, e))
        case _:
            return s


def decide(cmd: PlanCommand, s: Plan) -> list[PlanEvent]:
    match cmd:
        case DefinePlan() if s.exists:
            return []  # the seed again: what UpdatePlan changed since stands
        case DefinePlan():
            return [PlanDefined(**cmd.model_dump())]
        case _ if not s.exists:
            raise NotFound(f"plan {cmd.tier} does not exist", tier=cmd.tier)
        case UpdatePlan():
            changes = _changes(cmd, s)
            return [PlanUpdated(tier=cmd.tier, changes=changes, by=cmd.by, at=cmd.at)] if changes else []
        case SetSplitsRates():
            return _set_rates(cmd, s)
        case _:
            raise TypeError(f"the plan decider has no case for {type(cmd).__name__}")


def _canonical(value: object) -> str:
    """A comparison that tells True from 1 and ignores the order of a map's keys (not of a list's items)."""
    return json.dumps(value, sort_keys=True, default=str)


def _changes(cmd: UpdatePlan, s: Plan) -> dict[str, Any]:
    given = {name: getattr(cmd, name) for name in UPDATABLE if getattr(cmd, name) is not None}
    return {name: value for name, value in given.items() if _canonical(value) != _canonical(getattr(s, name))}


def _set_rates(cmd: SetSplitsRates, s: Plan) -> list[PlanEvent]:
    latest = s.latest_rates
    rates = {name: getattr(cmd, name) for name in RATE_FIELDS.values()}
    if latest is not None:
        if cmd.only_if_unset:
            return []
        if cmd.effective_from == latest.effective_from and all(getattr(latest, k) == v for k, v in rates.items()):
            return []
        if cmd.effective_from < latest.effective_from:
            raise RuleViolation(
                f"rates of plan {cmd.tier} cannot take effect on {cmd.effective_from.isoformat()}, before version "
                f"{latest.version} (from {latest.effective_from.isoformat()})",
                tier=cmd.tier, latest_version=latest.version, latest_effective_from=latest.effective_from.isoformat(),
            )
    version = latest.version + 1 if latest is not None else 1
    return [SplitsRatesSet(tier=cmd.tier, version=version, effective_from=cmd.effective_from, **rates, by=cmd.by,
                           at=cmd.at)]


plan: Decider[PlanCommand, PlanEvent, Plan] = Decider(
    "plan", initial_state, evolve, decide, events=(PlanDefined, PlanUpdated, SplitsRatesSet)
)
