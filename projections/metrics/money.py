"""Placements and their fees, payouts transferred and disputes opened: `placements`, `payouts`, `disputes`.

Each row is one immutable fact keyed by what it is about (a placement, a Stripe transfer of a transaction, a
dispute), written with `ON CONFLICT DO NOTHING`: applying the event again finds it there. A placement also
makes the five recruiters it credits active on its day (`recruiter_days`).
"""

from __future__ import annotations

from commands.ats.placement_events import PlacementCreated
from commands.billing.placement_events import DisputeOpened, PayoutTransferred
from projections.core import Sql
from projections.metrics.activity import active
from projections.metrics.schema import metrics

metrics.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS placements (
        id         uuid PRIMARY KEY,
        created_at timestamptz NOT NULL,
        fee_cents  bigint NOT NULL
    );
    CREATE INDEX IF NOT EXISTS placements_created_idx ON placements (created_at);
    CREATE TABLE IF NOT EXISTS payouts (
        transaction_id     uuid NOT NULL,
        stripe_transfer_id text NOT NULL,
        placement_id       uuid NOT NULL,
        amount_cents       bigint NOT NULL,
        transferred_at     timestamptz NOT NULL,
        PRIMARY KEY (transaction_id, stripe_transfer_id)
    );
    CREATE INDEX IF NOT EXISTS payouts_transferred_idx ON payouts (transferred_at);
    CREATE TABLE IF NOT EXISTS disputes (
        id           uuid PRIMARY KEY,
        placement_id uuid NOT NULL,
        opened_at    timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS disputes_opened_idx ON disputes (opened_at);
    """
)


@metrics.handles(PlacementCreated)
def _(e: PlacementCreated) -> list[Sql]:
    row = Sql("INSERT INTO placements (id, created_at, fee_cents) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING",
              (e.placement_id, e.at, e.fee_cents))
    recruiters = active(e.at, (e.candidate_recruiter_id, e.company_recruiter_id, e.job_owner_recruiter_id,
                               e.candidate_sourcer_recruiter_id, e.company_sourcer_recruiter_id))
    return [row] if recruiters is None else [row, recruiters]


@metrics.handles(PayoutTransferred)
def _(e: PayoutTransferred) -> Sql:
    return Sql(
        "INSERT INTO payouts (transaction_id, stripe_transfer_id, placement_id, amount_cents, transferred_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (e.transaction_id, e.stripe_transfer_id, e.placement_id, e.amount_cents, e.at),
    )


@metrics.handles(DisputeOpened)
def _(e: DisputeOpened) -> Sql:
    return Sql("INSERT INTO disputes (id, placement_id, opened_at) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING",
               (e.dispute_id, e.placement_id, e.at))
