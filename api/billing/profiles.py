"""Billing profiles of companies and firms (domain §13): a company's admins, a firm's owner and admins and
platform admins manage them; the job publish gate reads their readiness. Calls to Stripe come first and are
keyed by what they create (the company, the firm, the stream's version); answers are read from the profile's
stream, so a caller sees their own change at once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter

from api.billing.accounts import _firm_admin, _token
from api.billing.account_models import (
    BillingProfileBody,
    BillingProfileEnvelope,
    BillingProfileOut,
    BillingProfileWritten,
    PaymentMethodBody,
    ReadinessEnvelope,
    ReadinessOut,
    SetupIntentOut,
    SetupIntentWritten,
)
from api.deps import CommandMetadata, CurrentUser, Now, PaymentsDep, Store
from commands.ats import company as companies
from commands.billing import billing_profile as profiles
from commands.billing.events import BillingOwnerKind
from commands.core import Forbidden, NotFound, RuleViolation
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from adapters.payments import PaymentMethodUnusable, Payments
from projections.identity.access import Access

router = APIRouter(prefix="/v1", tags=["billing"])


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
