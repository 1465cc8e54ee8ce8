"""Notices about relationships and invitations: a recruiter's invitation to represent a candidate, the answer
and its cancellation; a company and a recruiter asking to work together and the answer (told to the side that
did not act); invitations to an organization and to a firm."""

from __future__ import annotations

from commands.identity.events import InvitationCreated
from commands.network.events import (
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
)
from consumers.runtime.reactor import Reaction
from projections.ats.company_queries import company_name
from projections.identity.queries import organization_name
from projections.network.queries import firm_name


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
}
