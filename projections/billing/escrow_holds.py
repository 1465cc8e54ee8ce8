"""Escrow holds on a placement's payouts (domain §4.5): active → released (by hand, or `automatic`ally on
`release_on`) or cancelled. A hold without `amount_cents` holds the whole of what is unpaid. `automatic` is
NULL until the hold is released."""

from __future__ import annotations

from commands.billing.placement_events import (
    EscrowHoldCancelled,
    EscrowHoldPlaced,
    EscrowHoldReleased,
)
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS escrow_holds (
        id           uuid PRIMARY KEY,
        placement_id uuid NOT NULL,
        amount_cents bigint,
        reason       text NOT NULL,
        release_on   timestamptz,
        status       text NOT NULL,
        placed_by    text NOT NULL,
        released_by  text,
        released_at  timestamptz,
        automatic    boolean,
        cancelled_by text,
        cancelled_at timestamptz,
        created_at   timestamptz NOT NULL,
        updated_at   timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS escrow_holds_placement_idx ON escrow_holds (placement_id);
    CREATE INDEX IF NOT EXISTS escrow_holds_status_idx ON escrow_holds (status, release_on);
    """
)


@billing.handles(EscrowHoldPlaced)
def _(e: EscrowHoldPlaced) -> Sql:
    return Sql(
        "INSERT INTO escrow_holds (id, placement_id, amount_cents, reason, release_on, status, placed_by, created_at,"
        " updated_at) VALUES (%s, %s, %s, %s, %s, 'active', %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.hold_id, e.placement_id, e.amount_cents, e.reason, e.release_on, e.by, e.at, e.at),
    )


@billing.handles(EscrowHoldReleased)
def _(e: EscrowHoldReleased) -> Sql:
    return Sql(
        "UPDATE escrow_holds SET status = 'released', released_by = %s, released_at = %s, automatic = %s,"
        " updated_at = %s WHERE id = %s",
        (e.by, e.at, e.automatic, e.at, e.hold_id),
    )


@billing.handles(EscrowHoldCancelled)
def _(e: EscrowHoldCancelled) -> Sql:
    return Sql(
        "UPDATE escrow_holds SET status = 'cancelled', cancelled_by = %s, cancelled_at = %s, updated_at = %s"
        " WHERE id = %s",
        (e.by, e.at, e.at, e.hold_id),
    )
