"""Queries the API and the billing reactors run against the billing read schema.

Lookups by Stripe id serve the webhooks and reactors; the portal's reads of a placement's money take a
`BillingVisibility` (built from the access context) applied in SQL, so a caller never learns of a row they may
not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from commands.billing.placement_events import ROLES
from projections.reads import fetch_all, fetch_one, fetch_page, snapshot

Rows = tuple[list[dict[str, Any]], int]

# --- plans, subscriptions, profiles, Connect accounts ---------------------------------------------------------


async def list_plans(db: psycopg.AsyncConnection, active_only: bool = True) -> list[dict[str, Any]]:
    """The plans, cheapest first."""
    condition = "active" if active_only else "TRUE"
    return await fetch_all(db, f"SELECT * FROM billing.plans WHERE {condition} ORDER BY price_monthly_cents, tier", ())


async def get_plan(db: psycopg.AsyncConnection, tier: str) -> dict[str, Any] | None:
    return await fetch_one(db, "SELECT * FROM billing.plans WHERE tier = %s", (tier,))


async def list_splits_rates(
    db: psycopg.AsyncConnection, tier: str | None = None, current_only: bool = True
) -> list[dict[str, Any]]:
    """Rate versions by tier and version; `current_only`: the version in force of each tier (no successor)."""
    clauses, params = ["TRUE"], []
    if tier is not None:
        clauses.append("tier = %s")
        params.append(tier)
    if current_only:
        clauses.append("effective_to IS NULL")
    return await fetch_all(
        db, f"SELECT * FROM billing.splits_rates WHERE {' AND '.join(clauses)} ORDER BY tier, version", params)


async def get_subscription(db: psycopg.AsyncConnection, user_id: UUID) -> dict[str, Any] | None:
    """The user's subscription; `status` NULL when they have a Stripe customer but no subscription yet."""
    return await fetch_one(db, "SELECT * FROM billing.subscriptions WHERE user_id = %s", (user_id,))


async def get_billing_profile(db: psycopg.AsyncConnection, owner_kind: str, owner_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(db, "SELECT * FROM billing.billing_profiles WHERE owner_kind = %s AND owner_id = %s",
                           (owner_kind, owner_id))


async def find_billing_owner_by_customer(
    db: psycopg.AsyncConnection, stripe_customer_id: str
) -> tuple[str, UUID] | None:
    row = await fetch_one(db, "SELECT owner_kind, owner_id FROM billing.billing_profiles WHERE stripe_customer_id = %s"
                              " ORDER BY owner_kind, owner_id LIMIT 1", (stripe_customer_id,))
    return (row["owner_kind"], row["owner_id"]) if row else None


async def get_connect_account(db: psycopg.AsyncConnection, payee_kind: str, payee_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(db, "SELECT * FROM billing.connect_accounts WHERE payee_kind = %s AND payee_id = %s",
                           (payee_kind, payee_id))


async def find_payee_by_account(db: psycopg.AsyncConnection, stripe_account_id: str) -> tuple[str, UUID] | None:
    row = await fetch_one(db, "SELECT payee_kind, payee_id FROM billing.connect_accounts WHERE stripe_account_id = %s",
                          (stripe_account_id,))
    return (row["payee_kind"], row["payee_id"]) if row else None


# --- lookups for webhooks and reactors ----------------------------------------------------------------------------


async def find_subscriber(db: psycopg.AsyncConnection, stripe_subscription_id: str | None,
                          stripe_customer_id: str | None) -> UUID | None:
    """The user whose subscription (or Stripe customer) this is."""
    row = await fetch_one(db, "SELECT user_id FROM billing.subscriptions WHERE stripe_subscription_id = %s"
                              " OR stripe_customer_id = %s LIMIT 1", (stripe_subscription_id, stripe_customer_id))
    return row["user_id"] if row else None


async def find_billing_owner_by_payment_method(
    db: psycopg.AsyncConnection, payment_method_id: str, stripe_customer_id: str | None
) -> tuple[str, UUID] | None:
    """The billing profile whose default is this payment method, or whose Stripe customer held it."""
    row = await fetch_one(db, "SELECT owner_kind, owner_id FROM billing.billing_profiles"
                              " WHERE default_payment_method_id = %s OR stripe_customer_id = %s LIMIT 1",
                          (payment_method_id, stripe_customer_id))
    return (row["owner_kind"], row["owner_id"]) if row else None


async def find_placement_by_stripe_invoice(db: psycopg.AsyncConnection, stripe_invoice_id: str) -> UUID | None:
    row = await fetch_one(db, "SELECT placement_id FROM billing.invoices WHERE stripe_invoice_id = %s",
                          (stripe_invoice_id,))
    return row["placement_id"] if row else None


async def find_transaction_by_transfer(
    db: psycopg.AsyncConnection, stripe_transfer_id: str
) -> tuple[UUID, UUID] | None:
    """(placement id, transaction id) of the transaction a Stripe transfer paid."""
    row = await fetch_one(db, "SELECT placement_id, id FROM billing.payout_transactions WHERE stripe_transfer_id = %s"
                              " ORDER BY paid_at DESC NULLS LAST, id LIMIT 1", (stripe_transfer_id,))
    return (row["placement_id"], row["id"]) if row else None


async def placements_waiting_for_connect(db: psycopg.AsyncConnection, payee_kind: str, payee_id: UUID) -> list[UUID]:
    """The placements with a pending transaction to this payee waiting for their Connect account."""
    rows = await fetch_all(
        db, "SELECT DISTINCT placement_id FROM billing.payout_transactions WHERE payee_kind = %s AND payee_id = %s"
            " AND status = 'pending' AND connect_required IS NOT NULL ORDER BY placement_id", (payee_kind, payee_id))
    return [r["placement_id"] for r in rows]


async def invoices_awaiting_funds(db: psycopg.AsyncConnection, limit: int = 50) -> list[tuple[UUID, UUID]]:
    """(placement id, invoice id) of paid invoices whose funds are not known to be available, oldest paid first."""
    rows = await fetch_all(
        db, "SELECT placement_id, id FROM billing.invoices WHERE status = 'paid' AND NOT funds_available"
            " ORDER BY paid_at, id LIMIT %s", (limit,))
    return [(r["placement_id"], r["id"]) for r in rows]


# --- the portal: a placement's money, by visibility ---------------------------------------------------------------


@dataclass(frozen=True)
class BillingVisibility:
    """Which placements' money a caller may read: the union of the parts that are set.

    `everything`: a platform admin. `company_ids`: company admins, the placements billed to these companies
    (the snapshot's company). `recruiter_id`: the placements where the recruiter holds a split. `firm_ids`: firm
    admins, the placements where one of these firms takes a share of a split.

    Transactions are narrower: a recruiter sees only their own member payouts, a firm admin only their firms'
    takes; company admins see every transaction of their placements.
    """

    everything: bool = False
    company_ids: tuple[UUID, ...] = ()
    recruiter_id: UUID | None = None
    firm_ids: tuple[UUID, ...] = ()

    def placements(self, column: str) -> tuple[str, list[Any]]:
        """A condition on a placement id `column`."""
        if self.everything:
            return "TRUE", []
        parts: list[str] = []
        params: list[Any] = []
        if self.company_ids:
            parts.append(f"{column} IN (SELECT placement_id FROM billing.placement_snapshots"
                         " WHERE company_id = ANY(%s))")
            params.append(list(self.company_ids))
        if self.recruiter_id is not None:
            parts.append(f"{column} IN (SELECT placement_id FROM billing.placement_splits WHERE recruiter_id = %s)")
            params.append(self.recruiter_id)
        if self.firm_ids:
            parts.append(f"{column} IN (SELECT placement_id FROM billing.placement_splits WHERE firm_id = ANY(%s))")
            params.append(list(self.firm_ids))
        return ("(" + " OR ".join(parts) + ")") if parts else "FALSE", params

    def transactions(self, alias: str) -> tuple[str, list[Any]]:
        """A condition on `billing.payout_transactions {alias}`."""
        if self.everything:
            return "TRUE", []
        parts: list[str] = []
        params: list[Any] = []
        if self.company_ids:
            parts.append(f"{alias}.placement_id IN (SELECT placement_id FROM billing.placement_snapshots"
                         " WHERE company_id = ANY(%s))")
            params.append(list(self.company_ids))
        if self.recruiter_id is not None:
            parts.append(f"({alias}.kind = 'member_payout' AND {alias}.payee_kind = 'recruiter'"
                         f" AND {alias}.payee_id = %s AND {alias}.placement_id IN"
                         " (SELECT placement_id FROM billing.placement_splits WHERE recruiter_id = %s))")
            params += [self.recruiter_id, self.recruiter_id]
        if self.firm_ids:
            parts.append(f"({alias}.kind = 'firm_admin_take' AND {alias}.payee_kind = 'firm'"
                         f" AND {alias}.payee_id = ANY(%s))")
            params.append(list(self.firm_ids))
        return ("(" + " OR ".join(parts) + ")") if parts else "FALSE", params


def _where(visible: tuple[str, list[Any]], alias: str, **filters: Any) -> tuple[str, list[Any]]:
    """The visibility condition and an equality per filter that is set."""
    condition, params = visible
    clauses = [condition]
    for column, value in filters.items():
        if value is not None:
            clauses.append(f"{alias}.{column} = %s")
            params.append(value)
    return " AND ".join(clauses), params


_UNPAID = ("pending", "processing", "failed")
_DISPUTE_OPEN = ("open", "under_review")


async def get_placement_money(db: psycopg.AsyncConnection, placement_id: UUID, vis: BillingVisibility
                              ) -> dict[str, Any] | None:
    """The placement's snapshot row with its `splits`, the `transactions` the caller may see, its `invoice`,
    payout `schedules`, escrow `holds`, `disputes` and `totals`; None when unknown or not visible.

    `totals`: the fee, Σ splits and the platform's remainder; `paid_out_cents` and `pending_cents` (still owed:
    pending, processing or failed) over the transactions listed; `on_hold_cents`, the active holds (one without
    an amount, or an open dispute, holds all that is unpaid)."""
    async with snapshot(db):
        return await _placement_money(db, placement_id, vis)


async def _placement_money(db: psycopg.AsyncConnection, placement_id: UUID, vis: BillingVisibility
                           ) -> dict[str, Any] | None:
    condition, params = vis.placements("s.placement_id")
    snapshot = await fetch_one(db, f"SELECT s.* FROM billing.placement_snapshots s WHERE s.placement_id = %s"
                                   f" AND {condition}", (placement_id, *params))
    if snapshot is None:
        return None
    one = (placement_id,)
    splits = await fetch_all(db, "SELECT * FROM billing.placement_splits WHERE placement_id = %s"
                                 " ORDER BY array_position(%s::text[], role)", (placement_id, list(ROLES)))
    seen, seen_params = vis.transactions("t")
    transactions = await fetch_all(db, f"SELECT t.* FROM billing.payout_transactions t WHERE t.placement_id = %s"
                                       f" AND {seen} ORDER BY array_position(%s::text[], t.role),"
                                       " t.kind = 'firm_admin_take', t.id",
                                   (placement_id, *seen_params, list(ROLES)))
    invoice = await fetch_one(db, "SELECT * FROM billing.invoices WHERE placement_id = %s", one)
    schedules = await fetch_all(db, "SELECT * FROM billing.payout_schedules WHERE placement_id = %s"
                                    " ORDER BY scheduled_for, id", one)
    holds = await fetch_all(db, "SELECT * FROM billing.escrow_holds WHERE placement_id = %s ORDER BY created_at, id",
                            one)
    disputes = await fetch_all(db, "SELECT * FROM billing.disputes WHERE placement_id = %s ORDER BY opened_at, id",
                               one)
    unpaid = await fetch_one(db, "SELECT coalesce(sum(amount_cents), 0)::bigint AS cents"
                                 " FROM billing.payout_transactions WHERE placement_id = %s AND status = ANY(%s)",
                             (placement_id, list(_UNPAID)))
    active = [h for h in holds if h["status"] == "active"]
    # An open dispute blocks every payout of the placement (as the decider does), like a hold with no amount.
    holds_all = any(h["amount_cents"] is None for h in active) or any(d["status"] in _DISPUTE_OPEN for d in disputes)
    on_hold = (unpaid["cents"] if unpaid else 0) if holds_all else sum(h["amount_cents"] for h in active)
    splits_cents = sum(s["amount_cents"] for s in splits)
    totals = {
        "fee_cents": snapshot["fee_cents"],
        "splits_cents": splits_cents,
        "platform_remainder_cents": snapshot["platform_remainder_cents"]
        if snapshot["platform_remainder_cents"] is not None else snapshot["fee_cents"] - splits_cents,
        "paid_out_cents": sum(t["amount_cents"] for t in transactions if t["status"] == "paid"),
        "pending_cents": sum(t["amount_cents"] for t in transactions if t["status"] in _UNPAID),
        "on_hold_cents": on_hold,
    }
    return {**snapshot, "splits": splits, "transactions": transactions, "invoice": invoice, "schedules": schedules,
            "holds": holds, "disputes": disputes, "totals": totals}


async def placement_visible(db: psycopg.AsyncConnection, placement_id: UUID, vis: BillingVisibility) -> bool:
    """Whether the placement's money is known here and this caller has a part in it (as `get_placement_money`)."""
    condition, params = vis.placements("s.placement_id")
    row = await fetch_one(db, f"SELECT 1 AS found FROM billing.placement_snapshots s WHERE s.placement_id = %s"
                              f" AND {condition}", (placement_id, *params))
    return row is not None


async def list_transactions(
    db: psycopg.AsyncConnection, vis: BillingVisibility, *, placement_id: UUID | None = None,
    status: str | None = None, payee_id: UUID | None = None, transaction_id: UUID | None = None, page: int = 1,
    limit: int = 25,
) -> Rows:
    condition, params = _where(vis.transactions("t"), "t", placement_id=placement_id, status=status,
                               payee_id=payee_id, id=transaction_id)
    return await fetch_page(db, "billing.payout_transactions t", condition, params, "t.created_at DESC, t.id",
                            page, limit, columns="t.*")


async def list_invoices(
    db: psycopg.AsyncConnection, vis: BillingVisibility, *, placement_id: UUID | None = None,
    status: str | None = None, company_id: UUID | None = None, page: int = 1, limit: int = 25,
) -> Rows:
    condition, params = _where(vis.placements("i.placement_id"), "i", placement_id=placement_id, status=status,
                               company_id=company_id)
    return await fetch_page(db, "billing.invoices i", condition, params, "i.created_at DESC, i.id", page, limit,
                            columns="i.*")


async def list_payout_schedules(
    db: psycopg.AsyncConnection, vis: BillingVisibility, *, placement_id: UUID | None = None,
    status: str | None = None, schedule_id: UUID | None = None, page: int = 1, limit: int = 25,
) -> Rows:
    condition, params = _where(vis.placements("p.placement_id"), "p", placement_id=placement_id, status=status,
                               id=schedule_id)
    return await fetch_page(db, "billing.payout_schedules p", condition, params, "p.scheduled_for DESC, p.id",
                            page, limit, columns="p.*")


async def list_escrow_holds(
    db: psycopg.AsyncConnection, vis: BillingVisibility, *, placement_id: UUID | None = None,
    status: str | None = None, hold_id: UUID | None = None, page: int = 1, limit: int = 25,
) -> Rows:
    condition, params = _where(vis.placements("h.placement_id"), "h", placement_id=placement_id, status=status,
                               id=hold_id)
    return await fetch_page(db, "billing.escrow_holds h", condition, params, "h.created_at DESC, h.id", page, limit,
                            columns="h.*")


async def list_disputes(
    db: psycopg.AsyncConnection, vis: BillingVisibility, *, placement_id: UUID | None = None,
    status: str | None = None, dispute_id: UUID | None = None, page: int = 1, limit: int = 25,
) -> Rows:
    condition, params = _where(vis.placements("d.placement_id"), "d", placement_id=placement_id, status=status,
                               id=dispute_id)
    return await fetch_page(db, "billing.disputes d", condition, params, "d.opened_at DESC, d.id", page, limit,
                            columns="d.*")


# --- platform admins ----------------------------------------------------------------------------------------------


async def list_webhook_events(
    db: psycopg.AsyncConnection, *, event_type: str | None = None, status: str | None = None, page: int = 1,
    limit: int = 25,
) -> Rows:
    """The Stripe webhooks received, newest first (for platform admins: no visibility)."""
    condition, params = _where(("TRUE", []), "w", event_type=event_type, status=status)
    return await fetch_page(db, "billing.stripe_webhook_events w", condition, params,
                            "w.received_at DESC, w.stripe_event_id", page, limit, columns="w.*")


TRANSACTION_STATUSES = ("pending", "processing", "paid", "failed", "reversed")
SCHEDULE_STATUSES = ("scheduled", "processing", "processed", "failed", "cancelled")


async def payout_stats(db: psycopg.AsyncConnection) -> dict[str, Any]:
    """Transactions (count and cents) and schedules (count) by status, every status present; active escrow
    holds (count, and the cents of those with an amount) and open disputes (open or under review)."""
    transactions = {s: {"count": 0, "amount_cents": 0} for s in TRANSACTION_STATUSES}
    for row in await fetch_all(db, "SELECT status, count(*) AS count, coalesce(sum(amount_cents), 0)::bigint AS cents"
                                   " FROM billing.payout_transactions GROUP BY status", ()):
        transactions[row["status"]] = {"count": row["count"], "amount_cents": row["cents"]}
    schedules = dict.fromkeys(SCHEDULE_STATUSES, 0)
    for row in await fetch_all(db, "SELECT status, count(*) AS count FROM billing.payout_schedules GROUP BY status",
                               ()):
        schedules[row["status"]] = row["count"]
    holds = await fetch_one(db, "SELECT count(*) AS count, coalesce(sum(amount_cents), 0)::bigint AS cents"
                                " FROM billing.escrow_holds WHERE status = 'active'", ())
    disputes = await fetch_one(db, "SELECT count(*) AS count FROM billing.disputes"
                                   " WHERE status IN ('open', 'under_review')", ())
    assert holds is not None and disputes is not None  # aggregates always return a row
    return {"transactions": transactions, "schedules": schedules, "active_holds": holds["count"],
            "active_hold_cents": holds["cents"], "open_disputes": disputes["count"]}
