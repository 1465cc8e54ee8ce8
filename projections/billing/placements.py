"""A placement's money as frozen at the hire: the snapshot of its five roles, the splits computed from it
and the payout transactions that pay them (domain §5.4). Made once and never changed; the transactions then
live on in `payouts`.

`placement_snapshots.platform_remainder_cents` is NULL between the snapshot and its splits (one decision,
so in practice never seen).
"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from commands.billing.placement_events import (
    PlacementSnapshotFrozen,
    PlacementSplitsComputed,
)
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS placement_snapshots (
        placement_id             uuid PRIMARY KEY,
        application_id           uuid NOT NULL,
        job_id                   uuid NOT NULL,
        company_id               uuid,
        fee_cents                bigint NOT NULL,
        hired_at                 timestamptz NOT NULL,
        roles                    jsonb NOT NULL,
        platform_remainder_cents bigint,
        created_at               timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS placement_snapshots_company_idx ON placement_snapshots (company_id);
    CREATE TABLE IF NOT EXISTS placement_splits (
        placement_id    uuid NOT NULL,
        role            text NOT NULL,
        recruiter_id    uuid NOT NULL,
        tier            text NOT NULL,
        rate_bps        integer NOT NULL,
        amount_cents    bigint NOT NULL,
        firm_id         uuid,
        firm_take_bps   integer NOT NULL,
        firm_take_cents bigint NOT NULL,
        net_cents       bigint NOT NULL,
        PRIMARY KEY (placement_id, role)
    );
    CREATE INDEX IF NOT EXISTS placement_splits_recruiter_idx ON placement_splits (recruiter_id);
    CREATE INDEX IF NOT EXISTS placement_splits_firm_idx ON placement_splits (firm_id) WHERE firm_id IS NOT NULL;
    """
)


@billing.handles(PlacementSnapshotFrozen)
def _(e: PlacementSnapshotFrozen) -> Sql:
    return Sql(
        "INSERT INTO placement_snapshots (placement_id, application_id, job_id, company_id, fee_cents, hired_at,"
        " roles, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (placement_id) DO NOTHING",
        (e.placement_id, e.application_id, e.job_id, e.company_id, e.fee_cents, e.hired_at,
         Jsonb([r.model_dump(mode="json") for r in e.roles]), e.at),
    )


_SPLIT = ("role", "recruiter_id", "tier", "rate_bps", "amount_cents", "firm_id", "firm_take_bps", "firm_take_cents",
          "net_cents")
_TRANSACTION = ("role", "kind", "payee_kind", "payee_id", "amount_cents")


@billing.handles(PlacementSplitsComputed)
def _(e: PlacementSplitsComputed) -> list[Sql]:
    remainder = Sql("UPDATE placement_snapshots SET platform_remainder_cents = %s WHERE placement_id = %s",
                    (e.platform_remainder_cents, e.placement_id))
    splits = [
        Sql(f"INSERT INTO placement_splits (placement_id, {', '.join(_SPLIT)})"
            f" VALUES (%(placement_id)s, {', '.join(f'%({c})s' for c in _SPLIT)})"
            " ON CONFLICT (placement_id, role) DO NOTHING",
            {**s.model_dump(include=set(_SPLIT)), "placement_id": e.placement_id})
        for s in e.splits
    ]
    transactions = [
        Sql(f"INSERT INTO payout_transactions (id, placement_id, {', '.join(_TRANSACTION)}, status, retry_count,"
            f" created_at, updated_at) VALUES (%(id)s, %(placement_id)s, {', '.join(f'%({c})s' for c in _TRANSACTION)},"
            " 'pending', 0, %(at)s, %(at)s) ON CONFLICT (id) DO NOTHING",
            {**t.model_dump(include=set(_TRANSACTION)), "id": t.transaction_id, "placement_id": e.placement_id,
             "at": e.at})
        for t in e.transactions
    ]
    return [remainder, *splits, *transactions]
