"""A candidate's skills and résumé profile, and the skills catalogue, through HTTP: who may change them (the
candidate, their consented recruiter, platform admins; 403 for who only sees the candidate, 404 for who does not),
who sees which fields, bounds refused with nothing written, the catalogue's prefix search, proposals bounded per
user and approved by admins, and the read tables rebuilt equal by a replay."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest

from commands.ats.skill import MAX_OPEN_PROPOSALS
from consumers.runtime.replay import replay
from eventstore import EventStore
from projections.registry import all_projections
from tests.helpers import dump_schema, feed_settled, settled_head, wait_until
from tests.integration.ats.ats_people import CALLERS, People, _count, assert_problem, ats_people, token
from tests.integration.ats.test_applications_api import represent


@pytest.fixture
async def people(fresh_store: EventStore):
    async with ats_people(fresh_store) as world:
        yield world


SKILLS = {"skills": [{"slug": "python", "years": 6, "proficiency": "expert"},
                     {"slug": "kubernetes", "source": "resume_extraction"}]}
RESUME = {"years_experience": 9,
          "experience": [{"title": "Platform Engineer", "company": "Acme", "start_month": "2017-01",
                          "end_month": "2023-06", "description": "Kubernetes clusters"}],
          "education": [{"institution": "TU Berlin", "degree": "MSc", "field_of_study": "CS", "start_year": 2012,
                         "end_year": 2014}],
          "certifications": [{"name": "CKA", "issuer": "CNCF", "year": 2021}]}


async def call(people: People, caller: str, method: str, path: str, **kwargs: Any):
    return await people.client.request(method, path, headers=people.headers(caller), **kwargs)


async def catalogue(people: People, *names: str) -> None:
    for name in names:
        added = await call(people, "admin", "POST", "/v1/skills", json={"name": name})
        assert added.status_code == 201, added.text


async def represented_candidate(people: People, **fields: Any) -> str:
    """The candidate's own record, represented by `recruiter` with the candidate's consent."""
    created = await call(people, "candidate", "POST", "/v1/candidates", json={
        "full_name": "Ada Lovelace", "email": f"ada.{people.clerk_ids['candidate']}@example.com", **fields})
    assert created.status_code == 201, created.text
    candidate_id = created.json()["id"]
    await represent(people.store, people.recruiter_id, UUID(candidate_id))
    await wait_until(lambda: _count(people.store, "network.recruiter_candidates WHERE candidate_id = %s"
                                    " AND status = 'active'", UUID(candidate_id)))
    await people.wait_for_candidate_role("candidate", candidate_id)
    await quiet(people.store)
    return candidate_id


async def quiet(store: EventStore) -> None:
    """Until the background work of the set-up (the candidate's role, the consent's email) has been written: the
    feed's head stays put for a second."""
    head = await settled_head(store)
    for _ in range(30):
        await asyncio.sleep(1)
        if (now := await settled_head(store)) == head:
            return
        head = now
    raise AssertionError("the store kept being written to")


# Changing the skills and résumé of a public candidate with their own account, represented by `recruiter`.
CHANGE = {"admin": 200, "candidate": 200, "recruiter": 200, "recruiter2": 403, "a_admin": 403, "a_manager": 403,
          "b_admin": 403, "anonymous": 401}


async def test_the_candidate_their_recruiter_and_admins_change_the_profile_others_cannot(
        people: People, fresh_store: EventStore) -> None:
    await catalogue(people, "Python", "Kubernetes")
    candidate_id = await represented_candidate(people)
    for caller in CALLERS:
        head = await settled_head(fresh_store)
        skills = {"skills": [{"slug": "python", "years": CALLERS.index(caller)}]}
        resume = {**RESUME, "years_experience": 10 + CALLERS.index(caller)}
        for path, body in (("skills", skills), ("resume-profile", resume)):
            answer = await call(people, caller, "PUT", f"/v1/candidates/{candidate_id}/{path}", json=body)
            assert answer.status_code == CHANGE[caller], (caller, path, answer.text)
            if answer.status_code != 200:
                assert_problem(answer, CHANGE[caller])
        if CHANGE[caller] != 200:
            assert await settled_head(fresh_store) == head, caller
    # The same résumé again (the candidate wrote last) records nothing.
    head = await settled_head(fresh_store)
    assert (await call(people, "recruiter", "PUT", f"/v1/candidates/{candidate_id}/resume-profile",
                       json={**RESUME, "years_experience": 10 + CALLERS.index("candidate")})).status_code == 200
    assert await settled_head(fresh_store) == head
    # Hidden, the candidate is out of sight for other recruiters (404), not for their own.
    hidden = await call(people, "candidate", "POST", f"/v1/candidates/{candidate_id}/marketplace-visibility",
                        json={"visibility": "hidden"})
    assert hidden.status_code == 200, hidden.text
    await call(people, "candidate", "GET", f"/v1/candidates/{candidate_id}", params=token(hidden))
    assert_problem(await call(people, "recruiter2", "PUT", f"/v1/candidates/{candidate_id}/skills", json=SKILLS), 404)
    assert (await call(people, "recruiter", "PUT", f"/v1/candidates/{candidate_id}/skills",
                       json=SKILLS)).status_code == 200


async def test_who_sees_which_part_of_the_profile(people: People) -> None:
    await catalogue(people, "Python", "Kubernetes")
    candidate_id = await represented_candidate(people)
    await call(people, "candidate", "PUT", f"/v1/candidates/{candidate_id}/skills", json=SKILLS)
    written = await call(people, "recruiter", "PUT", f"/v1/candidates/{candidate_id}/resume-profile", json=RESUME)
    private = await call(people, "candidate", "POST", f"/v1/candidates/{candidate_id}/privacy",
                         json={"show_current_company": False})
    assert written.status_code == private.status_code == 200, (written.text, private.text)
    url = f"/v1/candidates/{candidate_id}/profile"

    mine = await call(people, "candidate", "GET", url, params=token(private))
    assert mine.status_code == 200, mine.text
    data = mine.json()["data"]
    assert data["years_experience"] == 9
    assert data["skills"] == [
        {"slug": "python", "name": "Python", "source": "manual", "years": 6, "proficiency": "expert"},
        {"slug": "kubernetes", "name": "Kubernetes", "source": "resume_extraction", "years": None,
         "proficiency": None}]
    assert data["experience"] == RESUME["experience"] and data["education"] == RESUME["education"]
    assert data["certifications"] == RESUME["certifications"]
    for caller in ("admin", "recruiter"):  # platform admins and the representing recruiter see it whole
        assert (await call(people, caller, "GET", url)).json()["data"] == data, caller
    for caller in ("recruiter2", "a_admin", "b_admin"):  # the marketplace: not the employers kept private
        seen = (await call(people, caller, "GET", url)).json()["data"]
        assert seen["skills"] == data["skills"] and seen["years_experience"] == 9, caller
        assert [set(e) for e in seen["experience"]] == [set(RESUME["experience"][0]) - {"company"}], caller
    shown = await call(people, "candidate", "POST", f"/v1/candidates/{candidate_id}/privacy",
                       json={"show_current_company": True})
    seen = await call(people, "recruiter2", "GET", url, params=token(shown))
    assert seen.json()["data"]["experience"][0]["company"] == "Acme"
    assert_problem(await call(people, "anonymous", "GET", url), 401)
    hidden = await call(people, "candidate", "POST", f"/v1/candidates/{candidate_id}/marketplace-visibility",
                        json={"visibility": "hidden"})
    assert_problem(await call(people, "recruiter2", "GET", url, params=token(hidden)), 404)
    assert (await call(people, "recruiter", "GET", url)).json()["data"] == {**data, "experience": RESUME["experience"]}


@pytest.mark.parametrize("path,body", [
    ("skills", {"skills": [{"slug": "python", "years": 71}]}),
    ("skills", {"skills": [{"slug": "python", "proficiency": "guru"}]}),
    ("skills", {"skills": [{"slug": "python"}, {"slug": "python"}]}),
    ("skills", {"skills": [{"slug": f"s{i}"} for i in range(51)]}),
    ("skills", {"skills": [{"slug": "cobol"}]}),  # not in the catalogue
    ("resume-profile", {"years_experience": 71}),
    ("resume-profile", {"years_experience": "9"}),
    ("resume-profile", {"experience": [{"title": "x", "start_month": "2020-13"}]}),
    ("resume-profile", {"experience": [{"title": "x", "start_month": "2020-02", "end_month": "2020-01"}]}),
    ("resume-profile", {"experience": [{"title": "x" * 201, "start_month": "2020-01"}]}),
    ("resume-profile", {"experience": [{"title": "a\u0000b", "start_month": "2020-01"}]}),
    ("resume-profile", {"experience": [{"title": "x", "start_month": "2020-01"}] * 31}),
    ("resume-profile", {"education": [{"institution": "x", "start_year": 1800}]}),
    ("resume-profile", {"education": [{"institution": "x"}] * 11}),
    ("resume-profile", {"certifications": [{"name": "x", "year": 2101}]}),
    ("resume-profile", {"certifications": [{"name": "x"}] * 21}),
    ("resume-profile", {"hobbies": ["chess"]}),
], ids=lambda v: v if isinstance(v, str) else None)
async def test_bad_profile_input_is_refused_and_writes_nothing(people: People, fresh_store: EventStore, path: str,
                                                               body: dict[str, Any]) -> None:
    await catalogue(people, "Python")
    candidate_id = await represented_candidate(people)
    head = await settled_head(fresh_store)
    answer = await call(people, "candidate", "PUT", f"/v1/candidates/{candidate_id}/{path}", json=body)
    assert_problem(answer, 422)
    if body == {"skills": [{"slug": "cobol"}]}:
        assert answer.json()["code"] == "unknown_skill"
    assert await settled_head(fresh_store) == head


async def test_the_catalogue_lists_approved_skills_by_prefix_and_bounds_proposals(
        people: People, fresh_store: EventStore) -> None:
    await catalogue(people, "PostgreSQL", "Python", "Perl", "Go")
    proposed = await call(people, "candidate", "POST", "/v1/skills", json={"name": "Pyramid"})
    assert proposed.status_code == 201, proposed.text
    listed = await call(people, "candidate", "GET", "/v1/skills", params={"prefix": "p", "limit": 2,
                                                                          **token(proposed)})
    assert listed.status_code == 200, listed.text
    assert [s["name"] for s in listed.json()["data"]] == ["Perl", "PostgreSQL"]
    assert listed.json()["pagination"] == {"total": 3, "page": 1, "limit": 2, "total_pages": 2}
    assert all("proposed_by_user_id" not in s for s in listed.json()["data"])
    page2 = await call(people, "a_admin", "GET", "/v1/skills", params={"prefix": "P", "limit": 2, "page": 2})
    assert [s["name"] for s in page2.json()["data"]] == ["Python"]  # the proposal waits outside the catalogue
    assert_problem(await call(people, "candidate", "GET", "/v1/skills", params={"status": "pending"}), 403)
    pending = await call(people, "admin", "GET", "/v1/skills", params={"status": "pending"})
    assert [(s["name"], s["proposed_by_user_id"]) for s in pending.json()["data"]] == \
        [("Pyramid", str(people.user_id("candidate")))]
    assert_problem(await call(people, "anonymous", "GET", "/v1/skills"), 401)
    assert_problem(await call(people, "candidate", "GET", "/v1/skills", params={"limit": 101}), 422)

    # A proposal may go on a profile at once; an admin's approval puts it in the catalogue.
    candidate_id = await represented_candidate(people)
    assert (await call(people, "candidate", "PUT", f"/v1/candidates/{candidate_id}/skills",
                       json={"skills": [{"slug": "pyramid"}]})).status_code == 200
    assert_problem(await call(people, "recruiter", "POST", f"/v1/skills/{proposed.json()['id']}/approve"), 403)
    approved = await call(people, "admin", "POST", f"/v1/skills/{proposed.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    found = await call(people, "candidate", "GET", "/v1/skills", params={"prefix": "pyr", **token(approved)})
    assert [(s["name"], s["is_approved"]) for s in found.json()["data"]] == [("Pyramid", True)]

    # Company users do not add skills; a name without letters is refused; proposals are bounded per user.
    head = await settled_head(fresh_store)
    assert_problem(await call(people, "a_admin", "POST", "/v1/skills", json={"name": "Excel"}), 403)
    assert_problem(await call(people, "recruiter", "POST", "/v1/skills", json={"name": "!!!"}), 422)
    assert_problem(await call(people, "recruiter", "POST", "/v1/skills", json={"name": "x" * 101}), 422)
    assert await settled_head(fresh_store) == head
    for i in range(MAX_OPEN_PROPOSALS):
        last = await call(people, "recruiter", "POST", "/v1/skills", json={"name": f"Niche {i}"})
        assert last.status_code == 201, last.text
    await call(people, "recruiter", "GET", "/v1/skills", params=token(last))
    head = await settled_head(fresh_store)
    flood = await call(people, "recruiter", "POST", "/v1/skills", json={"name": "One Too Many"})
    assert_problem(flood, 422)  # a limit, as every other limit: not a conflict
    assert flood.json()["code"] == "too_many_skill_proposals"
    assert await settled_head(fresh_store) == head
    # Proposing a skill the catalogue has records nothing and is not counted.
    again = await call(people, "recruiter", "POST", "/v1/skills", json={"name": "python"})
    assert again.status_code == 201 and await settled_head(fresh_store) == head


async def test_a_replay_rebuilds_the_profile_and_catalogue_tables_equal(people: People,
                                                                        fresh_store: EventStore) -> None:
    await catalogue(people, "Python", "Kubernetes")
    await call(people, "candidate", "POST", "/v1/skills", json={"name": "Pyramid"})
    candidate_id = await represented_candidate(people)
    await call(people, "candidate", "PUT", f"/v1/candidates/{candidate_id}/skills", json=SKILLS)
    await call(people, "candidate", "PUT", f"/v1/candidates/{candidate_id}/skills",
               json={"skills": [SKILLS["skills"][1], {"slug": "pyramid"}]})
    await call(people, "recruiter", "PUT", f"/v1/candidates/{candidate_id}/resume-profile", json=RESUME)
    await feed_settled(fresh_store)
    await wait_until(lambda: _count(fresh_store, "ats.candidate_resume_profiles"))
    await wait_until(lambda: _count(fresh_store, "ats.candidate_skills WHERE slug = 'pyramid'"))
    live = await dump_schema(fresh_store, "ats")
    assert live["candidate_skills"] and live["candidate_resume_profiles"] and live["skills"]
    await replay(fresh_store.pool, all_projections()["ats"], fresh_store.registry)
    assert await dump_schema(fresh_store, "ats") == live


EXTREMES_TEST = "test_skills_and_resume_profiles_at_the_limits_of_their_schemas_are_stored_and_replayed"


async def test_skills_and_resume_profiles_at_the_limits_of_their_schemas_are_stored_and_replayed(
        people: People) -> None:
    """50 catalogue skills of 100 characters on one profile with 70 years each, and the largest résumé (70 years,
    30 positions, 10 schools, 20 certifications at every length limit): taken, shown as given, and every read
    model rebuilt from the first event stores them."""
    from tests.integration.platform.test_bounded_input import EXTREMES, big, replay_every_projection, template_of

    sent = []
    for i in range(50):
        added = await call(people, "admin", "POST", "/v1/skills", json={"name": big(100, salt=f"s{i:02d}")})
        assert added.status_code == 201, added.text
        sent.append(added)
    candidate_id = await represented_candidate(people)
    catalogue_rows = (await call(people, "admin", "GET", "/v1/skills", params={"limit": 100, **token(added)})
                      ).json()["data"]
    skills = {"skills": [{"slug": s["slug"], "source": "resume_extraction", "years": 70, "proficiency": "expert"}
                         for s in catalogue_rows]}
    assert len(skills["skills"]) == 50
    resume = {
        "years_experience": 70,
        "experience": [{"title": big(200, salt=f"t{i}"), "company": big(200), "start_month": "1900-01",
                        "end_month": "2099-12", "description": big(2000)} for i in range(30)],
        "education": [{"institution": big(200, salt=f"i{i}"), "degree": big(200), "field_of_study": big(200),
                       "start_year": 1900, "end_year": 2100} for i in range(10)],
        "certifications": [{"name": big(200, salt=f"c{i}"), "issuer": big(200), "year": 2100} for i in range(20)],
    }
    sent.append(await call(people, "candidate", "PUT", f"/v1/candidates/{candidate_id}/skills", json=skills))
    sent.append(await call(people, "candidate", "PUT", f"/v1/candidates/{candidate_id}/resume-profile", json=resume))
    assert all(a.status_code in (200, 201) for a in sent), [a.text for a in sent if a.status_code >= 300]
    assert {template_of(a.request.method, a.request.url.path) for a in sent} == EXTREMES[EXTREMES_TEST]
    shown = (await call(people, "candidate", "GET", f"/v1/candidates/{candidate_id}/profile",
                        params=token(sent[-1]))).json()["data"]
    assert [s["slug"] for s in shown["skills"]] == [s["slug"] for s in skills["skills"]]
    assert {k: shown[k] for k in resume} == resume
    await feed_settled(people.store)
    await wait_until(lambda: _count(people.store, "ats.candidate_resume_profiles"))
    await replay_every_projection(people.store)
