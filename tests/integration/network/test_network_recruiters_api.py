"""Recruiters through HTTP: the caller's own recruiter (and the role the process manager grants), the
marketplace with its filters, sort and pages, who sees which profile, and status by platform admins."""

from __future__ import annotations

from uuid import uuid4

from commands.network.recruiter import recruiter_id_for
from tests.helpers import settled_head, wait_until
from tests.integration.network.test_network_fixtures import Net, net, problem

__all__ = ["net"]


async def test_a_user_creates_their_recruiter_once_and_is_given_the_recruiter_role(net: Net) -> None:
    recruiter_id = await net.recruiter("rex", tagline="Fintech closer", industries=["fintech"])
    assert recruiter_id == recruiter_id_for(net.user_id("rex"))
    head = await settled_head(net.store)
    again = await net.post("/v1/recruiters", "rex", {"tagline": "Something else"})
    assert again.status_code == 201 and again.json()["id"] == str(recruiter_id)
    assert await settled_head(net.store) == head  # a repeat records nothing: the profile changes with PATCH

    mine = (await net.get("/v1/recruiters/me", "rex", again)).json()["data"]
    assert (mine["status"], mine["tagline"], mine["industries"], mine["user_id"]) == (
        "active", "Fintech closer", ["fintech"], str(net.user_id("rex")))

    async def has_role() -> bool:
        me = (await net.get("/v1/users/me", "rex")).json()["data"]
        return "recruiter" in me["roles"]

    await wait_until(has_role)
    me = (await net.get("/v1/users/me", "rex")).json()["data"]
    assert me["recruiter_id"] == str(recruiter_id)


async def test_only_registered_users_create_recruiters_and_bad_input_writes_nothing(net: Net) -> None:
    await net.person("ida")
    await net.settled()
    head = await settled_head(net.store)
    problem(await net.post("/v1/recruiters", "anonymous", {}), 401)
    problem(await net.post("/v1/recruiters", "stranger", {}), 403)  # signed in, never registered
    for body in ({"admin": True}, {"years_experience": -1}, {"slug": "Not A Slug"}, {"industries": ["a"] * 51},
                 {"marketplace_visibility": "everyone"}, {"status": "active"}):
        problem(await net.post("/v1/recruiters", "ida", body), 422)
    problem(await net.client.patch("/v1/recruiters/me", json={"tagline": "x"}, headers=net.as_("ida")), 404)
    assert await settled_head(net.store) == head


async def test_recruiter_slugs_are_unique(net: Net) -> None:
    await net.recruiter("una", slug=f"una-{net.run}")
    await net.recruiter("duo", slug=f"duo-{net.run}")
    await net.settled()
    await net.person("tre")
    await net.settled()
    head = await settled_head(net.store)
    problem(await net.post("/v1/recruiters", "tre", {"slug": f"una-{net.run}"}), 409)
    problem(await net.client.patch("/v1/recruiters/me", json={"slug": f"una-{net.run}"}, headers=net.as_("duo")), 409)
    assert await settled_head(net.store) == head
    same = await net.client.patch("/v1/recruiters/me", json={"slug": f"duo-{net.run}"}, headers=net.as_("duo"))
    assert same.status_code == 200, same.text  # its own slug is not taken from itself


async def test_the_marketplace_lists_active_public_recruiters_filtered_sorted_and_paged(net: Net) -> None:
    await net.person("root", ("platform_admin", None))
    listed = {"ann": {"industries": ["Fintech"], "years_experience": 5, "tagline": "Payments people"},
              "bob": {"industries": ["Health"], "years_experience": 12, "show_contact_info": True,
                      "phone": "+1 555 0100", "location": "Berlin"}}
    unlisted = {"cal": {"marketplace_visibility": "limited"}, "dee": {"marketplace_visibility": "hidden"},
                "eve": {}, "fay": {"marketplace_enabled": False}}
    ids = {}
    for name, profile in (listed | unlisted).items():
        ids[name] = await net.recruiter(name, marketplace_enabled=profile.pop("marketplace_enabled", True), **profile)
    await net.settled()
    suspended = await net.client.put(f"/v1/recruiters/{ids['eve']}/status", json={"status": "suspended"},
                                     headers=net.as_("root"))
    assert suspended.status_code == 200, suspended.text

    page = (await net.get("/v1/recruiters", "anonymous", suspended)).json()
    assert {r["id"] for r in page["data"]} == {str(ids["ann"]), str(ids["bob"])}
    assert page["pagination"] == {"total": 2, "page": 1, "limit": 25, "total_pages": 1}
    by_id = {r["id"]: r for r in page["data"]}
    assert by_id[str(ids["bob"])]["phone"] == "+1 555 0100" and by_id[str(ids["bob"])]["email"] == net.email("bob")
    assert by_id[str(ids["ann"])]["phone"] is None and by_id[str(ids["ann"])]["email"] is None
    assert "user_id" not in by_id[str(ids["ann"])]

    async def names(**params) -> list[str]:
        answer = await net.get("/v1/recruiters", "cal", **params)
        assert answer.status_code == 200, answer.text
        return [r["name"] for r in answer.json()["data"]]

    assert await names(industry="fintech") == [net.clerk_id("ann")]
    assert await names(search="PAYMENTS") == [net.clerk_id("ann")]
    assert await names(location="berl") == [net.clerk_id("bob")]
    assert await names(sort="-years_experience") == [net.clerk_id("bob"), net.clerk_id("ann")]
    assert await names(sort="years_experience", limit=1, page=2) == [net.clerk_id("bob")]
    second = (await net.get("/v1/recruiters", "anonymous", limit=1, page=2)).json()["pagination"]
    assert second == {"total": 2, "page": 2, "limit": 1, "total_pages": 2}
    for bad in ({"sort": "salary"}, {"limit": 0}, {"page": 0}, {"limit": 101}):
        problem(await net.get("/v1/recruiters", "anonymous", **bad), 422)


async def test_who_sees_which_recruiter_profile(net: Net) -> None:
    await net.person("root", ("platform_admin", None))
    ids = {name: await net.recruiter(name, marketplace_enabled=True, marketplace_visibility=visibility)
           for name, visibility in (("pub", "public"), ("lim", "limited"), ("hid", "hidden"))}
    await net.person("other")
    await net.settled()
    expected = {  # caller → the recruiters they see (by name); the rest answer 404
        "anonymous": {"pub"},
        "other": {"pub", "lim"},
        "hid": {"pub", "lim", "hid"},
        "root": {"pub", "lim", "hid"},
    }
    for caller, visible in expected.items():
        for name, recruiter_id in ids.items():
            answer = await net.get(f"/v1/recruiters/{recruiter_id}", caller)
            if name in visible:
                assert answer.status_code == 200, (caller, name, answer.text)
                whole = caller in ("root", name)
                assert ("user_id" in answer.json()["data"]) is whole, (caller, name)
            else:
                problem(answer, 404)
    problem(await net.get(f"/v1/recruiters/{uuid4()}", "root"), 404)


async def test_the_owner_changes_their_profile(net: Net) -> None:
    await net.recruiter("pam", bio="Old bio", industries=["retail"])
    await net.settled()
    changed = await net.client.patch("/v1/recruiters/me", json={"bio": None, "tagline": "New", "industries": ["saas"]},
                                     headers=net.as_("pam"))
    assert changed.status_code == 200, changed.text
    mine = (await net.get("/v1/recruiters/me", "pam", changed)).json()["data"]
    assert (mine["bio"], mine["tagline"], mine["industries"]) == (None, "New", ["saas"])
    head = await settled_head(net.store)
    problem(await net.client.patch("/v1/recruiters/me", json={"industries": None}, headers=net.as_("pam")), 422)
    problem(await net.client.patch("/v1/recruiters/me", json={"user_id": str(uuid4())}, headers=net.as_("pam")), 422)
    assert await settled_head(net.store) == head


async def test_only_platform_admins_change_a_recruiters_status(net: Net) -> None:
    await net.person("root", ("platform_admin", None))
    sam = await net.recruiter("sam")
    await net.person("boss")
    await net.company(uuid4(), boss="company_admin")
    await net.settled()
    body = {"status": "suspended", "reason": "fraud review"}
    problem(await net.client.put(f"/v1/recruiters/{sam}/status", json=body), 401)
    for caller in ("sam", "boss"):
        problem(await net.client.put(f"/v1/recruiters/{sam}/status", json=body, headers=net.as_(caller)), 403)
    problem(await net.client.put(f"/v1/recruiters/{uuid4()}/status", json=body, headers=net.as_("root")), 404)
    problem(await net.client.put(f"/v1/recruiters/{sam}/status", json={"status": "gone"}, headers=net.as_("root")), 422)
    done = await net.client.put(f"/v1/recruiters/{sam}/status", json=body, headers=net.as_("root"))
    assert done.status_code == 200, done.text
    assert (await net.get("/v1/recruiters/me", "sam", done)).json()["data"]["status"] == "suspended"
