"""Companies through HTTP: creation by the organization's admins, the marketplace listing, profile
changes, visibility and status, and the company sourcer; each caller kind's rights, bad input that
writes nothing, and reading one's writes with the consistency token."""

from __future__ import annotations

from uuid import uuid4

import pytest

from eventstore import EventStore
from tests.integration.ats.ats_people import (
    CALLERS,
    People,
    assert_problem,
    ats_people,
    token,
)
from tests.helpers import notifier_settled, settled_head


@pytest.fixture
async def people(fresh_store: EventStore):
    async with ats_people(fresh_store) as world:
        yield world


def profile(name: str, **extra) -> dict:
    return {"name": name, "slug": name.lower().replace(" ", "-").replace("_", "-"), **extra}


async def create(people: People, caller: str, org, name: str, **extra):
    answer = await people.client.post("/v1/companies", headers=people.headers(caller),
                                      json={"identity_organization_id": str(org), **profile(name, **extra)})
    if answer.status_code == 201:  # its creator's welcome is recorded before the test looks at the head again
        await notifier_settled(people.store)
    return answer


async def test_a_company_admin_creates_their_organizations_company_and_reads_it_back(people: People) -> None:
    created = await create(people, "a_admin", people.org_a, "Acme Robotics", website="https://acme.example",
                           tech_stack=["Python", "Rust"], social_links={"LinkedIn": "https://linkedin.com/acme"},
                           founded_year=2011)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == str(people.company_a)  # the company id the organization names

    read = await people.client.get(f"/v1/companies/{people.company_a}", params=token(created),
                                   headers=people.headers("a_admin"))
    assert read.status_code == 200, read.text
    data = read.json()["data"]
    assert (data["name"], data["slug"], data["status"], data["marketplace_visible"]) == \
        ("Acme Robotics", "acme-robotics", "active", False)
    assert data["tech_stack"] == ["Python", "Rust"] and data["social_links"] == {"linkedin": "https://linkedin.com/acme"}
    assert data["identity_organization_id"] == str(people.org_a) and data["founded_year"] == 2011
    # Not on the marketplace yet: only its staff and platform admins know it.
    for caller, status in (("a_manager", 200), ("admin", 200), ("b_admin", 404), ("recruiter", 404),
                           ("candidate", 404), ("anonymous", 404)):
        seen = await people.client.get(f"/v1/companies/{people.company_a}", headers=people.headers(caller))
        assert seen.status_code == status, caller


# Creating company A: only its organization's organization-wide company admins and platform admins;
# someone outside the organization does not learn it exists.
CREATE_A = {"a_manager": 403, "b_admin": 404, "recruiter": 404, "recruiter2": 404, "candidate": 404,
            "anonymous": 401}


async def test_only_the_organizations_admins_or_a_platform_admin_create_its_company(
    people: People, fresh_store: EventStore
) -> None:
    head = await settled_head(fresh_store)
    for caller, status in CREATE_A.items():
        assert_problem(await create(people, caller, people.org_a, f"By {caller}"), status)
    assert await settled_head(fresh_store) == head
    assert (await create(people, "admin", people.org_b, "Beta Labs")).status_code == 201
    assert (await create(people, "a_admin", people.org_a, "Acme")).status_code == 201
    assert_problem(await create(people, "a_admin", people.org_a, "Acme again"), 409)  # one company per organization
    assert_problem(await create(people, "a_admin", uuid4(), "Nowhere"), 404)


@pytest.mark.parametrize("body", [
    {"slug": "no-name"},
    {"name": "Bad Slug", "slug": "Bad Slug"},
    {"name": "Bad URL", "slug": "bad-url", "website": "not a url"},
    {"name": "Old", "slug": "old", "founded_year": 1500},
    {"name": "Links", "slug": "links", "social_links": {"bad name!": "https://x.example"}},
    {"name": "Stack", "slug": "stack", "tech_stack": ["Go", "go"]},
    {"name": "Extra", "slug": "extra", "status": "inactive"},
    {"name": "Negative", "slug": "negative", "employee_count": -1},
], ids=["no-name", "bad-slug", "bad-url", "founded-1500", "bad-link-name", "repeated-tech", "unknown-field",
        "negative-count"])
async def test_bad_company_input_is_refused_and_writes_nothing(people: People, fresh_store: EventStore, body) -> None:
    head = await settled_head(fresh_store)
    answer = await people.client.post("/v1/companies", headers=people.headers("a_admin"),
                                      json={"identity_organization_id": str(people.org_a), **body})
    assert_problem(answer, 422)
    assert await settled_head(fresh_store) == head


async def test_a_slug_in_use_is_refused_on_create_and_on_edit(people: People, fresh_store: EventStore) -> None:
    first = await create(people, "a_admin", people.org_a, "Acme")
    await people.client.get(f"/v1/companies/{people.company_a}", params=token(first), headers=people.headers("a_admin"))
    head = await settled_head(fresh_store)
    assert_problem(await create(people, "b_admin", people.org_b, "Acme"), 409)
    assert await settled_head(fresh_store) == head
    second = await create(people, "b_admin", people.org_b, "Beta")
    assert second.status_code == 201
    head = await settled_head(fresh_store)
    taken = await people.client.patch(f"/v1/companies/{people.company_b}", json={"slug": "acme"},
                                      headers=people.headers("b_admin"))
    assert_problem(taken, 409)
    assert await settled_head(fresh_store) == head


async def test_the_marketplace_lists_shown_active_companies_and_staff_also_their_own(people: People) -> None:
    a = await create(people, "a_admin", people.org_a, "Acme", industry="Robotics", marketplace_visible=True)
    b = await create(people, "b_admin", people.org_b, "Beta", industry="Biotech")
    assert a.status_code == 201
    after = token(b)  # the later write: reading after it reads both

    async def names(caller: str, **params) -> list[str]:
        listed = await people.client.get("/v1/companies", params={**after, **params}, headers=people.headers(caller))
        assert listed.status_code == 200, listed.text
        return [c["name"] for c in listed.json()["data"]]

    expected = {"admin": ["Acme", "Beta"], "a_admin": ["Acme"], "a_manager": ["Acme"], "b_admin": ["Acme", "Beta"],
                "recruiter": ["Acme"], "candidate": ["Acme"], "anonymous": ["Acme"]}
    for caller, seen in expected.items():
        assert await names(caller) == seen, caller
    assert await names("admin", search="bet") == ["Beta"]
    assert await names("admin", industry="robotics") == ["Acme"]
    assert await names("admin", sort="-name") == ["Beta", "Acme"]
    page = await people.client.get("/v1/companies", params={**after, "limit": 1, "page": 2},
                                   headers=people.headers("admin"))
    assert [c["name"] for c in page.json()["data"]] == ["Beta"]
    assert page.json()["pagination"] == {"total": 2, "page": 2, "limit": 1, "total_pages": 2}

    # A platform admin deactivates Acme: it leaves the marketplace, its staff still see it.
    gone = await people.client.post(f"/v1/companies/{people.company_a}/deactivate", json={"reason": "fraud"},
                                    headers=people.headers("admin"))
    assert gone.status_code == 200, gone.text
    after = token(gone)
    assert await names("anonymous") == [] and await names("recruiter") == []
    assert await names("a_admin") == ["Acme"] and await names("admin", status="inactive") == ["Acme"]
    back = await people.client.post(f"/v1/companies/{people.company_a}/activate", headers=people.headers("admin"))
    after = token(back)
    assert await names("anonymous") == ["Acme"]


# Editing company A while it is off the marketplace (404 for whoever cannot see it), then once it is on
# it (403 for whoever sees it but is not its admin).
EDIT_HIDDEN = {"admin": 200, "a_admin": 200, "a_manager": 403, "b_admin": 404, "recruiter": 404, "recruiter2": 404,
               "candidate": 404, "anonymous": 401}
EDIT_SHOWN = EDIT_HIDDEN | {"b_admin": 403, "recruiter": 403, "recruiter2": 403, "candidate": 403}


async def test_only_the_companys_admins_or_a_platform_admin_change_it(people: People, fresh_store: EventStore) -> None:
    assert (await create(people, "a_admin", people.org_a, "Acme")).status_code == 201
    url = f"/v1/companies/{people.company_a}"
    for visible, expected in ((False, EDIT_HIDDEN), (True, EDIT_SHOWN)):
        for caller in CALLERS:
            head = await settled_head(fresh_store)
            edited = await people.client.patch(url, json={"tagline": f"by {caller}"}, headers=people.headers(caller))
            shown = await people.client.post(f"{url}/marketplace-visibility", json={"visible": visible},
                                             headers=people.headers(caller))
            assert edited.status_code == expected[caller], (caller, edited.text)
            assert shown.status_code == expected[caller], (caller, shown.text)
            if expected[caller] != 200:
                assert_problem(edited, expected[caller])
                assert await settled_head(fresh_store) == head, caller
        put_on = await people.client.post(f"{url}/marketplace-visibility", json={"visible": True},
                                          headers=people.headers("a_admin"))
        assert put_on.status_code == 200
    read = await people.client.get(url, params=token(put_on), headers=people.headers("anonymous"))
    assert read.json()["data"]["tagline"] == "by a_admin" and read.json()["data"]["marketplace_visible"] is True


async def test_status_is_a_platform_admins_decision(people: People, fresh_store: EventStore) -> None:
    assert (await create(people, "a_admin", people.org_a, "Acme")).status_code == 201
    head = await settled_head(fresh_store)
    for caller, status in (("a_admin", 403), ("a_manager", 403), ("recruiter", 403), ("anonymous", 401)):
        assert_problem(await people.client.post(f"/v1/companies/{people.company_a}/deactivate",
                                                headers=people.headers(caller)), status)
    assert await settled_head(fresh_store) == head
    assert_problem(await people.client.post(f"/v1/companies/{uuid4()}/deactivate", headers=people.headers("admin")),
                   404)


async def test_profile_edits_clear_fields_and_respect_if_match(people: People) -> None:
    created = await create(people, "a_admin", people.org_a, "Acme", tagline="We build", website="https://acme.example")
    url, who = f"/v1/companies/{people.company_a}", people.headers("a_admin")
    cleared = await people.client.patch(url, json={"tagline": None, "name": "Acme Inc"}, headers=who)
    assert cleared.status_code == 200 and cleared.json()["version"] == created.json()["version"] + 1
    data = (await people.client.get(url, params=token(cleared), headers=who)).json()["data"]
    assert (data["tagline"], data["name"], data["website"]) == (None, "Acme Inc", "https://acme.example")
    stale = await people.client.patch(url, json={"tagline": "late"}, headers=who | {"If-Match": "1"})
    assert_problem(stale, 409)
    assert_problem(await people.client.patch(url, json={"name": None}, headers=who), 422)


async def test_the_company_sourcer_is_named_once(people: People, fresh_store: EventStore) -> None:
    assert (await create(people, "a_admin", people.org_a, "Acme", marketplace_visible=True)).status_code == 201
    url = f"/v1/companies/{people.company_a}/sourcer"
    head = await settled_head(fresh_store)
    # A recruiter claims only a company they work with (an active relationship); nobody claims for someone else.
    assert_problem(await people.client.post(url, json={}, headers=people.headers("recruiter")), 403)
    assert_problem(await people.client.post(url, json={"sourcer_recruiter_id": str(people.recruiter_id)},
                                            headers=people.headers("a_admin")), 403)
    assert_problem(await people.client.post(url, json={"protection_window_days": 3000},
                                            headers=people.headers("recruiter")), 403)
    assert_problem(await people.client.post(url, json={}, headers=people.headers("anonymous")), 401)
    assert await settled_head(fresh_store) == head
    nobody = await people.client.get(url, headers=people.headers("recruiter"))
    assert nobody.status_code == 200 and nobody.json()["data"] is None

    named = await people.client.post(url, headers=people.headers("admin"), json={
        "sourcer_recruiter_id": str(people.recruiter_id), "source_method": "referral", "protection_window_days": 30})
    assert named.status_code == 201, named.text
    seen = await people.client.get(url, params=token(named), headers=people.headers("a_manager"))
    data = seen.json()["data"]
    assert (data["sourcer_recruiter_id"], data["sourcer_type"], data["protected"], data["protection_window_days"]) == \
        (str(people.recruiter_id), "recruiter", True, 30)
    again = await people.client.post(url, headers=people.headers("admin"),
                                     json={"sourcer_recruiter_id": str(people.recruiter_id)})
    assert again.status_code == 201 and again.json()["version"] == named.json()["version"]  # a no-op
    assert_problem(await people.client.post(url, headers=people.headers("admin"),
                                            json={"sourcer_recruiter_id": str(people.recruiter2_id)}), 409)
    assert_problem(await people.client.get(url, headers=people.headers("anonymous")), 401)
