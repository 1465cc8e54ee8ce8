"""Plans and rates, recruiter subscriptions, billing profiles and Connect accounts (domain §7.5, §13).

Plans and split rates are public reads; only platform admins change them. A recruiter manages their own
subscription and Connect account; a company's admins its billing profile; a firm's owner and admins its
billing profile and Connect account; platform admins all of them. Calls to Stripe come first and are keyed
by what they create (the user, the company, the firm, the stream's version), so a retried request finds
what the first one made; the outcome is then recorded as a command. Subscription, profile and Connect
answers are read from their streams, so a caller sees their own change at once.

Without `STRIPE_SECRET_KEY` payments are simulated (`sim_` ids): a simulated Connect account is onboarded at
once, since no Stripe will ever say so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from psycopg import AsyncConnection

from api.billing.account_models import (
    BillingProfileBody,
    BillingProfileEnvelope,
    BillingProfileOut,
    BillingProfileWritten,
    ChangePlanBody,
    ConnectAccountEnvelope,
    ConnectAccountOut,
    ConnectAccountWritten,
    EntitlementsOut,
    OnboardingLinkOut,
    PaymentMethodBody,
    PlanEnvelope,
    PlanList,
    PlanWritten,
    PlanOut,
    RatesList,
    RatesOut,
    ReadinessEnvelope,
    ReadinessOut,
    SetRatesBody,
    SetupIntentOut,
    SetupIntentWritten,
    SubscribeBody,
    SubscriptionEnvelope,
    SubscriptionOut,
    SubscriptionWritten,
    UpdatePlanBody,
)
from api.consistency import read_after
from api.responses import PageNumber, PageSize
from api.deps import CommandMetadata, CurrentUser, Db, Now, PaymentsDep, PlatformAdmin, Store, SystemDep
from api.network.common import known, percentage_to_bps
from commands.ats import company as companies
from commands.billing import billing_profile as profiles
from commands.billing import connect_account as connect
from commands.billing import plan as plans
from commands.billing import subscription as subscriptions
from commands.billing.events import BillingOwnerKind, PayeeKind, PlanTier
from commands.core import Forbidden, Invalid, NotFound, RuleViolation
from commands.network import firm as firms
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from eventstore.handle import handled_before
from adapters.payments import PaymentMethodUnusable, Payments
from projections.billing import queries
from projections.billing.entitlement_queries import entitlements_of
from projections.identity.access import Access

router = APIRouter(prefix="/v1", tags=["billing"])
FreshBilling = Annotated[Position | None, Depends(read_after("billing"))]


async def _email_of(db: AsyncConnection, user_id: UUID) -> str | None:
    cur = await db.execute("SELECT email FROM identity.users WHERE id = %s", (user_id,))
    row = await cur.fetchone()
    return row[0] if row else None


# --- plans and rates ------------------------------------------------------------------------------------------

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


# --- subscriptions --------------------------------------------------------------------------------------------------

async def _subscription(store: EventStore, user_id: UUID) -> tuple[subscriptions.Subscription, int]:
    state, version, _ = await load(store, subscriptions.subscription,
                                   stream_id_for(subscriptions.subscription, user_id))
    return state, version


async def _subscription_written(store: EventStore, user_id: UUID, simulated: bool,
                                now: datetime) -> SubscriptionWritten:
    """The subscription as its stream now stands, with the token a read of it may wait for."""
    state, version, position = await load(store, subscriptions.subscription,
                                          stream_id_for(subscriptions.subscription, user_id))
    return SubscriptionWritten(id=user_id, version=version, consistency_token=_token(position),
                               data=_subscription_out(user_id, state, simulated, now))


def _token(position: Position | None) -> str | None:
    return None if position is None else str(position)


def _subscription_out(user_id: UUID, s: subscriptions.Subscription, simulated: bool,
                      now: datetime) -> SubscriptionOut:
    return SubscriptionOut(
        user_id=user_id, tier=s.tier if s.exists else "starter", effective_tier=subscriptions.effective_tier(s, now),
        billing_period=s.billing_period if s.exists else None, status=s.status if s.exists else None,
        stripe_customer_id=s.stripe_customer_id, stripe_subscription_id=s.stripe_subscription_id,
        current_period_start=s.current_period_start, current_period_end=s.current_period_end, cancel_at=s.cancel_at,
        canceled_at=s.canceled_at, simulated=simulated and s.stripe_subscription_id is not None)


def _subscriber(user: Access) -> UUID:
    user_id = known(user)
    if not (user.is_recruiter or user.is_platform_admin):
        raise Forbidden("subscriptions are for recruiters: create your recruiter profile first (POST /v1/recruiters)")
    return user_id


async def _customer(store: EventStore, payments: Payments, db: AsyncConnection, user_id: UUID,
                    meta: Metadata, now: datetime) -> str:
    """The user's Stripe customer, created (once) when first needed."""
    state, _ = await _subscription(store, user_id)
    if state.stripe_customer_id:
        return state.stripe_customer_id
    customer = await payments.create_customer(email=await _email_of(db, user_id) or f"{user_id}@users.splits",
                                              name=None, metadata={"user_id": str(user_id)},
                                              key=f"subscription-customer:{user_id}")
    await handle(store, subscriptions.subscription, user_id, subscriptions.RecordSubscriptionCustomer(
        user_id=user_id, stripe_customer_id=customer, by=meta.actor, at=now), meta)
    return customer


@router.get("/subscriptions/me", response_model=SubscriptionEnvelope, responses={401: {}})
async def my_subscription(user: CurrentUser, store: Store, payments: PaymentsDep, now: Now) -> SubscriptionEnvelope:
    user_id = known(user)
    state, _ = await _subscription(store, user_id)
    return SubscriptionEnvelope(data=_subscription_out(user_id, state, payments.simulated, now))


@router.post("/subscriptions/setup-intent", response_model=SetupIntentWritten, responses={401: {}, 403: {}, 503: {}})
async def subscription_setup_intent(user: CurrentUser, store: Store, payments: PaymentsDep, db: Db,
                                    meta: CommandMetadata, now: Now) -> SetupIntentWritten:
    """A SetupIntent for the portal to collect a card for the subscription."""
    user_id = _subscriber(user)
    customer = await _customer(store, payments, db, user_id, meta, now)
    _, version, position = await load(store, subscriptions.subscription,
                                      stream_id_for(subscriptions.subscription, user_id))
    intent, secret = await payments.create_setup_intent(
        customer=customer, key=meta.idempotency_key or f"subscription-setup:{user_id}:{version}:{now.isoformat()}")
    return SetupIntentWritten(id=user_id, version=version, consistency_token=_token(position),
                              data=SetupIntentOut(setup_intent_id=intent, client_secret=secret,
                                                  stripe_customer_id=customer))


async def _price(store: EventStore, tier: PlanTier, period: str) -> str:
    plan, _, _ = await load(store, plans.plan, stream_id_for(plans.plan, tier))
    price = plan.stripe_price_id_monthly if period == "monthly" else plan.stripe_price_id_annual
    if not plan.exists or not plan.active or price is None:
        raise RuleViolation(f"plan {tier} cannot be subscribed to {period}", tier=tier, billing_period=period)
    return price


@router.post("/subscriptions", status_code=201, response_model=SubscriptionWritten,
             responses={401: {}, 402: {}, 403: {}, 409: {}, 422: {}, 503: {}})
async def subscribe(body: SubscribeBody, user: CurrentUser, store: Store, payments: PaymentsDep, db: Db,
                    meta: CommandMetadata, now: Now) -> SubscriptionWritten:
    """Starter needs no card; Pro and Partner start a Stripe subscription charged at once (no trial)."""
    user_id = _subscriber(user)
    fields: dict[str, Any] = {}
    if body.tier != "starter":
        state, version = await _subscription(store, user_id)
        if state.exists and state.status != "canceled":
            if await handled_before(store, subscriptions.subscription, user_id, subscriptions.ActivateSubscription,
                                    meta):  # this request, retried with its Idempotency-Key: its first answer
                return await _subscription_written(store, user_id, payments.simulated, now)
            raise RuleViolation("you already have a subscription: change its plan instead (PATCH /v1/subscriptions/me)")
        price = await _price(store, body.tier, body.billing_period)
        customer = await _customer(store, payments, db, user_id, meta, now)
        view = await payments.create_subscription(
            customer=customer, price=price, payment_method=body.payment_method_id,
            metadata={"user_id": str(user_id), "tier": body.tier},
            # A request sent again with its Idempotency-Key meets the subscription its first run made in Stripe,
            # although that run's customer moved the stream's version; without a key, one per version.
            key=f"subscription:{user_id}:{f'key:{meta.idempotency_key}' if meta.idempotency_key else version}:"
                f"{body.tier}:{body.billing_period}")
        fields = {"status": view.status, "stripe_subscription_id": view.id, "stripe_subscription_item_id": view.item_id,
                  "stripe_price_id": view.price_id, "current_period_start": view.current_period_start,
                  "current_period_end": view.current_period_end}
    command = subscriptions.ActivateSubscription(user_id=user_id, tier=body.tier, billing_period=body.billing_period,
                                                 by=meta.actor, at=now, **fields)
    await handle(store, subscriptions.subscription, user_id, command, meta)
    return await _subscription_written(store, user_id, payments.simulated, now)


@router.patch("/subscriptions/me", response_model=SubscriptionWritten,
              responses={401: {}, 403: {}, 404: {}, 422: {}, 503: {}})
async def change_plan(body: ChangePlanBody, user: CurrentUser, store: Store, payments: PaymentsDep,
                      meta: CommandMetadata, now: Now) -> SubscriptionWritten:
    """Between paid plans (Stripe prorates). To leave a paid plan, cancel; from Starter, subscribe."""
    user_id = _subscriber(user)
    state, version = await _subscription(store, user_id)
    if not state.exists or state.status == "canceled":
        raise NotFound("you have no current subscription to change")
    if body.tier == "starter" or state.stripe_subscription_id is None or state.stripe_subscription_item_id is None:
        raise RuleViolation("only a paid plan changes to another paid plan: cancel to leave one, subscribe to "
                            "start one", from_tier=state.tier, to_tier=body.tier)
    price = await _price(store, body.tier, body.billing_period)
    await payments.change_subscription_price(subscription=state.stripe_subscription_id,
                                             item=state.stripe_subscription_item_id, price=price,
                                             key=f"subscription-change:{user_id}:{version}:{body.tier}")
    command = subscriptions.ChangeSubscriptionPlan(user_id=user_id, to_tier=body.tier,
                                                   billing_period=body.billing_period, stripe_price_id=price,
                                                   by=meta.actor, at=now)
    await handle(store, subscriptions.subscription, user_id, command, meta)
    return await _subscription_written(store, user_id, payments.simulated, now)


@router.delete("/subscriptions/me", response_model=SubscriptionWritten, responses={401: {}, 403: {}, 404: {}})
async def cancel_subscription(user: CurrentUser, store: Store, payments: PaymentsDep,
                              meta: CommandMetadata, now: Now) -> SubscriptionWritten:
    """Stripe stops charging at the period's end; the plan's entitlements last until then."""
    user_id = _subscriber(user)
    state, version = await _subscription(store, user_id)
    if not state.exists:
        raise NotFound("you have no subscription to cancel")
    cancel_at = None
    if state.stripe_subscription_id and state.status != "canceled":
        view = await payments.cancel_subscription_at_period_end(subscription=state.stripe_subscription_id,
                                                                key=f"subscription-cancel:{user_id}:{version}")
        cancel_at = view.cancel_at
    command = subscriptions.CancelSubscription(user_id=user_id, cancel_at=cancel_at, by=meta.actor, at=now)
    await handle(store, subscriptions.subscription, user_id, command, meta)
    return await _subscription_written(store, user_id, payments.simulated, now)


# --- billing profiles of companies and firms ----------------------------------------------------------------

async def _firm_admin(store: EventStore, user: Access, firm_id: UUID) -> None:
    firm, _, _ = await load(store, firms.firm, stream_id_for(firms.firm, firm_id))
    if not firm.exists:
        raise NotFound(f"firm {firm_id} not found", firm_id=str(firm_id))
    if user.is_platform_admin:
        return
    role = None if user.user_id is None else firm.members.get(user.user_id)
    if role is None:  # not a member: the firm does not exist for them (a 403 would say it does)
        raise NotFound(f"firm {firm_id} not found", firm_id=str(firm_id))
    if role not in ("owner", "admin"):
        raise Forbidden("only the firm's owner and admins manage its billing", firm_id=str(firm_id))


async def _may_bill(store: EventStore, user: Access, kind: BillingOwnerKind, owner_id: UUID) -> None:
    if kind == "firm":
        await _firm_admin(store, user, owner_id)
        return
    company, _, _ = await load(store, companies.company, stream_id_for(companies.company, owner_id))
    if not company.exists:
        raise NotFound(f"company {owner_id} not found", company_id=str(owner_id))
    if not (user.is_platform_admin or user.is_company_admin_of(owner_id)):
        raise Forbidden("only the company's admins manage its billing", company_id=str(owner_id))


async def _profile(store: EventStore, kind: BillingOwnerKind, owner_id: UUID) -> profiles.BillingProfile:
    state, _, _ = await load(store, profiles.billing_profile,
                             stream_id_for(profiles.billing_profile, profiles.billing_profile_key(kind, owner_id)))
    return state


async def _profile_written(store: EventStore, kind: BillingOwnerKind, owner_id: UUID) -> BillingProfileWritten:
    """The profile as its stream now stands, with the token a read of it (or of a job's publish gate) may wait for."""
    state, version, position = await load(
        store, profiles.billing_profile, stream_id_for(profiles.billing_profile, profiles.billing_profile_key(kind, owner_id)))
    return BillingProfileWritten(id=owner_id, version=version, consistency_token=_token(position),
                                 data=_profile_out(kind, owner_id, state))


def _profile_out(kind: str, owner_id: UUID, p: profiles.BillingProfile) -> BillingProfileOut:
    return BillingProfileOut(owner_kind=kind, owner_id=owner_id, billing_terms=p.billing_terms,
                             billing_email=p.billing_email, billing_contact_name=p.billing_contact_name,
                             tax_id=p.tax_id, address=dict(p.address) if p.address else None,
                             stripe_customer_id=p.stripe_customer_id, payment_method_id=p.payment_method_id,
                             ready=p.ready, missing=list(p.missing))


async def _get_profile(kind: BillingOwnerKind, owner_id: UUID, user: Access, store: EventStore
                       ) -> BillingProfileEnvelope:
    await _may_bill(store, user, kind, owner_id)
    state = await _profile(store, kind, owner_id)
    if not state.exists:
        raise NotFound(f"the {kind} {owner_id} has no billing profile yet", owner_id=str(owner_id))
    return BillingProfileEnvelope(data=_profile_out(kind, owner_id, state))


async def _save_profile(kind: BillingOwnerKind, owner_id: UUID, body: BillingProfileBody, user: Access,
                        store: EventStore, payments: Payments, meta: Metadata, now: datetime) -> BillingProfileWritten:
    """Save the profile, then make sure it has a Stripe customer (created once per company or firm)."""
    await _may_bill(store, user, kind, owner_id)
    key = profiles.billing_profile_key(kind, owner_id)
    save = profiles.SaveBillingProfile(owner_kind=kind, owner_id=owner_id, by=meta.actor, at=now,
                                       **body.model_dump())
    await handle(store, profiles.billing_profile, key, save, meta)
    state = await _profile(store, kind, owner_id)
    if state.stripe_customer_id is None:
        customer = await payments.create_customer(
            email=save.billing_email, name=body.billing_contact_name,
            metadata={"owner_kind": kind, "owner_id": str(owner_id)}, key=f"billing-customer:{kind}:{owner_id}")
        attach = profiles.AttachBillingCustomer(owner_kind=kind, owner_id=owner_id, stripe_customer_id=customer,
                                                by=meta.actor, at=now)
        await handle(store, profiles.billing_profile, key, attach, meta)
    return await _profile_written(store, kind, owner_id)


async def _profile_setup_intent(kind: BillingOwnerKind, owner_id: UUID, user: Access, store: EventStore,
                                payments: Payments, meta: Metadata, now: datetime) -> SetupIntentWritten:
    await _may_bill(store, user, kind, owner_id)
    state, version, position = await load(
        store, profiles.billing_profile, stream_id_for(profiles.billing_profile, profiles.billing_profile_key(kind, owner_id)))
    if state.stripe_customer_id is None:
        raise RuleViolation(f"save the {kind}'s billing profile first (it creates the Stripe customer)")
    intent, secret = await payments.create_setup_intent(
        customer=state.stripe_customer_id,
        key=meta.idempotency_key or f"billing-setup:{kind}:{owner_id}:{now.isoformat()}")
    return SetupIntentWritten(id=owner_id, version=version, consistency_token=_token(position),
                              data=SetupIntentOut(setup_intent_id=intent, client_secret=secret,
                                                  stripe_customer_id=state.stripe_customer_id))


class PaymentMethodRefused(RuleViolation):
    """The payment method offered is not the profile's customer's usable card (see `payment_method_problem`)."""

    code = "payment_method_unusable"


async def _set_payment_method(kind: BillingOwnerKind, owner_id: UUID, body: PaymentMethodBody, user: Access,
                              store: EventStore, payments: Payments, meta: Metadata,
                              now: datetime) -> BillingProfileWritten:
    """The card the portal collected with the setup intent becomes the default: invoices are charged to it.

    Stripe is asked first (the card exists, is the profile's customer's, is a card, has not expired) and made
    the customer's default there; only then is it recorded, so an id typed in by hand never makes a profile
    ready. The Stripe call is keyed by the stream's version: choosing a card again later sets it again."""
    await _may_bill(store, user, kind, owner_id)
    key = profiles.billing_profile_key(kind, owner_id)
    state, version, _ = await load(store, profiles.billing_profile, stream_id_for(profiles.billing_profile, key))
    if state.stripe_customer_id is None:
        raise RuleViolation(f"save the {kind}'s billing profile first (it creates the Stripe customer)")
    pm = body.payment_method_id
    try:
        await payments.make_default_payment_method(customer=state.stripe_customer_id, payment_method=pm,
                                                   today=now.date(), key=f"billing-default-pm:{key}:{version}:{pm}")
    except PaymentMethodUnusable as exc:
        raise PaymentMethodRefused(str(exc), reason=exc.reason, payment_method_id=pm) from exc
    command = profiles.SetDefaultPaymentMethod(owner_kind=kind, owner_id=owner_id, payment_method_id=pm,
                                               by=meta.actor, at=now)
    await handle(store, profiles.billing_profile, key, command, meta)
    return await _profile_written(store, kind, owner_id)


async def _readiness(kind: BillingOwnerKind, owner_id: UUID, user: Access, store: EventStore) -> ReadinessEnvelope:
    """Read from the profile's stream, as the job publish gate reads it (api/ats/jobs.py): what this says is
    what publishing finds."""
    await _may_bill(store, user, kind, owner_id)
    state = await _profile(store, kind, owner_id)
    return ReadinessEnvelope(data=ReadinessOut(ready=state.ready, missing=list(state.missing)))


for _kind, _prefix in (("company", "/companies/{owner_id}"), ("firm", "/firms/{owner_id}")):
    def _routes(kind: BillingOwnerKind, prefix: str) -> None:
        @router.get(f"{prefix}/billing-profile", response_model=BillingProfileEnvelope, name=f"get_{kind}_profile",
                    responses={401: {}, 403: {}, 404: {}})
        async def get_profile(owner_id: UUID, user: CurrentUser, store: Store) -> BillingProfileEnvelope:
            return await _get_profile(kind, owner_id, user, store)

        @router.put(f"{prefix}/billing-profile", response_model=BillingProfileWritten, name=f"save_{kind}_profile",
                    responses={401: {}, 403: {}, 404: {}, 503: {}})
        async def save_profile(owner_id: UUID, body: BillingProfileBody, user: CurrentUser, store: Store,
                               payments: PaymentsDep, meta: CommandMetadata, now: Now) -> BillingProfileWritten:
            return await _save_profile(kind, owner_id, body, user, store, payments, meta, now)

        @router.post(f"{prefix}/billing-profile/setup-intent", response_model=SetupIntentWritten,
                     name=f"{kind}_setup_intent", responses={401: {}, 403: {}, 404: {}, 422: {}, 503: {}})
        async def setup_intent(owner_id: UUID, user: CurrentUser, store: Store, payments: PaymentsDep,
                               meta: CommandMetadata, now: Now) -> SetupIntentWritten:
            return await _profile_setup_intent(kind, owner_id, user, store, payments, meta, now)

        @router.put(f"{prefix}/billing-profile/payment-method", response_model=BillingProfileWritten,
                    name=f"{kind}_payment_method", responses={401: {}, 403: {}, 404: {}, 422: {}, 503: {}})
        async def payment_method(owner_id: UUID, body: PaymentMethodBody, user: CurrentUser, store: Store,
                                 payments: PaymentsDep, meta: CommandMetadata, now: Now) -> BillingProfileWritten:
            return await _set_payment_method(kind, owner_id, body, user, store, payments, meta, now)

        @router.get(f"{prefix}/billing-readiness", response_model=ReadinessEnvelope, name=f"{kind}_readiness",
                    responses={401: {}, 403: {}, 404: {}})
        async def readiness(owner_id: UUID, user: CurrentUser, store: Store) -> ReadinessEnvelope:
            """Whether the jobs may leave draft: billing email, Stripe customer and default payment method."""
            return await _readiness(kind, owner_id, user, store)

    _routes(_kind, _prefix)  # type: ignore[arg-type]


# --- Connect accounts -------------------------------------------------------------------------------------------------

async def _connect(store: EventStore, kind: PayeeKind, payee_id: UUID) -> connect.ConnectAccount:
    state, _, _ = await load(store, connect.connect_account,
                             stream_id_for(connect.connect_account, connect.connect_account_key(kind, payee_id)))
    return state


def _connect_out(kind: str, payee_id: UUID, a: connect.ConnectAccount, simulated: bool) -> ConnectAccountOut:
    return ConnectAccountOut(payee_kind=kind, payee_id=payee_id, stripe_account_id=a.stripe_account_id,
                             charges_enabled=a.charges_enabled, payouts_enabled=a.payouts_enabled,
                             details_submitted=a.details_submitted, onboarded=a.onboarded,
                             simulated=simulated and a.exists)


async def _create_connect(kind: PayeeKind, payee_id: UUID, email: str | None, store: EventStore, payments: Payments,
                          meta: Metadata, now: datetime) -> ConnectAccountWritten:
    key = connect.connect_account_key(kind, payee_id)
    state = await _connect(store, kind, payee_id)
    if not state.exists:
        account = await payments.create_account(email=email, metadata={"payee_kind": kind, "payee_id": str(payee_id)},
                                                key=f"connect-account:{key}")
        await handle(store, connect.connect_account, key, connect.RecordConnectAccount(
            payee_kind=kind, payee_id=payee_id, stripe_account_id=account, by=meta.actor, at=now), meta)
        state = await _connect(store, kind, payee_id)
    if payments.simulated and not state.onboarded and state.stripe_account_id is not None:
        # Nothing will ever onboard a simulated account: it is ready at once, also when the request that
        # recorded it stopped before this step and is sent again.
        await handle(store, connect.connect_account, key, connect.SyncConnectAccount(
            payee_kind=kind, payee_id=payee_id, stripe_account_id=state.stripe_account_id, charges_enabled=True,
            payouts_enabled=True, details_submitted=True, stripe_event_id="simulated", observed_at=now, at=now),
            meta)
    # Read back from the stream, with the token a read of the account may wait for (also when it existed).
    state, version, position = await load(store, connect.connect_account, stream_id_for(connect.connect_account, key))
    return ConnectAccountWritten(id=payee_id, version=version, consistency_token=_token(position),
                                 data=_connect_out(kind, payee_id, state, payments.simulated))


async def _onboarding_link(kind: PayeeKind, payee_id: UUID, store: EventStore, payments: Payments,
                           portal_url: str) -> OnboardingLinkOut:
    state = await _connect(store, kind, payee_id)
    if not state.exists or state.stripe_account_id is None:
        raise RuleViolation("create the Connect account first")
    url = await payments.onboarding_link(account=state.stripe_account_id,
                                         refresh_url=f"{portal_url}/billing/connect/refresh",
                                         return_url=f"{portal_url}/billing/connect/return")
    return OnboardingLinkOut(url=url)


def _recruiter(user: Access) -> UUID:
    known(user)
    if user.recruiter_id is None:
        raise Forbidden("Connect accounts are for recruiters: create your recruiter profile first")
    return user.recruiter_id


@router.post("/connect/account", status_code=201, response_model=ConnectAccountWritten,
             responses={401: {}, 403: {}, 503: {}})
async def create_my_connect(user: CurrentUser, store: Store, payments: PaymentsDep, db: Db,
                            meta: CommandMetadata, now: Now) -> ConnectAccountWritten:
    """The recruiter's Stripe Connect account, where their payouts are transferred (created once)."""
    recruiter_id = _recruiter(user)
    email = await _email_of(db, user.user_id) if user.user_id else None
    return await _create_connect("recruiter", recruiter_id, email, store, payments, meta, now)


@router.get("/connect/account", response_model=ConnectAccountEnvelope, responses={401: {}, 403: {}, 404: {}})
async def my_connect(user: CurrentUser, store: Store, payments: PaymentsDep) -> ConnectAccountEnvelope:
    recruiter_id = _recruiter(user)
    state = await _connect(store, "recruiter", recruiter_id)
    if not state.exists:
        raise NotFound("you have no Connect account yet (POST /v1/connect/account)")
    return ConnectAccountEnvelope(data=_connect_out("recruiter", recruiter_id, state,
                                                    payments.simulated))


@router.post("/connect/onboarding-link", response_model=OnboardingLinkOut, responses={401: {}, 403: {}, 422: {}})
async def my_onboarding_link(user: CurrentUser, store: Store, payments: PaymentsDep,
                             system: SystemDep) -> OnboardingLinkOut:
    return await _onboarding_link("recruiter", _recruiter(user), store, payments,
                                  system.settings.portal_url)


@router.post("/firms/{firm_id}/connect/account", status_code=201, response_model=ConnectAccountWritten,
             responses={401: {}, 403: {}, 404: {}, 503: {}})
async def create_firm_connect(firm_id: UUID, user: CurrentUser, store: Store, payments: PaymentsDep,
                              meta: CommandMetadata, now: Now) -> ConnectAccountWritten:
    """The firm's Connect account, where its admin take on members' splits is transferred."""
    await _firm_admin(store, user, firm_id)
    return await _create_connect("firm", firm_id, None, store, payments, meta, now)


@router.get("/firms/{firm_id}/connect/account", response_model=ConnectAccountEnvelope,
            responses={401: {}, 403: {}, 404: {}})
async def firm_connect(firm_id: UUID, user: CurrentUser, store: Store, payments: PaymentsDep) -> ConnectAccountEnvelope:
    await _firm_admin(store, user, firm_id)
    state = await _connect(store, "firm", firm_id)
    if not state.exists:
        raise NotFound(f"firm {firm_id} has no Connect account yet", firm_id=str(firm_id))
    return ConnectAccountEnvelope(data=_connect_out("firm", firm_id, state, payments.simulated))


@router.post("/firms/{firm_id}/connect/onboarding-link", response_model=OnboardingLinkOut,
             responses={401: {}, 403: {}, 404: {}, 422: {}})
async def firm_onboarding_link(firm_id: UUID, user: CurrentUser, store: Store, payments: PaymentsDep,
                               system: SystemDep) -> OnboardingLinkOut:
    await _firm_admin(store, user, firm_id)
    return await _onboarding_link("firm", firm_id, store, payments, system.settings.portal_url)
