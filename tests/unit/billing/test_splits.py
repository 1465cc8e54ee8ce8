"""A placement fee divided among its five roles in integer cents (domain §5.3–§5.4): every share rounds down to
the cent, the platform keeps the remainder, and the payout transactions pay out exactly the splits."""

from __future__ import annotations

from collections.abc import Sequence
from math import ceil
from uuid import UUID

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from commands.ats.placement import placement_fee_cents
from commands.billing.events import PlanTier
from commands.billing.placement_events import ROLES, PayoutTransaction, Role, RoleSnapshot, Split
from commands.billing.splits import (
    BPS,
    compute_splits,
    payout_transactions,
    platform_remainder,
    share,
    transaction_id,
)

P = UUID("00000000-0000-4000-8000-0000000000b1")
OTHER_P = UUID("00000000-0000-4000-8000-0000000000b2")
RECRUITER = {
    "candidate_recruiter": UUID("00000000-0000-4000-8000-0000000000e1"),
    "company_recruiter": UUID("00000000-0000-4000-8000-0000000000e2"),
    "job_owner": UUID("00000000-0000-4000-8000-0000000000e3"),
    "candidate_sourcer": UUID("00000000-0000-4000-8000-0000000000e4"),
    "company_sourcer": UUID("00000000-0000-4000-8000-0000000000e5"),
}
FIRM = UUID("00000000-0000-4000-8000-0000000000f1")
OTHER_FIRM = UUID("00000000-0000-4000-8000-0000000000f2")
TIERS: tuple[PlanTier, ...] = ("starter", "pro", "partner")
# Domain §5.3, the seeded splits_rates, in basis points.
PLAN_RATES: dict[PlanTier, dict[Role, int]] = {
    "starter": {"candidate_recruiter": 2000, "job_owner": 1000, "company_recruiter": 1000,
                "candidate_sourcer": 600, "company_sourcer": 600},
    "pro": {"candidate_recruiter": 3000, "job_owner": 1500, "company_recruiter": 1500,
            "candidate_sourcer": 800, "company_sourcer": 800},
    "partner": {"candidate_recruiter": 4000, "job_owner": 2000, "company_recruiter": 2000,
                "candidate_sourcer": 1000, "company_sourcer": 1000},
}


def role(name: Role, tier: PlanTier | None = "partner", rate_bps: int | None = None, firm_id: UUID | None = None,
         firm_take_bps: int | None = None, recruiter_id: UUID | None = None) -> RoleSnapshot:
    """A filled role at its plan's rate unless told otherwise."""
    if rate_bps is None and tier is not None:
        rate_bps = PLAN_RATES[tier][name]
    recruiter = recruiter_id or RECRUITER[name]
    return RoleSnapshot(role=name, recruiter_id=recruiter, user_id=recruiter, tier=tier, rate_bps=rate_bps,
                        firm_id=firm_id, firm_take_bps=firm_take_bps)


def empty(name: Role) -> RoleSnapshot:
    return RoleSnapshot(role=name, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                        firm_take_bps=None)


def all_roles(tier: PlanTier) -> list[RoleSnapshot]:
    return [role(name, tier) for name in ROLES]


def amounts(splits: Sequence[Split]) -> dict[str, int]:
    return {s.role: s.amount_cents for s in splits}


def exact_shares_bps_cents(fee_cents: int, roles: Sequence[RoleSnapshot]) -> int:
    """Σ fee × rate over the paid roles, in cent-basis-points (10 000 of them to the cent): exact, no floats."""
    return sum(fee_cents * (r.rate_bps or 0) for r in roles if r.recruiter_id is not None and r.tier is not None)


# --- hand-computed examples ----------------------------------------------------------------------------------

def test_all_partner_fee_is_split_40_20_20_10_10_rounding_each_share_down():
    fee = 4_218_761
    splits = compute_splits(fee, all_roles("partner"))
    assert amounts(splits) == {
        "candidate_recruiter": 1_687_504,  # 1,687,504.4
        "company_recruiter": 843_752,  # 843,752.2
        "job_owner": 843_752,  # 843,752.2
        "candidate_sourcer": 421_876,  # 421,876.1
        "company_sourcer": 421_876,  # 421,876.1
    }
    # The plan gives the platform 0%; it keeps the cent the five floors dropped (0.4 + 0.2 + 0.2 + 0.1 + 0.1).
    assert platform_remainder(fee, splits) == 1
    assert sum(amounts(splits).values()) == 4_218_760


def test_mixed_tiers_with_firm_takes_and_an_empty_role():
    fee = 1_234_567
    roles = [
        role("candidate_recruiter", "partner", firm_id=FIRM, firm_take_bps=1500),  # a firm member paying 15%
        role("company_recruiter", "pro", firm_id=FIRM, firm_take_bps=0),  # the firm's owner: no take
        role("job_owner", "starter", firm_id=None, firm_take_bps=2000),  # a stray take without a firm is ignored
        role("candidate_sourcer", "pro", firm_id=OTHER_FIRM, firm_take_bps=None),  # no take rate: no take
        empty("company_sourcer"),
    ]
    splits = compute_splits(fee, roles)
    assert splits == [
        Split(role="candidate_recruiter", recruiter_id=RECRUITER["candidate_recruiter"], tier="partner", rate_bps=4000,
              amount_cents=493_826, firm_id=FIRM, firm_take_bps=1500, firm_take_cents=74_073, net_cents=419_753),
        Split(role="company_recruiter", recruiter_id=RECRUITER["company_recruiter"], tier="pro", rate_bps=1500,
              amount_cents=185_185, firm_id=FIRM, firm_take_bps=0, firm_take_cents=0, net_cents=185_185),
        Split(role="job_owner", recruiter_id=RECRUITER["job_owner"], tier="starter", rate_bps=1000,
              amount_cents=123_456, firm_id=None, firm_take_bps=0, firm_take_cents=0, net_cents=123_456),
        Split(role="candidate_sourcer", recruiter_id=RECRUITER["candidate_sourcer"], tier="pro", rate_bps=800,
              amount_cents=98_765, firm_id=OTHER_FIRM, firm_take_bps=0, firm_take_cents=0, net_cents=98_765),
    ]
    # 27% of the fee is 333,333.09; the four floors dropped 0.8 + 0.05 + 0.7 + 0.36 = 1.91 more.
    assert platform_remainder(fee, splits) == 333_335
    assert [(t.role, t.kind, t.payee_kind, t.payee_id, t.amount_cents) for t in payout_transactions(P, splits)] == [
        ("candidate_recruiter", "member_payout", "recruiter", RECRUITER["candidate_recruiter"], 419_753),
        ("candidate_recruiter", "firm_admin_take", "firm", FIRM, 74_073),
        ("company_recruiter", "member_payout", "recruiter", RECRUITER["company_recruiter"], 185_185),
        ("job_owner", "member_payout", "recruiter", RECRUITER["job_owner"], 123_456),
        ("candidate_sourcer", "member_payout", "recruiter", RECRUITER["candidate_sourcer"], 98_765),
    ]


@pytest.mark.parametrize("tier, remainder", [("starter", 1_440_000), ("pro", 720_000), ("partner", 0)])
def test_plan_rates_with_all_roles_filled_leave_the_documented_platform_share(tier: PlanTier, remainder: int):
    fee = 3_000_000  # $30,000: every share is whole, so the remainder is exactly 48% / 24% / 0%
    assert platform_remainder(fee, compute_splits(fee, all_roles(tier))) == remainder


def test_no_filled_role_leaves_the_whole_fee_to_the_platform():
    splits = compute_splits(1_000_001, [empty(name) for name in ROLES])
    assert splits == []
    assert platform_remainder(1_000_001, splits) == 1_000_001
    assert payout_transactions(P, splits) == []


def test_zero_rates_missing_rates_and_roles_without_a_tier_earn_nothing():
    roles = [
        role("candidate_recruiter", "pro", rate_bps=0),
        role("company_recruiter", None, rate_bps=None),
        RoleSnapshot(role="job_owner", recruiter_id=RECRUITER["job_owner"], user_id=None, tier="pro", rate_bps=None,
                     firm_id=None, firm_take_bps=None),
        RoleSnapshot(role="candidate_sourcer", recruiter_id=RECRUITER["candidate_sourcer"], user_id=None, tier=None,
                     rate_bps=800, firm_id=None, firm_take_bps=None),
        role("company_sourcer", "pro"),
    ]
    splits = compute_splits(10_000, roles)
    assert amounts(splits) == {"company_sourcer": 800}


def test_a_share_too_small_for_a_cent_is_a_zero_split_with_no_transaction():
    splits = compute_splits(99, [role("candidate_sourcer", "starter", firm_id=FIRM, firm_take_bps=5000)])
    assert [(s.amount_cents, s.firm_take_cents, s.net_cents) for s in splits] == [(5, 2, 3)]  # 5.94 → 5; 2.5 → 2
    splits = compute_splits(1, [role("candidate_recruiter", "partner")])
    assert [(s.amount_cents, s.net_cents) for s in splits] == [(0, 0)]  # 0.4 of a cent → 0
    assert payout_transactions(P, splits) == []
    assert platform_remainder(1, splits) == 1


def test_a_firm_take_of_the_whole_split_pays_the_firm_only():
    [split] = compute_splits(10_000, [role("job_owner", "pro", firm_id=FIRM, firm_take_bps=BPS)])
    assert (split.amount_cents, split.firm_take_cents, split.net_cents) == (1500, 1500, 0)
    assert [(t.kind, t.payee_id, t.amount_cents) for t in payout_transactions(P, [split])] == [
        ("firm_admin_take", FIRM, 1500)
    ]


def test_share_is_exact_beyond_float_precision():
    assert share(2**53 + 1, 10_000) == 2**53 + 1
    assert share(10**17 + 5, 1) == 10**13
    assert share(9_999, 1) == 0
    assert share(10_000, 1) == 1


def test_transaction_ids_are_stable_per_placement_role_and_kind():
    assert transaction_id(P, "job_owner", "member_payout") == transaction_id(P, "job_owner", "member_payout")
    ids = {transaction_id(p, name, kind) for p in (P, OTHER_P) for name in ROLES
           for kind in ("member_payout", "firm_admin_take")}
    assert len(ids) == 2 * 5 * 2


# --- the rounding bound ----------------------------------------------------------------------------------------

def test_rounding_beyond_the_platform_share_is_under_five_cents_and_at_most_four_whole_cents():
    """With all five roles filled, each floor drops under a cent. Against the *exact* platform share the
    remainder may be more than 4 cents over (here 4.76): the docstring's "at most four cents" holds in whole
    cents, against the platform's share rounded up to the cent."""
    fee = 33  # real plan rates (pro, pro, pro, starter, starter): 9.9, 4.95, 4.95, 1.98, 1.98
    roles = [role("candidate_recruiter", "pro"), role("company_recruiter", "pro"), role("job_owner", "pro"),
             role("candidate_sourcer", "starter"), role("company_sourcer", "starter")]
    splits = compute_splits(fee, roles)
    assert amounts(splits) == {"candidate_recruiter": 9, "company_recruiter": 4, "job_owner": 4,
                               "candidate_sourcer": 1, "company_sourcer": 1}
    remainder = platform_remainder(fee, splits)
    assert remainder == 14  # the platform's exact share is 33 − 23.76 = 9.24
    excess = remainder * BPS - (fee * BPS - exact_shares_bps_cents(fee, roles))
    assert excess == 47_600  # 4.76 cents, in cent-basis-points
    assert remainder - ceil((fee * BPS - exact_shares_bps_cents(fee, roles)) / BPS) == 4


# --- the properties --------------------------------------------------------------------------------------------

FIRMS = (FIRM, OTHER_FIRM, UUID("00000000-0000-4000-8000-0000000000f3"))
PEOPLE = tuple(RECRUITER.values())


@st.composite
def role_mixes(draw: st.DrawFn) -> list[RoleSnapshot]:
    """Each role empty or filled by a recruiter on some tier, at that tier's plan rate or at arbitrary rates whose
    sum stays within 100%; in a firm (with any take rate) or not. Empty roles may be left out of the list."""
    plan_rates = draw(st.booleans())
    budget = BPS
    roles: list[RoleSnapshot] = []
    for name in draw(st.permutations(ROLES)):
        if not draw(st.booleans()):
            if draw(st.booleans()):
                roles.append(empty(name))
            continue
        tier = draw(st.sampled_from(TIERS))
        rate: int | None
        if plan_rates:
            rate = PLAN_RATES[tier][name]
        else:
            rate = draw(st.one_of(st.integers(0, budget), st.sampled_from([0, None, budget])))
            budget -= rate or 0
        firm_id = draw(st.one_of(st.none(), st.sampled_from(FIRMS)))
        take = draw(st.one_of(st.none(), st.integers(0, BPS), st.sampled_from([0, BPS])))
        recruiter = draw(st.sampled_from(PEOPLE))
        roles.append(RoleSnapshot(role=name, recruiter_id=recruiter, user_id=recruiter, tier=tier, rate_bps=rate,
                                  firm_id=firm_id, firm_take_bps=take))
    return roles


def check_splits(fee: int, roles: Sequence[RoleSnapshot], placement_id: UUID) -> None:
    splits = compute_splits(fee, roles)
    remainder = platform_remainder(fee, splits)

    # The whole fee, to the cent, and nothing negative.
    assert sum(s.amount_cents for s in splits) + remainder == fee
    assert remainder >= 0
    for s in splits:
        assert s.amount_cents >= 0 and s.firm_take_cents >= 0 and s.net_cents >= 0

    # A split for each filled role with a positive rate, in order, each share floored.
    paid = [r for r in roles if r.recruiter_id is not None and r.tier is not None and r.rate_bps]
    assert [s.role for s in splits] == [r.role for r in paid]
    for s, r in zip(splits, paid, strict=True):
        take_bps = (r.firm_take_bps or 0) if r.firm_id is not None else 0
        assert (s.recruiter_id, s.tier, s.rate_bps, s.firm_id) == (r.recruiter_id, r.tier, r.rate_bps, r.firm_id)
        assert s.amount_cents == fee * (r.rate_bps or 0) // BPS
        assert s.firm_take_bps == take_bps
        assert s.firm_take_cents == s.amount_cents * take_bps // BPS
        assert s.net_cents == s.amount_cents - s.firm_take_cents

    # Rounding: each floor drops less than a cent, so the platform keeps under one cent per split beyond its
    # exact share; with all five roles filled, at most four whole cents beyond that share rounded up.
    exact_platform = fee * BPS - exact_shares_bps_cents(fee, roles)
    excess = remainder * BPS - exact_platform
    assert 0 <= excess < max(len(splits), 1) * BPS
    if len(splits) == 5:
        assert remainder - ceil(exact_platform / BPS) <= 4

    # The transactions pay out the splits exactly: net to the member, take to the firm, no zero amounts.
    transactions = payout_transactions(placement_id, splits)
    assert sum(t.amount_cents for t in transactions) == sum(s.amount_cents for s in splits)
    assert all(t.amount_cents > 0 for t in transactions)
    by_key: dict[tuple[str, str], PayoutTransaction] = {(t.role, t.kind): t for t in transactions}
    assert len(by_key) == len(transactions)
    for s in splits:
        member = by_key.get((s.role, "member_payout"))
        take = by_key.get((s.role, "firm_admin_take"))
        if s.net_cents > 0:
            assert member is not None
            assert (member.payee_kind, member.payee_id, member.amount_cents) == ("recruiter", s.recruiter_id,
                                                                                s.net_cents)
        else:
            assert member is None
        if s.firm_take_cents > 0:
            assert take is not None
            assert (take.payee_kind, take.payee_id, take.amount_cents) == ("firm", s.firm_id, s.firm_take_cents)
        else:
            assert take is None

    # Stable, distinct transaction ids: the same input gives the same ids, another placement other ones.
    ids = [t.transaction_id for t in transactions]
    assert len(set(ids)) == len(ids)
    assert ids == [transaction_id(placement_id, t.role, t.kind) for t in transactions]
    assert ids == [t.transaction_id for t in payout_transactions(placement_id, compute_splits(fee, roles))]
    assert not set(ids) & {t.transaction_id for t in payout_transactions(OTHER_P, splits)}


@settings(max_examples=500, deadline=None)
@given(salary=st.integers(1, 500_000_000), fee_bps=st.integers(1, BPS), roles=role_mixes(), placement_id=st.uuids())
@example(salary=21_093_805, fee_bps=2000, roles=all_roles("partner"), placement_id=P)  # the fee 4,218,761
@example(salary=33, fee_bps=BPS, roles=all_roles("pro")[:3] + all_roles("starter")[3:], placement_id=P)
@example(salary=500_000_000, fee_bps=BPS, roles=all_roles("partner"), placement_id=P)
@example(salary=1, fee_bps=BPS, roles=[role("candidate_recruiter", "partner", rate_bps=BPS)], placement_id=P)
def test_splits_account_for_every_cent_of_the_fee(salary: int, fee_bps: int, roles: list[RoleSnapshot],
                                                  placement_id: UUID):
    fee = placement_fee_cents(salary, fee_bps)
    assume(fee > 0)
    check_splits(fee, roles, placement_id)


@settings(max_examples=200, deadline=None)
@given(fee=st.integers(1, 500_000_000), tiers=st.lists(st.sampled_from(TIERS), min_size=5, max_size=5),
       takes=st.lists(st.one_of(st.none(), st.integers(0, BPS)), min_size=5, max_size=5))
def test_every_plan_tier_mix_with_all_roles_filled_accounts_for_every_cent(fee: int, tiers: list[PlanTier],
                                                                           takes: list[int | None]):
    roles = [role(name, tier, firm_id=FIRM if take is not None else None, firm_take_bps=take)
             for name, tier, take in zip(ROLES, tiers, takes, strict=True)]
    check_splits(fee, roles, P)
    assert len(compute_splits(fee, roles)) == 5
