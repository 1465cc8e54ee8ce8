"""Early-access jobs (domain §3, §13 `early_access_roles`) over HTTP: a recruiter whose plan grants early access
sees an active early-access job in the marketplace before its `activates_at`; a Starter recruiter, a candidate,
an anonymous caller and another company do not, until `activates_at`; the job's own company always does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.ats.entitled_people import World, entitled_people


@pytest.fixture
async def world(fresh_store):
    async with entitled_people(fresh_store) as world:
        yield world


async def listed(world: World, who: str) -> set[str]:
    answer = await world.get("/v1/jobs", who, limit=100)
    assert answer.status_code == 200, answer.text
    return {job["id"] for job in answer.json()["data"]}


async def detail(world: World, who: str, job_id) -> int:
    return (await world.get(f"/v1/jobs/{job_id}", who)).status_code


async def test_a_pro_recruiter_sees_an_early_access_job_a_starter_does_not_until_it_activates(world: World) -> None:
    ordinary = str(await world.job())
    early = str(await world.job(is_early_access=True, activates_at=world.clock.now() + timedelta(days=2)))

    for who in ("pro", "partner", "a_admin"):
        assert {ordinary, early} <= await listed(world, who), who
        assert await detail(world, who, early) == 200, who
    for who in ("starter", "candidate", "anonymous"):
        seen = await listed(world, who)
        assert ordinary in seen and early not in seen, who
        assert await detail(world, who, early) == 404, who
    assert await listed(world, "b_admin") == set()  # another company sees neither
    assert await detail(world, "b_admin", early) == 404
    details = await world.get(f"/v1/jobs/{early}/details", "starter")
    assert details.status_code == 404
    assert (await world.get(f"/v1/jobs/{early}/details", "pro")).status_code == 200

    world.clock.offset = timedelta(days=2, minutes=1)  # past activates_at, before any scheduler has run
    for who in ("pro", "starter", "candidate", "anonymous"):
        assert {ordinary, early} <= await listed(world, who), who
        assert await detail(world, who, early) == 200, who
    assert await listed(world, "b_admin") == set()


async def test_a_pro_recruiter_saves_an_early_access_job_a_starter_cannot(world: World) -> None:
    early = await world.job(is_early_access=True, activates_at=world.clock.now() + timedelta(days=2))
    assert (await world.put(f"/v1/saved/jobs/{early}", "pro")).status_code == 200
    refused = await world.put(f"/v1/saved/jobs/{early}", "starter")
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
