"""Welcome notices (domain §10 onboarding): a person registering (from the candidate app: a candidate's welcome;
from the portal: the portal's), a recruiter profile created (how to start as a recruiter), a company created (to
the organization's admin who created it; a platform admin creating it for an organization is not welcomed).

Each is read from its event and the user's account, not from the read models the event itself feeds (they may
not hold it yet)."""

from __future__ import annotations

from commands.ats.events import CompanyCreated
from commands.identity import organization as orgs
from commands.identity.events import UserRegistered
from commands.network.recruiter_events import RecruiterCreated
from consumers.notifications.people import (
    CANDIDATE, COMPANY, RECRUITER, Notice, Person, Planner, Reads, actor_user_id, find_user,
)
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for


async def _registered(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: UserRegistered = reaction.event
    candidate = e.source == "candidate"
    person = Person(email=e.email, user_id=e.user_id, name=e.name, is_candidate=candidate)
    audience = CANDIDATE if candidate else "user"
    return [Notice(person, "welcome", "engagement", {"name": e.name, "audience": audience},
                   candidate_app if candidate else portal, audience)]


async def _recruiter(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCreated = reaction.event
    user = await find_user(db, e.user_id, is_recruiter=True)
    if user is None:
        return []
    return [Notice(user, "welcome", "engagement", {"name": user.name, "audience": RECRUITER},
                   f"{portal}/recruiters/{e.recruiter_id}", RECRUITER)]


async def _company(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: CompanyCreated = reaction.event
    organization, _, _ = await load(reaction.store, orgs.organization,
                                    stream_id_for(orgs.organization, e.identity_organization_id))
    creator_id = actor_user_id(e.by)
    if organization.members.get((creator_id, None)) != "company_admin":  # a platform admin made it: not theirs
        return []
    creator = await find_user(db, creator_id)
    if creator is None:
        return []
    return [Notice(creator, "welcome", "engagement", {"name": creator.name, "company_name": e.name,
                                                      "audience": COMPANY},
                   f"{portal}/companies/{e.company_id}", COMPANY)]


PLANNERS: dict[type, Planner] = {UserRegistered: _registered, RecruiterCreated: _recruiter, CompanyCreated: _company}
