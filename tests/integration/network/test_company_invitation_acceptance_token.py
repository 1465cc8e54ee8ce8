"""Accepting a company invitation writes several streams (the invitation, the company's sourcer, the organization
and its first admin, the company) and answers one consistency token: the one a client passes to read what the
acceptance made. It must cover every one of those writes, as POST /v1/organizations' token covers the admin it
adds: a client reading its new organization or company with it must never be told they do not exist."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from commands.ats import sourcer as sourcers
from commands.identity import organization as orgs
from eventstore import Position, stream_id_for
from commands.network import recruiter_company as rco
from tests.integration.ats.test_applications_api import all_projected
from tests.integration.network.test_referral_sourcing_api import (  # noqa: F401
    ClerkWorld,
    _recorded,
    clerk_world_fixture,
)


async def _accepted(w: ClerkWorld) -> Any:
    """The world's unattached recruiter ("stranger") invites a founder's company, and the founder accepts."""
    sent = await w.post("stranger", "/v1/company-invitations", {"invited_email": f"founder.{w.run}@example.com"})
    assert sent.status_code == 201, sent.text
    token = sent.json()["data"]["invitation_token"]  # shown in development only, as here
    w.newcomer("founder")
    assert (await w.register("founder")).status_code == 200
    accepted = await w.client.post("/v1/company-invitations/accept", headers=w.headers("founder"), json={
        "token": token, "organization_name": "Acme", "organization_slug": f"acme-{w.run}"})
    assert accepted.status_code == 200, accepted.text
    return accepted.json()


async def test_the_acceptance_answers_a_token_past_the_organization_and_company_it_made(cworld: ClerkWorld) -> None:
    w = cworld
    answer = await _accepted(w)
    organization_id, company_id = UUID(answer["data"]["organization_id"]), UUID(answer["data"]["company_id"])
    written = [e for stream in (stream_id_for(orgs.organization, organization_id),
                                f"company-{company_id}",
                                stream_id_for(sourcers.company_sourcer, company_id))
               for e in await w.store.read_stream(stream)]
    assert {e.type for e in written} >= {"OrganizationCreated", "MembershipAdded", "CompanyCreated", "CompanySourced"}
    given = Position.parse(answer["consistency_token"])
    assert [e.type for e in written if e.position > given] == []


async def test_a_protection_check_leaves_out_the_sourcer_a_caller_may_not_see(cworld: ClerkWorld) -> None:
    """A field a reader does not see is left out, not sent as null (README, "The contract"): `null` would say the
    company has no sourcer, when it has one the caller may not know."""
    w = cworld
    answer = await _accepted(w)
    company_id = UUID(answer["data"]["company_id"])
    path = f"/v1/companies/{company_id}/sourcer/check-protection"
    after = {"after": answer["consistency_token"]}
    founder = (await w.client.get(path, params=after, headers=w.headers("founder"))).json()["data"]
    assert (founder["protected"], founder["yours"]) == (True, False)
    assert {"sourcer_recruiter_id", "sourced_at"} & set(founder) == set(), founder
    # The sourcer sees the company once the relationship the acceptance leads to is active (consumers/network).
    await _recorded(w.store, f"recruiter_company-{rco.recruiter_company_id_for(w.recruiter['stranger'], company_id)}",
                    "RecruiterCompanyAccepted")
    await all_projected(w.store)
    seen = await w.client.get(path, headers=w.headers("stranger"))
    assert seen.status_code == 200, seen.text
    sourcer = seen.json()["data"]
    assert (sourcer["yours"], sourcer["sourcer_recruiter_id"]) == (True, str(w.recruiter["stranger"]))
    assert sourcer["sourced_at"] is not None
