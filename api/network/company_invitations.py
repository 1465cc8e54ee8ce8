"""Company platform invitations (domain §3.3, §4.4, §5.2): a recruiter invites a company that is not on the
platform; a signed-in user holding the link accepts it, which makes their organization and its company and
makes the recruiter the company's sourcer.

Acceptance, in order, each step idempotent so that a retried request finishes what a failed one began: the
acceptance is checked against the invitation's stream and the company's slug against the read model (a refusal
writes nothing); then `CompanyPlatformInvitationAccepted`; the inviting recruiter's claim as company sourcer
(`ClaimCompanySourcer`, made here, before the company exists, so that it comes first: a referral code the user
registered with must not take the company from the recruiter who invited it); the organization with the user as
its organization-wide company admin and its company, at ids derived from the invitation. The active `sourcer`
relationship between the recruiter and the company follows from the acceptance (consumers/network).

Who sees what: the recruiter sees their invitations (platform admins all); the holder of the link sees its
preview (no address); a candidate account cannot accept (it runs no company).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter, HTTPException, Request

from adapters.tokens import invitation_token
from api.deps import Caller, CommandMetadata, CurrentUser, Db, Now, Store
from api.network.common import FreshNetwork, TokenSecret, known, my_recruiter_id, new_id, own_recruiter
from api.network.referral_models import (
    AcceptCompanyInvitationBody,
    AcceptCompanyInvitationResponse,
    CompanyInvitationAccepted,
    CompanyInvitationBody,
    CompanyInvitationOut,
    CompanyInvitationPreview,
    CompanyInvitationResponse,
    CompanyInvitationSent,
    TokenPath,
)
from api.responses import CommandResponse, ListOf, PageNumber, PageSize, Pagination
from commands.ats import company as companies
from commands.ats import sourcer as sourcers
from commands.core import Conflict, Forbidden, RuleViolation
from commands.identity import organization as orgs
from commands.network import company_invitation as ci
from commands.network import recruiter as recruiters
from commands.network import recruiter_code as codes
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from projections.ats.company_queries import slug_taken
from projections.network.queries import recruiter_contact
from projections.network.referral_queries import (
    company_invitation_by_digest,
    list_company_invitations,
)

router = APIRouter(prefix="/company-invitations", tags=["company-invitations"])


class InvitationAlreadyUsed(Conflict):
    code = "invitation_already_used"


class InvitationRecruiterInactive(RuleViolation):
    code = "invitation_recruiter_inactive"


def new_invite_code() -> str:
    return "SPLITS-" + "".join(secrets.choice(codes.CODE_ALPHABET) for _ in range(6))


def organization_id_for(invitation_id: UUID) -> UUID:
    """The organization an accepted invitation makes: derived, so a retried acceptance finds it."""
    return uuid5(NAMESPACE_URL, f"company-invitation-organization:{invitation_id}")


async def _invitation(store: EventStore, invitation_id: UUID) -> ci.CompanyInvitation:
    state, _, _ = await load(store, ci.company_invitation, stream_id_for(ci.company_invitation, invitation_id))
    return state


@router.post("", status_code=201, responses={401: {}, 403: {}, 409: {}, 422: {}})
async def invite(body: CompanyInvitationBody, request: Request, user: CurrentUser, store: Store, secret: TokenSecret,
                 meta: CommandMetadata, now: Now) -> CompanyInvitationResponse:
    """The caller's (active) recruiter invites a company to the platform; valid 30 days. The link reaches the
    invited address by email."""
    recruiter = await own_recruiter(store, user, active=True)
    assert recruiter.id is not None
    invitation_id = new_id(meta, "company-invitation")
    token = invitation_token(secret, invitation_id)
    existing = await _invitation(store, invitation_id)
    command = ci.InviteCompanyToPlatform(
        invitation_id=invitation_id, recruiter_id=recruiter.id, invite_code=existing.invite_code or new_invite_code(),
        token=token, invited_email=body.invited_email, company_name_hint=body.company_name_hint,
        personal_message=body.personal_message, by=meta.actor, at=now)
    result = await handle(store, ci.company_invitation, invitation_id, command, meta)
    development = request.app.state.system.settings.environment == "development"
    return CompanyInvitationResponse.with_data(invitation_id, result, CompanyInvitationSent(
        invitation_id=invitation_id, invite_code=command.invite_code, expires_at=now + ci.VALID_FOR,
        invitation_token=token if development else None))


@router.get("", responses={401: {}, 403: {}})
async def list_invitations(_: FreshNetwork, user: CurrentUser, store: Store, db: Db, now: Now, page: PageNumber = 1,
                           limit: PageSize = 25) -> ListOf[CompanyInvitationOut]:
    """A recruiter's own invitations, newest first; platform admins see every one."""
    recruiter_id = None
    if not user.is_platform_admin:
        recruiter_id = (await own_recruiter(store, user)).id
        assert recruiter_id is not None  # a recruiter that exists has its id: never everyone's invitations
    rows, total = await list_company_invitations(db, recruiter_id, now, page, limit)
    return ListOf[CompanyInvitationOut](data=[CompanyInvitationOut(**r) for r in rows],
                                        pagination=Pagination.of(total, page, limit))


@router.post("/{invitation_id}/revoke", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def revoke(invitation_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                 now: Now) -> CommandResponse:
    """The inviting recruiter withdraws a pending invitation; to anyone else it does not exist."""
    state = await _invitation(store, invitation_id)
    mine = my_recruiter_id(user)
    if not state.exists or state.recruiter_id != mine or mine is None:
        raise HTTPException(404, f"invitation {invitation_id} not found")
    command = ci.RevokeCompanyInvitation(invitation_id=invitation_id, by_recruiter_id=mine, by=meta.actor, at=now)
    return CommandResponse.of(invitation_id, await handle(store, ci.company_invitation, invitation_id, command, meta))


@router.get("/preview/{token}", response_model=dict[str, CompanyInvitationPreview], responses={404: {}, 422: {}})
async def preview(token: TokenPath, _: FreshNetwork, db: Db, now: Now) -> dict[str, CompanyInvitationPreview]:
    """Public: what the holder of an invitation link sees (looked up by the token's digest)."""
    row = await company_invitation_by_digest(db, ci.token_digest(token), now)
    if row is None:
        raise HTTPException(404, "no invitation has this token")
    contact = await recruiter_contact(db, row["recruiter_id"])
    return {"data": CompanyInvitationPreview(
        invite_code=row["invite_code"], company_name_hint=row["company_name_hint"],
        personal_message=row["personal_message"], status=row["status"], expires_at=row["expires_at"],
        recruiter_name=contact[2] if contact else None)}


@router.post("/accept", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def accept(body: AcceptCompanyInvitationBody, _: FreshNetwork, user: CurrentUser, caller: Caller, store: Store,
                 db: Db, meta: CommandMetadata, now: Now) -> AcceptCompanyInvitationResponse:
    """The signed-in user accepts the invitation whose link token they hold: their organization and its company
    are made, and the inviting recruiter becomes the company's sourcer (while they are active: 422
    `invitation_recruiter_inactive` otherwise)."""
    user_id = known(user)
    if caller.instance == "app" or "candidate" in user.roles:
        raise Forbidden("a candidate account cannot accept a company invitation: it runs no company")
    row = await company_invitation_by_digest(db, ci.token_digest(body.token), now)
    if row is None:
        raise HTTPException(404, "no invitation has this token")
    invitation_id: UUID = row["id"]
    state = await _invitation(store, invitation_id)
    organization_id = organization_id_for(invitation_id)
    company_id = orgs.company_id_for(organization_id)
    command = ci.AcceptCompanyInvitation(invitation_id=invitation_id, token=body.token, user_id=user_id,
                                         organization_id=organization_id, company_id=company_id, by=meta.actor,
                                         at=now)
    ci.decide(command, state)  # refused here, before anything below is written
    if state.recorded_status == "accepted":
        await _check_retry(store, user_id, organization_id)
    else:
        await _check_recruiter_active(store, state)
    company_name = body.company_name or body.organization_name
    if await slug_taken(db, body.organization_slug, company_id):
        raise Conflict(f"another company already uses the slug {body.organization_slug!r}",
                       slug=body.organization_slug)
    result = await handle(store, ci.company_invitation, invitation_id, command, meta)
    assert state.recruiter_id is not None
    sourced = await handle(store, sourcers.company_sourcer, company_id, sourcers.ClaimCompanySourcer(
        company_id=company_id, sourcer_recruiter_id=state.recruiter_id, source_method="platform_invitation",
        by=meta.actor, at=now), meta)
    made = await _organization_and_company(store, meta, user_id, organization_id, company_id, body, company_name,
                                           now)
    # The token to read all of it with: the latest of the writes (the invitation's alone comes before the rest).
    latest = max((p for p in (result.position, sourced.position, *made) if p is not None), default=None)
    return AcceptCompanyInvitationResponse(
        id=invitation_id, version=result.version, consistency_token=None if latest is None else str(latest),
        data=CompanyInvitationAccepted(organization_id=organization_id, company_id=company_id))


async def _check_recruiter_active(store: EventStore, state: ci.CompanyInvitation) -> None:
    """A company's sourcer is an active recruiter (domain §5.2): the link of one suspended or gone inactive since
    they sent it makes no one the sourcer (422, nothing written)."""
    assert state.recruiter_id is not None
    recruiter, _, _ = await load(store, recruiters.recruiter, stream_id_for(recruiters.recruiter, state.recruiter_id))
    if recruiter.status != "active":
        raise InvitationRecruiterInactive("the recruiter who sent this invitation is no longer active on Splits",
                                          invitation_id=str(state.id), recruiter_status=recruiter.status)


async def _check_retry(store: EventStore, user_id: UUID, organization_id: UUID) -> None:
    """A retried acceptance finishes what a failed one began; once the organization has its members, it is the
    organization's to decide who they are: a user it removed (or made anything but an organization-wide admin)
    does not become its admin again by sending the acceptance again (409, nothing written)."""
    organization, _, _ = await load(store, orgs.organization, stream_id_for(orgs.organization, organization_id))
    if organization.deleted or (organization.members and organization.members.get((user_id, None)) != "company_admin"):
        raise InvitationAlreadyUsed("this invitation was accepted; its organization now decides who its members are",
                                    organization_id=str(organization_id))


async def _organization_and_company(store: EventStore, meta: Metadata, user_id: UUID, organization_id: UUID,
                                    company_id: UUID, body: AcceptCompanyInvitationBody, company_name: str,
                                    now: datetime) -> list[Position | None]:
    """What POST /v1/organizations and POST /v1/companies record, each step skipped once done; the position of
    each stream's latest event (a step done before included)."""
    organization, _, _ = await load(store, orgs.organization, stream_id_for(orgs.organization, organization_id))
    if not organization.exists:
        await handle(store, orgs.organization, organization_id, orgs.CreateOrganization(
            organization_id=organization_id, name=body.organization_name, slug=body.organization_slug,
            company_id=company_id, by=meta.actor, at=now), meta)
    member = await handle(store, orgs.organization, organization_id, orgs.AddMember(
        organization_id=organization_id, user_id=user_id, role="company_admin", by=meta.actor, at=now), meta)
    company, _, company_at = await load(store, companies.company, stream_id_for(companies.company, company_id))
    if not company.exists:
        company_at = (await handle(store, companies.company, company_id, companies.CreateCompany(
            company_id=company_id, identity_organization_id=organization_id, name=company_name,
            slug=body.organization_slug, by=meta.actor, at=now), meta)).position
    return [member.position, company_at]
