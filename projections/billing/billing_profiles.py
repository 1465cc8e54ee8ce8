"""Billing profiles of companies and firms: who pays a placement's invoice, and whether their jobs may leave
draft (`ready`, with what is `missing`).

Each handler upserts, so a Stripe customer or a readiness recorded before the profile is saved still has its
row (the profile's own columns stay NULL until then). Deleting the Stripe customer also clears the default
payment method: it belonged to that customer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from commands.billing.events import (
    BillingCustomerAttached,
    BillingCustomerDeleted,
    BillingPaymentMethodAttached,
    BillingPaymentMethodRemoved,
    BillingProfileSaved,
    BillingReadinessChanged,
)
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS billing_profiles (
        owner_kind                text NOT NULL,
        owner_id                  uuid NOT NULL,
        billing_terms             text,
        billing_email             text,
        billing_contact_name      text,
        tax_id                    text,
        address                   jsonb,
        stripe_customer_id        text,
        default_payment_method_id text,
        ready                     boolean NOT NULL DEFAULT false,
        missing                   jsonb NOT NULL DEFAULT '[]',
        created_at                timestamptz NOT NULL,
        updated_at                timestamptz NOT NULL,
        PRIMARY KEY (owner_kind, owner_id)
    );
    CREATE INDEX IF NOT EXISTS billing_profiles_customer_idx ON billing_profiles (stripe_customer_id);
    """
)

_KEY = "ON CONFLICT (owner_kind, owner_id) DO UPDATE SET"


def _upsert(owner_kind: str, owner_id: UUID, columns: dict[str, Any], at: datetime) -> Sql:
    """Insert the owner's row with `columns`, or set them on the row there is."""
    names = list(columns)
    return Sql(
        f"INSERT INTO billing_profiles (owner_kind, owner_id, {', '.join(names)}, created_at, updated_at)"
        f" VALUES (%(owner_kind)s, %(owner_id)s, {', '.join(f'%({c})s' for c in names)}, %(at)s, %(at)s) {_KEY} "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in names) + ", updated_at = EXCLUDED.updated_at",
        {**columns, "owner_kind": owner_kind, "owner_id": owner_id, "at": at},
    )


@billing.handles(BillingProfileSaved)
def _(e: BillingProfileSaved) -> Sql:
    profile = {"billing_terms": e.billing_terms, "billing_email": e.billing_email,
               "billing_contact_name": e.billing_contact_name, "tax_id": e.tax_id,
               "address": None if e.address is None else Jsonb(e.address)}
    return _upsert(e.owner_kind, e.owner_id, profile, e.at)


@billing.handles(BillingCustomerAttached)
def _(e: BillingCustomerAttached) -> Sql:
    return _upsert(e.owner_kind, e.owner_id, {"stripe_customer_id": e.stripe_customer_id}, e.at)


@billing.handles(BillingPaymentMethodAttached)
def _(e: BillingPaymentMethodAttached) -> Sql:
    return _upsert(e.owner_kind, e.owner_id, {"default_payment_method_id": e.payment_method_id}, e.at)


@billing.handles(BillingReadinessChanged)
def _(e: BillingReadinessChanged) -> Sql:
    return _upsert(e.owner_kind, e.owner_id, {"ready": e.ready, "missing": Jsonb(e.missing)}, e.at)


@billing.handles(BillingPaymentMethodRemoved)
def _(e: BillingPaymentMethodRemoved) -> Sql:
    # Only when it is the default one: removing another method leaves the default standing.
    return Sql(
        "UPDATE billing_profiles SET default_payment_method_id = NULL, updated_at = %s"
        " WHERE owner_kind = %s AND owner_id = %s AND default_payment_method_id = %s",
        (e.at, e.owner_kind, e.owner_id, e.payment_method_id),
    )


@billing.handles(BillingCustomerDeleted)
def _(e: BillingCustomerDeleted) -> Sql:
    return Sql(
        "UPDATE billing_profiles SET stripe_customer_id = NULL, default_payment_method_id = NULL, updated_at = %s"
        " WHERE owner_kind = %s AND owner_id = %s AND stripe_customer_id = %s",
        (e.at, e.owner_kind, e.owner_id, e.stripe_customer_id),
    )
