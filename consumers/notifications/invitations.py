"""Notices about an invitation's end: an invitation to an organization, to a firm or to bring a company to the
platform, revoked, is told to the invited address (it may be waiting on the link: now it will not work); a
company platform invitation accepted is told to the recruiter who sent it (their company is on the platform, and
they are its sourcer).

An invitation's address is read from its own stream (the revocation names only the invitation)."""

from __future__ import annotations

from commands.ats import company as companies
from commands.identity import invitation as org_invitations
from commands.identity.events import InvitationRevoked
from commands.network import company_invitation as company_invitations
from commands.network import firm as firms
from commands.network.company_invitation_events import (
    CompanyPlatformInvitationAccepted,
    CompanyPlatformInvitationRevoked,
)
from commands.network.events import FirmInvitationRevoked
from consumers.notifications.people import RECRUITER, Notice, Person, Planner, Reads, find_recruiter
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for
from projections.identity.queries import organization_name
from projections.network.queries import firm_name

INVITEE = "invitee"


async def _revoked(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    if isinstance(e, InvitationRevoked):
        state, _, _ = await load(reaction.store, org_invitations.invitation,
                                 stream_id_for(org_invitations.invitation, e.invitation_id))
        email = state.email if state.exists else None
        name = await db.read(organization_name, state.organization_id) if state.organization_id else None
        context = {"kind": "organization", "group_name": name or "an organization", "recruiter_name": None}
    elif isinstance(e, FirmInvitationRevoked):
        firm, _, _ = await load(reaction.store, firms.firm, stream_id_for(firms.firm, e.firm_id))
        invitation = firm.invitations.get(e.invitation_id)
        email = invitation.email if invitation else None
        context = {"kind": "firm", "group_name": await db.read(firm_name, e.firm_id) or "a firm",
                   "recruiter_name": None}
    else:
        state, _, _ = await load(reaction.store, company_invitations.company_invitation,
                                 stream_id_for(company_invitations.company_invitation, e.invitation_id))
        email = state.invited_email
        recruiter = await find_recruiter(db, e.recruiter_id)
        context = {"kind": "company", "group_name": "your company",
                   "recruiter_name": recruiter.name if recruiter and recruiter.name else "A recruiter"}
    if not email:
        return []
    return [Notice(Person(email=email), "invitation_revoked", "invitations", context, None, INVITEE)]


async def _company_accepted(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: CompanyPlatformInvitationAccepted = reaction.event
    recruiter = await find_recruiter(db, e.recruiter_id)
    if recruiter is None:
        return []
    company, _, _ = await load(reaction.store, companies.company, stream_id_for(companies.company, e.company_id))
    name = company.name or "The company you invited"  # from its stream: made just before, maybe not projected yet
    return [Notice(recruiter, "company_invitation_accepted", "invitations", {"company_name": name},
                   f"{portal}/companies/{e.company_id}", RECRUITER)]


PLANNERS: dict[type, Planner] = {
    InvitationRevoked: _revoked,
    FirmInvitationRevoked: _revoked,
    CompanyPlatformInvitationRevoked: _revoked,
    CompanyPlatformInvitationAccepted: _company_accepted,
}
