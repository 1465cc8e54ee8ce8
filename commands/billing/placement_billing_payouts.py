"""The decisions of a payout run (domain §5): starting the transfers of a due, manual or Connect-onboarding
run, recording each transfer's outcome, a reversal and a schedule's cancellation. A run ends when each of its
transactions has an outcome; a retryable failure schedules the next run an hour later, at most 3 times.

Called by the decider in commands/billing/placement_billing.py, whose docstring has the decisions these follow.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from commands.billing.placement_billing_commands import (
    CancelPayoutSchedule,
    RecordConnectRequired,
    RecordTransfer,
    RecordTransferFailure,
    RecordTransferReversed,
    StartPayouts,
)
from commands.billing.placement_billing_rules import MAX_RETRIES, RETRY_AFTER, NotCollectible, PayoutsBlocked
from commands.billing.placement_billing_state import PlacementBilling, PlacementBillingEvent, evolve
from commands.billing.placement_events import (
    PayoutConnectRequired,
    PayoutScheduleCancelled,
    PayoutScheduleCompleted,
    PayoutScheduled,
    PayoutsStarted,
    PayoutTransferFailed,
    PayoutTransferred,
    PayoutTransferReversed,
)
from commands.core import Conflict, NotFound, RuleViolation


def decide_start_payouts(cmd: StartPayouts, s: PlacementBilling) -> list[PlacementBillingEvent]:
    manual = cmd.trigger == "manual"
    schedule = s.schedules.get(cmd.schedule_id) if cmd.schedule_id else None
    if cmd.schedule_id is not None:
        if schedule is None:
            raise NotFound(f"payout schedule {cmd.schedule_id} does not exist", schedule_id=str(cmd.schedule_id))
        if schedule.status not in (("scheduled", "failed") if manual else ("scheduled",)):
            return []  # already run (a repeated trigger)
        if not manual and cmd.at < schedule.scheduled_for:
            return []  # not due yet
    if s.blocked:
        if manual:
            raise PayoutsBlocked(cmd.placement_id, s.active_holds, s.open_disputes)
        return []
    # Once a run has released the money, what waited for a Connect account follows it whatever the clock says.
    released = cmd.trigger == "connect_onboarded" and any(
        x.status in ("processing", "processed", "failed") for x in s.schedules.values())
    if not released and (s.invoice is None or not s.invoice.collectible(cmd.at)):
        if manual:
            raise NotCollectible(f"the invoice of placement {cmd.placement_id} is not collectible yet",
                                 placement_id=str(cmd.placement_id),
                                 invoice_status=s.invoice.status if s.invoice else None)
        return []
    waiting = [t.id for t in s.unpaid() if (manual or t.status == "pending") and (cmd.only is None or t.id in cmd.only)]
    if cmd.trigger == "connect_onboarded":
        waiting = [t for t in waiting if s.transactions[t].connect_required]
    if not waiting and schedule is None:
        return []
    started = PayoutsStarted(placement_id=cmd.placement_id, schedule_id=cmd.schedule_id, transaction_ids=waiting,
                             trigger=cmd.trigger, by=cmd.by, at=cmd.at)
    return [started, *_completion(evolve(s, started), cmd.schedule_id, cmd.at)]


def decide_transfer_outcome(cmd: RecordTransfer | RecordTransferFailure | RecordConnectRequired,
             s: PlacementBilling) -> list[PlacementBillingEvent]:
    t = s.transactions.get(cmd.transaction_id)
    if t is None:
        raise NotFound(f"placement {cmd.placement_id} has no payout transaction {cmd.transaction_id}",
                       transaction_id=str(cmd.transaction_id))
    event: PlacementBillingEvent
    match cmd:
        case RecordTransfer() if t.stripe_transfer_id == cmd.stripe_transfer_id:
            return []
        case RecordTransfer() if t.stripe_transfer_id is not None:
            raise Conflict(f"transaction {t.id} was already paid by transfer {t.stripe_transfer_id}",
                           transaction_id=str(t.id), stripe_transfer_id=t.stripe_transfer_id)
        case RecordTransfer():
            event = PayoutTransferred(placement_id=cmd.placement_id, transaction_id=t.id,
                                      stripe_transfer_id=cmd.stripe_transfer_id,
                                      stripe_account_id=cmd.stripe_account_id, amount_cents=cmd.amount_cents,
                                      at=cmd.at)
        case RecordTransferFailure() | RecordConnectRequired() if t.status != "processing":
            return []  # an outcome of a run that already has one
        case RecordTransferFailure():
            retries = t.retry_count + 1
            event = PayoutTransferFailed(placement_id=cmd.placement_id, transaction_id=t.id, reason=cmd.reason,
                                         retry_count=retries, final=retries > MAX_RETRIES, at=cmd.at)
        case RecordConnectRequired():
            event = PayoutConnectRequired(placement_id=cmd.placement_id, transaction_id=t.id,
                                          payee_kind=t.plan.payee_kind, payee_id=t.plan.payee_id,
                                          amount_cents=t.plan.amount_cents, reason=cmd.reason, at=cmd.at)
    after = evolve(s, event)
    run = next((x.id for x in s.schedules.values() if x.status == "processing" and t.id in x.batch), None)
    if run is None and isinstance(event, PayoutTransferFailed) and not event.final:
        # a run without a schedule (by hand, or on Connect onboarding): the retry gets one of its own
        retry = uuid5(t.id, f"retry-{event.retry_count}")
        return [event, PayoutScheduled(placement_id=cmd.placement_id, schedule_id=retry,
                                       scheduled_for=cmd.at + RETRY_AFTER, trigger="retry", at=cmd.at)]
    return [event, *_completion(after, run, cmd.at)]


def _completion(s: PlacementBilling, schedule_id: UUID | None, at: datetime) -> list[PlacementBillingEvent]:
    """A run ends once none of its transactions is processing; a retryable failure schedules the next run."""
    schedule = s.schedules.get(schedule_id) if schedule_id else None
    if schedule is None or schedule.status != "processing":
        return []
    batch = [s.transactions[t] for t in schedule.batch]
    if any(t.status == "processing" for t in batch):
        return []
    assert s.snapshot is not None
    placement_id = s.snapshot.placement_id
    failed = any(t.status == "failed" for t in batch)
    events: list[PlacementBillingEvent] = [PayoutScheduleCompleted(
        placement_id=placement_id, schedule_id=schedule.id, status="failed" if failed else "processed", at=at)]
    if any(t.status == "pending" and t.failure_reason and not t.connect_required for t in batch):
        attempt = max(t.retry_count for t in batch)
        events.append(PayoutScheduled(placement_id=placement_id,
                                      schedule_id=uuid5(schedule.id, f"retry-{attempt}"),
                                      scheduled_for=at + RETRY_AFTER, trigger="retry", at=at))
    return events


def decide_transfer_reversed(cmd: RecordTransferReversed, s: PlacementBilling) -> list[PlacementBillingEvent]:
    t = next((t for t in s.transactions.values() if t.stripe_transfer_id == cmd.stripe_transfer_id), None)
    if t is None:
        raise NotFound(f"placement {cmd.placement_id} has no transfer {cmd.stripe_transfer_id}",
                       stripe_transfer_id=cmd.stripe_transfer_id)
    if t.status == "reversed":
        return []
    return [PayoutTransferReversed(placement_id=cmd.placement_id, transaction_id=t.id,
                                   stripe_transfer_id=cmd.stripe_transfer_id, at=cmd.at)]


def decide_cancel_schedule(cmd: CancelPayoutSchedule, s: PlacementBilling) -> list[PlacementBillingEvent]:
    schedule = s.schedules.get(cmd.schedule_id)
    if schedule is None:
        raise NotFound(f"payout schedule {cmd.schedule_id} does not exist", schedule_id=str(cmd.schedule_id))
    if schedule.status == "cancelled":
        return []
    if schedule.status != "scheduled":
        raise RuleViolation(f"payout schedule {cmd.schedule_id} is {schedule.status}: only a scheduled one is "
                            "cancelled", schedule_id=str(cmd.schedule_id), schedule_status=schedule.status)
    return [PayoutScheduleCancelled(placement_id=cmd.placement_id, schedule_id=cmd.schedule_id, reason=cmd.reason,
                                    by=cmd.by, at=cmd.at)]
