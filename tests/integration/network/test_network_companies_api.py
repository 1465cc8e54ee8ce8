"""Recruiter–company relationships through HTTP: invitations and requests, the answering side, the
permissions the company grants, who sees and does what, and the access context following them: a
recruiter allowed `can_create_jobs` posts the company's jobs (POST /v1/jobs) until the right goes."""

from __future__ import annotations

from uuid import UUID, uuid4

from commands.network.recruiter import recruiter_id_for
from tests.helpers import settled_head, wait_until
from tests.integration.network.test_network_fixtures import Net, net, problem

__all__ = ["net"]


async def people(net: Net) -> tuple[UUID, UUID]:
    """Company A (admin `boss`, hiring manager `hm`), company B (admin `other`), recruiters `rec` and `rival`,
    a platform admin `root`."""
    company_a, company_b = uuid4(), uuid4()
    for name in ("boss", "hm", "other"):
        await net.person(name)
    await net.person("root", ("platform_admin", None))
    await net.company(company_a, boss="company_admin", hm="hiring_manager")
    await net.company(company_b, other="company_admin")
    await net.recruiter("rec")
    await net.recruiter("rival")
    await net.settled()
    return company_a, company_b


async def invite(net: Net, company_id: UUID, recruiter: str, **extra) -> UUID:
    answer = await net.post("/v1/recruiter-companies/invite", "boss", {
        "company_id": str(company_id), "recruiter_id": str(recruiter_id_for(net.user_id(recruiter))), **extra})
    assert answer.status_code == 201, answer.text
    await net.settled()
    return UUID(answer.json()["id"])


async def permissions_held(net: Net, who: str) -> dict:
    return (await net.get("/v1/recruiter-companies/my-permissions", who)).json()["data"]


async def test_an_invited_recruiter_accepts_and_both_sides_see_it(net: Net) -> None:
    company_a, _ = await people(net)
    relationship_id = await invite(net, company_a, "rec", permissions=["can_view_jobs", "can_create_jobs"],
                                   message="Work our roles?")
    rid = f"/v1/recruiter-companies/{relationship_id}"
    problem(await net.post(f"{rid}/accept", "rec", {}), 422)  # the recruiter must acknowledge the terms
    problem(await net.post(f"{rid}/accept", "rec", {"terms_acknowledged": True, "permissions": ["can_edit_jobs"]}), 403)
    accepted = await net.post(f"{rid}/accept", "rec", {"terms_acknowledged": True})
    assert accepted.status_code == 200, accepted.text
    row = (await net.get(rid, "boss", accepted)).json()["data"]
    assert (row["status"], row["started_by"], row["accepted_by"], row["permissions"]) == (
        "active", "company", "recruiter", ["can_view_jobs", "can_create_jobs"])
    assert row["message"] == "Work our roles?" and row["recruiter_name"] == net.clerk_id("rec")
    for caller in ("rec", "boss", "hm", "root"):
        listed = (await net.get("/v1/recruiter-companies", caller)).json()
        assert [r["id"] for r in listed["data"]] == [str(relationship_id)], caller
        assert (await net.get(rid, caller)).status_code == 200
    for caller in ("rival", "other"):
        assert (await net.get("/v1/recruiter-companies", caller)).json()["data"] == []
        problem(await net.get(rid, caller), 404)
    assert (await net.get("/v1/recruiter-companies", "root", status="pending")).json()["data"] == []
    assert len((await net.get("/v1/recruiter-companies", "root", company_id=str(company_a))).json()["data"]) == 1


async def test_a_recruiter_allowed_to_create_jobs_posts_them_until_the_right_goes(net: Net) -> None:
    company_a, _ = await people(net)

    async def post_job() -> int:
        body = {"company_id": str(company_a), "title": "Staff engineer", "fee_percentage": 20}
        return (await net.client.post("/v1/jobs", json=body, headers=net.as_("rec"))).status_code

    async def holds(expected: dict) -> None:
        async def now_holds() -> bool:
            return await permissions_held(net, "rec") == expected

        await wait_until(now_holds)

    assert await permissions_held(net, "rec") == {}  # cached now: what follows must evict it
    assert await post_job() == 404  # no part in the company: as if it did not exist
    requested = await net.post("/v1/recruiter-companies/request", "rec",
                               {"company_id": str(company_a), "terms_acknowledged": True, "message": "Hello"})
    assert requested.status_code == 201, requested.text
    await net.settled()
    rid = f"/v1/recruiter-companies/{requested.json()['id']}"
    problem(await net.post(f"{rid}/accept", "rec", {"terms_acknowledged": True}), 403)  # not the answering side
    problem(await net.post(f"{rid}/accept", "hm", {}), 403)  # sees it, does not act for the company
    problem(await net.post(f"{rid}/accept", "other", {}), 404)
    assert await post_job() == 404  # pending grants nothing: still no part in the company
    accepted = await net.post(f"{rid}/accept", "boss", {"permissions": ["can_view_jobs", "can_create_jobs"]})
    assert accepted.status_code == 200, accepted.text
    await holds({str(company_a): ["can_create_jobs", "can_view_jobs"]})
    assert await post_job() == 201

    narrowed = await net.client.put(f"{rid}/permissions", json={"permissions": ["can_view_jobs"]}, headers=net.as_("boss"))
    assert narrowed.status_code == 200, narrowed.text
    await holds({str(company_a): ["can_view_jobs"]})
    assert await post_job() == 403
    problem(await net.client.put(f"{rid}/permissions", json={"permissions": ["can_create_jobs"]},
                                 headers=net.as_("rec")), 403)
    widened = await net.client.put(f"{rid}/permissions", json={"permissions": ["can_create_jobs"]},
                                   headers=net.as_("boss"))
    assert widened.status_code == 200
    await holds({str(company_a): ["can_create_jobs"]})
    assert await post_job() == 201

    suspended = await net.client.put(f"/v1/recruiters/{recruiter_id_for(net.user_id('rec'))}/status",
                                     json={"status": "suspended"}, headers=net.as_("root"))
    assert suspended.status_code == 200
    await holds({})  # a suspended recruiter holds no company's rights
    assert await post_job() == 404
    reactivated = await net.client.put(f"/v1/recruiters/{recruiter_id_for(net.user_id('rec'))}/status",
                                       json={"status": "active"}, headers=net.as_("root"))
    assert reactivated.status_code == 200
    await holds({str(company_a): ["can_create_jobs"]})

    terminated = await net.post(f"{rid}/terminate", "boss", {"reason": "hiring freeze"})
    assert terminated.status_code == 200, terminated.text
    await holds({})
    assert await post_job() == 404
    row = (await net.get(rid, "rec", terminated)).json()["data"]
    assert (row["status"], row["terminated_by"], row["permissions"]) == ("terminated", "company", [])


async def test_refusals_write_nothing(net: Net) -> None:
    company_a, company_b = await people(net)
    relationship_id = await invite(net, company_a, "rec")
    rid = f"/v1/recruiter-companies/{relationship_id}"
    rec_id = str(recruiter_id_for(net.user_id("rec")))
    head = await settled_head(net.store)
    refusals = [
        (net.post("/v1/recruiter-companies/invite", "hm", {"company_id": str(company_a), "recruiter_id": rec_id}), 403),
        (net.post("/v1/recruiter-companies/invite", "other", {"company_id": str(company_a), "recruiter_id": rec_id}), 403),
        (net.post("/v1/recruiter-companies/invite", "rec", {"company_id": str(company_a), "recruiter_id": rec_id}), 403),
        (net.post("/v1/recruiter-companies/invite", "anonymous", {"company_id": str(company_a), "recruiter_id": rec_id}), 401),
        (net.post("/v1/recruiter-companies/invite", "boss", {"company_id": str(company_a), "recruiter_id": str(uuid4())}), 404),
        (net.post("/v1/recruiter-companies/invite", "boss", {"company_id": str(company_a), "recruiter_id": rec_id,
                                                             "permissions": ["can_fly"]}), 422),
        (net.post("/v1/recruiter-companies/invite", "boss", {"company_id": str(company_a), "recruiter_id": rec_id,
                                                             "message": "other terms"}), 409),
        (net.post("/v1/recruiter-companies/request", "rec", {"company_id": str(company_a), "terms_acknowledged": True}), 409),
        (net.post("/v1/recruiter-companies/request", "rival", {"company_id": str(uuid4()), "terms_acknowledged": True}), 404),
        (net.post("/v1/recruiter-companies/request", "rival", {"company_id": str(company_b), "terms_acknowledged": False}), 422),
        (net.post("/v1/recruiter-companies/request", "boss", {"company_id": str(company_b), "terms_acknowledged": True}), 403),
        (net.post(f"{rid}/accept", "boss", {}), 403),  # the company started it: the recruiter answers
        (net.post(f"{rid}/decline", "rival", {}), 404),
        (net.post(f"{rid}/terminate", "hm", {"reason": "no"}), 403),
        (net.post(f"{rid}/terminate", "rec", {"reason": "no"}), 422),  # pending: the recruiter declines instead
        (net.client.put(f"{rid}/permissions", json={"permissions": []}, headers=net.as_("boss")), 422),  # not active
        (net.post(f"/v1/recruiter-companies/{uuid4()}/accept", "root", {}), 404),
    ]
    for attempt, status in refusals:
        problem(await attempt, status)
    assert await settled_head(net.store) == head

    declined = await net.post(f"{rid}/decline", "rec", {"reason": "too busy"})
    assert declined.status_code == 200, declined.text
    row = (await net.get(rid, "boss", declined)).json()["data"]
    assert (row["status"], row["declined_by"], row["decline_reason"]) == ("declined", "recruiter", "too busy")
    # A declined pair may start again, from either side.
    again = await net.post("/v1/recruiter-companies/request", "rec", {"company_id": str(company_a), "terms_acknowledged": True})
    assert again.status_code == 201 and again.json()["id"] == str(relationship_id)
    row = (await net.get(rid, "boss", again)).json()["data"]
    assert (row["status"], row["started_by"], row["declined_by"]) == ("pending", "recruiter", None)
    withdrawn = await net.post(f"{rid}/terminate", "rec", {"reason": "changed my mind"})
    assert withdrawn.status_code == 200


async def test_a_company_has_one_active_sourcer(net: Net) -> None:
    company_a, _ = await people(net)
    first = await invite(net, company_a, "rec", relationship_type="sourcer")
    second = await invite(net, company_a, "rival", relationship_type="sourcer")
    accepted = await net.post(f"/v1/recruiter-companies/{first}/accept", "rec", {"terms_acknowledged": True})
    assert accepted.status_code == 200
    await net.settled()
    problem(await net.post(f"/v1/recruiter-companies/{second}/accept", "rival", {"terms_acknowledged": True}), 409)
    ended = await net.post(f"/v1/recruiter-companies/{first}/terminate", "rec", {"reason": "moving on"})
    assert ended.status_code == 200
    await net.settled()
    assert (await net.post(f"/v1/recruiter-companies/{second}/accept", "rival", {"terms_acknowledged": True})).status_code == 200
