"""Billing's process managers: what billing records when the marketplace moves, and what the marketplace
does when billing moves.

- `PlacementCreated` → the placement's money is frozen (domain §5.3–§5.4): for each of the five roles, the
  recruiter's plan tier at the hire, that plan's rate for the role then, and the recruiter's firm with its
  admin take rate then (0 when the recruiter owns the firm). "Then" is the placement's place in the feed:
  subscriptions, recruiters and firms are folded from the events recorded before it, so a late run freezes
  the same snapshot as a prompt one. A recruiter in several firms is counted in the one they joined first.
- `BillingReadinessChanged` → the company's readiness (which lets its jobs leave draft) follows its billing
  profile; when the profile stops being ready, the company's pending, active and paused jobs return to draft.
- `ConnectAccountOnboarded` → payouts that waited for this payee's Connect account start.
- A subscription change (ours or Stripe's) → the firms the user owns follow the `firm_creation` entitlement:
  suspended when the owner's plan no longer grants it, reactivated when it does again (only a suspension for
  that reason: one a platform admin made stays). A cancelled plan lapses when Stripe ends it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog

from commands.ats import company as companies
from commands.ats import job as jobs
from commands.ats.placement_events import PlacementCreated
from commands.billing import placement_billing as money
from commands.billing import plan as plans
from commands.billing import subscription as subscriptions
from commands.billing.events import (
    BillingReadinessChanged,
    ConnectAccountOnboarded,
    SubscriptionActivated,
    SubscriptionCanceled,
    SubscriptionPlanChanged,
    SubscriptionSynced,
)
from commands.billing.placement_events import ROLES, Role, RoleSnapshot
from commands.core import DomainError
from commands.network import firm as firms
from commands.network import recruiter as recruiters
from eventstore.handle import state_as_of
from consumers.runtime.reactor import PermanentError, Reaction, Reactor
from eventstore import EventStore, Position, handle, load, stream_id_for
from projections.ats.queries import open_jobs_of
from projections.billing.entitlement_queries import entitlements_of
from projections.billing.queries import placements_waiting_for_connect
from projections.network.queries import firms_of_member, firms_owned_by

log = structlog.get_logger(__name__)

_HOLDERS: dict[Role, str] = {
    "candidate_recruiter": "candidate_recruiter_id",
    "company_recruiter": "company_recruiter_id",
    "job_owner": "job_owner_recruiter_id",
    "candidate_sourcer": "candidate_sourcer_recruiter_id",
    "company_sourcer": "company_sourcer_recruiter_id",
}


async def _firm_of(store: EventStore, user_id: UUID, recruiter_id: UUID, before: Position) -> tuple[UUID, int] | None:
    """The firm the recruiter belonged to at `before` (the earliest joined), and its take on their splits."""
    async with store.pool.connection() as db:
        candidates = await firms_of_member(db, user_id, recruiter_id)
    for firm_id in candidates:
        firm = await state_as_of(store, firms.firm, firm_id, before)
        role = firm.members.get(user_id) if firm.exists else None
        if role is not None:
            return firm_id, 0 if role == "owner" else firm.admin_take_rate_bps
    return None


async def _role_snapshot(store: EventStore, role: Role, recruiter_id: UUID | None, e: PlacementCreated,
                         at: Position, plan_states: dict[str, Any]) -> RoleSnapshot:
    empty = RoleSnapshot(role=role, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                         firm_take_bps=None)
    if recruiter_id is None:
        return empty
    recruiter = await state_as_of(store, recruiters.recruiter, recruiter_id, at)
    if not recruiter.exists or recruiter.user_id is None:
        log.warning("a credited recruiter has no record; their share stays with the platform",
                    placement_id=str(e.placement_id), role=role, recruiter_id=str(recruiter_id))
        return empty.model_copy(update={"recruiter_id": recruiter_id})
    subscription = await state_as_of(store, subscriptions.subscription, recruiter.user_id, at)
    tier = subscriptions.effective_tier(subscription, e.hired_at)
    if tier not in plan_states:
        plan_states[tier], _, _ = await load(store, plans.plan, stream_id_for(plans.plan, tier))
    rates = plans.rates_at(plan_states[tier], e.hired_at)
    if rates is None:
        raise PermanentError(f"plan {tier} has no split rates in force at {e.hired_at.isoformat()}")
    firm = await _firm_of(store, recruiter.user_id, recruiter_id, at)
    return RoleSnapshot(role=role, recruiter_id=recruiter_id, user_id=recruiter.user_id, tier=tier,
                        rate_bps=plans.rate_bps(rates, role), firm_id=firm[0] if firm else None,
                        firm_take_bps=firm[1] if firm else None)


async def on_placement_created(reaction: Reaction) -> None:
    e: PlacementCreated = reaction.event
    store, at = reaction.store, reaction.recorded.position
    plan_states: dict[str, Any] = {}
    roles = [await _role_snapshot(store, role, getattr(e, _HOLDERS[role]), e, at, plan_states) for role in ROLES]
    command = money.FreezeSnapshot(placement_id=e.placement_id, application_id=e.application_id, job_id=e.job_id,
                                   company_id=e.company_id, fee_cents=e.fee_cents, hired_at=e.hired_at, roles=roles,
                                   at=e.at)
    try:
        await handle(store, money.placement_billing, e.placement_id, command, reaction.metadata())
    except DomainError as exc:
        raise PermanentError(f"placement {e.placement_id} could not be snapshot: {exc.message}") from exc


async def on_readiness_changed(reaction: Reaction) -> None:
    e: BillingReadinessChanged = reaction.event
    if e.owner_kind != "company":
        return  # a firm's jobs read their readiness from the billing profile itself
    store, meta, by = reaction.store, reaction.metadata(), f"reactor:{reaction.reactor}"
    ready = companies.SetCompanyBillingReadiness(company_id=e.owner_id, ready=e.ready, by=by, at=e.at)
    await handle(store, companies.company, e.owner_id, ready, meta)
    if e.ready:
        return
    async with store.pool.connection() as db:
        job_ids = await open_jobs_of(db, e.owner_id)
    reason = "billing profile incomplete: " + ", ".join(e.missing)
    for job_id in job_ids:
        back = jobs.ReturnJobToDraft(job_id=job_id, reason=reason, by=by, at=e.at)
        try:
            await handle(store, jobs.job, job_id, back, meta)
        except DomainError as exc:  # moved on meanwhile (closed, filled): nothing to take back
            log.info("job not returned to draft", job_id=str(job_id), reason=exc.message)


async def on_connect_onboarded(reaction: Reaction) -> None:
    e: ConnectAccountOnboarded = reaction.event
    async with reaction.store.pool.connection() as db:
        placement_ids = await placements_waiting_for_connect(db, e.payee_kind, e.payee_id)
    for placement_id in placement_ids:
        command = money.StartPayouts(placement_id=placement_id, trigger="connect_onboarded",
                                     by=f"reactor:{reaction.reactor}", at=e.at)
        await handle(reaction.store, money.placement_billing, placement_id, command, reaction.metadata())


PLAN_LAPSED = "the owner's plan no longer includes firms (firm_creation)"


async def on_subscription_changed(reaction: Reaction) -> None:
    e = reaction.event
    store, by = reaction.store, f"reactor:{reaction.reactor}"
    entitled = (await entitlements_of(store, e.user_id, e.at)).allows("firm_creation")
    async with store.pool.connection() as db:
        owned = await firms_owned_by(db, e.user_id)
    for firm_id, status, reason in owned:
        command: firms.FirmCommand
        if not entitled and status == "active":
            command = firms.SuspendFirm(firm_id=firm_id, reason=PLAN_LAPSED, is_platform_admin=True, by=by, at=e.at)
        elif entitled and status == "suspended" and reason == PLAN_LAPSED:
            command = firms.ReactivateFirm(firm_id=firm_id, is_platform_admin=True, by=by, at=e.at)
        else:
            continue
        await handle(store, firms.firm, firm_id, command, reaction.metadata())


billing_snapshots = Reactor("billing-snapshots", [PlacementCreated], on_placement_created)
billing_readiness = Reactor("billing-readiness", [BillingReadinessChanged], on_readiness_changed)
connect_payouts = Reactor("connect-payouts", [ConnectAccountOnboarded], on_connect_onboarded)
firm_plans = Reactor("firm-plans", [SubscriptionActivated, SubscriptionPlanChanged, SubscriptionCanceled,
                                     SubscriptionSynced], on_subscription_changed)
