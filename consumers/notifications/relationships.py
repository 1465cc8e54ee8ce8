"""Notices about relationships and invitations: a recruiter's invitation to represent a candidate, the answer
and its cancellation; a company and a recruiter asking to work together and the answer (told to the side that
did not act); invitations to an organization and to a firm, and the new member joining (told to the
organization's admins, or the firm's owner and admins, the new member aside)."""

from __future__ import annotations

from commands.identity.events import InvitationAccepted, InvitationCreated
from commands.network.events import (
    FirmInvitationAccepted,
    FirmInvitationCreated,
    RecruiterCandidateConsentDeclined,
    RecruiterCandidateConsentGiven,
    RecruiterCandidateInvitationCancelled,
    RecruiterCandidateInvited,
    RecruiterCompanyAccepted,
    RecruiterCompanyConnectionRequested,
    RecruiterCompanyDeclined,
    RecruiterCompanyInvited,
)
from consumers.notifications.people import (
    CANDIDATE, COMPANY, RECRUITER, Notice, Person, Planner, Reads, company_admins, find_candidate, find_recruiter,
    find_user,
)
from consumers.runtime.reactor import Reaction
from projections.ats.company_queries import company_name
from projections.identity.queries import members_of, organization_name
from projections.network.queries import firm_members, firm_name


async def _invited(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCandidateInvited = reaction.event
    candidate = await find_candidate(reaction.store, db, e.candidate_id)
    recruiter = await find_recruiter(db, e.recruiter_id)
    if candidate is None:
        return []
    assert reaction.context is not None and reaction.context.tokens is not None
    token = reaction.context.tokens.invitation_token(e.invitation_id)
    return [Notice(candidate, "candidate_invitation", "invitations",
                   {"recruiter_name": recruiter.name if recruiter else "A recruiter",
                    "expires_on": e.invitation_expires_at.date().isoformat()},
                   f"{candidate_app}/invitations/{token}", CANDIDATE)]


async def _consented(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCandidateConsentGiven = reaction.event
    recruiter = await find_recruiter(db, e.recruiter_id)
    candidate = await find_candidate(reaction.store, db, e.candidate_id)
    if recruiter is None:
        return []
    return [Notice(recruiter, "consent_given", "candidates",
                   {"candidate_name": candidate.name if candidate else "A candidate"},
                   f"{portal}/candidates/{e.candidate_id}", RECRUITER)]


async def _org_invitation(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: InvitationCreated = reaction.event
    name = await db.read(organization_name, e.organization_id)
    return [Notice(Person(email=e.email), "organization_invitation", "invitations",
                   {"organization_name": name if name is not None else "an organization", "role": e.role.replace("_", " "),
                    "expires_on": e.expires_at.date().isoformat()},
                   f"{portal}/invitations/{e.invitation_id}", "invitee")]


async def _firm_invitation(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: FirmInvitationCreated = reaction.event
    name = await db.read(firm_name, e.firm_id)
    return [Notice(Person(email=e.email), "firm_invitation", "invitations",
                   {"firm_name": name if name is not None else "a firm", "role": e.role,
                    "expires_on": e.expires_at.date().isoformat()},
                   f"{portal}/firms/{e.firm_id}/invitations/{e.invitation_id}", "invitee")]


async def _consent_declined(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCandidateConsentDeclined = reaction.event
    recruiter = await find_recruiter(db, e.recruiter_id)
    candidate = await find_candidate(reaction.store, db, e.candidate_id)
    return [Notice(recruiter, "consent_declined", "candidates",
                   {"candidate_name": candidate.name if candidate else "A candidate", "reason": e.reason},
                   f"{portal}/candidates/{e.candidate_id}", RECRUITER)] if recruiter else []


async def _invitation_cancelled(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCandidateInvitationCancelled = reaction.event
    candidate = await find_candidate(reaction.store, db, e.candidate_id)
    recruiter = await find_recruiter(db, e.recruiter_id)
    return [Notice(candidate, "representation_invitation_cancelled", "invitations",
                   {"recruiter_name": recruiter.name if recruiter else "A recruiter"}, None, CANDIDATE)
            ] if candidate else []


async def _recruiter_company(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    """A step between a company and a recruiter, told to the side that did not take it."""
    e = reaction.event
    acted: str = {RecruiterCompanyInvited: "company", RecruiterCompanyConnectionRequested: "recruiter"}.get(
        type(e)) or (e.accepted_by if isinstance(e, RecruiterCompanyAccepted) else e.declined_by)
    step = {RecruiterCompanyInvited: "invited", RecruiterCompanyConnectionRequested: "requested",
            RecruiterCompanyAccepted: "accepted", RecruiterCompanyDeclined: "declined"}[type(e)]
    recruiter = await find_recruiter(db, e.recruiter_id)
    name = await db.read(company_name, e.company_id)
    context = {"step": step, "company_name": name or "A company",
               "recruiter_name": recruiter.name if recruiter else "A recruiter",
               "message": getattr(e, "message", None), "reason": getattr(e, "reason", None)}
    if acted == "company":
        return [Notice(recruiter, "recruiter_company", "invitations", context | {"audience": RECRUITER},
                       f"{portal}/companies/{e.company_id}", RECRUITER)] if recruiter else []
    return [Notice(person, "recruiter_company", "invitations", context | {"audience": COMPANY},
                   f"{portal}/recruiters/{e.recruiter_id}", COMPANY) for person in await company_admins(db, e.company_id)]


async def _member_joined(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    if isinstance(e, InvitationAccepted):
        name, url = await db.read(organization_name, e.organization_id), f"{portal}/organizations/{e.organization_id}"
        admins = [r for r in await db.read(members_of, e.organization_id) if r["role"] == "company_admin"]
        people = [Person(email=r["email"], user_id=r["user_id"], name=r["name"]) for r in admins if r["email"]]
    else:
        name, url = await db.read(firm_name, e.firm_id), f"{portal}/firms/{e.firm_id}"
        admins = [r for r in await db.read(firm_members, e.firm_id) if r["role"] in ("owner", "admin")]
        people = [Person(email=r["email"], user_id=r["user_id"], name=r["name"], is_recruiter=True)
                  for r in admins if r["email"]]
    member = await find_user(db, e.user_id)
    context = {"member_name": (member.name if member else None) or e.email, "group_name": name or "your team",
               "role": e.role.replace("_", " ")}
    return [Notice(person, "member_joined", "invitations", context, url, "admin")
            for person in people if person.user_id != e.user_id]


PLANNERS: dict[type, Planner] = {
    RecruiterCandidateInvited: _invited,
    RecruiterCandidateConsentGiven: _consented,
    InvitationCreated: _org_invitation,
    FirmInvitationCreated: _firm_invitation,
    RecruiterCandidateConsentDeclined: _consent_declined,
    RecruiterCandidateInvitationCancelled: _invitation_cancelled,
    RecruiterCompanyInvited: _recruiter_company,
    RecruiterCompanyConnectionRequested: _recruiter_company,
    RecruiterCompanyAccepted: _recruiter_company,
    RecruiterCompanyDeclined: _recruiter_company,
    InvitationAccepted: _member_joined,
    FirmInvitationAccepted: _member_joined,
}
