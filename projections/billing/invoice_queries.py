"""Look-ups of single billing rows by id, for the reactors (the notifications reactor's planners)."""

from __future__ import annotations

from uuid import UUID

import psycopg


async def invoice_company_and_number(conn: psycopg.AsyncConnection,
                                     invoice_id: UUID) -> tuple[UUID | None, str | None] | None:
    """The invoice's company and number, if the read model has the invoice."""
    cur = await conn.execute("SELECT company_id, number FROM billing.invoices WHERE id = %s", (invoice_id,))
    row = await cur.fetchone()
    return (row[0], row[1]) if row else None


async def transaction_payee(conn: psycopg.AsyncConnection, transaction_id: UUID) -> tuple[str, UUID] | None:
    """Who a payout transaction pays: (payee kind, payee id)."""
    cur = await conn.execute("SELECT payee_kind, payee_id FROM billing.payout_transactions WHERE id = %s",
                             (transaction_id,))
    row = await cur.fetchone()
    return (row[0], row[1]) if row else None
