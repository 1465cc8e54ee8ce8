"""Candidates through HTTP: creation by recruiters and by candidates themselves, role-scoped reads with
private fields left out, profile, privacy, visibility, verification, archive and restore, claiming a
recruiter-managed record, and the candidate sourcer; each caller kind's rights, bad input that writes
nothing, and reading one's writes with the consistency token."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from commands.ats.candidate import candidate_id_for
from eventstore import EventStore
from tests.integration.ats.ats_people import (
    CALLERS,
    People,
    assert_problem,
    ats_people,
    token,
)
from tests.helpers import settled_head


@pytest.fixture
async def people(fresh_store: EventStore):
    async with ats_people(fresh_store) as world:
        yield world


def person(name: str, **extra) -> dict:
    return {"full_name": name, "email": f"{name.split()[0].lower()}.{uuid4().hex[:6]}@example.com", **extra}


async def create(people: People, caller: str, body: dict) -> httpx.Response:
    answer = await people.client.post("/v1/candidates", json=body, headers=people.headers(caller))
    assert answer.status_code == 201, answer.text
    return answer


async def read(people: People, caller: str, candidate_id, after: dict | None = None) -> httpx.Response:
    return await people.client.get(f"/v1/candidates/{candidate_id}", params=after or {}, headers=people.headers(caller))


PRIVATE = {"email", "phone", "desired_salary_min_cents", "desired_salary_max_cents"}  # not shown by default


async def test_a_recruiter_creates_a_managed_candidate_others_see_only_what_it_shows(people: People) -> None:
    created = await create(people, "recruiter", person(
        "Grace Hopper", phone="+1 555 0100", location="Arlington", current_company="Navy", current_title="Admiral",
        desired_salary_min_cents=15_000_000, desired_salary_max_cents=20_000_000))
    candidate_id, after = created.json()["id"], token(created)

    mine = (await read(people, "recruiter", candidate_id, after)).json()["data"]
    assert mine["user_id"] is None and mine["created_by_user_id"] == str(people.user_id("recruiter"))
    assert (mine["phone"], mine["desired_salary_min_cents"], mine["verification_status"]) == \
        ("+1 555 0100", 15_000_000, "unverified")
    for caller in ("admin", "recruiter"):  # whoever controls the record, and platform admins, see it whole
        assert PRIVATE <= (await read(people, caller, candidate_id)).json()["data"].keys(), caller
    for caller in ("recruiter2", "a_admin", "a_manager", "b_admin"):
        seen = await read(people, caller, candidate_id)
        assert seen.status_code == 200, caller
        assert not PRIVATE & seen.json()["data"].keys(), caller
        assert (seen.json()["data"]["location"], seen.json()["data"]["current_company"]) == ("Arlington", "Navy")
    assert_problem(await read(people, "candidate", candidate_id), 404)  # a candidate sees only their own record
    assert_problem(await read(people, "anonymous", candidate_id), 401)


async def test_a_candidate_creates_their_own_record_once_and_finds_it_at_me(people: People) -> None:
    created = await create(people, "candidate", person("Ada Lovelace", phone="+44 20 7946 0000"))
    assert created.json()["id"] == str(candidate_id_for(people.user_id("candidate")))
    me = await people.client.get("/v1/candidates/me", params=token(created), headers=people.headers("candidate"))
    assert me.status_code == 200, me.text
    assert (me.json()["data"]["user_id"], me.json()["data"]["phone"]) == \
        (str(people.user_id("candidate")), "+44 20 7946 0000")
    assert_problem(await people.client.post("/v1/candidates", json=person("Ada Again"),
                                            headers=people.headers("candidate")), 409)
    assert_problem(await people.client.get("/v1/candidates/me", headers=people.headers("recruiter")), 404)
    # The candidate-accounts process names the record in the user's roles: the access context's candidate id.
    await people.wait_for_candidate_role("candidate", created.json()["id"])


async def test_each_caller_lists_the_candidates_their_role_allows(people: People) -> None:
    ids = {
        "mine_public": (await create(people, "recruiter", person("Public Mine"))).json()["id"],
        "mine_hidden": (await create(people, "recruiter", person("Hidden Mine", marketplace_visibility="hidden"))).json()["id"],
        "other_limited": (await create(people, "recruiter2", person("Other Limited",
                                                                    marketplace_visibility="limited"))).json()["id"],
    }
    last = await create(people, "candidate", person("Self Made"))
    ids["self"] = last.json()["id"]
    names = {v: k for k, v in ids.items()}
    everyone = set(ids)
    expected = {
        ("admin", "browse"): everyone, ("admin", "mine"): everyone,
        ("recruiter", "browse"): everyone, ("recruiter", "mine"): {"mine_public", "mine_hidden"},
        ("recruiter2", "browse"): everyone - {"mine_hidden"}, ("recruiter2", "mine"): {"other_limited"},
        ("a_admin", "browse"): everyone - {"mine_hidden"}, ("a_admin", "mine"): set(),
        ("a_manager", "browse"): everyone - {"mine_hidden"}, ("b_admin", "mine"): set(),
        ("candidate", "browse"): {"self"}, ("candidate", "mine"): {"self"},
    }
    for (caller, scope), seen in expected.items():
        listed = await people.client.get("/v1/candidates", params={**token(last), "scope": scope},
                                         headers=people.headers(caller))
        assert listed.status_code == 200, listed.text
        assert {names[c["id"]] for c in listed.json()["data"]} == seen, (caller, scope)
        assert listed.json()["pagination"]["total"] == len(seen)
    assert_problem(await people.client.get("/v1/candidates", headers=people.headers("anonymous")), 401)
    searched = await people.client.get("/v1/candidates", params={"search": "limited"}, headers=people.headers("admin"))
    assert [c["full_name"] for c in searched.json()["data"]] == ["Other Limited"]
    paged = await people.client.get("/v1/candidates", params={"limit": 3, "page": 2, "sort": "full_name"},
                                    headers=people.headers("admin"))
    assert [c["full_name"] for c in paged.json()["data"]] == ["Self Made"]
    assert paged.json()["pagination"] == {"total": 4, "page": 2, "limit": 3, "total_pages": 2}


# Changing a recruiter's managed candidate (marketplace-visible): 404 for who cannot see it, 403 for who only sees it.
CHANGE_MANAGED = {"admin": 200, "recruiter": 200, "recruiter2": 403, "a_admin": 403, "a_manager": 403,
                  "b_admin": 403, "candidate": 404, "anonymous": 401}


async def test_only_whoever_controls_a_candidate_or_a_platform_admin_changes_it(
    people: People, fresh_store: EventStore
) -> None:
    candidate_id = (await create(people, "recruiter", person("Managed One"))).json()["id"]
    url = f"/v1/candidates/{candidate_id}"
    for caller in CALLERS:
        head = await settled_head(fresh_store)
        attempts = [
            await people.client.patch(url, json={"bio": f"by {caller}"}, headers=people.headers(caller)),
            await people.client.post(f"{url}/privacy", json={"show_phone": True}, headers=people.headers(caller)),
            await people.client.post(f"{url}/marketplace-visibility", json={"visibility": "limited"},
                                     headers=people.headers(caller)),
        ]
        for answer in attempts:
            assert answer.status_code == CHANGE_MANAGED[caller], (caller, answer.text)
            if answer.status_code != 200:
                assert_problem(answer, CHANGE_MANAGED[caller])
        if CHANGE_MANAGED[caller] != 200:
            assert await settled_head(fresh_store) == head, caller
    # Hidden, it is out of sight for everyone but its recruiter and platform admins.
    hidden = await people.client.post(f"{url}/marketplace-visibility", json={"visibility": "hidden"},
                                      headers=people.headers("recruiter"))
    assert_problem(await read(people, "recruiter2", candidate_id, token(hidden)), 404)
    assert_problem(await people.client.patch(url, json={"bio": "x"}, headers=people.headers("recruiter2")), 404)
    assert (await read(people, "recruiter", candidate_id)).json()["data"]["bio"] == "by recruiter"


async def test_the_candidates_privacy_flags_decide_what_others_see(people: People) -> None:
    created = await create(people, "candidate", person("Private Person", phone="+1 555 0199", location="Paris"))
    candidate_id = created.json()["id"]
    seen = (await read(people, "recruiter", candidate_id, token(created))).json()["data"]
    assert "email" not in seen and "phone" not in seen and seen["location"] == "Paris"
    changed = await people.client.post(f"/v1/candidates/{candidate_id}/privacy", headers=people.headers("candidate"),
                                       json={"show_email": True, "show_location": False})
    assert changed.status_code == 200, changed.text
    seen = (await read(people, "a_admin", candidate_id, token(changed))).json()["data"]
    assert seen["email"].startswith("private.") and "location" not in seen and "phone" not in seen
    own = (await people.client.get("/v1/candidates/me", headers=people.headers("candidate"))).json()["data"]
    assert (own["location"], own["phone"], own["show_location"]) == ("Paris", "+1 555 0199", False)
    # The candidate, once they own the record, controls it: the recruiters no longer do.
    assert_problem(await people.client.patch(f"/v1/candidates/{candidate_id}", json={"bio": "x"},
                                             headers=people.headers("recruiter")), 403)


async def test_verification_is_a_platform_admins_decision(people: People, fresh_store: EventStore) -> None:
    candidate_id = (await create(people, "candidate", person("Verify Me"))).json()["id"]
    await people.wait_for_candidate_role("candidate", candidate_id)
    url = f"/v1/candidates/{candidate_id}/verification"
    head = await settled_head(fresh_store)
    for caller, status in (("candidate", 403), ("recruiter", 403), ("a_admin", 403), ("anonymous", 401)):
        assert_problem(await people.client.post(url, json={"to_status": "pending"}, headers=people.headers(caller)),
                       status)
    assert_problem(await people.client.post(url, json={"to_status": "verified"}, headers=people.headers("admin")), 422)
    assert_problem(await people.client.post(url, json={"to_status": "famous"}, headers=people.headers("admin")), 422)
    assert await settled_head(fresh_store) == head
    for status in ("pending", "verified"):
        moved = await people.client.post(url, json={"to_status": status, "reason": "checked"},
                                         headers=people.headers("admin"))
        assert moved.status_code == 200, moved.text
    me = await people.client.get("/v1/candidates/me", params=token(moved), headers=people.headers("candidate"))
    assert me.json()["data"]["verification_status"] == "verified"
    assert_problem(await people.client.post(f"/v1/candidates/{uuid4()}/verification", json={"to_status": "pending"},
                                            headers=people.headers("admin")), 404)


async def test_an_archived_candidate_leaves_the_marketplace_until_restored(people: People) -> None:
    candidate_id = (await create(people, "recruiter", person("Archie Ved"))).json()["id"]
    url = f"/v1/candidates/{candidate_id}"
    assert_problem(await people.client.post(f"{url}/archive", headers=people.headers("recruiter2")), 403)
    archived = await people.client.post(f"{url}/archive", json={"reason": "placed elsewhere"},
                                        headers=people.headers("recruiter"))
    assert archived.status_code == 200, archived.text
    assert_problem(await read(people, "recruiter2", candidate_id, token(archived)), 404)
    listed = await people.client.get("/v1/candidates", params={"archived": "true"}, headers=people.headers("recruiter"))
    assert [c["id"] for c in listed.json()["data"]] == [candidate_id]
    assert listed.json()["data"][0]["archived_at"] is not None
    assert_problem(await people.client.patch(url, json={"bio": "x"}, headers=people.headers("recruiter")), 422)
    restored = await people.client.post(f"{url}/restore", headers=people.headers("recruiter"))
    assert restored.status_code == 200, restored.text
    assert (await read(people, "recruiter2", candidate_id, token(restored))).status_code == 200


@pytest.mark.parametrize("body", [
    {"email": "no.name@example.com"},
    {"full_name": "No Email"},
    {"full_name": "Bad Email", "email": "not-an-email"},
    {"full_name": "Bad Phone", "email": "p@example.com", "phone": "call me"},
    {"full_name": "Bad Url", "email": "u@example.com", "linkedin_url": "linkedin"},
    {"full_name": "Inverted", "email": "i@example.com", "desired_salary_min_cents": 9, "desired_salary_max_cents": 1},
    {"full_name": "Negative", "email": "n@example.com", "desired_salary_min_cents": -1},
    {"full_name": "Extra", "email": "e@example.com", "user_id": str(uuid4())},
    {"full_name": "Visibility", "email": "v@example.com", "marketplace_visibility": "secret"},
], ids=["no-name", "no-email", "bad-email", "bad-phone", "bad-url", "salary-inverted", "negative-salary",
        "unknown-field", "bad-visibility"])
async def test_bad_candidate_input_is_refused_and_writes_nothing(people: People, fresh_store: EventStore, body) -> None:
    head = await settled_head(fresh_store)
    assert_problem(await people.client.post("/v1/candidates", json=body, headers=people.headers("recruiter")), 422)
    assert await settled_head(fresh_store) == head


async def test_who_may_create_candidates_and_one_per_email(people: People, fresh_store: EventStore) -> None:
    first = await create(people, "recruiter", person("Dupe", email="dupe@example.com"))
    await read(people, "recruiter", first.json()["id"], token(first))
    head = await settled_head(fresh_store)
    for caller, status in (("a_admin", 403), ("a_manager", 403), ("anonymous", 401)):
        assert_problem(await people.client.post("/v1/candidates", json=person("Nobody"), headers=people.headers(caller)),
                       status)
    assert_problem(await people.client.post("/v1/candidates", json=person("Dupe", email="DUPE@example.com"),
                                            headers=people.headers("recruiter2")), 409)
    other = (await create(people, "recruiter2", person("Other"))).json()["id"]
    head = await settled_head(fresh_store)
    assert_problem(await people.client.patch(f"/v1/candidates/{other}", json={"email": "dupe@example.com"},
                                             headers=people.headers("recruiter2")), 409)
    assert await settled_head(fresh_store) == head


async def test_a_user_claims_the_record_a_recruiter_made_with_their_email(people: People) -> None:
    await people.seed("claimer", ("candidate", None))
    made = await create(people, "recruiter", person("Claire Mer", email=people.email("claimer")))
    candidate_id = made.json()["id"]
    await read(people, "recruiter", candidate_id, token(made))
    assert_problem(await people.client.post("/v1/candidates/claim", headers=people.headers("candidate")), 404)
    claimed = await people.client.post("/v1/candidates/claim", headers=people.headers("claimer"))
    assert claimed.status_code == 200 and claimed.json()["id"] == candidate_id, claimed.text
    me = await people.client.get("/v1/candidates/me", params=token(claimed), headers=people.headers("claimer"))
    assert me.json()["data"]["user_id"] == str(people.user_id("claimer"))
    # The record is the candidate's now: the recruiter who made it sees what others see, and changes nothing.
    assert "email" not in (await read(people, "recruiter", candidate_id)).json()["data"]
    assert_problem(await people.client.patch(f"/v1/candidates/{candidate_id}", json={"bio": "x"},
                                             headers=people.headers("recruiter")), 403)
    assert_problem(await people.client.post("/v1/candidates/claim", headers=people.headers("claimer")), 409)


async def test_the_candidate_sourcer_is_the_first_recruiter_to_claim(people: People, fresh_store: EventStore) -> None:
    mine = (await create(people, "recruiter", person("Sourced One"))).json()["id"]
    theirs = (await create(people, "recruiter2", person("Sourced Two"))).json()["id"]
    head = await settled_head(fresh_store)
    for caller, candidate_id, body, status in (
        ("recruiter2", mine, {}, 403),                                            # not a record they created
        ("recruiter", theirs, {}, 403),
        ("recruiter", mine, {"sourcer_recruiter_id": str(people.recruiter2_id)}, 403),  # only for themself
        ("recruiter", mine, {"sourced_at": "2020-01-01T00:00:00Z"}, 403),       # terms are a platform admin's
        ("a_admin", mine, {}, 403),
        ("candidate", mine, {}, 404),
        ("anonymous", mine, {}, 401),
    ):
        answer = await people.client.post(f"/v1/candidates/{candidate_id}/sourcer", json=body,
                                          headers=people.headers(caller))
        assert_problem(answer, status)
    assert await settled_head(fresh_store) == head

    claimed = await people.client.post(f"/v1/candidates/{mine}/sourcer", json={"source_method": "linkedin"},
                                       headers=people.headers("recruiter"))
    assert claimed.status_code == 201, claimed.text
    seen = await people.client.get(f"/v1/candidates/{mine}/sourcer", params=token(claimed),
                                   headers=people.headers("a_admin"))
    data = seen.json()["data"]
    assert (data["sourcer_recruiter_id"], data["source_method"], data["protection_window_days"], data["protected"]) == \
        (str(people.recruiter_id), "linkedin", 365, True)
    assert_problem(await people.client.post(f"/v1/candidates/{mine}/sourcer", headers=people.headers("admin"),
                                            json={"sourcer_recruiter_id": str(people.recruiter2_id)}), 409)
    platform = await people.client.post(f"/v1/candidates/{theirs}/sourcer", headers=people.headers("admin"),
                                        json={"sourcer_type": "tsn"})
    assert platform.status_code == 201, platform.text
    none_yet = await people.client.get(f"/v1/candidates/{theirs}/sourcer", params=token(platform),
                                       headers=people.headers("recruiter2"))
    assert none_yet.json()["data"]["sourcer_type"] == "tsn" and none_yet.json()["data"]["sourcer_recruiter_id"] is None
    assert_problem(await people.client.get(f"/v1/candidates/{mine}/sourcer", headers=people.headers("candidate")), 404)
