"""Stripe Connect accounts, where payouts are transferred (domain §7.5): a recruiter's own, and a firm's, managed
by its owner and admins. The account is created once (keyed by its payee); answers are read from its stream.

Without `STRIPE_SECRET_KEY` payments are simulated (`sim_` ids): a simulated Connect account is onboarded at
once, since no Stripe will ever say so."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter

from api.billing.accounts import _email_of, _firm_admin, _token
from api.billing.account_models import (
    ConnectAccountEnvelope,
    ConnectAccountOut,
    ConnectAccountWritten,
    OnboardingLinkOut,
)
from api.deps import CommandMetadata, CurrentUser, Db, Now, PaymentsDep, Store, SystemDep
from api.network.common import known
from commands.billing import connect_account as connect
from commands.billing.events import PayeeKind
from commands.core import Forbidden, NotFound, RuleViolation
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from adapters.payments import Payments
from projections.identity.access import Access

router = APIRouter(prefix="/v1", tags=["billing"])


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
