"""The network process managers on the real store: a new recruiter's user gets the recruiter role, and
a signed-in consent links a recruiter-managed candidate record to the user; once however often the
event arrives, and a refusal is left as it is."""

from __future__ import annotations

from uuid import UUID, uuid4

from commands.ats import candidate as candidates
from commands.identity import user as users
from commands.network import recruiter as recruiters
from commands.network import recruiter_candidate as rtr
from consumers.network.process import candidate_consents, recruiter_roles
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import EventStore, handle, load, stream_id_for
from tests.api import SEEDER, seed_user
from tests.helpers import NOW, settled_head

TOKEN = "a" * 64


async def last_reaction(store: EventStore, stream: str, reactor: Reactor) -> Reaction:
    recorded = (await store.read_stream(stream))[-1]
    return Reaction(store.registry.decode(recorded), recorded, reactor.name, store)


async def types_on(store: EventStore, stream: str) -> list[str]:
    return [e.type for e in await store.read_stream(stream)]


async def test_a_new_recruiters_user_is_given_the_recruiter_role_once(fresh_store: EventStore) -> None:
    user_id = await seed_user(fresh_store, "user_pm_recruiter")
    recruiter_id = recruiters.recruiter_id_for(user_id)
    await handle(fresh_store, recruiters.recruiter, recruiter_id,
                 recruiters.CreateRecruiter(user_id=user_id, by=str(user_id), at=NOW), SEEDER)
    reaction = await last_reaction(fresh_store, f"recruiter-{recruiter_id}", recruiter_roles)

    await recruiter_roles.handler(reaction)
    head = await settled_head(fresh_store)
    await recruiter_roles.handler(reaction)  # redelivered
    assert await settled_head(fresh_store) == head
    user, _, _ = await load(fresh_store, users.user, stream_id_for(users.user, user_id))
    assert ("recruiter", recruiter_id) in user.roles
    granted = [e for e in await fresh_store.read_stream(f"user-{user_id}") if e.type == "UserRoleGranted"]
    assert len(granted) == 1 and granted[0].metadata["causation_id"] == str(reaction.recorded.event_id)


async def test_a_recruiter_of_a_deleted_user_is_left_without_the_role(fresh_store: EventStore) -> None:
    user_id = await seed_user(fresh_store, "user_pm_gone")
    recruiter_id = recruiters.recruiter_id_for(user_id)
    await handle(fresh_store, recruiters.recruiter, recruiter_id,
                 recruiters.CreateRecruiter(user_id=user_id, by=str(user_id), at=NOW), SEEDER)
    await handle(fresh_store, users.user, user_id, users.DeleteUser(user_id=user_id, by="admin", at=NOW), SEEDER)
    head = await settled_head(fresh_store)
    await recruiter_roles.handler(await last_reaction(fresh_store, f"recruiter-{recruiter_id}", recruiter_roles))
    assert await settled_head(fresh_store) == head


async def _consented(store: EventStore, candidate_id: UUID, user_id: UUID | None) -> Reaction:
    recruiter_id = uuid4()
    invite = rtr.InviteCandidate(recruiter_id=recruiter_id, candidate_id=candidate_id, invitation_id=uuid4(),
                                 token=TOKEN, by="recruiter", at=NOW)
    await handle(store, rtr.recruiter_candidate, invite.relationship_id, invite, SEEDER)
    await handle(store, rtr.recruiter_candidate, invite.relationship_id, rtr.GiveConsent(
        relationship_id=invite.relationship_id, token=TOKEN, user_id=user_id, ip_address=None, user_agent=None,
        by="candidate", at=NOW), SEEDER)
    return await last_reaction(store, f"recruiter_candidate-{invite.relationship_id}", candidate_consents)


async def _candidate(store: EventStore, user_id: UUID | None = None, email: str | None = None) -> UUID:
    candidate_id = uuid4()
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, user_id=user_id, created_by_user_id=uuid4(), full_name="Casey",
        email=email or f"casey-{candidate_id}@example.com", by="recruiter", at=NOW), SEEDER)
    return candidate_id


async def _record(store: EventStore, candidate_id: UUID) -> candidates.Candidate:
    state, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    return state


async def test_a_signed_in_consent_links_the_recruiter_managed_record_once(fresh_store: EventStore) -> None:
    user_id = await seed_user(fresh_store, "user_pm_consent")
    candidate_id = await _candidate(fresh_store, email="User_PM_Consent@example.com")  # the user's, in other case
    reaction = await _consented(fresh_store, candidate_id, user_id)

    await candidate_consents.handler(reaction)
    head = await settled_head(fresh_store)
    await candidate_consents.handler(reaction)  # redelivered
    assert await settled_head(fresh_store) == head
    assert (await _record(fresh_store, candidate_id)).user_id == user_id
    assert await types_on(fresh_store, f"candidate-{candidate_id}") == ["CandidateCreated", "CandidateUserLinked"]


async def test_consents_that_cannot_link_are_left_as_they_are(fresh_store: EventStore) -> None:
    someone, user_id = uuid4(), await seed_user(fresh_store, "user_pm_refused")
    owned = await _candidate(fresh_store, user_id=someone)  # already someone's account
    anonymous = await _candidate(fresh_store)  # consent without a signed-in user
    missing = uuid4()  # no record at all
    # Consents recorded from someone who is not the candidate (before the route checked who consents): a
    # user with a candidate record of their own, and users whose email is not the record's or not verified.
    theirs, other = await _candidate(fresh_store, email="user_pm_refused@example.com"), uuid4()
    await handle(fresh_store, users.user, user_id, users.GrantRole(  # the user has a candidate record of their own
        user_id=user_id, role="candidate", role_entity_id=other, by="t", at=NOW), SEEDER)
    stranger = await seed_user(fresh_store, "user_pm_stranger")
    unverified = await seed_user(fresh_store, "user_pm_unverified", verified=False)
    not_theirs = await _candidate(fresh_store, email="victim@example.com")
    unchecked = await _candidate(fresh_store, email="user_pm_unverified@example.com")
    reactions = [await _consented(fresh_store, owned, user_id), await _consented(fresh_store, anonymous, None),
                 await _consented(fresh_store, missing, user_id), await _consented(fresh_store, theirs, user_id),
                 await _consented(fresh_store, not_theirs, stranger), await _consented(fresh_store, unchecked, unverified)]
    head = await settled_head(fresh_store)
    for reaction in reactions:
        await candidate_consents.handler(reaction)
    assert await settled_head(fresh_store) == head
    assert (await _record(fresh_store, owned)).user_id == someone
    for unlinked in (theirs, not_theirs, unchecked):
        assert (await _record(fresh_store, unlinked)).user_id is None


def test_the_process_managers_react_to_exactly_their_events() -> None:
    assert [e.type_name() for e in recruiter_roles.events] == ["RecruiterCreated"]
    assert [e.type_name() for e in candidate_consents.events] == ["RecruiterCandidateConsentGiven"]
