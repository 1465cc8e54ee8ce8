"""Notices about relationships and invitations: a recruiter's invitation to represent a candidate and the
answer, invitations to an organization and to a firm."""

from __future__ import annotations

from commands.identity.events import InvitationCreated
from commands.network.events import FirmInvitationCreated, RecruiterCandidateConsentGiven, RecruiterCandidateInvited
from consumers.notifications.people import (
    CANDIDATE, RECRUITER, Notice, Person, Planner, Reads, find_candidate, find_recruiter,
)
from consumers.runtime.reactor import Reaction
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


PLANNERS: dict[type, Planner] = {
    RecruiterCandidateInvited: _invited,
    RecruiterCandidateConsentGiven: _consented,
    InvitationCreated: _org_invitation,
    FirmInvitationCreated: _firm_invitation,
}
