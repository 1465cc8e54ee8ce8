"""Stripe Connect accounts of recruiters and firms: where their payouts are transferred (domain §5.5).

The three flags are Stripe's view (`account.updated`); `synced_at` is the `observed_at` of the view last applied
and an older one is left out, as the decider does. `onboarded` is set by ConnectAccountOnboarded (`onboarded_at`:
when it was last onboarded, kept once disabled) and cleared by ConnectAccountDisabled (`disabled_reason`). A
payee given a different account (which the decider refuses) would start again with nothing enabled.
"""

from __future__ import annotations

from commands.billing.events import (
    ConnectAccountCreated,
    ConnectAccountDisabled,
    ConnectAccountOnboarded,
    ConnectAccountSynced,
)
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS connect_accounts (
        payee_kind        text NOT NULL,
        payee_id          uuid NOT NULL,
        stripe_account_id text NOT NULL UNIQUE,
        charges_enabled   boolean NOT NULL DEFAULT false,
        payouts_enabled   boolean NOT NULL DEFAULT false,
        details_submitted boolean NOT NULL DEFAULT false,
        onboarded         boolean NOT NULL DEFAULT false,
        onboarded_at      timestamptz,
        disabled_reason   text,
        synced_at         timestamptz,
        created_at        timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL,
        PRIMARY KEY (payee_kind, payee_id)
    );
    """
)

_NEW = ("INSERT INTO connect_accounts (payee_kind, payee_id, stripe_account_id, created_at, updated_at)"
        " VALUES (%(kind)s, %(id)s, %(account)s, %(at)s, %(at)s)")


@billing.handles(ConnectAccountCreated)
def _(e: ConnectAccountCreated) -> Sql:
    return Sql(
        f"{_NEW} ON CONFLICT (payee_kind, payee_id) DO UPDATE SET stripe_account_id = EXCLUDED.stripe_account_id,"
        " charges_enabled = false, payouts_enabled = false, details_submitted = false, onboarded = false,"
        " onboarded_at = NULL, disabled_reason = NULL, synced_at = NULL, updated_at = EXCLUDED.updated_at"
        " WHERE connect_accounts.stripe_account_id <> EXCLUDED.stripe_account_id",
        {"kind": e.payee_kind, "id": e.payee_id, "account": e.stripe_account_id, "at": e.at},
    )


@billing.handles(ConnectAccountSynced)
def _(e: ConnectAccountSynced) -> list[Sql]:
    params = {"kind": e.payee_kind, "id": e.payee_id, "account": e.stripe_account_id, "at": e.at,
              "charges": e.charges_enabled, "payouts": e.payouts_enabled, "details": e.details_submitted,
              "observed": e.observed_at}
    return [
        Sql(f"{_NEW} ON CONFLICT DO NOTHING", params),
        Sql("UPDATE connect_accounts SET charges_enabled = %(charges)s, payouts_enabled = %(payouts)s,"
            " details_submitted = %(details)s, synced_at = %(observed)s, updated_at = %(at)s"
            " WHERE payee_kind = %(kind)s AND payee_id = %(id)s AND stripe_account_id = %(account)s"
            " AND (synced_at IS NULL OR synced_at <= %(observed)s)", params),
    ]


@billing.handles(ConnectAccountOnboarded)
def _(e: ConnectAccountOnboarded) -> list[Sql]:
    params = {"kind": e.payee_kind, "id": e.payee_id, "account": e.stripe_account_id, "at": e.at}
    return [
        Sql(f"{_NEW} ON CONFLICT DO NOTHING", params),
        Sql("UPDATE connect_accounts SET onboarded = true, onboarded_at = %(at)s, disabled_reason = NULL,"
            " updated_at = %(at)s"
            " WHERE payee_kind = %(kind)s AND payee_id = %(id)s AND stripe_account_id = %(account)s", params),
    ]


@billing.handles(ConnectAccountDisabled)
def _(e: ConnectAccountDisabled) -> Sql:
    return Sql(
        "UPDATE connect_accounts SET onboarded = false, disabled_reason = %s, updated_at = %s"
        " WHERE payee_kind = %s AND payee_id = %s AND stripe_account_id = %s",
        (e.reason, e.at, e.payee_kind, e.payee_id, e.stripe_account_id),
    )
