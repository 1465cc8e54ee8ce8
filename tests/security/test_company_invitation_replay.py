"""Replaying a company platform invitation: the user who accepted it made an organization and became its admin;
once the organization's other admin has removed them, sending the same acceptance again must not make them its
admin again (a retried acceptance finishes a failed one, it does not undo what the organization decided since)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from commands.identity import organization as orgs
from commands.identity.user import user_id_for
from commands.network import recruiter as recruiters
from eventstore import EventStore, load, stream_id_for
from tests.api import seed_user
from tests.integration.ats.test_applications_api import World, all_projected, assert_refused, stored
from tests.integration.ats.test_applications_api import world_fixture  # noqa: F401  (the fixture)
from tests.integration.network.test_referral_sourcing_api import settled


async def _members(store: EventStore, organization_id: UUID) -> dict[tuple[UUID, UUID | None], str]:
    state, _, _ = await load(store, orgs.organization, stream_id_for(orgs.organization, organization_id))
    return dict(state.members)


async def test_a_removed_admin_does_not_get_the_organization_back_by_accepting_the_invitation_again(
        world: World) -> None:
    w = world
    w.ids["founder"] = f"user_founder_{w.ids['admin']}"
    founder = await seed_user(w.store, w.ids["founder"])
    sent = await w.post("stranger", "/v1/company-invitations", {"invited_email": "founder@example.com"})
    assert sent.status_code == 201, sent.text
    token = sent.json()["data"]["invitation_token"]
    await all_projected(w.store)
    body = {"token": token, "organization_name": "Acme", "organization_slug": f"acme-{w.ids['admin'][-8:]}"}
    accepted = await w.post("founder", "/v1/company-invitations/accept", body)
    assert accepted.status_code == 200, accepted.text
    organization_id = UUID(accepted.json()["data"]["organization_id"])
    # A retry while nothing changed answers the same (and records nothing).
    again = await w.post("founder", "/v1/company-invitations/accept", body)
    assert again.status_code == 200, again.text

    # The founder brings in another admin, who then removes the founder.
    partner = user_id_for(w.ids["b_admin"])
    at = datetime.now(UTC)
    await w.command(orgs.organization, organization_id, orgs.AddMember(
        organization_id=organization_id, user_id=partner, role="company_admin", by="test", at=at))
    await w.command(orgs.organization, organization_id, orgs.RemoveMember(
        organization_id=organization_id, user_id=founder, by="test", at=at))
    assert (founder, None) not in await _members(w.store, organization_id)

    before = await settled(w.store)
    replayed = await w.post("founder", "/v1/company-invitations/accept", body)
    await assert_refused(replayed, 409)
    assert replayed.json()["code"] == "invitation_already_used"
    assert await stored(w.store) == before
    assert (founder, None) not in await _members(w.store, organization_id)


async def test_an_invitation_from_a_recruiter_no_longer_active_makes_no_one_a_sourcer(world: World) -> None:
    """Domain §5.2: a company sourcer is an active recruiter. A recruiter suspended after inviting a company does
    not become its sourcer when the link is used: refused (422 `invitation_recruiter_inactive`), nothing written."""
    w = world
    w.ids["founder"] = f"user_founder_{w.ids['admin']}"
    await seed_user(w.store, w.ids["founder"])
    sent = await w.post("stranger", "/v1/company-invitations", {"invited_email": "founder@example.com"})
    assert sent.status_code == 201, sent.text
    token = sent.json()["data"]["invitation_token"]
    stranger = w.recruiter["stranger"]
    await w.command(recruiters.recruiter, stranger, recruiters.ChangeRecruiterStatus(
        recruiter_id=stranger, status="suspended", is_platform_admin=True, by="test", at=datetime.now(UTC)))
    await all_projected(w.store)
    before = await settled(w.store)
    body = {"token": token, "organization_name": "Acme", "organization_slug": f"acme-{w.ids['admin'][-8:]}"}
    refused = await w.post("founder", "/v1/company-invitations/accept", body)
    await assert_refused(refused, 422)
    assert refused.json()["code"] == "invitation_recruiter_inactive"
    assert await stored(w.store) == before
