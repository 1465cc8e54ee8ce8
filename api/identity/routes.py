"""Identity routes (domain §7.2): registration and the caller's own profile, onboarding, activity and
consent; organizations, their members and invitations; platform roles.

Who may manage an organization is decided from its own stream (the memberships recorded there), not
from the union of roles in the access context: a hiring manager in one organization who is an admin
of another must not manage the first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from api.errors import not_registered
from api.consistency import read_after
from api.deps import (
    Caller,
    CommandMetadata,
    CurrentUser,
    Db,
    IdempotencyKey,
    Now,
    PlatformAdmin,
    Store,
    SystemDep,
    request_metadata,
)
from api.identity.models import (
    ConsentBody,
    ConsentOut,
    InvitationBody,
    InvitationOut,
    InvitationPreview,
    Me,
    MemberBody,
    MemberOut,
    MemberRoleBody,
    Membership,
    OnboardingBody,
    OrganizationBody,
    OrganizationOut,
    ProfileBody,
    RegisterBody,
    RenameBody,
    RoleBody,
)
from api.identity.users_verified import register_identity, verified_email
from api.network.recruiter_codes import check_at_sign_up, redeem_at_registration, usable_code
from api.network.referral_models import RecCode
from api.privacy.erasure import request_erasure
from api.responses import CommandResponse, ListOf, PageNumber, PageSize
from commands.core import Forbidden, NotFound, RuleViolation
from commands.identity import invitation as invitations
from commands.identity import organization as orgs
from commands.identity import user as users
from eventstore import (
    EventStore,
    Metadata,
    Position,
    handle,
    load,
    stream_id_for,
)
from projections.identity import queries
from projections.identity.access import Access

router = APIRouter(prefix="/v1", tags=["identity"])
FreshIdentity = Annotated[Position | None, Depends(read_after("identity"))]


def _known(user: Access) -> UUID:
    """The caller's identity user id; a signed-in caller not registered yet must register first."""
    if user.user_id is None:
        raise not_registered()
    return user.user_id


def _new_id(meta: Metadata, kind: str) -> UUID:
    """A fresh id, or one derived from the Idempotency-Key so that a retried request lands on the same stream."""
    return uuid5(NAMESPACE_URL, f"{kind}:{meta.actor}:{meta.idempotency_key}") if meta.idempotency_key else uuid4()


# --- the caller ------------------------------------------------------------------------------------------

@router.post("/users/register", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}, 503: {}})
async def register(body: RegisterBody, caller: Caller, store: Store, system: SystemDep, request: Request, now: Now,
                   db: Db, idempotency_key: IdempotencyKey = None, rec_code: RecCode = None) -> CommandResponse:
    """Idempotent: registering again returns the same user and only updates the profile fields given. The
    email and its verification are Clerk's (read now), never the body's (`register_identity`).

    With `rec_code`, the code's recruiter refers the user (api/network/recruiter_codes.py): an unknown or
    deactivated code, or a second code, is refused before anything is written."""
    user_id, at = users.user_id_for(caller.user_id), now
    # The caller is not resolved here: before this, they are by definition not known.
    meta = request_metadata(request, str(user_id), idempotency_key)
    source = "candidate" if caller.instance == "app" else "portal"
    given = body.model_dump(exclude_unset=True)
    used_code = await usable_code(store, db, rec_code) if rec_code is not None else None
    if used_code is not None:
        await check_at_sign_up(store, user_id, at)
    identity = await register_identity(system.settings, caller, given)
    if used_code is not None:
        # Recorded before the user, so that whatever the registration leads to (a candidate record, an
        # organization's company) finds the referral already there.
        await redeem_at_registration(store, used_code, user_id, meta, at)
    referral = {"referred_by_recruiter_id": used_code[0]} if used_code is not None else {}
    command = users.RegisterUser(user_id=user_id, clerk_user_id=caller.user_id, source=source, by=str(user_id), at=at,
                                 **given | identity | referral)
    result = await handle(store, users.user, user_id, command, meta)
    if source == "candidate":
        # A user first seen through the candidate app is a candidate (as through its webhook).
        grant = users.GrantRole(user_id=user_id, role="candidate", by=str(user_id), at=at)
        result = await handle(store, users.user, user_id, grant, meta)
    return CommandResponse.of(user_id, result)


@router.get("/users/me", responses={401: {}, 403: {}, 404: {}})
async def me(_: FreshIdentity, user: CurrentUser, db: Db) -> dict[str, Me]:
    user_id = _known(user)
    row = await queries.get_user(db, user_id)
    if row is None:
        raise HTTPException(404, "your user has been deleted")
    memberships = [Membership(**m) for m in await queries.memberships_of(db, user_id)]
    return {"data": Me(
        id=row["id"], clerk_user_id=row["clerk_user_id"], email=row["email"], name=row["name"],
        image_url=row["image_url"], onboarding_status=row["onboarding_status"], onboarding_step=row["onboarding_step"],
        onboarding_completed_at=row["onboarding_completed_at"], last_active_at=row["last_active_at"],
        roles=sorted(user.roles), recruiter_id=user.recruiter_id, candidate_id=user.candidate_id,
        is_platform_admin=user.is_platform_admin, memberships=memberships,
    )}


@router.patch("/users/me", responses={401: {}, 403: {}})
async def update_me(body: ProfileBody, user: CurrentUser, store: Store, meta: CommandMetadata,
                    now: Now) -> CommandResponse:
    user_id = _known(user)
    command = users.UpdateProfile(user_id=user_id, by=meta.actor, at=now, **body.model_dump(exclude_unset=True))
    return CommandResponse.of(user_id, await handle(store, users.user, user_id, command, meta))


@router.put("/users/me/onboarding", responses={401: {}, 403: {}, 422: {}})
async def onboarding(body: OnboardingBody, user: CurrentUser, store: Store, meta: CommandMetadata,
                     now: Now) -> CommandResponse:
    user_id = _known(user)
    command = users.ProgressOnboarding(user_id=user_id, by=meta.actor, at=now, **body.model_dump())
    return CommandResponse.of(user_id, await handle(store, users.user, user_id, command, meta))


@router.post("/users/me/activity", responses={401: {}, 403: {}})
async def activity(user: CurrentUser, caller: Caller, store: Store, meta: CommandMetadata,
                   now: Now) -> CommandResponse:
    """A heartbeat: last activity is recorded at most every few minutes (the decider throttles it)."""
    user_id = _known(user)
    command = users.RecordSignIn(user_id=user_id, session_id=caller.session_id, by=meta.actor, at=now)
    return CommandResponse.of(user_id, await handle(store, users.user, user_id, command, meta))


@router.get("/consent", responses={401: {}, 403: {}})
async def get_consent(_: FreshIdentity, user: CurrentUser, db: Db) -> dict[str, ConsentOut | None]:
    row = await queries.consent_of(db, _known(user))
    return {"data": ConsentOut(**row) if row else None}


@router.post("/consent", responses={401: {}, 403: {}})
async def record_consent(
    body: ConsentBody, request: Request, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now
) -> CommandResponse:
    user_id = _known(user)
    command = users.RecordConsent(
        user_id=user_id, by=meta.actor, at=now, ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"), **body.model_dump(),
    )
    return CommandResponse.of(user_id, await handle(store, users.user, user_id, command, meta))


# --- platform roles (platform admins) ---------------------------------------------------------------------

@router.post("/users/{user_id}/roles", responses={401: {}, 403: {}, 404: {}})
async def grant_role(user_id: UUID, body: RoleBody, _: PlatformAdmin, store: Store, meta: CommandMetadata,
                     now: Now) -> CommandResponse:
    command = users.GrantRole(user_id=user_id, by=meta.actor, at=now, **body.model_dump())
    return CommandResponse.of(user_id, await handle(store, users.user, user_id, command, meta))


@router.delete("/users/{user_id}/roles", responses={401: {}, 403: {}, 404: {}})
async def revoke_role(user_id: UUID, body: RoleBody, _: PlatformAdmin, store: Store, meta: CommandMetadata,
                      now: Now) -> CommandResponse:
    command = users.RevokeRole(user_id=user_id, by=meta.actor, at=now, **body.model_dump())
    return CommandResponse.of(user_id, await handle(store, users.user, user_id, command, meta))


@router.delete("/users/{user_id}", responses={401: {}, 403: {}, 404: {}})
async def delete_user(user_id: UUID, _: PlatformAdmin, store: Store, meta: CommandMetadata,
                      response: Response, now: Now) -> CommandResponse:
    """Close the account and ask for everything held about the user to be erased (`Location`: the erasure)."""
    command = users.DeleteUser(user_id=user_id, by=meta.actor, at=now)
    deleted = await handle(store, users.user, user_id, command, meta)
    key = None if meta.idempotency_key is None else f"{meta.idempotency_key}:erasure"
    requested = await request_erasure(store, "user", user_id, replace(meta, idempotency_key=key),
                                      reason="account deleted by a platform admin", now=now)
    response.headers["Location"] = f"/v1/admin/erasures/{requested.id}"
    return CommandResponse.of(user_id, deleted)


# --- organizations and members ----------------------------------------------------------------------------

async def _organization(store: EventStore, user: Access, organization_id: UUID) -> orgs.Organization:
    """The organization, if the caller belongs to it (or is a platform admin); otherwise it does not exist."""
    state, _, _ = await load(store, orgs.organization, stream_id_for(orgs.organization, organization_id))
    member = user.user_id is not None and any(uid == user.user_id for uid, _ in state.members)
    if not state.exists or state.deleted or not (member or user.is_platform_admin):
        raise NotFound(f"organization {organization_id} does not exist", organization_id=str(organization_id))
    return state


async def _managed(store: EventStore, user: Access, organization_id: UUID, company_id: UUID | None = None) -> orgs.Organization:
    """The organization, if the caller may manage it in this scope: a platform admin, an organization-wide
    company_admin, or for a company-scoped change the company_admin of that company (domain §2.4)."""
    state = await _organization(store, user, organization_id)
    if user.is_platform_admin:
        return state
    roles = {state.members.get((user.user_id, None))}
    if company_id is not None:
        roles.add(state.members.get((user.user_id, company_id)))
    if "company_admin" not in roles:
        raise Forbidden("only the organization's company admins may do this", organization_id=str(organization_id))
    return state


class CandidateCannotCreateOrganization(Forbidden):
    code = "candidate_cannot_create_organization"


class CompanyNotAdministered(Forbidden):
    code = "company_not_administered"


class CompanyNotInOrganization(RuleViolation):
    code = "company_not_in_organization"


async def _administers(store: EventStore, user: Access, company_id: UUID) -> bool:
    """Whether the caller already administers the company, from the recorded memberships of the organizations
    they belong to (their streams, not the union of roles in the access context): an organization-wide
    company_admin of an organization running it, or a company_admin scoped to it there."""
    if user.is_platform_admin:
        return True
    for organization_id in user.organization_ids:
        state, _, _ = await load(store, orgs.organization, stream_id_for(orgs.organization, organization_id))
        if not state.exists or state.deleted or state.company_id != company_id:
            continue
        if "company_admin" in {state.members.get((user.user_id, None)), state.members.get((user.user_id, company_id))}:
            return True
    return False


def _company_of(state: orgs.Organization, company_id: UUID | None) -> None:
    """A membership or invitation scoped to a company names the organization's own company: scoping one to
    another company would hand its data to this organization's admins."""
    if company_id is not None and company_id != state.company_id:
        raise CompanyNotInOrganization(f"company {company_id} is not the company of organization {state.id}",
                                       organization_id=str(state.id), company_id=str(company_id))


@router.post("/organizations", status_code=201, responses={401: {}, 403: {}})
async def create_organization(
    body: OrganizationBody, user: CurrentUser, caller: Caller, store: Store, meta: CommandMetadata, now: Now
) -> CommandResponse:
    """Create an organization (for its company) with the caller as its organization-wide company admin.

    A company named in the body must be one the caller already administers (or the caller is a platform
    admin): naming a company is not a way to get it. A candidate's account runs no company."""
    user_id = _known(user)
    if caller.instance == "app" or "candidate" in user.roles:
        raise CandidateCannotCreateOrganization("a candidate account cannot create an organization")
    if body.company_id is not None and not await _administers(store, user, body.company_id):
        raise CompanyNotAdministered(f"you do not administer company {body.company_id}",
                                     company_id=str(body.company_id))
    organization_id, at = _new_id(meta, "organization"), now
    company_id = body.company_id or orgs.company_id_for(organization_id)
    await handle(store, orgs.organization, organization_id, orgs.CreateOrganization(
        organization_id=organization_id, name=body.name, slug=body.slug, company_id=company_id, by=meta.actor, at=at),
        meta)
    result = await handle(store, orgs.organization, organization_id, orgs.AddMember(
        organization_id=organization_id, user_id=user_id, role="company_admin", by=meta.actor, at=at), meta)
    return CommandResponse.of(organization_id, result)


@router.get("/organizations", responses={401: {}})
async def my_organizations(_: FreshIdentity, user: CurrentUser, db: Db, page: PageNumber = 1,
                           limit: PageSize = 25) -> ListOf[OrganizationOut]:
    """Platform admins see every organization; anyone else the ones they belong to."""
    ids = None if user.is_platform_admin else list(user.organization_ids)
    rows = [OrganizationOut(**r) for r in await queries.list_organizations(db, ids)]
    return ListOf[OrganizationOut].sliced(rows, page, limit)


@router.get("/organizations/{organization_id}", responses={401: {}, 404: {}})
async def get_organization(
    organization_id: UUID, _: FreshIdentity, user: CurrentUser, store: Store, db: Db
) -> dict[str, OrganizationOut]:
    await _organization(store, user, organization_id)
    row = await queries.get_organization(db, organization_id)
    if row is None:
        raise HTTPException(404, f"organization {organization_id} not found")
    return {"data": OrganizationOut(**row)}


@router.patch("/organizations/{organization_id}", responses={401: {}, 403: {}, 404: {}})
async def rename_organization(
    organization_id: UUID, body: RenameBody, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now
) -> CommandResponse:
    await _managed(store, user, organization_id)
    command = orgs.RenameOrganization(organization_id=organization_id, by=meta.actor, at=now, **body.model_dump())
    return CommandResponse.of(organization_id, await handle(store, orgs.organization, organization_id, command, meta))


@router.delete("/organizations/{organization_id}", responses={401: {}, 403: {}, 404: {}})
async def delete_organization(
    organization_id: UUID, _: PlatformAdmin, store: Store, meta: CommandMetadata, now: Now
) -> CommandResponse:
    command = orgs.DeleteOrganization(organization_id=organization_id, by=meta.actor, at=now)
    return CommandResponse.of(organization_id, await handle(store, orgs.organization, organization_id, command, meta))


@router.get("/organizations/{organization_id}/members", responses={401: {}, 404: {}})
async def list_members(
    organization_id: UUID, _: FreshIdentity, user: CurrentUser, store: Store, db: Db, page: PageNumber = 1,
    limit: PageSize = 25,
) -> ListOf[MemberOut]:
    await _organization(store, user, organization_id)
    rows = [MemberOut(**m) for m in await queries.members_of(db, organization_id)]
    return ListOf[MemberOut].sliced(rows, page, limit)


@router.post("/organizations/{organization_id}/members", status_code=201, responses={401: {}, 403: {}, 404: {}, 409: {}})
async def add_member(
    organization_id: UUID, body: MemberBody, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now
) -> CommandResponse:
    _company_of(await _managed(store, user, organization_id, body.company_id), body.company_id)
    command = orgs.AddMember(organization_id=organization_id, by=meta.actor, at=now, **body.model_dump())
    return CommandResponse.of(organization_id, await handle(store, orgs.organization, organization_id, command, meta))


@router.patch("/organizations/{organization_id}/members/{user_id}", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def change_member_role(
    organization_id: UUID, user_id: UUID, body: MemberRoleBody, user: CurrentUser, store: Store, meta: CommandMetadata,
    now: Now,
) -> CommandResponse:
    _company_of(await _managed(store, user, organization_id, body.company_id), body.company_id)
    command = orgs.ChangeMemberRole(organization_id=organization_id, user_id=user_id, company_id=body.company_id,
                                    role=body.role, by=meta.actor, at=now)
    return CommandResponse.of(organization_id, await handle(store, orgs.organization, organization_id, command, meta))


@router.delete("/organizations/{organization_id}/members/{user_id}", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def remove_member(
    organization_id: UUID, user_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now,
    company_id: UUID | None = None,
) -> CommandResponse:
    await _managed(store, user, organization_id, company_id)
    command = orgs.RemoveMember(organization_id=organization_id, user_id=user_id, company_id=company_id,
                                by=meta.actor, at=now)
    return CommandResponse.of(organization_id, await handle(store, orgs.organization, organization_id, command, meta))


# --- invitations ------------------------------------------------------------------------------------------

@router.post("/invitations", status_code=201, responses={401: {}, 403: {}, 404: {}})
async def invite(body: InvitationBody, user: CurrentUser, store: Store, meta: CommandMetadata,
                 now: Now) -> CommandResponse:
    _company_of(await _managed(store, user, body.organization_id, body.company_id), body.company_id)
    invitation_id = _new_id(meta, "invitation")
    command = invitations.CreateInvitation(invitation_id=invitation_id, by=meta.actor, at=now, **body.model_dump())
    return CommandResponse.of(invitation_id, await handle(store, invitations.invitation, invitation_id, command, meta))


@router.get("/organizations/{organization_id}/invitations", responses={401: {}, 403: {}, 404: {}})
async def list_invitations(
    organization_id: UUID, _: FreshIdentity, user: CurrentUser, store: Store, db: Db, now: Now, page: PageNumber = 1,
    limit: PageSize = 25,
) -> ListOf[InvitationOut]:
    await _managed(store, user, organization_id)
    rows = [InvitationOut(**r) for r in await queries.invitations_of(db, organization_id, now)]
    return ListOf[InvitationOut].sliced(rows, page, limit)


@router.get("/invitations/{invitation_id}/preview", responses={404: {}})
async def preview_invitation(invitation_id: UUID, _: FreshIdentity, db: Db, now: Now) -> dict[str, InvitationPreview]:
    """Public: what an invitee sees before signing in (the link in the invitation email)."""
    row = await queries.invitation_preview(db, invitation_id, now)
    if row is None:
        raise HTTPException(404, f"invitation {invitation_id} not found")
    return {"data": InvitationPreview(**row)}


@router.post("/invitations/{invitation_id}/accept", responses={401: {}, 403: {}, 404: {}, 422: {}, 503: {}})
async def accept_invitation(
    invitation_id: UUID, user: CurrentUser, caller: Caller, store: Store, system: SystemDep, meta: CommandMetadata,
    now: Now,
) -> CommandResponse:
    """Accept as the signed-in user, whose email, verified by Clerk, must be the invited one. The membership
    and the end of onboarding follow from the acceptance (the invitations process manager)."""
    user_id = _known(user)
    email = await verified_email(store, system.settings, caller, user_id, meta, now)
    command = invitations.AcceptInvitation(invitation_id=invitation_id, user_id=user_id, user_email=email,
                                           by=meta.actor, at=now)
    return CommandResponse.of(invitation_id, await handle(store, invitations.invitation, invitation_id, command, meta))


@router.post("/invitations/{invitation_id}/revoke", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def revoke_invitation(
    invitation_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now
) -> CommandResponse:
    state, _, _ = await load(store, invitations.invitation, stream_id_for(invitations.invitation, invitation_id))
    if not state.exists or state.organization_id is None:
        raise HTTPException(404, f"invitation {invitation_id} not found")
    await _managed(store, user, state.organization_id, state.company_id)
    command = invitations.RevokeInvitation(invitation_id=invitation_id, by=meta.actor, at=now)
    return CommandResponse.of(invitation_id, await handle(store, invitations.invitation, invitation_id, command, meta))
