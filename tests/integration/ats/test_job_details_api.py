"""A job's requirements, skills, pre-screen questions and owner through HTTP: the same rights as editing
the job (404 for who cannot see it, 403 for who only sees it), reads for whoever may see the job, bad
input that writes nothing, and reading one's writes with the consistency token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from commands.ats import job as jobs
from eventstore import EventStore, handle
from tests.api import SEEDER
from tests.helpers import NOW, settled_head
from tests.integration.ats.ats_people import (
    CALLERS,
    People,
    assert_problem,
    ats_people,
    token,
)


async def _job(store: EventStore, title: str, *, company_id: UUID | None = None, firm_id: UUID | None = None,
               active: bool = False, early_until: datetime | None = None) -> UUID:
    job_id = uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=company_id, source_firm_id=firm_id, title=title, fee_bps=2000,
        is_early_access=early_until is not None, activates_at=early_until, by="seed", at=NOW), SEEDER)
    if active:
        await handle(store, jobs.job, job_id, jobs.PublishJob(job_id=job_id, billing_ready=True, by="seed", at=NOW),
                     SEEDER)
    return job_id


@pytest.fixture
async def people(fresh_store: EventStore):
    async with ats_people(fresh_store) as world:
        yield world


REQUIREMENTS = {"requirements": [
    {"requirement_type": "mandatory", "description": "5 years of Python"},
    {"requirement_type": "preferred", "description": "Kubernetes"},
]}
SKILLS = {"skills": [{"name": "Python", "is_required": True}, {"name": "C++"}, {"name": "Go", "slug": "golang"}]}
QUESTIONS = {"questions": [
    {"question": "Do you need a visa?", "question_type": "yes_no", "is_required": True},
    {"question": "Preferred office?", "question_type": "select", "options": ["Paris", "Berlin"]},
    {"question": "Anything else?", "question_type": "text", "disclaimer": "Optional"},
]}


async def test_a_company_admin_sets_the_lists_and_whoever_sees_the_job_reads_them(people: People) -> None:
    job_id = await _job(people.store, "Backend Engineer", company_id=people.company_a, active=True)
    who = people.headers("a_admin")
    for path, body in (("requirements", REQUIREMENTS), ("skills", SKILLS), ("pre-screen-questions", QUESTIONS)):
        answer = await people.client.put(f"/v1/jobs/{job_id}/{path}", json=body, headers=who)
        assert answer.status_code == 200, (path, answer.text)
    details = await people.client.get(f"/v1/jobs/{job_id}/details", params=token(answer),
                                      headers=people.headers("anonymous"))
    assert details.status_code == 200, details.text
    data = details.json()["data"]
    assert [(r["requirement_type"], r["description"], r["sort_order"]) for r in data["requirements"]] == \
        [("mandatory", "5 years of Python", 0), ("preferred", "Kubernetes", 1)]
    assert [(s["name"], s["slug"], s["is_required"]) for s in data["skills"]] == \
        [("Python", "python", True), ("C++", "c-plus-plus", False), ("Go", "golang", False)]
    questions = data["pre_screen_questions"]
    assert [q["question"] for q in questions] == ["Do you need a visa?", "Preferred office?", "Anything else?"]
    assert questions[1]["options"] == ["Paris", "Berlin"] and questions[2]["disclaimer"] == "Optional"
    first_ids = [q["question_id"] for q in questions]

    # Replacing the list with the same questions reorders them and keeps their ids (answers refer to them).
    reordered = {"questions": list(reversed(QUESTIONS["questions"]))}
    again = await people.client.put(f"/v1/jobs/{job_id}/pre-screen-questions", json=reordered, headers=who)
    data = (await people.client.get(f"/v1/jobs/{job_id}/details", params=token(again))).json()["data"]
    assert [q["question_id"] for q in data["pre_screen_questions"]] == list(reversed(first_ids))
    cleared = await people.client.put(f"/v1/jobs/{job_id}/skills", json={"skills": []}, headers=who)
    data = (await people.client.get(f"/v1/jobs/{job_id}/details", params=token(cleared))).json()["data"]
    assert data["skills"] == [] and len(data["requirements"]) == 2


# Replacing the requirements of company A's draft job and of its active job.
CHANGE_DRAFT = {"admin": 200, "a_admin": 200, "a_manager": 403, "b_admin": 404, "recruiter": 404, "recruiter2": 404,
                "candidate": 404, "anonymous": 401}
# Company users see only their own companies' jobs (domain §2.3), so the other tenant still gets 404.
CHANGE_ACTIVE = CHANGE_DRAFT | {"recruiter": 403, "recruiter2": 403, "candidate": 403}
# Reading the details of the draft job: whoever may see the job.
READ_DRAFT = {"admin": 200, "a_admin": 200, "a_manager": 200, "b_admin": 404, "recruiter": 404, "recruiter2": 404,
              "candidate": 404, "anonymous": 404}


async def test_changing_the_lists_takes_the_rights_to_edit_the_job(people: People, fresh_store: EventStore) -> None:
    draft = await _job(fresh_store, "A draft", company_id=people.company_a)
    active = await _job(fresh_store, "A active", company_id=people.company_a, active=True)
    for job_id, expected in ((draft, CHANGE_DRAFT), (active, CHANGE_ACTIVE)):
        for caller in CALLERS:
            head = await settled_head(fresh_store)
            body = {"requirements": [{"requirement_type": "mandatory", "description": f"set by {caller}"}]}
            attempts = [
                await people.client.put(f"/v1/jobs/{job_id}/requirements", json=body, headers=people.headers(caller)),
                await people.client.put(f"/v1/jobs/{job_id}/skills", json={"skills": [{"name": caller}]},
                                        headers=people.headers(caller)),
                await people.client.post(f"/v1/jobs/{job_id}/owner", json={"job_owner_recruiter_id": None},
                                         headers=people.headers(caller)),
            ]
            for answer in attempts:
                assert answer.status_code == expected[caller], (caller, answer.text)
                if answer.status_code != 200:
                    assert_problem(answer, expected[caller])
            if expected[caller] != 200:
                assert await settled_head(fresh_store) == head, caller
    for caller, status in READ_DRAFT.items():
        answer = await people.client.get(f"/v1/jobs/{draft}/details", headers=people.headers(caller))
        assert answer.status_code == status, caller
    assert_problem(await people.client.get(f"/v1/jobs/{uuid4()}/details"), 404)


@pytest.mark.parametrize("path,body", [
    ("requirements", {"requirements": [{"requirement_type": "nice", "description": "x"}]}),
    ("requirements", {"requirements": [{"requirement_type": "mandatory", "description": " "}]}),
    ("requirements", {"requirements": [{"requirement_type": "mandatory", "description": "a", "sort_order": 1},
                                       {"requirement_type": "mandatory", "description": "b", "sort_order": 1}]}),
    ("requirements", {"requirements": [{"requirement_type": "mandatory", "description": "a", "weight": 3}]}),
    ("skills", {"skills": [{"name": "Python"}, {"name": "python"}]}),
    ("skills", {"skills": [{"name": "!!!"}]}),
    ("pre-screen-questions", {"questions": [{"question": "Pick", "question_type": "select", "options": ["one"]}]}),
    ("pre-screen-questions", {"questions": [{"question": "Why?", "question_type": "text", "options": ["a", "b"]}]}),
    ("pre-screen-questions", {"questions": [{"question": "Same", "question_type": "text"},
                                            {"question": "same", "question_type": "text"}]}),
    ("skills", {"skills": [{"name": f"skill {i}"} for i in range(51)]}),
], ids=["bad-type", "blank", "repeated-order", "unknown-field", "repeated-skill", "skill-without-letters",
        "one-option", "options-on-text", "repeated-question", "too-many-skills"])
async def test_bad_lists_are_refused_and_write_nothing(people: People, fresh_store: EventStore, path, body) -> None:
    job_id = await _job(fresh_store, "A draft", company_id=people.company_a)
    head = await settled_head(fresh_store)
    answer = await people.client.put(f"/v1/jobs/{job_id}/{path}", json=body, headers=people.headers("a_admin"))
    assert_problem(answer, 422)
    assert await settled_head(fresh_store) == head


async def test_a_closed_job_keeps_its_lists_until_reopened(people: People, fresh_store: EventStore) -> None:
    job_id = await _job(fresh_store, "Closing", company_id=people.company_a)
    await handle(fresh_store, jobs.job, job_id, jobs.CloseJob(job_id=job_id, by="seed", at=NOW), SEEDER)
    head = await settled_head(fresh_store)
    assert_problem(await people.client.put(f"/v1/jobs/{job_id}/requirements", json=REQUIREMENTS,
                                           headers=people.headers("a_admin")), 422)
    assert await settled_head(fresh_store) == head


async def test_the_job_owner_is_named_and_then_sees_the_job_in_any_status(people: People, fresh_store: EventStore) -> None:
    draft = await _job(fresh_store, "A draft", company_id=people.company_a)
    assert_problem(await people.client.get(f"/v1/jobs/{draft}", headers=people.headers("recruiter")), 404)
    named = await people.client.post(f"/v1/jobs/{draft}/owner", headers=people.headers("a_admin"),
                                     json={"job_owner_recruiter_id": str(people.recruiter_id), "reason": "assigned"})
    assert named.status_code == 200, named.text
    seen = await people.client.get(f"/v1/jobs/{draft}", params=token(named), headers=people.headers("recruiter"))
    assert seen.status_code == 200 and seen.json()["data"]["job_owner_recruiter_id"] == str(people.recruiter_id)
    assert (await people.client.get(f"/v1/jobs/{draft}/details", headers=people.headers("recruiter"))).status_code == 200
    stale = await people.client.post(f"/v1/jobs/{draft}/owner", headers=people.headers("a_admin") | {"If-Match": "1"},
                                     json={"job_owner_recruiter_id": None})
    assert_problem(stale, 409)
    assert_problem(await people.client.post(f"/v1/jobs/{draft}/owner", json={}, headers=people.headers("a_admin")), 422)


async def test_an_off_platform_firm_job_has_no_owner(people: People, fresh_store: EventStore) -> None:
    firm_id = uuid4()
    firm_job = await _job(fresh_store, "Firm job", firm_id=firm_id)
    head = await settled_head(fresh_store)
    assert_problem(await people.client.post(f"/v1/jobs/{firm_job}/owner", headers=people.headers("admin"),
                                            json={"job_owner_recruiter_id": str(people.recruiter_id)}), 422)
    refused = await people.client.post("/v1/jobs", headers=people.headers("admin"), json={
        "source_firm_id": str(firm_id), "title": "Owned firm job", "fee_percentage": 20,
        "job_owner_recruiter_id": str(people.recruiter_id)})
    assert_problem(refused, 422)
    assert await settled_head(fresh_store) == head
    created = await people.client.post("/v1/jobs", headers=people.headers("admin"), json={
        "source_firm_id": str(firm_id), "title": "Firm job", "fee_percentage": 20})
    assert created.status_code == 201, created.text
    read = await people.client.get(f"/v1/jobs/{created.json()['id']}", params=token(created),
                                   headers=people.headers("admin"))
    assert read.json()["data"]["job_owner_recruiter_id"] is None


async def test_the_end_of_early_access_puts_the_job_on_the_marketplace(people: People, fresh_store: EventStore) -> None:
    opens = datetime.now(UTC) + timedelta(days=1)
    job_id = await _job(fresh_store, "Early", company_id=people.company_a, active=True, early_until=opens)
    ended = await handle(fresh_store, jobs.job, job_id, jobs.EndJobEarlyAccess(job_id=job_id, by="scheduler",
                                                                               at=opens + timedelta(minutes=1)), SEEDER)
    seen = await people.client.get(f"/v1/jobs/{job_id}", params={"after": ended.token})
    assert seen.status_code == 200, seen.text
    assert seen.json()["data"]["is_early_access"] is False


async def test_a_platform_admin_names_the_owner_of_a_company_job_at_creation(people: People) -> None:
    created = await people.client.post("/v1/jobs", headers=people.headers("admin"), json={
        "company_id": str(people.company_a), "title": "Owned", "fee_percentage": 20,
        "job_owner_recruiter_id": str(people.recruiter_id)})
    assert created.status_code == 201, created.text
    seen = await people.client.get(f"/v1/jobs/{created.json()['id']}", params=token(created),
                                   headers=people.headers("recruiter"))
    assert seen.json()["data"]["job_owner_recruiter_id"] == str(people.recruiter_id)
