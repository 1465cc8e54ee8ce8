"""Firm routes (domain §7.4): firms, their members and invitations, the admin take rate, ownership, and
suspension by platform admins.

A firm is visible to its members and platform admins, judged from the firm's own stream; to anyone
else it does not exist (404). What a member may do there is the firm decider's rule (owner, admin,
member). An invitation is accepted by the signed-in user whose email it was sent to; they find it
with GET /v1/firm-invitations.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException

from api.errors import not_registered
from api.deps import Caller, CommandMetadata, CurrentUser, Db, Now, PlatformAdmin, Store, SystemDep
from api.identity.users_verified import verified_email
from api.network.common import (
    FreshNetwork,
    known,
    member_firm,
    new_id,
    own_recruiter,
    percentage_to_bps,
)
from api.network.entitlements import may_create_firms
from api.network.firm_models import (
    CreateFirmBody,
    FirmInvitationBody,
    FirmInvitationOut,
    FirmInvitationResponse,
    FirmInvitationSent,
    FirmMemberOut,
    FirmOut,
    MemberRoleBody,
    MyFirmInvitation,
    TakeRateBody,
    TransferBody,
)
from api.network.models import OptionalReasonBody
from api.responses import CommandResponse, ListOf, PageNumber, PageSize
from commands.core import Conflict, Forbidden
from commands.identity import user as users
from commands.network import firm as firms
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from projections.identity.access import Access
from projections.network import queries

router = APIRouter(tags=["firms"])


def _acting(user: Access) -> dict:
    return {"by_user_id": user.user_id, "is_platform_admin": user.is_platform_admin}


async def _run(store: EventStore, firm_id: UUID, command: firms.FirmCommand, meta: Metadata) -> CommandResponse:
    return CommandResponse.of(firm_id, await handle(store, firms.firm, firm_id, command, meta))


@router.post("/firms", status_code=201, responses={401: {}, 403: {}, 409: {}})
async def create_firm(body: CreateFirmBody, user: CurrentUser, store: Store, db: Db,
                      meta: CommandMetadata, now: Now) -> CommandResponse:
    """Create a firm owned by the caller, who must hold the firm_creation entitlement."""
    user_id = known(user)
    if await queries.firm_slug_taken(db, body.slug):
        raise Conflict(f"the slug {body.slug!r} is taken by another firm", slug=body.slug)
    firm_id = new_id(meta, "firm")
    command = firms.CreateFirm(firm_id=firm_id, name=body.name, slug=body.slug, by_user_id=user_id,
                               may_create_firms=await may_create_firms(db, store, user_id, now),
                               admin_take_rate_bps=percentage_to_bps(body.admin_take_rate), by=meta.actor, at=now)
    return await _run(store, firm_id, command, meta)


@router.get("/firms", responses={401: {}})
async def list_firms(_: FreshNetwork, user: CurrentUser, db: Db, page: PageNumber = 1,
                     limit: PageSize = 25) -> ListOf[FirmOut]:
    """Platform admins see every firm; anyone else the firms they are a member of."""
    rows = await queries.list_firms(db, None if user.is_platform_admin else known(user))
    return ListOf[FirmOut].sliced([FirmOut.from_row(r) for r in rows], page, limit)


@router.get("/firms/{firm_id}", responses={401: {}, 404: {}})
async def get_firm(firm_id: UUID, _: FreshNetwork, user: CurrentUser, store: Store, db: Db) -> dict[str, FirmOut]:
    await member_firm(store, user, firm_id)
    row = await queries.get_firm(db, firm_id)
    if row is None:
        raise HTTPException(404, f"firm {firm_id} not found")
    return {"data": FirmOut.from_row(row)}


@router.get("/firms/{firm_id}/members", responses={401: {}, 404: {}})
async def list_members(firm_id: UUID, _: FreshNetwork, user: CurrentUser, store: Store, db: Db,
                       page: PageNumber = 1, limit: PageSize = 25) -> ListOf[FirmMemberOut]:
    await member_firm(store, user, firm_id)
    rows = [FirmMemberOut(**m) for m in await queries.firm_members(db, firm_id)]
    return ListOf[FirmMemberOut].sliced(rows, page, limit)


@router.put("/firms/{firm_id}/members/{user_id}/role", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def change_member_role(firm_id: UUID, user_id: UUID, body: MemberRoleBody, user: CurrentUser, store: Store,
                             meta: CommandMetadata, now: Now) -> CommandResponse:
    await member_firm(store, user, firm_id)
    command = firms.ChangeFirmMemberRole(firm_id=firm_id, user_id=user_id, role=body.role, by=meta.actor, at=now,
                                         **_acting(user))
    return await _run(store, firm_id, command, meta)


@router.delete("/firms/{firm_id}/members/{user_id}", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def remove_member(firm_id: UUID, user_id: UUID, user: CurrentUser, store: Store,
                        meta: CommandMetadata, now: Now) -> CommandResponse:
    """Owners remove admins and members, admins remove members, and anyone but the owner may leave."""
    await member_firm(store, user, firm_id)
    command = firms.RemoveFirmMember(firm_id=firm_id, user_id=user_id, by=meta.actor, at=now, **_acting(user))
    return await _run(store, firm_id, command, meta)


@router.put("/firms/{firm_id}/take-rate", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def set_take_rate(firm_id: UUID, body: TakeRateBody, user: CurrentUser, store: Store,
                        meta: CommandMetadata, now: Now) -> CommandResponse:
    await member_firm(store, user, firm_id)
    command = firms.SetFirmAdminTakeRate(firm_id=firm_id, admin_take_rate_bps=percentage_to_bps(body.admin_take_rate),
                                         by=meta.actor, at=now, **_acting(user))
    return await _run(store, firm_id, command, meta)


@router.post("/firms/{firm_id}/transfer-ownership", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def transfer_ownership(firm_id: UUID, body: TransferBody, user: CurrentUser, store: Store, db: Db,
                             meta: CommandMetadata, now: Now) -> CommandResponse:
    """The owner hands the firm to a member whose plan allows firms; the previous owner stays as an admin."""
    await member_firm(store, user, firm_id)
    command = firms.TransferFirmOwnership(firm_id=firm_id, to_user_id=body.user_id,
                                          target_may_create_firms=await may_create_firms(db, store, body.user_id, now),
                                          by=meta.actor, at=now, **_acting(user))
    return await _run(store, firm_id, command, meta)


@router.post("/firms/{firm_id}/suspend", responses={401: {}, 403: {}, 404: {}})
async def suspend(firm_id: UUID, admin: PlatformAdmin, store: Store, meta: CommandMetadata,
                  now: Now, body: OptionalReasonBody | None = None) -> CommandResponse:
    command = firms.SuspendFirm(firm_id=firm_id, reason=body.reason if body else None, by=meta.actor, at=now,
                                **_acting(admin))
    return await _run(store, firm_id, command, meta)


@router.post("/firms/{firm_id}/reactivate", responses={401: {}, 403: {}, 404: {}})
async def reactivate(firm_id: UUID, admin: PlatformAdmin, store: Store, meta: CommandMetadata,
                     now: Now) -> CommandResponse:
    command = firms.ReactivateFirm(firm_id=firm_id, by=meta.actor, at=now, **_acting(admin))
    return await _run(store, firm_id, command, meta)


# --- invitations -------------------------------------------------------------------------------------------

@router.post("/firms/{firm_id}/invitations", status_code=201, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def invite(firm_id: UUID, body: FirmInvitationBody, user: CurrentUser, store: Store,
                 meta: CommandMetadata, now: Now) -> FirmInvitationResponse:
    """Owners invite admins and members, admins invite members; valid 7 days."""
    await member_firm(store, user, firm_id)
    invitation_id = new_id(meta, f"firm-invitation:{firm_id}")
    command = firms.InviteToFirm(firm_id=firm_id, invitation_id=invitation_id, email=body.email, role=body.role,
                                 by=meta.actor, at=now, **_acting(user))
    result = await handle(store, firms.firm, firm_id, command, meta)
    return FirmInvitationResponse.with_data(firm_id, result, FirmInvitationSent(invitation_id=invitation_id))


@router.get("/firms/{firm_id}/invitations", responses={401: {}, 403: {}, 404: {}})
async def list_invitations(firm_id: UUID, _: FreshNetwork, user: CurrentUser, store: Store, db: Db, now: Now,
                           page: PageNumber = 1, limit: PageSize = 25) -> ListOf[FirmInvitationOut]:
    """For the firm's owner and admins (and platform admins)."""
    state = await member_firm(store, user, firm_id)
    if not user.is_platform_admin and state.members.get(known(user)) not in firms.TAKE_RATE_SETTERS:
        raise Forbidden("only the firm's owner and admins see its invitations", firm_id=str(firm_id))
    rows = [FirmInvitationOut(**r) for r in await queries.firm_invitations(db, firm_id, now)]
    return ListOf[FirmInvitationOut].sliced(rows, page, limit)


@router.post("/firms/{firm_id}/invitations/{invitation_id}/revoke", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def revoke_invitation(firm_id: UUID, invitation_id: UUID, user: CurrentUser, store: Store,
                            meta: CommandMetadata, now: Now) -> CommandResponse:
    await member_firm(store, user, firm_id)
    command = firms.RevokeFirmInvitation(firm_id=firm_id, invitation_id=invitation_id, by=meta.actor, at=now,
                                         **_acting(user))
    return await _run(store, firm_id, command, meta)


@router.post("/firms/{firm_id}/invitations/{invitation_id}/accept",
             responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def accept_invitation(firm_id: UUID, invitation_id: UUID, user: CurrentUser, caller: Caller, store: Store,
                            system: SystemDep, meta: CommandMetadata, now: Now) -> CommandResponse:
    """By the signed-in user the invitation was sent to, whose address Clerk has verified (asked now when a
    Backend API key is set), and who must have a recruiter (a firm is a team of recruiters)."""
    user_id = known(user)
    me, _, _ = await load(store, users.user, stream_id_for(users.user, user_id))
    if not me.exists or me.deleted or me.email is None:
        raise not_registered()
    state, _, _ = await load(store, firms.firm, stream_id_for(firms.firm, firm_id))
    invitation = state.invitations.get(invitation_id)
    addressed = invitation is not None and invitation.email == me.email.lower()
    if not state.exists or not (addressed or user_id in state.members or user.is_platform_admin):
        raise HTTPException(404, f"firm invitation {invitation_id} not found")
    await own_recruiter(store, user)
    email = await verified_email(store, system.settings, caller, user_id, meta, now)
    command = firms.AcceptFirmInvitation(firm_id=firm_id, invitation_id=invitation_id, user_id=user_id,
                                         user_email=email, by=meta.actor, at=now)
    return await _run(store, firm_id, command, meta)


@router.get("/firm-invitations", responses={401: {}})
async def my_invitations(_: FreshNetwork, user: CurrentUser, store: Store, db: Db, now: Now, page: PageNumber = 1,
                         limit: PageSize = 25) -> ListOf[MyFirmInvitation]:
    """The pending firm invitations sent to the caller's email, once Clerk has verified that address."""
    me, _, _ = await load(store, users.user, stream_id_for(users.user, known(user)))
    rows = [] if not me.exists or me.deleted or me.email is None or not me.email_verified else [
        MyFirmInvitation(**r) for r in await queries.firm_invitations_for(db, me.email.lower(), now)]
    return ListOf[MyFirmInvitation].sliced(rows, page, limit)
