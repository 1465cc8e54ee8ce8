"""Both sourcer roles credited (a referral's candidate sourcer, an invited company's sourcer): whatever the other
roles, tiers and firm takes, the splits plus the platform remainder are the fee to the cent, and each sourcer
gets their plan rate of the fee, rounded down."""

from __future__ import annotations

from uuid import UUID

from hypothesis import example, given, settings
from hypothesis import strategies as st

from commands.billing.events import PlanTier
from commands.billing.placement_events import RoleSnapshot
from commands.billing.splits import BPS, compute_splits, payout_transactions, platform_remainder
from tests.unit.billing.test_splits import FIRM, PLAN_RATES, TIERS, empty, role

P = UUID("00000000-0000-4000-8000-0000000000b9")
OTHERS = ("candidate_recruiter", "job_owner", "company_recruiter")


@st.composite
def with_both_sourcers(draw: st.DrawFn) -> list[RoleSnapshot]:
    roles = []
    for name in OTHERS:
        if draw(st.booleans()):
            roles.append(role(name, draw(st.sampled_from(TIERS))))
        else:
            roles.append(empty(name))
    for name in ("candidate_sourcer", "company_sourcer"):
        take = draw(st.one_of(st.none(), st.integers(0, BPS)))
        roles.append(role(name, draw(st.sampled_from(TIERS)), firm_id=FIRM if take is not None else None,
                          firm_take_bps=take))
    return roles


@settings(max_examples=400, deadline=None)
@given(fee=st.integers(1, 10**12), roles=with_both_sourcers())
@example(fee=2_777_778, roles=[empty(n) for n in OTHERS] + [role("candidate_sourcer", "starter"),
                                                           role("company_sourcer", "starter")])
def test_both_sourcers_are_paid_their_rate_and_the_platform_keeps_the_rest_to_the_cent(
        fee: int, roles: list[RoleSnapshot]) -> None:
    splits = compute_splits(fee, roles)
    by_role = {s.role: s for s in splits}
    for name in ("candidate_sourcer", "company_sourcer"):
        tier: PlanTier = next(r.tier for r in roles if r.role == name)  # type: ignore[assignment]
        assert by_role[name].amount_cents == fee * PLAN_RATES[tier][name] // BPS
        assert by_role[name].net_cents + by_role[name].firm_take_cents == by_role[name].amount_cents
    remainder = platform_remainder(fee, splits)
    assert remainder >= 0
    assert sum(s.amount_cents for s in splits) + remainder == fee
    assert sum(t.amount_cents for t in payout_transactions(P, splits)) == sum(s.amount_cents for s in splits)
