"""The invoice of each placement's fee to its company (domain §4.5, §5.5): one per placement.

As in the decider, statuses only move forward: a late `InvoiceFinalized` fills in the number and links but
moves only a draft to open, never a paid, void or uncollectible invoice back. `failed` is an open invoice whose
last charge failed (`failure_reason`). `finalized_at` is when it left draft (at issue when Stripe finalized it
at once), `closed_at` when it was voided or marked uncollectible.
"""

from __future__ import annotations

from commands.billing.placement_events import (
    InvoiceClosed,
    InvoiceFinalized,
    InvoiceFundsAvailable,
    InvoiceIssued,
    InvoicePaid,
    InvoicePaymentFailed,
)
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS invoices (
        id                   uuid PRIMARY KEY,
        placement_id         uuid NOT NULL UNIQUE,
        company_id           uuid,
        stripe_customer_id   text NOT NULL,
        stripe_invoice_id    text NOT NULL UNIQUE,
        number               text,
        status               text NOT NULL,
        billing_terms        text NOT NULL,
        collection_method    text NOT NULL,
        fee_cents            bigint NOT NULL,
        processing_fee_cents bigint NOT NULL,
        amount_due_cents     bigint NOT NULL,
        amount_paid_cents    bigint NOT NULL DEFAULT 0,
        currency             text NOT NULL,
        due_date             date,
        hosted_invoice_url   text,
        invoice_pdf_url      text,
        failure_reason       text,
        finalized_at         timestamptz,
        paid_at              timestamptz,
        collectible_at       timestamptz,
        funds_available      boolean NOT NULL DEFAULT false,
        funds_available_at   timestamptz,
        closed_at            timestamptz,
        created_at           timestamptz NOT NULL,
        updated_at           timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS invoices_company_idx ON invoices (company_id, created_at DESC);
    CREATE INDEX IF NOT EXISTS invoices_status_idx ON invoices (status, created_at DESC);
    CREATE INDEX IF NOT EXISTS invoices_awaiting_funds_idx ON invoices (paid_at, id)
        WHERE status = 'paid' AND NOT funds_available;
    """
)

_ISSUED = ("placement_id", "company_id", "stripe_customer_id", "stripe_invoice_id", "number", "status",
           "billing_terms", "collection_method", "fee_cents", "processing_fee_cents", "amount_due_cents", "currency",
           "due_date", "hosted_invoice_url", "invoice_pdf_url")


@billing.handles(InvoiceIssued)
def _(e: InvoiceIssued) -> Sql:
    # No conflict target: a second invoice for the placement, or one for a Stripe invoice already recorded,
    # is left out like a repeated one.
    return Sql(
        f"INSERT INTO invoices (id, {', '.join(_ISSUED)}, finalized_at, created_at, updated_at)"
        f" VALUES (%(id)s, {', '.join(f'%({c})s' for c in _ISSUED)}, %(finalized_at)s, %(at)s, %(at)s)"
        " ON CONFLICT DO NOTHING",
        {**e.model_dump(include=set(_ISSUED)), "id": e.invoice_id, "at": e.at,
         "finalized_at": None if e.status == "draft" else e.at},
    )


@billing.handles(InvoiceFinalized)
def _(e: InvoiceFinalized) -> Sql:
    return Sql(
        "UPDATE invoices SET status = CASE WHEN status = 'draft' THEN 'open' ELSE status END, number = %s,"
        " hosted_invoice_url = %s, invoice_pdf_url = %s, due_date = %s, finalized_at = COALESCE(finalized_at, %s),"
        " updated_at = %s WHERE id = %s",
        (e.number, e.hosted_invoice_url, e.invoice_pdf_url, e.due_date, e.at, e.at, e.invoice_id),
    )


@billing.handles(InvoicePaid)
def _(e: InvoicePaid) -> Sql:
    return Sql(
        "UPDATE invoices SET status = 'paid', amount_paid_cents = %s, paid_at = %s, collectible_at = %s,"
        " updated_at = %s WHERE id = %s",
        (e.amount_paid_cents, e.paid_at, e.collectible_at, e.at, e.invoice_id),
    )


@billing.handles(InvoicePaymentFailed)
def _(e: InvoicePaymentFailed) -> Sql:
    return Sql("UPDATE invoices SET status = 'failed', failure_reason = %s, updated_at = %s WHERE id = %s",
               (e.reason, e.at, e.invoice_id))


@billing.handles(InvoiceClosed)
def _(e: InvoiceClosed) -> Sql:
    return Sql("UPDATE invoices SET status = %s, closed_at = %s, updated_at = %s WHERE id = %s",
               (e.status, e.at, e.at, e.invoice_id))


@billing.handles(InvoiceFundsAvailable)
def _(e: InvoiceFundsAvailable) -> Sql:
    return Sql(
        "UPDATE invoices SET funds_available = true, funds_available_at = COALESCE(funds_available_at, %s),"
        " updated_at = %s WHERE id = %s",
        (e.at, e.at, e.invoice_id),
    )
