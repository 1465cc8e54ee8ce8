"""The invitations process manager on the real store: membership and onboarding from an acceptance,
once however often the event arrives; an existing member takes the invited role."""

from __future__ import annotations

from uuid import uuid4

from commands.identity import invitation as invitations
from commands.identity import organization as orgs
from commands.identity.user import user_id_for
from consumers.identity.process import invitations as reactor
from consumers.runtime.reactor import Reaction
from eventstore import EventStore, handle, load, stream_id_for
from tests.api import SEEDER, seed_organization, seed_user
from tests.helpers import NOW, settled_head


async def _accepted(store: EventStore, clerk_id: str, org_id, company_id, role: str) -> Reaction:
    invitation_id = uuid4()
    await handle(store, invitations.invitation, invitation_id, invitations.CreateInvitation(
        invitation_id=invitation_id, email=f"{clerk_id}@example.com", organization_id=org_id, company_id=company_id,
        role=role, by="admin", at=NOW), SEEDER)
    await handle(store, invitations.invitation, invitation_id, invitations.AcceptInvitation(
        invitation_id=invitation_id, user_id=user_id_for(clerk_id), user_email=f"{clerk_id}@example.com",
        by="invitee", at=NOW), SEEDER)
    recorded = (await store.read_stream(f"invitation-{invitation_id}"))[-1]
    return Reaction(store.registry.decode(recorded), recorded, reactor.name, store)


async def test_acceptance_adds_the_member_and_completes_onboarding_once(fresh_store: EventStore) -> None:
    company = uuid4()
    await seed_user(fresh_store, "user_admin_pm")
    await seed_user(fresh_store, "user_invitee_pm")
    org_id = await seed_organization(fresh_store, company, [("user_admin_pm", "company_admin", False)])
    reaction = await _accepted(fresh_store, "user_invitee_pm", org_id, company, "hiring_manager")

    await reactor.handler(reaction)
    head = await settled_head(fresh_store)
    await reactor.handler(reaction)  # redelivered
    assert await settled_head(fresh_store) == head

    org, _, _ = await load(fresh_store, orgs.organization, stream_id_for(orgs.organization, org_id))
    assert org.members[(user_id_for("user_invitee_pm"), company)] == "hiring_manager"
    user_events = [e.type for e in await fresh_store.read_stream(f"user-{user_id_for('user_invitee_pm')}")]
    assert user_events.count("OnboardingProgressed") == 1
    member_events = [e for e in await fresh_store.read_stream(f"organization-{org_id}") if e.type == "MembershipAdded"]
    assert len(member_events) == 2 and member_events[-1].metadata["causation_id"] == str(reaction.recorded.event_id)


async def test_an_existing_member_takes_the_invited_role(fresh_store: EventStore) -> None:
    company = uuid4()
    await seed_user(fresh_store, "user_admin_pm2")
    await seed_user(fresh_store, "user_member_pm2")
    org_id = await seed_organization(fresh_store, company, [("user_admin_pm2", "company_admin", False),
                                                            ("user_member_pm2", "hiring_manager", False)])
    await reactor.handler(await _accepted(fresh_store, "user_member_pm2", org_id, None, "company_admin"))
    org, _, _ = await load(fresh_store, orgs.organization, stream_id_for(orgs.organization, org_id))
    assert org.members[(user_id_for("user_member_pm2"), None)] == "company_admin"
