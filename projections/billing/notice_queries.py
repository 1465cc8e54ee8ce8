"""What the notifications reactor's planners read about a placement's money: whose payouts a hold or a dispute
holds, when it began, and who receives a billing owner's invoices."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_all, fetch_one


async def payouts_held_since(conn: psycopg.AsyncConnection, placement_id: UUID,
                             since: datetime) -> list[tuple[UUID, int]]:
    """(recruiter id, cents) of the placement's member payouts to recruiters that were not transferred before
    `since` (when a hold was placed or a dispute opened): those it holds. A payout transferred before then is
    not held, one transferred since (after the hold ended) was. One row a recruiter, their own payouts summed."""
    rows = await fetch_all(conn, """
        SELECT payee_id, sum(amount_cents)::bigint AS cents FROM billing.payout_transactions
         WHERE placement_id = %s AND kind = 'member_payout' AND payee_kind = 'recruiter'
           AND (paid_at IS NULL OR paid_at >= %s)
         GROUP BY payee_id ORDER BY payee_id""", (placement_id, since))
    return [(row["payee_id"], row["cents"]) for row in rows]


async def dispute_summary(conn: psycopg.AsyncConnection, dispute_id: UUID) -> dict[str, Any] | None:
    """The dispute's type, reason, who raised it (`raised_by_role`) and when it was opened."""
    return await fetch_one(conn, "SELECT dispute_type, reason, raised_by_role, opened_at FROM billing.disputes"
                                 " WHERE id = %s", (dispute_id,))


async def hold_placed_at(conn: psycopg.AsyncConnection, hold_id: UUID) -> datetime | None:
    row = await fetch_one(conn, "SELECT created_at FROM billing.escrow_holds WHERE id = %s", (hold_id,))
    return row["created_at"] if row else None


async def billing_contact_email(conn: psycopg.AsyncConnection, owner_kind: str, owner_id: UUID) -> str | None:
    """The billing email of a company's or a firm's billing profile."""
    row = await fetch_one(conn, "SELECT billing_email FROM billing.billing_profiles WHERE owner_kind = %s"
                                " AND owner_id = %s", (owner_kind, owner_id))
    return row["billing_email"] if row else None
