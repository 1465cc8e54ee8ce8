"""A placement's money through the API (domain §7.5): its splits and transactions, the invoice, payout
schedules, escrow holds and disputes.

Reads are role-scoped (see `api/billing/policy.py`). Changes are a platform admin's, except opening a
dispute, which the placement's company admins and split recruiters may do too. Every change is a command on
the placement's billing stream; what it starts in Stripe (an invoice, transfers) the reactors carry out.
"""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query

from api.ats.models import Pagination
from api.billing.money_models import (
    CancelScheduleBody,
    CloseDisputeBody,
    DisputeEnvelope,
    DisputeOut,
    DisputePage,
    HoldOut,
    HoldPage,
    InvoiceOut,
    InvoicePage,
    MoneyTotals,
    OpenDisputeBody,
    PlaceHoldBody,
    PlacementMoneyEnvelope,
    PlacementMoneyOut,
    ProcessBody,
    ScheduleOut,
    SchedulePage,
    SplitOut,
    TransactionOut,
    TransactionPage,
    WebhookEventOut,
    WebhookEventPage,
)
from api.billing.policy import billing_visibility, require_disputant, require_party
from api.bounds import FilterText, Limit, Page
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, Now, PlatformAdmin, Store
from api.responses import CommandResponse
from commands.billing import placement_billing as money
from commands.core import NotFound
from eventstore import EventStore, Position, handle, load, stream_id_for
from projections.billing import queries
from projections.billing.queries import BillingVisibility
from projections.identity.access import Access

router = APIRouter(prefix="/v1", tags=["billing"])
FreshBilling = Annotated[Position | None, Depends(read_after("billing"))]


def _pagination(total: int, page: int, limit: int) -> Pagination:
    return Pagination(total=total, page=page, limit=limit, total_pages=ceil(total / limit) if total else 0)


async def _state(store: EventStore, placement_id: UUID) -> money.PlacementBilling:
    state, _, _ = await load(store, money.placement_billing, stream_id_for(money.placement_billing, placement_id))
    return state


async def _record(store: EventStore, placement_id: UUID, command: money.PlacementBillingCommand, meta: Any,
                  answer: UUID | None = None) -> CommandResponse:
    """Run the command on the placement's billing stream; answer with `answer` (a hold, a dispute) or the
    placement as the entity."""
    result = await handle(store, money.placement_billing, placement_id, command, meta)
    return CommandResponse.of(answer or placement_id, result)


async def _as_party(store: EventStore, db: Any, user: Access, placement_id: UUID) -> tuple[money.PlacementBilling, str]:
    state = await _state(store, placement_id)
    return state, require_party(user, state, await billing_visibility(db, user), placement_id)


# --- a placement's money ---------------------------------------------------------------------------------------

@router.get("/placements/{placement_id}/money", response_model=PlacementMoneyEnvelope, responses={401: {}, 404: {}})
async def placement_money(placement_id: UUID, _: FreshBilling, user: CurrentUser, db: Db) -> PlacementMoneyEnvelope:
    """The snapshot, splits, transactions, invoice, schedules, holds and disputes, with totals that reconcile:
    fee = splits + platform remainder."""
    row = await queries.get_placement_money(db, placement_id, await billing_visibility(db, user))
    if row is None:
        raise NotFound(f"placement {placement_id} has no billing record you may see", placement_id=str(placement_id))
    return PlacementMoneyEnvelope(data=PlacementMoneyOut(
        placement_id=placement_id, company_id=row["company_id"], fee_cents=row["fee_cents"], hired_at=row["hired_at"],
        roles=row["roles"], splits=[SplitOut(**s) for s in row["splits"]],
        transactions=[TransactionOut(**t) for t in row["transactions"]],
        invoice=InvoiceOut(**row["invoice"]) if row["invoice"] else None,
        schedules=[ScheduleOut(**s) for s in row["schedules"]], escrow_holds=[HoldOut(**h) for h in row["holds"]],
        disputes=[DisputeOut(**d) for d in row["disputes"]], totals=MoneyTotals(**row["totals"]),
    ))


@router.get("/placements/{placement_id}/invoices", response_model=InvoicePage, responses={401: {}, 404: {}})
async def placement_invoices(placement_id: UUID, _: FreshBilling, user: CurrentUser, db: Db, page: Page = 1,
                             limit: Limit = 25) -> InvoicePage:
    vis = await billing_visibility(db, user)
    await _visible_placement(db, placement_id, vis)
    rows, total = await queries.list_invoices(db, vis, placement_id=placement_id, page=page, limit=limit)
    return InvoicePage(data=[InvoiceOut(**r) for r in rows], pagination=_pagination(total, page, limit))


async def _visible_placement(db: Any, placement_id: UUID, vis: BillingVisibility) -> None:
    """404, as `/money` answers, when the caller has no part in the placement's money: an empty list would
    say no more, but the routes would then disagree on what a stranger is told."""
    if not await queries.placement_visible(db, placement_id, vis):
        raise NotFound(f"placement {placement_id} has no billing record you may see", placement_id=str(placement_id))


@router.post("/placements/{placement_id}/invoices", status_code=202, responses={401: {}, 403: {}, 404: {}})
async def request_invoice(placement_id: UUID, _: PlatformAdmin, store: Store, meta: CommandMetadata,
                          now: Now) -> CommandResponse:
    """Invoice the placement now (once): the manual path when the automatic one could not be made (no billing
    profile yet). The invoicing reactor issues it; an invoiced placement records nothing."""
    command = money.RequestInvoice(placement_id=placement_id, by=meta.actor, at=now)
    return await _record(store, placement_id, command, meta)


# --- payout transactions and schedules --------------------------------------------------------------------------

@router.get("/payout-transactions", response_model=TransactionPage, responses={401: {}, 404: {}})
async def list_transactions(
    _: FreshBilling, user: CurrentUser, db: Db, placement_id: UUID | None = None,
    status: Annotated[str | None, Query(pattern="^(pending|processing|paid|failed|reversed)$")] = None,
    payee_id: UUID | None = None, page: Page = 1, limit: Limit = 25,
) -> TransactionPage:
    vis = await billing_visibility(db, user)
    if placement_id is not None:
        await _visible_placement(db, placement_id, vis)
    rows, total = await queries.list_transactions(db, vis, placement_id=placement_id,
                                                  status=status, payee_id=payee_id, page=page, limit=limit)
    return TransactionPage(data=[TransactionOut(**r) for r in rows], pagination=_pagination(total, page, limit))


async def _start(store: EventStore, placement_id: UUID, meta: Any, only: list[UUID] | None,
                 now: datetime) -> CommandResponse:
    command = money.StartPayouts(placement_id=placement_id, trigger="manual", only=only, by=meta.actor, at=now)
    return await _record(store, placement_id, command, meta)


@router.post("/placements/{placement_id}/payout-transactions/process",
             responses={401: {}, 403: {}, 404: {}, 422: {}})
async def process_placement(placement_id: UUID, _: PlatformAdmin, store: Store, meta: CommandMetadata, now: Now,
                            body: ProcessBody | None = None) -> CommandResponse:
    """Pay the placement's unpaid transactions now (failed ones included), if its invoice is collectible and
    nothing holds it."""
    return await _start(store, placement_id, meta, body.transaction_ids if body else None, now)


@router.post("/payout-transactions/{transaction_id}/process", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def process_transaction(transaction_id: UUID, _: PlatformAdmin, store: Store, db: Db,
                              meta: CommandMetadata, now: Now) -> CommandResponse:
    rows, _total = await queries.list_transactions(db, queries.BillingVisibility(everything=True),
                                                   transaction_id=transaction_id)
    if not rows:
        raise NotFound(f"payout transaction {transaction_id} not found", transaction_id=str(transaction_id))
    return await _start(store, rows[0]["placement_id"], meta, [transaction_id], now)


@router.get("/payout-schedules", response_model=SchedulePage, responses={401: {}})
async def list_schedules(
    _: FreshBilling, user: CurrentUser, db: Db, placement_id: UUID | None = None,
    status: Annotated[str | None, Query(pattern="^(scheduled|processing|processed|failed|cancelled)$")] = None,
    page: Page = 1, limit: Limit = 25,
) -> SchedulePage:
    rows, total = await queries.list_payout_schedules(db, await billing_visibility(db, user),
                                                      placement_id=placement_id, status=status, page=page, limit=limit)
    return SchedulePage(data=[ScheduleOut(**r) for r in rows], pagination=_pagination(total, page, limit))


@router.get("/payout-schedules/stats", responses={401: {}, 403: {}})
async def payout_stats(_: PlatformAdmin, __: FreshBilling, db: Db) -> dict[str, Any]:
    return await queries.payout_stats(db)


async def _schedule(db: Any, schedule_id: UUID) -> dict[str, Any]:
    rows, _ = await queries.list_payout_schedules(db, queries.BillingVisibility(everything=True),
                                                  schedule_id=schedule_id)
    if not rows:
        raise NotFound(f"payout schedule {schedule_id} not found", schedule_id=str(schedule_id))
    return rows[0]


@router.post("/payout-schedules/{schedule_id}/trigger", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def trigger_schedule(schedule_id: UUID, _: PlatformAdmin, store: Store, db: Db,
                           meta: CommandMetadata, now: Now) -> CommandResponse:
    """Run a scheduled or failed schedule now."""
    placement_id = (await _schedule(db, schedule_id))["placement_id"]
    command = money.StartPayouts(placement_id=placement_id, schedule_id=schedule_id, trigger="manual", by=meta.actor,
                                 at=now)
    return await _record(store, placement_id, command, meta)


@router.post("/payout-schedules/{schedule_id}/cancel", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def cancel_schedule(schedule_id: UUID, body: CancelScheduleBody, _: PlatformAdmin, store: Store, db: Db,
                          meta: CommandMetadata, now: Now) -> CommandResponse:
    placement_id = (await _schedule(db, schedule_id))["placement_id"]
    command = money.CancelPayoutSchedule(placement_id=placement_id, schedule_id=schedule_id, reason=body.reason,
                                         by=meta.actor, at=now)
    return await _record(store, placement_id, command, meta)


# --- escrow holds -------------------------------------------------------------------------------------------------

@router.get("/escrow-holds", response_model=HoldPage, responses={401: {}})
async def list_holds(
    _: FreshBilling, user: CurrentUser, db: Db, placement_id: UUID | None = None,
    status: Annotated[str | None, Query(pattern="^(active|released|cancelled)$")] = None,
    page: Page = 1, limit: Limit = 25,
) -> HoldPage:
    rows, total = await queries.list_escrow_holds(db, await billing_visibility(db, user), placement_id=placement_id,
                                                  status=status, page=page, limit=limit)
    return HoldPage(data=[HoldOut(**r) for r in rows], pagination=_pagination(total, page, limit))


@router.post("/escrow-holds", status_code=201, responses={401: {}, 403: {}, 404: {}, 422: {}})
async def place_hold(body: PlaceHoldBody, _: PlatformAdmin, store: Store, meta: CommandMetadata,
                     now: Now) -> CommandResponse:
    """Hold the placement's payouts until released (by hand, or on `release_on`)."""
    hold_id = uuid4()
    command = money.PlaceEscrowHold(placement_id=body.placement_id, hold_id=hold_id, amount_cents=body.amount_cents,
                                    reason=body.reason, release_on=body.release_on, by=meta.actor, at=now)
    return await _record(store, body.placement_id, command, meta, answer=hold_id)


async def _hold_placement(db: Any, hold_id: UUID) -> UUID:
    rows, _ = await queries.list_escrow_holds(db, queries.BillingVisibility(everything=True), hold_id=hold_id)
    if not rows:
        raise NotFound(f"escrow hold {hold_id} not found", hold_id=str(hold_id))
    return rows[0]["placement_id"]


@router.post("/escrow-holds/{hold_id}/release", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def release_hold(hold_id: UUID, _: PlatformAdmin, __: FreshBilling, store: Store, db: Db,
                       meta: CommandMetadata, now: Now) -> CommandResponse:
    placement_id = await _hold_placement(db, hold_id)
    command = money.ReleaseEscrowHold(placement_id=placement_id, hold_id=hold_id, by=meta.actor, at=now)
    return await _record(store, placement_id, command, meta, answer=hold_id)


@router.post("/escrow-holds/{hold_id}/cancel", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def cancel_hold(hold_id: UUID, _: PlatformAdmin, __: FreshBilling, store: Store, db: Db,
                      meta: CommandMetadata, now: Now) -> CommandResponse:
    placement_id = await _hold_placement(db, hold_id)
    command = money.CancelEscrowHold(placement_id=placement_id, hold_id=hold_id, by=meta.actor, at=now)
    return await _record(store, placement_id, command, meta, answer=hold_id)


# --- disputes --------------------------------------------------------------------------------------------------------

@router.post("/disputes", status_code=201, responses={401: {}, 403: {}, 404: {}, 422: {}})
async def open_dispute(body: OpenDisputeBody, user: CurrentUser, store: Store, db: Db,
                       meta: CommandMetadata, now: Now) -> CommandResponse:
    """By the placement's company admins, its split recruiters or a platform admin: holds its unpaid payouts."""
    _, party = await _as_party(store, db, user, body.placement_id)
    dispute_id = uuid4()
    command = money.OpenDispute(placement_id=body.placement_id, dispute_id=dispute_id, dispute_type=body.dispute_type,
                                reason=body.reason, raised_by=meta.actor,
                                raised_by_role=require_disputant(party, body.placement_id), at=now)
    return await _record(store, body.placement_id, command, meta, answer=dispute_id)


@router.get("/disputes", response_model=DisputePage, responses={401: {}})
async def list_disputes(
    _: FreshBilling, user: CurrentUser, db: Db, placement_id: UUID | None = None,
    status: Annotated[str | None, Query(pattern="^(open|under_review|resolved|dismissed)$")] = None,
    page: Page = 1, limit: Limit = 25,
) -> DisputePage:
    rows, total = await queries.list_disputes(db, await billing_visibility(db, user), placement_id=placement_id,
                                              status=status, page=page, limit=limit)
    return DisputePage(data=[DisputeOut(**r) for r in rows], pagination=_pagination(total, page, limit))


async def _dispute(db: Any, user: Access, dispute_id: UUID) -> dict[str, Any]:
    rows, _ = await queries.list_disputes(db, await billing_visibility(db, user), dispute_id=dispute_id)
    if not rows:
        raise NotFound(f"dispute {dispute_id} not found", dispute_id=str(dispute_id))
    return rows[0]


@router.get("/disputes/{dispute_id}", response_model=DisputeEnvelope, responses={401: {}, 404: {}})
async def get_dispute(dispute_id: UUID, _: FreshBilling, user: CurrentUser, db: Db) -> DisputeEnvelope:
    return DisputeEnvelope(data=DisputeOut(**await _dispute(db, user, dispute_id)))


@router.post("/disputes/{dispute_id}/review", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def review_dispute(dispute_id: UUID, user: PlatformAdmin, __: FreshBilling, store: Store, db: Db,
                         meta: CommandMetadata, now: Now) -> CommandResponse:
    placement_id = (await _dispute(db, user, dispute_id))["placement_id"]
    command = money.ReviewDispute(placement_id=placement_id, dispute_id=dispute_id, by=meta.actor, at=now)
    return await _record(store, placement_id, command, meta, answer=dispute_id)


async def _close(dispute_id: UUID, outcome: str, body: CloseDisputeBody, user: Access, store: EventStore, db: Any,
                 meta: Any, now: datetime) -> CommandResponse:
    placement_id = (await _dispute(db, user, dispute_id))["placement_id"]
    command = money.CloseDispute(placement_id=placement_id, dispute_id=dispute_id, outcome=outcome, notes=body.notes,
                                 by=meta.actor, at=now)
    return await _record(store, placement_id, command, meta, answer=dispute_id)


@router.post("/disputes/{dispute_id}/resolve", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def resolve_dispute(dispute_id: UUID, body: CloseDisputeBody, user: PlatformAdmin, __: FreshBilling,
                          store: Store, db: Db, meta: CommandMetadata, now: Now) -> CommandResponse:
    """Resolved with notes: the hold ends and payouts resume."""
    return await _close(dispute_id, "resolved", body, user, store, db, meta, now)


@router.post("/disputes/{dispute_id}/dismiss", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def dismiss_dispute(dispute_id: UUID, body: CloseDisputeBody, user: PlatformAdmin, __: FreshBilling,
                          store: Store, db: Db, meta: CommandMetadata, now: Now) -> CommandResponse:
    """Dismissed with notes: the hold is cancelled and payouts resume."""
    return await _close(dispute_id, "dismissed", body, user, store, db, meta, now)


# --- Stripe webhook events (admins) -----------------------------------------------------------------------------------

@router.get("/stripe/webhook-events", response_model=WebhookEventPage, responses={401: {}, 403: {}})
async def webhook_events(
    _: PlatformAdmin, __: FreshBilling, db: Db, event_type: FilterText = None,
    status: Annotated[str | None, Query(pattern="^(received|processed|ignored)$")] = None,
    page: Page = 1, limit: Limit = 25,
) -> WebhookEventPage:
    rows, total = await queries.list_webhook_events(db, event_type=event_type, status=status, page=page, limit=limit)
    return WebhookEventPage(data=[WebhookEventOut(**r) for r in rows], pagination=_pagination(total, page, limit))
