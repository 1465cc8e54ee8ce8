"""Plans and split rates: public reads; only platform admins change them (domain §7.5). A recruiter's
entitlements are resolved from their subscription's stream."""

from __future__ import annotations

from fastapi import APIRouter

from api.billing.accounts import FreshBilling
from api.billing.account_models import (
    EntitlementsOut,
    PlanEnvelope,
    PlanList,
    PlanWritten,
    PlanOut,
    RatesList,
    RatesOut,
    SetRatesBody,
    UpdatePlanBody,
)
from api.responses import PageNumber, PageSize
from api.deps import CommandMetadata, CurrentUser, Db, Now, PlatformAdmin, Store
from api.network.common import known, percentage_to_bps
from commands.billing import plan as plans
from commands.billing.events import PlanTier
from commands.core import Invalid, NotFound
from eventstore import handle
from projections.billing import queries
from projections.billing.entitlement_queries import entitlements_of

router = APIRouter(prefix="/v1", tags=["billing"])


@router.get("/plans", response_model=PlanList)
async def list_plans(_: FreshBilling, db: Db, page: PageNumber = 1, limit: PageSize = 25) -> PlanList:
    """Public: the plans on offer, with their prices and entitlements."""
    return PlanList.sliced([PlanOut(**row) for row in await queries.list_plans(db)], page, limit)


@router.get("/plans/{tier}", response_model=PlanEnvelope, responses={404: {}})
async def get_plan(tier: PlanTier, _: FreshBilling, db: Db) -> PlanEnvelope:
    row = await queries.get_plan(db, tier)
    if row is None:
        raise NotFound(f"plan {tier} not found", tier=tier)
    return PlanEnvelope(data=PlanOut(**row))


@router.patch("/plans/{tier}", responses={401: {}, 403: {}, 404: {}})
async def update_plan(tier: PlanTier, body: UpdatePlanBody, _: PlatformAdmin, store: Store,
                      meta: CommandMetadata, now: Now) -> PlanWritten:
    command = plans.UpdatePlan(tier=tier, by=meta.actor, at=now, **body.model_dump(exclude_none=True))
    result = await handle(store, plans.plan, tier, command, meta)
    return PlanWritten(id=tier, version=result.version, consistency_token=result.token)


@router.get("/splits-rates", response_model=RatesList)
async def list_rates(_: FreshBilling, db: Db, tier: PlanTier | None = None, history: bool = False,
                     page: PageNumber = 1, limit: PageSize = 25) -> RatesList:
    """Public: each plan's rates in force (with `history`, every version)."""
    rows = await queries.list_splits_rates(db, tier, current_only=not history)
    return RatesList.sliced([RatesOut(**row) for row in rows], page, limit)


@router.get("/splits-rates/{tier}", response_model=RatesList)
async def rates_of(tier: PlanTier, _: FreshBilling, db: Db, history: bool = False, page: PageNumber = 1,
                   limit: PageSize = 25) -> RatesList:
    rows = await queries.list_splits_rates(db, tier, current_only=not history)
    return RatesList.sliced([RatesOut(**row) for row in rows], page, limit)


@router.put("/splits-rates/{tier}", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def set_rates(tier: PlanTier, body: SetRatesBody, _: PlatformAdmin, store: Store,
                    meta: CommandMetadata, now: Now) -> PlanWritten:
    """A new version of the plan's rates. Placements already hired keep the rates they were frozen with."""
    bps = {f"{role}_bps": percentage_to_bps(getattr(body, f"{role}_rate")) for role in
           ("candidate_recruiter", "job_owner", "company_recruiter", "candidate_sourcer", "company_sourcer")}
    if sum(bps.values()) > 10_000:
        raise Invalid(f"the rates add up to {sum(bps.values()) / 100}%, more than 100%", total_bps=sum(bps.values()))
    command = plans.SetSplitsRates(tier=tier, effective_from=body.effective_from or now, by=meta.actor, at=now, **bps)
    result = await handle(store, plans.plan, tier, command, meta)
    return PlanWritten(id=tier, version=result.version, consistency_token=result.token)


@router.get("/entitlements/me", response_model=EntitlementsOut, responses={401: {}})
async def my_entitlements(user: CurrentUser, store: Store, now: Now) -> EntitlementsOut:
    resolved = await entitlements_of(store, known(user), now=now)
    return EntitlementsOut(tier=resolved.tier, subscription_status=resolved.status, entitlements=resolved.values)
