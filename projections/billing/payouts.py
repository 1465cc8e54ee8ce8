"""Payout transactions and the payout schedules that run them (domain §4.5, §5.5).

Statuses follow the decider's `evolve` (commands/billing/placement_billing.py): a transaction is pending →
processing (a run started) → paid (transferred), or back to pending (a retryable failure, or waiting for its
payee's Connect account: `connect_required` names why) or failed (retries spent, or the bank payout failed);
a paid one may be reversed. `stripe_payout_id` is the connected account's payout that carried the transfer
(commands/billing/placement_bank.py decides which). `failed_at` is when it last became failed. A schedule is
scheduled → processing → processed | failed, or cancelled; `transaction_ids` are those its run started.
"""

from __future__ import annotations

from commands.billing.placement_events import (
    PayoutBankFailed,
    PayoutConnectRequired,
    PayoutReachedBank,
    PayoutScheduleCancelled,
    PayoutScheduleCompleted,
    PayoutScheduled,
    PayoutsStarted,
    PayoutTransferFailed,
    PayoutTransferred,
    PayoutTransferReversed,
)
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS payout_transactions (
        id                    uuid PRIMARY KEY,
        placement_id          uuid NOT NULL,
        role                  text NOT NULL,
        kind                  text NOT NULL,
        payee_kind            text NOT NULL,
        payee_id              uuid NOT NULL,
        amount_cents          bigint NOT NULL,
        status                text NOT NULL,
        retry_count           integer NOT NULL DEFAULT 0,
        connect_required      text,
        stripe_transfer_id    text,
        stripe_account_id     text,
        stripe_payout_id      text,
        failure_reason        text,
        processing_started_at timestamptz,
        paid_at               timestamptz,
        failed_at             timestamptz,
        reversed_at           timestamptz,
        created_at            timestamptz NOT NULL,
        updated_at            timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS payout_transactions_placement_idx ON payout_transactions (placement_id);
    CREATE INDEX IF NOT EXISTS payout_transactions_payee_idx ON payout_transactions (payee_kind, payee_id, status);
    CREATE INDEX IF NOT EXISTS payout_transactions_status_idx ON payout_transactions (status, created_at DESC);
    CREATE INDEX IF NOT EXISTS payout_transactions_transfer_idx ON payout_transactions (stripe_transfer_id);
    CREATE INDEX IF NOT EXISTS payout_transactions_account_idx ON payout_transactions (stripe_account_id);
    CREATE TABLE IF NOT EXISTS payout_schedules (
        id                  uuid PRIMARY KEY,
        placement_id        uuid NOT NULL,
        scheduled_for       timestamptz NOT NULL,
        trigger             text NOT NULL,
        status              text NOT NULL,
        transaction_ids     uuid[] NOT NULL DEFAULT '{}',
        started_at          timestamptz,
        completed_at        timestamptz,
        cancellation_reason text,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS payout_schedules_placement_idx ON payout_schedules (placement_id);
    CREATE INDEX IF NOT EXISTS payout_schedules_status_idx ON payout_schedules (status, scheduled_for);
    """
)


# --- schedules ---------------------------------------------------------------------------------------------

@billing.handles(PayoutScheduled)
def _(e: PayoutScheduled) -> Sql:
    return Sql(
        "INSERT INTO payout_schedules (id, placement_id, scheduled_for, trigger, status, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, 'scheduled', %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.schedule_id, e.placement_id, e.scheduled_for, e.trigger, e.at, e.at),
    )


@billing.handles(PayoutsStarted)
def _(e: PayoutsStarted) -> list[Sql]:
    started = [Sql(
        "UPDATE payout_transactions SET status = 'processing', processing_started_at = %s, updated_at = %s"
        " WHERE id = ANY(%s::uuid[]) AND placement_id = %s",
        (e.at, e.at, list(e.transaction_ids), e.placement_id),
    )]
    if e.schedule_id is not None:
        started.append(Sql(
            "UPDATE payout_schedules SET status = 'processing', transaction_ids = %s::uuid[], started_at = %s,"
            " updated_at = %s WHERE id = %s",
            (list(e.transaction_ids), e.at, e.at, e.schedule_id),
        ))
    return started


@billing.handles(PayoutScheduleCompleted)
def _(e: PayoutScheduleCompleted) -> Sql:
    return Sql("UPDATE payout_schedules SET status = %s, completed_at = %s, updated_at = %s WHERE id = %s",
               (e.status, e.at, e.at, e.schedule_id))


@billing.handles(PayoutScheduleCancelled)
def _(e: PayoutScheduleCancelled) -> Sql:
    return Sql("UPDATE payout_schedules SET status = 'cancelled', cancellation_reason = %s, updated_at = %s"
               " WHERE id = %s", (e.reason, e.at, e.schedule_id))


# --- transactions ------------------------------------------------------------------------------------------

@billing.handles(PayoutTransferred)
def _(e: PayoutTransferred) -> Sql:
    return Sql(
        "UPDATE payout_transactions SET status = 'paid', stripe_transfer_id = %s, stripe_account_id = %s,"
        " connect_required = NULL, failure_reason = NULL, paid_at = %s, updated_at = %s WHERE id = %s",
        (e.stripe_transfer_id, e.stripe_account_id, e.at, e.at, e.transaction_id),
    )


@billing.handles(PayoutTransferFailed)
def _(e: PayoutTransferFailed) -> Sql:
    status = "failed" if e.final else "pending"
    return Sql(
        "UPDATE payout_transactions SET status = %s, retry_count = %s, failure_reason = %s,"
        " failed_at = CASE WHEN %s THEN %s ELSE failed_at END, updated_at = %s WHERE id = %s",
        (status, e.retry_count, e.reason, e.final, e.at, e.at, e.transaction_id),
    )


@billing.handles(PayoutConnectRequired)
def _(e: PayoutConnectRequired) -> Sql:
    return Sql("UPDATE payout_transactions SET status = 'pending', connect_required = %s, updated_at = %s"
               " WHERE id = %s", (e.reason, e.at, e.transaction_id))


@billing.handles(PayoutTransferReversed)
def _(e: PayoutTransferReversed) -> Sql:
    return Sql("UPDATE payout_transactions SET status = 'reversed', reversed_at = %s, updated_at = %s WHERE id = %s",
               (e.at, e.at, e.transaction_id))


@billing.handles(PayoutReachedBank)
def _(e: PayoutReachedBank) -> Sql:
    # paid again when a later payout carried the money a failed one returned; a reversed transfer stays reversed
    return Sql(
        "UPDATE payout_transactions SET status = CASE WHEN status = 'reversed' THEN status ELSE 'paid' END,"
        " stripe_payout_id = %s, failure_reason = NULL, updated_at = %s WHERE id = %s",
        (e.stripe_payout_id, e.at, e.transaction_id),
    )


@billing.handles(PayoutBankFailed)
def _(e: PayoutBankFailed) -> Sql:
    return Sql(
        "UPDATE payout_transactions SET status = CASE WHEN status = 'reversed' THEN status ELSE 'failed' END,"
        " stripe_payout_id = %s, failure_reason = %s, failed_at = %s, updated_at = %s WHERE id = %s",
        (e.stripe_payout_id, e.reason, e.at, e.at, e.transaction_id),
    )
