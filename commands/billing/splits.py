"""A placement fee divided among its five roles, in integer cents (domain §5.3–§5.4, DESIGN §5.8).

The rounding rule: every share rounds **down** to the cent — a role's split is ⌊fee × rate_bps / 10 000⌋ and a
firm's take on it ⌊split × take_bps / 10 000⌋ — and the platform keeps the remainder, fee − Σ splits. So no
one is ever paid a cent more than their rate, the splits never exceed the fee, and
`Σ splits + remainder == fee` holds exactly. With all five roles filled the remainder exceeds the
platform's exact share by less than five cents.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import NAMESPACE_URL, UUID, uuid5

from commands.billing.placement_events import PayoutTransaction, RoleSnapshot, Split

BPS = 10_000


def share(amount_cents: int, bps: int) -> int:
    """⌊amount × bps / 10 000⌋: integers only, exact for any amount."""
    return amount_cents * bps // BPS


def transaction_id(placement_id: UUID, role: str, kind: str) -> UUID:
    """Stable per (placement, role, kind): it is also the Stripe transfer's idempotency key."""
    return uuid5(NAMESPACE_URL, f"splits:payout-transaction:{placement_id}:{role}:{kind}")


def compute_splits(fee_cents: int, roles: Sequence[RoleSnapshot]) -> list[Split]:
    """A split per filled role with a positive rate; empty roles and zero rates earn nothing."""
    splits = []
    for r in roles:
        if r.recruiter_id is None or r.tier is None or not r.rate_bps:
            continue
        amount = share(fee_cents, r.rate_bps)
        take_bps = (r.firm_take_bps or 0) if r.firm_id else 0
        take = share(amount, take_bps)
        splits.append(Split(role=r.role, recruiter_id=r.recruiter_id, tier=r.tier, rate_bps=r.rate_bps,
                            amount_cents=amount, firm_id=r.firm_id, firm_take_bps=take_bps, firm_take_cents=take,
                            net_cents=amount - take))
    return splits


def payout_transactions(placement_id: UUID, splits: Sequence[Split]) -> list[PayoutTransaction]:
    """The member payout of each split's net, and the firm's take when there is one. Zero amounts are left out."""
    out = []
    for s in splits:
        if s.net_cents > 0:
            out.append(PayoutTransaction(transaction_id=transaction_id(placement_id, s.role, "member_payout"),
                                         role=s.role, kind="member_payout", payee_kind="recruiter",
                                         payee_id=s.recruiter_id, amount_cents=s.net_cents))
        if s.firm_take_cents > 0 and s.firm_id is not None:
            out.append(PayoutTransaction(transaction_id=transaction_id(placement_id, s.role, "firm_admin_take"),
                                         role=s.role, kind="firm_admin_take", payee_kind="firm",
                                         payee_id=s.firm_id, amount_cents=s.firm_take_cents))
    return out


def platform_remainder(fee_cents: int, splits: Sequence[Split]) -> int:
    return fee_cents - sum(s.amount_cents for s in splits)
