from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from commands.billing.catalogue import (
    ENTITLEMENT_KEYS,
    RATES_V1_EFFECTIVE_FROM,
    default_entitlements,
    seed_commands,
)
from commands.billing.events import PlanDefined, PlanUpdated, SplitsRatesSet
from commands.billing.plan import (
    DefinePlan,
    SetSplitsRates,
    UpdatePlan,
    plan,
    rate_bps,
    rates_at,
)
from commands.core import NotFound, RuleViolation
from tests.unit.dsl import given

ADMIN = "user_admin"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
JAN = datetime(2026, 1, 1, tzinfo=UTC)
JUL = datetime(2026, 7, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
ENTITLEMENTS: dict[str, Any] = {"max_saved_jobs": 50, "api_access": False, "messaging_initiations_per_month": None,
                                "marketplace_priority": "boosted"}
RATES = {"candidate_recruiter_bps": 3000, "job_owner_bps": 1500, "company_recruiter_bps": 1500,
         "candidate_sourcer_bps": 800, "company_sourcer_bps": 800}
ROLES = ("candidate_recruiter", "job_owner", "company_recruiter", "candidate_sourcer", "company_sourcer")


def define(**overrides: Any) -> DefinePlan:
    return DefinePlan(**{"tier": "pro", "name": "Pro", "price_monthly_cents": 9900, "price_annual_cents": 99900,
                         "trial_days": 0, "entitlements": ENTITLEMENTS, "features": ["Unlimited conversations"],
                         "stripe_price_id_monthly": "price_pro_monthly", "stripe_price_id_annual": "price_pro_annual",
                         "active": True, "by": "system:seed", "at": T0} | overrides)


def defined(**overrides: Any) -> PlanDefined:
    return PlanDefined(**{"tier": "pro", "name": "Pro", "price_monthly_cents": 9900, "price_annual_cents": 99900,
                          "trial_days": 0, "entitlements": ENTITLEMENTS, "features": ["Unlimited conversations"],
                          "stripe_price_id_monthly": "price_pro_monthly", "stripe_price_id_annual": "price_pro_annual",
                          "active": True, "by": "system:seed", "at": T0} | overrides)


def update(**fields: Any) -> UpdatePlan:
    return UpdatePlan(**{"tier": "pro", "by": ADMIN, "at": T1} | fields)


def updated(**changes: Any) -> PlanUpdated:
    return PlanUpdated(tier="pro", changes=changes, by=ADMIN, at=T1)


def set_rates(effective_from: datetime = JAN, **overrides: Any) -> SetSplitsRates:
    return SetSplitsRates(**{"tier": "pro", "effective_from": effective_from, **RATES, "by": ADMIN, "at": T1}
                          | overrides)


def rates_set(version: int = 1, effective_from: datetime = JAN, **overrides: Any) -> SplitsRatesSet:
    return SplitsRatesSet(**{"tier": "pro", "version": version, "effective_from": effective_from, **RATES,
                             "by": ADMIN, "at": T1} | overrides)


# --- defining ----------------------------------------------------------------------------------------------

def test_first_definition_records_the_plan():
    given(plan).when(define()).then(defined())


def test_state_holds_the_defined_plan():
    state = given(plan, defined()).state
    assert (state.exists, state.tier, state.name, state.active) == (True, "pro", "Pro", True)
    assert (state.price_monthly_cents, state.price_annual_cents, state.trial_days) == (9900, 99900, 0)
    assert (state.entitlements, state.features) == (ENTITLEMENTS, ("Unlimited conversations",))
    assert (state.stripe_price_id_monthly, state.stripe_price_id_annual) == ("price_pro_monthly", "price_pro_annual")
    assert state.rates == ()


@pytest.mark.parametrize("overrides", [{}, {"price_monthly_cents": 1}, {"name": "Renamed", "active": False}],
                         ids=["same", "other price", "other name"])
def test_defining_an_existing_plan_again_records_nothing(overrides: dict[str, Any]):
    given(plan, defined()).when(define(**overrides)).then()


def test_seed_after_an_update_leaves_the_update_standing():
    history = [defined(), updated(price_monthly_cents=10900)]
    given(plan, *history).when(define()).then()
    assert given(plan, *history).state.price_monthly_cents == 10900


@pytest.mark.parametrize(
    "field, value",
    [("price_monthly_cents", -1), ("price_annual_cents", -1), ("trial_days", -1), ("name", " "), ("by", ""),
     ("tier", "gold"), ("at", datetime(2026, 3, 1)), ("entitlements", {"max_saved_jobs": -1}),
     ("entitlements", {"score": 0.5}), ("entitlements", {" ": True})],
)
def test_definition_with_bad_field_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        define(**{field: value})


def test_entitlement_values_keep_their_json_type():
    cmd = define(entitlements={"a": True, "b": 1, "c": "x", "d": None})
    assert [type(v) for v in cmd.entitlements.values()] == [bool, int, str, type(None)]


# --- updating ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Professional"},
        {"price_monthly_cents": 10900, "price_annual_cents": 109900},
        {"trial_days": 7},
        {"entitlements": ENTITLEMENTS | {"api_access": True}},
        {"features": ["Unlimited conversations", "Early access"]},
        {"stripe_price_id_monthly": "price_new_m", "stripe_price_id_annual": "price_new_a"},
        {"active": False},
    ],
    ids=lambda fields: ",".join(fields),
)
def test_update_records_the_given_fields(fields: dict[str, Any]):
    given(plan, defined()).when(update(**fields)).then(updated(**fields))
    state = given(plan, defined(), updated(**fields)).state
    for name, value in fields.items():
        assert getattr(state, name) == (tuple(value) if name == "features" else value)


def test_update_records_only_the_fields_that_differ():
    given(plan, defined()).when(update(name="Pro", price_monthly_cents=10900, active=True)).then(
        updated(price_monthly_cents=10900)
    )


@pytest.mark.parametrize("fields", [{}, {"name": "Pro"}, {"entitlements": dict(reversed(ENTITLEMENTS.items()))},
                                    {"trial_days": 0, "active": True}], ids=["none", "name", "entitlements", "mixed"])
def test_update_changing_nothing_records_nothing(fields: dict[str, Any]):
    given(plan, defined()).when(update(**fields)).then()


def test_update_tells_true_from_one():
    flag = {"max_referral_codes": True}
    given(plan, defined(entitlements={"max_referral_codes": 1})).when(update(entitlements=flag)).then(
        updated(entitlements=flag)
    )


def test_update_replaces_the_whole_entitlements_map():
    state = given(plan, defined(), updated(entitlements={"api_access": True})).state
    assert state.entitlements == {"api_access": True}


def test_feature_order_is_a_change():
    given(plan, defined(features=["a", "b"])).when(update(features=["b", "a"])).then(updated(features=["b", "a"]))


def test_update_of_missing_plan_raises_not_found():
    given(plan).when(update(name="Pro")).then_raises(NotFound, "plan pro does not exist")


@pytest.mark.parametrize("field, value", [("price_monthly_cents", -1), ("trial_days", -5), ("name", "  ")])
def test_update_with_bad_field_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        update(**{field: value})


# --- rates -------------------------------------------------------------------------------------------------

def test_first_rates_are_version_one():
    given(plan, defined()).when(set_rates()).then(rates_set())


def test_next_rates_are_the_next_version():
    given(plan, defined(), rates_set()).when(set_rates(JUL, candidate_recruiter_bps=3500)).then(
        rates_set(2, JUL, candidate_recruiter_bps=3500)
    )


def test_identical_rates_record_nothing():
    given(plan, defined(), rates_set()).when(set_rates()).then()


def test_same_rates_from_a_later_date_are_a_new_version():
    given(plan, defined(), rates_set()).when(set_rates(JUL)).then(rates_set(2, JUL))


def test_other_rates_from_the_same_instant_correct_the_latest_version():
    given(plan, defined(), rates_set()).when(set_rates(JAN, job_owner_bps=1000)).then(
        rates_set(2, JAN, job_owner_bps=1000)
    )


def test_rates_starting_before_the_latest_version_raise():
    error = given(plan, defined(), rates_set(), rates_set(2, JUL)).when(set_rates(JUL - US)).then_raises(
        RuleViolation, "before version 2"
    )
    assert not {"type", "title", "status", "detail", "instance"} & set(error.details)  # type: ignore[attr-defined]


def test_rates_of_missing_plan_raise_not_found():
    given(plan).when(set_rates()).then_raises(NotFound)


def test_seed_rates_are_not_sent_over_existing_rates():
    given(plan, defined(), rates_set(), rates_set(2, JUL)).when(set_rates(only_if_unset=True)).then()
    given(plan, defined()).when(set_rates(only_if_unset=True)).then(rates_set())


@pytest.mark.parametrize("field", list(RATES))
@pytest.mark.parametrize("value", [-1, 10_001])
def test_rate_out_of_range_is_rejected(field: str, value: int):
    with pytest.raises(ValidationError, match=field):
        set_rates(**{field: value})


def test_rates_above_the_whole_fee_are_rejected():
    with pytest.raises(ValidationError, match="10001 basis points"):
        set_rates(candidate_recruiter_bps=4000, job_owner_bps=2000, company_recruiter_bps=2000,
                  candidate_sourcer_bps=1000, company_sourcer_bps=1001)


def test_rates_of_exactly_the_whole_fee_are_accepted():
    set_rates(candidate_recruiter_bps=10_000, job_owner_bps=0, company_recruiter_bps=0, candidate_sourcer_bps=0,
              company_sourcer_bps=0)


def test_rates_need_an_aware_effective_date():
    with pytest.raises(ValidationError, match="effective_from"):
        set_rates(datetime(2026, 1, 1))


# --- rates_at and rate_bps ---------------------------------------------------------------------------------

V1 = rates_set(1, JAN)
V2 = rates_set(2, JUL, candidate_recruiter_bps=3500)
V3 = rates_set(3, JUL, candidate_recruiter_bps=3600)  # a correction of version 2


@pytest.mark.parametrize(
    "when, version",
    [(JAN - US, None), (JAN, 1), (JUL - US, 1), (JUL, 3), (JUL + timedelta(days=400), 3)],
)
def test_rates_at_is_the_latest_version_in_force(when: datetime, version: int | None):
    state = given(plan, defined(), V1, V2, V3).state
    found = rates_at(state, when)
    assert (found.version if found else None) == version


def test_rates_at_without_rates_is_none():
    assert rates_at(given(plan, defined()).state, JUL) is None


@pytest.mark.parametrize("role, bps", list(zip(ROLES, (3000, 1500, 1500, 800, 800), strict=True)))
def test_rate_bps_reads_a_role(role: str, bps: int):
    assert rate_bps(V1, role) == bps  # type: ignore[arg-type]


def test_rate_bps_of_unknown_role_raises():
    with pytest.raises(ValueError, match="not a commission role"):
        rate_bps(V1, "platform")  # type: ignore[arg-type]


# --- the catalogue -----------------------------------------------------------------------------------------

SEED = seed_commands(T0)
DOMAIN_RATES = {  # domain §5.3, with the platform's remainder when all five roles are filled
    "starter": ((2000, 1000, 1000, 600, 600), 4800),
    "pro": ((3000, 1500, 1500, 800, 800), 2400),
    "partner": ((4000, 2000, 2000, 1000, 1000), 0),
}


def _seeded(tier: str) -> Any:
    state = plan.initial_state()
    for t, cmd in SEED:
        if t == tier:
            for event in plan.decide(cmd, state):  # type: ignore[arg-type]
                state = plan.evolve(state, event)
    return state


def test_seed_defines_three_plans_each_with_its_rates():
    assert [(tier, type(cmd).__name__) for tier, cmd in SEED] == [
        (tier, name) for tier in ("starter", "pro", "partner") for name in ("DefinePlan", "SetSplitsRates")
    ]
    assert {cmd.by for _, cmd in SEED} == {"system:seed"}  # type: ignore[attr-defined]
    assert all(cmd.tier == tier for tier, cmd in SEED)  # type: ignore[attr-defined]


@pytest.mark.parametrize("tier", ["starter", "pro", "partner"])
def test_seeded_plans_have_every_entitlement(tier: str):
    state = _seeded(tier)
    assert tuple(state.entitlements) == ENTITLEMENT_KEYS
    assert state.entitlements == default_entitlements(tier)  # type: ignore[arg-type]
    assert state.features and state.active


@pytest.mark.parametrize(
    "tier, name, monthly, annual, trial, price_ids",
    [("starter", "Starter", 0, 0, 0, (None, None)),
     ("pro", "Pro", 9900, 99900, 0, ("price_pro_monthly", "price_pro_annual")),
     ("partner", "Partner", 24900, 249900, 14, ("price_partner_monthly", "price_partner_annual"))],
)
def test_seeded_plan_prices(tier: str, name: str, monthly: int, annual: int, trial: int, price_ids: tuple[Any, Any]):
    state = _seeded(tier)
    assert (state.name, state.price_monthly_cents, state.price_annual_cents, state.trial_days) == (
        name, monthly, annual, trial)
    assert (state.stripe_price_id_monthly, state.stripe_price_id_annual) == price_ids


@pytest.mark.parametrize("tier", list(DOMAIN_RATES))
def test_seeded_rates_match_the_domain_and_leave_its_remainder(tier: str):
    rates = rates_at(_seeded(tier), RATES_V1_EFFECTIVE_FROM)
    assert rates is not None and rates.version == 1 and rates.effective_from == datetime(2026, 1, 1, tzinfo=UTC)
    bps = tuple(rate_bps(rates, role) for role in ROLES)  # type: ignore[arg-type]
    expected, remainder = DOMAIN_RATES[tier]
    assert bps == expected
    assert sum(bps) <= 10_000 and 10_000 - sum(bps) == remainder


@pytest.mark.parametrize(
    "key, values",
    [("messaging_initiations_per_month", (5, None, None)), ("max_saved_candidates", (10, 100, None)),
     ("max_saved_jobs", (10, 50, None)), ("max_referral_codes", (1, 5, None)), ("data_export", (False, True, True)),
     ("early_access_roles", (False, True, True)), ("api_access", (False, False, True)),
     ("firm_creation", (False, False, True)), ("marketplace_priority", ("standard", "boosted", "featured"))],
)
def test_entitlements_follow_the_domain_table(key: str, values: tuple[Any, Any, Any]):
    assert tuple(default_entitlements(tier)[key] for tier in ("starter", "pro", "partner")) == values


def test_entitlement_keys_are_the_domain_list():
    assert set(ENTITLEMENT_KEYS) == {
        "messaging_initiations_per_month", "max_saved_candidates", "max_saved_jobs", "max_referral_codes",
        "email_notifications", "email_integration", "calendar_integration", "early_access_roles", "call_recording",
        "call_transcription", "advanced_analytics", "data_export", "priority_roles", "ai_match_scoring",
        "ai_call_summary", "firm_creation", "api_access", "marketplace_priority",
    }


def test_seeding_again_records_nothing():
    for tier in ("starter", "pro", "partner"):
        state = _seeded(tier)
        assert all(plan.decide(cmd, state) == [] for t, cmd in seed_commands(T1) if t == tier)  # type: ignore[arg-type]


def test_seed_price_ids_can_be_overridden():
    commands = seed_commands(T0, price_ids={"pro": ("price_live_m", "price_live_a")})
    pro = next(cmd for tier, cmd in commands if tier == "pro" and isinstance(cmd, DefinePlan))
    assert (pro.stripe_price_id_monthly, pro.stripe_price_id_annual) == ("price_live_m", "price_live_a")


def test_default_entitlements_are_a_fresh_dict():
    default_entitlements("pro")["api_access"] = True
    assert default_entitlements("pro")["api_access"] is False
