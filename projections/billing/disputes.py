"""Disputes over a placement's money (domain §4.5, §12): open → under_review → resolved | dismissed. While one
is open or under review, the placement's unpaid payouts wait."""

from __future__ import annotations

from commands.billing.placement_events import (
    DisputeClosed,
    DisputeOpened,
    DisputeUnderReview,
)
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS disputes (
        id               uuid PRIMARY KEY,
        placement_id     uuid NOT NULL,
        dispute_type     text NOT NULL,
        reason           text NOT NULL,
        raised_by        text NOT NULL,
        raised_by_role   text NOT NULL,
        status           text NOT NULL,
        resolution_notes text,
        reviewed_by      text,
        closed_by        text,
        closed_at        timestamptz,
        opened_at        timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS disputes_placement_idx ON disputes (placement_id);
    CREATE INDEX IF NOT EXISTS disputes_status_idx ON disputes (status, opened_at DESC);
    """
)


@billing.handles(DisputeOpened)
def _(e: DisputeOpened) -> Sql:
    return Sql(
        "INSERT INTO disputes (id, placement_id, dispute_type, reason, raised_by, raised_by_role, status, opened_at,"
        " updated_at) VALUES (%s, %s, %s, %s, %s, %s, 'open', %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.dispute_id, e.placement_id, e.dispute_type, e.reason, e.raised_by, e.raised_by_role, e.at, e.at),
    )


@billing.handles(DisputeUnderReview)
def _(e: DisputeUnderReview) -> Sql:
    return Sql("UPDATE disputes SET status = 'under_review', reviewed_by = %s, updated_at = %s WHERE id = %s",
               (e.by, e.at, e.dispute_id))


@billing.handles(DisputeClosed)
def _(e: DisputeClosed) -> Sql:
    return Sql(
        "UPDATE disputes SET status = %s, resolution_notes = %s, closed_by = %s, closed_at = %s, updated_at = %s"
        " WHERE id = %s",
        (e.outcome, e.notes, e.by, e.at, e.at, e.dispute_id),
    )
