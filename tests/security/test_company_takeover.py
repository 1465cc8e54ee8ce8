"""Taking over a company by naming it: a signed-in stranger names someone else's company in a body
(a new organization's `company_id`, a membership or invitation scoped to it) and must get nothing, not
the company's placement, its money, audit bundle, billing profile, applications, nor its job."""

from __future__ import annotations

import pytest
from eventstore import EventStore
from tests.helpers import feed_settled
from tests.integration.ats.test_story import People, people, placement_story  # noqa: F401  (the fixture)


@pytest.mark.slow
async def test_naming_another_company_gives_no_right_over_it(people: People, fresh_store: EventStore) -> None:
    p = people
    story = await placement_story(p)
    await p.register("mallory", "Mallory")

    taken = await p.call("mallory", "POST", "/v1/organizations", 403, json={
        "name": "Evil", "slug": f"evil-{p.run}", "company_id": story.company})
    assert taken["code"] == "company_not_administered"

    # Her own organization is hers; scoping a membership or an invitation in it to the victim's company is refused.
    own = await p.call("mallory", "POST", "/v1/organizations", 201, json={"name": "Mine", "slug": f"mine-{p.run}"})
    me = (await p.call("mallory", "GET", "/v1/users/me", params={"after": own["consistency_token"]}))["data"]
    scoped = await p.call("mallory", "POST", f"/v1/organizations/{own['id']}/members", 422, json={
        "user_id": me["id"], "role": "company_admin", "company_id": story.company})
    assert scoped["code"] == "company_not_in_organization"
    invited = await p.call("mallory", "POST", "/v1/invitations", 422, json={
        "organization_id": own["id"], "company_id": story.company, "email": p.email("mallory"),
        "role": "company_admin"})
    assert invited["code"] == "company_not_in_organization"

    await feed_settled(fresh_store)
    for path in (f"/v1/placements/{story.placement}", f"/v1/placements/{story.placement}/money",
                 f"/v1/audit/placements/{story.placement}/export", f"/v1/companies/{story.company}/billing-profile",
                 f"/v1/applications/{story.application}"):
        answer = await p.client.get(path, headers=p.as_("mallory"))
        assert answer.status_code in (403, 404), f"mallory GET {path}: {answer.status_code} {answer.text[:300]}"
    listed = await p.call("mallory", "GET", "/v1/applications", params={"job_id": story.job})
    assert listed["data"] == []
    renamed = await p.client.patch(f"/v1/jobs/{story.job}", json={"title": "Renamed by Mallory"},
                                   headers=p.as_("mallory"))
    assert renamed.status_code in (403, 404), renamed.text
    job = await p.call("cora", "GET", f"/v1/jobs/{story.job}")
    assert job["data"]["title"] == "Staff Python Engineer"
