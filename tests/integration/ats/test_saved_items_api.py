"""Saved items over HTTP: candidates save jobs, recruiters save jobs and candidates they may see; the limits of
domain §13 (Starter 10 jobs, Pro 50; a candidate the fixed bound) refuse a save past them with a problem naming
the limit, writing nothing; `scope=saved` lists exactly what was saved."""

from __future__ import annotations

from uuid import uuid4

import pytest

from commands.ats import job as jobs
from commands.ats.saved_items import CANDIDATE_MAX_SAVED_JOBS
from consumers.runtime.replay import replay
from eventstore import handle
from projections.ats import ats
from tests.api import SEEDER
from tests.helpers import dump_schema, feed_settled
from tests.integration.ats.entitled_people import World, entitled_people


@pytest.fixture
async def world(fresh_store):
    async with entitled_people(fresh_store) as world:
        yield world


def ok(answer) -> str:
    assert answer.status_code == 200, answer.text
    return answer.json()["consistency_token"]


async def saved_jobs(world: World, who: str, token: str) -> list[str]:
    answer = await world.client.get("/v1/jobs", params={"scope": "saved", "after": token, "limit": 100},
                                    headers=world.as_(who))
    assert answer.status_code == 200, answer.text
    return sorted(job["id"] for job in answer.json()["data"])


async def test_a_starter_hits_the_limit_at_ten_saved_jobs_and_a_pro_does_not(world: World) -> None:
    ids = [await world.job() for _ in range(12)]
    for job_id in ids[:10]:
        ok(await world.put(f"/v1/saved/jobs/{job_id}", "starter"))
        ok(await world.put(f"/v1/saved/jobs/{job_id}", "pro"))

    await feed_settled(world.store)
    before = await world.store.head()
    refused = await world.put(f"/v1/saved/jobs/{ids[10]}", "starter")
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "max_saved_jobs_reached"
    assert refused.json()["entitlement"] == "max_saved_jobs" and refused.json()["limit"] == 10
    assert await world.store.head() == before  # nothing written

    token = ok(await world.put(f"/v1/saved/jobs/{ids[0]}", "starter"))  # saving a saved one again is no new save
    assert await saved_jobs(world, "starter", token) == sorted(str(i) for i in ids[:10])

    ok(await world.put(f"/v1/saved/jobs/{ids[10]}", "pro"))
    token = ok(await world.put(f"/v1/saved/jobs/{ids[11]}", "pro"))
    assert await saved_jobs(world, "pro", token) == sorted(str(i) for i in ids)

    token = ok(await world.delete(f"/v1/saved/jobs/{ids[0]}", "starter"))  # unsaving frees a place
    token = ok(await world.put(f"/v1/saved/jobs/{ids[10]}", "starter"))
    assert await saved_jobs(world, "starter", token) == sorted(str(i) for i in ids[1:11])


async def test_scope_saved_lists_exactly_the_saved_jobs_of_each_saver(world: World) -> None:
    ids = [await world.job() for _ in range(4)]
    ok(await world.put(f"/v1/saved/jobs/{ids[0]}", "candidate"))
    ok(await world.put(f"/v1/saved/jobs/{ids[1]}", "candidate"))
    token = ok(await world.put(f"/v1/saved/jobs/{ids[2]}", "partner"))
    assert await saved_jobs(world, "candidate", token) == sorted([str(ids[0]), str(ids[1])])
    assert await saved_jobs(world, "partner", token) == [str(ids[2])]
    assert await saved_jobs(world, "starter", token) == []

    first = await world.delete(f"/v1/saved/jobs/{ids[1]}", "candidate")
    again = await world.delete(f"/v1/saved/jobs/{ids[1]}", "candidate")  # unsaving twice records nothing more
    assert first.json()["version"] == again.json()["version"]
    assert await saved_jobs(world, "candidate", ok(again)) == [str(ids[0])]

    everything = await world.client.get("/v1/jobs", params={"after": token, "limit": 100},
                                        headers=world.as_("candidate"))
    assert {str(i) for i in ids} <= {job["id"] for job in everything.json()["data"]}  # scope=all is unchanged
    anonymous = await world.client.get("/v1/jobs", params={"scope": "saved"})
    assert anonymous.status_code == 401
    company = await world.client.get("/v1/jobs", params={"scope": "saved"}, headers=world.as_("a_admin"))
    assert company.status_code == 403 and company.json()["code"] == "not_a_saver"


async def test_a_candidate_keeps_at_most_the_fixed_bound_of_saved_jobs(world: World) -> None:
    ids = [await world.job() for _ in range(CANDIDATE_MAX_SAVED_JOBS + 1)]
    for job_id in ids[:-1]:
        ok(await world.put(f"/v1/saved/jobs/{job_id}", "candidate"))
    refused = await world.put(f"/v1/saved/jobs/{ids[-1]}", "candidate")
    assert refused.status_code == 422 and refused.json()["code"] == "max_saved_jobs_reached"
    assert refused.json()["limit"] == CANDIDATE_MAX_SAVED_JOBS


async def test_a_recruiter_saves_candidates_they_may_see_and_not_others(world: World) -> None:
    public, other, hidden = await world.candidate(), await world.candidate(), await world.candidate("hidden")
    token = ok(await world.put(f"/v1/saved/candidates/{public}", "pro"))

    before = await world.store.head()
    refused = await world.put(f"/v1/saved/candidates/{hidden}", "pro")  # hidden, and not theirs: not seen
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
    assert await world.store.head() == before
    by_candidate = await world.put(f"/v1/saved/candidates/{public}", "candidate")
    assert by_candidate.status_code == 403 and by_candidate.json()["code"] == "only_recruiters_save_candidates"

    listed = await world.client.get("/v1/candidates", params={"scope": "saved", "after": token},
                                    headers=world.as_("pro"))
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["data"]] == [str(public)]
    browse = await world.client.get("/v1/candidates", params={"after": token}, headers=world.as_("pro"))
    assert {str(public), str(other)} <= {c["id"] for c in browse.json()["data"]}
    starter = await world.client.get("/v1/candidates", params={"scope": "saved", "after": token},
                                     headers=world.as_("starter"))
    assert starter.json()["data"] == []
    not_recruiter = await world.client.get("/v1/candidates", params={"scope": "saved"}, headers=world.as_("candidate"))
    assert not_recruiter.status_code == 403

    token = ok(await world.delete(f"/v1/saved/candidates/{public}", "pro"))
    listed = await world.client.get("/v1/candidates", params={"scope": "saved", "after": token},
                                    headers=world.as_("pro"))
    assert listed.json()["data"] == []


async def test_a_starter_hits_the_limit_at_ten_saved_candidates(world: World) -> None:
    ids = [await world.candidate() for _ in range(11)]
    for candidate_id in ids[:10]:
        ok(await world.put(f"/v1/saved/candidates/{candidate_id}", "starter"))
    refused = await world.put(f"/v1/saved/candidates/{ids[10]}", "starter")
    assert refused.status_code == 422 and refused.json()["code"] == "max_saved_candidates_reached"
    ok(await world.put(f"/v1/saved/candidates/{ids[10]}", "pro"))


async def test_saving_a_job_the_caller_may_not_see_or_that_does_not_exist_is_404(world: World) -> None:
    draft = uuid4()
    await handle(world.store, jobs.job, draft, jobs.CreateJob(job_id=draft, company_id=world.company_a, title="Draft",
                                                              fee_bps=2000, by="seed", at=world.clock.now()), SEEDER)
    for job_id in (draft, uuid4()):
        refused = await world.put(f"/v1/saved/jobs/{job_id}", "pro")
        assert refused.status_code == 404 and refused.json()["code"] == "not_found", refused.text
    company = await world.put(f"/v1/saved/jobs/{draft}", "a_admin")  # sees the job, but saves nothing
    assert company.status_code == 403 and company.json()["code"] == "not_a_saver"


async def test_replay_rebuilds_the_saved_items_as_the_live_projector_built_them(world: World) -> None:
    job_ids = [await world.job() for _ in range(3)]
    candidate_ids = [await world.candidate() for _ in range(2)]
    for who in ("pro", "candidate"):
        for job_id in job_ids:
            ok(await world.put(f"/v1/saved/jobs/{job_id}", who))
    ok(await world.delete(f"/v1/saved/jobs/{job_ids[1]}", "pro"))
    ok(await world.put(f"/v1/saved/candidates/{candidate_ids[0]}", "starter"))
    ok(await world.put(f"/v1/saved/candidates/{candidate_ids[1]}", "starter"))
    token = ok(await world.delete(f"/v1/saved/candidates/{candidate_ids[0]}", "starter"))
    assert await saved_jobs(world, "pro", token) == sorted([str(job_ids[0]), str(job_ids[2])])  # projected

    await feed_settled(world.store)
    live = await dump_schema(world.store, "ats")
    assert len(live["saved_items"]) == 3 + 2 + 1
    await replay(world.store.pool, ats, world.store.registry)
    assert await dump_schema(world.store, "ats") == live
