"""Referral codes (domain §3.3 RecruiterCode, §6 `recruiter_code.*`): a recruiter makes, lists and deactivates
their codes; anyone may look a code up; a user registering with one (`POST /v1/users/register?rec_code=`) is
referred by its recruiter (`redeem_at_registration`).

What we decided where the domain is silent:
- a recruiter's default code is made the first time they list their codes (never before they have a recruiter
  account, never twice, and not at all once they have made one themself);
- the plan limits the *active* codes (`max_referral_codes`: Starter 1, Pro 5, Partner unlimited), read from the
  recruiter's plan now; a recruiter over the limit after a downgrade keeps their codes but makes no new one;
- a registration with an unknown code is refused (404 `referral_code_not_found`), with a deactivated one too
  (422 `referral_code_inactive`), and nothing is written: the sign-up page can then say so and offer to go on
  without it. A user already referred by another code gets 409 `already_referred` (the first code stays);
- a code is taken at sign-up only: within `REFERRAL_WINDOW` of the user's first registration (Clerk's webhook
  often registers them a moment before the sign-up page does). A user registered longer ago is refused (422
  `referral_code_too_late`, nothing written): else anyone could name a sourcer for themself at any time, say
  just before their hire, and that recruiter would take a share of the fee;
- the lookup is public (a visitor holding a code sees whose it is before signing up) and shows only the
  recruiter's slug, their name when their marketplace profile is public, and whether the code can be used
  (its recruiter active, the code active). It is rate-limited per address like every anonymous request.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter

from api.deps import CommandMetadata, CurrentUser, Db, Now, Store
from api.network.common import FreshNetwork, known, new_id, own_recruiter
from api.network.referral_models import (
    CodePath,
    RecruiterCodeBody,
    RecruiterCodeLookup,
    RecruiterCodeOut,
    ReferralOut,
)
from api.responses import CommandResponse, ListOf, PageNumber, PageSize, Pagination
from commands.core import NotFound, RuleViolation
from commands.identity import user as users
from commands.network import recruiter_code as codes
from commands.network import referral as referrals
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from projections.billing.entitlement_queries import entitlements_of
from projections.network.referral_queries import list_recruiter_codes, list_referrals, recruiter_code_by_code

router = APIRouter(prefix="/recruiter-codes", tags=["recruiter-codes"])


class ReferralCodeNotFound(NotFound):
    code = "referral_code_not_found"


class ReferralCodeInactive(RuleViolation):
    code = "referral_code_inactive"


class ReferralCodeTooLate(RuleViolation):
    code = "referral_code_too_late"


REFERRAL_WINDOW = timedelta(days=1)


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(codes.CODE_ALPHABET) for _ in range(length))


async def _codes(store: EventStore, recruiter_id: UUID) -> codes.RecruiterCodes:
    state, _, _ = await load(store, codes.recruiter_codes, stream_id_for(codes.recruiter_codes, recruiter_id))
    return state


def _out(state: codes.RecruiterCodes, redemptions: dict[UUID, int]) -> list[RecruiterCodeOut]:
    return [RecruiterCodeOut(id=i, code=c.code, label=c.label, is_default=c.is_default,
                             status="active" if c.active else "inactive", redemptions=redemptions.get(i, 0),
                             created_at=c.created_at, deactivated_at=c.deactivated_at) for i, c in state.codes]


@router.get("", responses={401: {}, 403: {}})
async def list_codes(_: FreshNetwork, user: CurrentUser, store: Store, db: Db, meta: CommandMetadata,
                     now: Now, page: PageNumber = 1, limit: PageSize = 25) -> ListOf[RecruiterCodeOut]:
    """The caller's codes, oldest first (from their stream, so a code just made is listed); the first list
    makes the default code of a recruiter who has never had one."""
    recruiter = await own_recruiter(store, user)
    assert recruiter.id is not None
    state = await _codes(store, recruiter.id)
    if not state.codes:
        # Keyed by the recruiter: two first lists at once make one default code.
        keyed = replace(meta, idempotency_key=f"default-referral-code:{recruiter.id}")
        code_id = uuid5(NAMESPACE_URL, f"default-referral-code:{recruiter.id}")
        await handle(store, codes.recruiter_codes, recruiter.id, codes.EnsureDefaultRecruiterCode(
            recruiter_id=recruiter.id, code_id=code_id, code=new_code(), by=meta.actor, at=now), keyed)
        state = await _codes(store, recruiter.id)
    counts = {r["id"]: r["redemptions"] for r in await list_recruiter_codes(db, recruiter.id)}
    return ListOf[RecruiterCodeOut].sliced(_out(state, counts), page, limit)


@router.get("/referrals", responses={401: {}, 403: {}})
async def list_my_referrals(_: FreshNetwork, user: CurrentUser, store: Store, db: Db, page: PageNumber = 1,
                            limit: PageSize = 25) -> ListOf[ReferralOut]:
    """The users who registered with the caller's codes, newest first: their candidate record or company the
    caller sources, or `pending` while they have brought neither."""
    recruiter = await own_recruiter(store, user)
    assert recruiter.id is not None
    rows, total = await list_referrals(db, recruiter.id, page, limit)
    return ListOf[ReferralOut](data=[ReferralOut(**r, pending=r["sourced_candidate_id"] is None
                                                 and not r["sourced_company_ids"]) for r in rows],
                               pagination=Pagination.of(total, page, limit))


@router.post("", status_code=201, responses={401: {}, 403: {}, 409: {}, 422: {}})
async def create_code(body: RecruiterCodeBody, user: CurrentUser, store: Store, meta: CommandMetadata,
                      now: Now) -> CommandResponse:
    """A new active code for the caller's (active) recruiter, within their plan's `max_referral_codes`
    (422 `referral_code_limit_reached` beyond it). `id` is the code's id."""
    recruiter = await own_recruiter(store, user, active=True)
    assert recruiter.id is not None
    limit = (await entitlements_of(store, known(user), now)).values.get("max_referral_codes", 0)
    code_id = new_id(meta, "recruiter-code")
    command = codes.CreateRecruiterCode(recruiter_id=recruiter.id, code_id=code_id, code=new_code(),
                                        label=body.label, max_active=limit if isinstance(limit, int) else None,
                                        by=meta.actor, at=now)
    if meta.idempotency_key is not None and (done := (await _codes(store, recruiter.id)).get(code_id)) is not None:
        command = command.model_copy(update={"code": done.code})  # a retry: the code made the first time
    result = await handle(store, codes.recruiter_codes, recruiter.id, command, meta)
    return CommandResponse.of(code_id, result)


@router.post("/{code_id}/deactivate", responses={401: {}, 403: {}, 404: {}})
async def deactivate_code(code_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                          now: Now) -> CommandResponse:
    """The code stops referring anyone from now on; users who registered with it stay referred."""
    recruiter = await own_recruiter(store, user)
    assert recruiter.id is not None
    command = codes.DeactivateRecruiterCode(recruiter_id=recruiter.id, code_id=code_id, by=meta.actor, at=now)
    return CommandResponse.of(code_id, await handle(store, codes.recruiter_codes, recruiter.id, command, meta))


@router.get("/lookup/{code}", response_model=dict[str, RecruiterCodeLookup], responses={404: {}, 422: {}})
async def lookup(code: CodePath, _: FreshNetwork, db: Db) -> dict[str, RecruiterCodeLookup]:
    """Public: whose code this is and whether it can be used."""
    row = await recruiter_code_by_code(db, code.upper())
    if row is None:
        raise ReferralCodeNotFound("no referral code is spelled like this")
    return {"data": RecruiterCodeLookup(code=row["code"], active=row["status"] == "active"
                                        and row["recruiter_status"] == "active",
                                        recruiter_slug=row["recruiter_slug"], recruiter_name=row["recruiter_name"])}


# --- registering with a code ----------------------------------------------------------------------------------

async def usable_code(store: EventStore, db: Db, code: str) -> tuple[UUID, UUID, str]:
    """(recruiter id, code id, code) of a code a registration may use; refused (nothing written) otherwise.
    Found through the read model, its status read from the recruiter's own stream."""
    row = await recruiter_code_by_code(db, code.upper())
    if row is None:
        raise ReferralCodeNotFound("no referral code is spelled like this", referral_code=code.upper())
    found = (await _codes(store, row["recruiter_id"])).get(row["id"])
    if found is None or not found.active or row["recruiter_status"] != "active":
        raise ReferralCodeInactive("this referral code is no longer in use", referral_code=row["code"])
    return row["recruiter_id"], row["id"], row["code"]


async def check_at_sign_up(store: EventStore, user_id: UUID, at: datetime) -> None:
    """A code is redeemed at sign-up: not by a user registered more than `REFERRAL_WINDOW` ago who has not been
    referred yet (a user already referred is the referral decider's: the same code again, or a second one)."""
    user, _, _ = await load(store, users.user, stream_id_for(users.user, user_id))
    if not user.exists or user.registered_at is None or at - user.registered_at <= REFERRAL_WINDOW:
        return
    referral, _, _ = await load(store, referrals.referral, stream_id_for(referrals.referral, user_id))
    if not referral.exists:
        raise ReferralCodeTooLate("a referral code is used when signing up; you registered before",
                                  registered_at=user.registered_at.isoformat())


async def redeem_at_registration(store: EventStore, used: tuple[UUID, UUID, str], user_id: UUID, meta: Metadata,
                                 at: datetime) -> None:
    recruiter_id, code_id, code = used
    await handle(store, referrals.referral, user_id, referrals.RedeemRecruiterCode(
        user_id=user_id, recruiter_id=recruiter_id, code_id=code_id, code=code, by=meta.actor, at=at), meta)
