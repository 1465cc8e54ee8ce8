"""A hire through HTTP becomes a placement (domain §4.2, §5.1–§5.2): its fee in integer cents, the five
recruiters credited, who sees it and who marks its start or its failure.

The application: candidate C, brought by their recruiter to company A's job (owned by a third recruiter),
pre-screened by the recruiter A chose; C and A were sourced by two more recruiters.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from commands.ats.placement import placement_id_for
from commands.ats import sourcer as sourcers
from tests.helpers import wait_until
from tests.integration.ats.test_applications_api import (
    CALLERS,
    World,
    assert_refused,
    now,
    seed_recruiter,
    stored,
    world_fixture,  # noqa: F401  (the `world` fixture)
)

SALARY_CENTS = 12_345_679
FEE_BPS = 2250  # the world's jobs charge 22.5%


async def _hired(world: World) -> tuple[UUID, UUID]:
    """C's application on A's owned job, taken to a hire; returns (application id, placement id)."""
    world.recruiter["cand_sourcer"] = await seed_recruiter(world.store, f"{world.ids['admin']}_cs")
    world.recruiter["co_sourcer"] = await seed_recruiter(world.store, f"{world.ids['admin']}_bs")
    await world.command(sourcers.candidate_sourcer, world.candidate["cand"], sourcers.ClaimCandidateSourcer(
        candidate_id=world.candidate["cand"], sourcer_recruiter_id=world.recruiter["cand_sourcer"], by="test",
        at=now()))
    await world.command(sourcers.company_sourcer, world.company_a, sourcers.ClaimCompanySourcer(
        company_id=world.company_a, sourcer_recruiter_id=world.recruiter["co_sourcer"], by="test", at=now()))
    application_id = await _offer_accepted(world)
    hire = {"salary_cents": SALARY_CENTS, "start_date": "2027-02-01"}
    for caller, status in (("co", 403), ("rtr", 403), ("cand", 403), ("b_admin", 404), ("owner", 403)):
        await assert_refused(await world.post(caller, f"/v1/applications/{application_id}/hire", hire), status)
    hired = await world.post("a_manager", f"/v1/applications/{application_id}/hire", hire)
    assert hired.status_code == 200, hired.text
    placement_id = placement_id_for(application_id)

    async def placed() -> bool:
        answer = await world.client.get(f"/v1/placements/{placement_id}", headers=world.headers("admin"))
        return answer.status_code == 200

    async def money_frozen() -> bool:  # the billing process freezes the snapshot and splits just after
        return len(await world.store.read_stream(f"placementbilling-{placement_id}")) == 2

    await wait_until(placed)
    await wait_until(money_frozen)
    return application_id, placement_id


async def _offer_accepted(world: World) -> UUID:
    """C's application on A's owned job (a 60-day guarantee), pre-screened, at an offer C has accepted."""
    application_id = await world.apply("rtr", "a", "cand")
    await world.submitted("rtr", application_id)
    prescreen = await world.post("a_admin", f"/v1/applications/{application_id}/request-prescreen",
                                 {"company_recruiter_id": str(world.recruiter["co"])})
    assert prescreen.status_code == 200, prescreen.text
    assert (await world.post("co", f"/v1/applications/{application_id}/submit")).status_code == 200
    for to in ("company_review", "offer"):
        moved = await world.post("a_manager", f"/v1/applications/{application_id}/stage", {"to": to})
        assert moved.status_code == 200, moved.text
    assert (await world.post("cand", f"/v1/applications/{application_id}/accept-offer")).status_code == 200
    return application_id


async def test_a_hire_whose_guarantee_is_already_over_needs_a_platform_admins_confirmation(world: World) -> None:
    application_id = await _offer_accepted(world)
    path = f"/v1/applications/{application_id}/hire"
    over = {"salary_cents": SALARY_CENTS, "start_date": (now().date() - timedelta(days=61)).isoformat()}
    refused = await world.post("a_manager", path, over)
    await assert_refused(refused, 422)
    assert refused.json()["code"] == "guarantee_already_over"
    # The flag is the caller's to send, the right to send it is not: the company's manager is refused.
    await assert_refused(await world.post("a_manager", path, over | {"confirm_guarantee_over": True}), 403)
    await assert_refused(await world.post("a_admin", path, over | {"confirm_guarantee_over": True}), 403)
    await assert_refused(await world.post("admin", path, over), 422)  # a platform admin too must say so
    await assert_refused(await world.post("admin", path, over | {"confirm_guarantee_over": "true"}), 422)
    stream = f"application-{application_id}"
    assert [e.type for e in await world.store.read_stream(stream)][-1] == "ApplicationOfferAccepted"

    hired = await world.post("admin", path, over | {"confirm_guarantee_over": True})
    assert hired.status_code == 200, hired.text
    [event] = [e for e in await world.store.read_stream(stream) if e.type == "ApplicationHired"]
    assert event.data["guarantee_over_confirmed"] is True
    placement_id = placement_id_for(application_id)

    async def placed() -> bool:
        return (await world.get("admin", f"/v1/placements/{placement_id}")).status_code == 200

    await wait_until(placed)


async def test_a_hire_whose_guarantee_runs_past_today_needs_no_confirmation(world: World) -> None:
    application_id = await _offer_accepted(world)
    start = {"salary_cents": SALARY_CENTS, "start_date": (now().date() - timedelta(days=59)).isoformat()}
    hired = await world.post("a_manager", f"/v1/applications/{application_id}/hire", start)
    assert hired.status_code == 200, hired.text


# Domain §2.3: the placement is seen by admins, A's company users, the five credited recruiters and C.
SEES = {"admin", "a_admin", "a_manager", "rtr", "co", "owner", "cand_sourcer", "co_sourcer", "cand"}


async def test_a_hire_becomes_a_placement_with_the_fee_and_attribution_frozen(world: World) -> None:
    application_id, placement_id = await _hired(world)
    # Read by the company: the candidate does not see the fee or who earns from it (api/visibility.py).
    placement = (await world.get("a_admin", f"/v1/placements/{placement_id}")).json()["data"]
    assert placement["fee_cents"] == (SALARY_CENTS * FEE_BPS + 5000) // 10000 == 2_777_778
    assert (placement["salary_cents"], placement["fee_bps"], placement["guarantee_days"]) == (SALARY_CENTS, FEE_BPS, 60)
    assert (placement["state"], placement["start_date"]) == ("hired", "2027-02-01")
    assert placement["guarantee_expires_at"].startswith("2027-04-02T00:00:00")
    assert (placement["application_id"], placement["company_id"], placement["candidate_id"]) == (
        str(application_id), str(world.company_a), str(world.candidate["cand"]))
    assert {role: placement[f"{role}_id"] for role in (
        "candidate_recruiter", "company_recruiter", "job_owner_recruiter", "candidate_sourcer_recruiter",
        "company_sourcer_recruiter")} == {
        "candidate_recruiter": str(world.recruiter["rtr"]), "company_recruiter": str(world.recruiter["co"]),
        "job_owner_recruiter": str(world.recruiter["owner"]),
        "candidate_sourcer_recruiter": str(world.recruiter["cand_sourcer"]),
        "company_sourcer_recruiter": str(world.recruiter["co_sourcer"])}
    application = (await world.get("cand", f"/v1/applications/{application_id}")).json()["data"]
    assert (application["stage"], application["placement_id"], application["salary_cents"]) == (
        "hired", str(placement_id), SALARY_CENTS)
    events = [e.type for e in await world.store.read_stream(f"placement-{placement_id}")]
    assert events == ["PlacementCreated"]


async def test_each_caller_sees_the_placement_only_as_section_2_3_allows(world: World) -> None:
    _, placement_id = await _hired(world)
    world.ids["cand_sourcer"] = f"{world.ids['admin']}_cs"
    world.ids["co_sourcer"] = f"{world.ids['admin']}_bs"
    for caller in (*CALLERS, "cand_sourcer", "co_sourcer"):
        if caller == "anonymous":
            await assert_refused(await world.get(caller, "/v1/placements"), 401)
            await assert_refused(await world.get(caller, f"/v1/placements/{placement_id}"), 401)
            continue
        listed = await world.get(caller, "/v1/placements")
        assert listed.status_code == 200, (caller, listed.text)
        assert [p["id"] for p in listed.json()["data"]] == ([str(placement_id)] if caller in SEES else []), caller
        detail = await world.get(caller, f"/v1/placements/{placement_id}")
        assert detail.status_code == (200 if caller in SEES else 404), caller
    filtered = await world.get("admin", "/v1/placements", state="active")
    assert filtered.json()["pagination"]["total"] == 0
    by_company = await world.get("admin", "/v1/placements", company_id=str(world.company_a), state="hired")
    assert by_company.json()["pagination"] == {"total": 1, "page": 1, "limit": 25, "total_pages": 1}
    await assert_refused(await world.get("admin", "/v1/placements", state="lost"), 422)


# Marking the start: A's admins and platform admins; 404 for those who cannot see the placement.
ACTIVATE = {"anonymous": 401, "b_admin": 404, "stranger": 404, "cand2": 404, "a_manager": 403, "rtr": 403,
            "co": 403, "owner": 403, "cand": 403, "a_admin": 200, "admin": 200}


async def test_only_the_company_admins_and_platform_admins_change_a_placement(world: World) -> None:
    _, placement_id = await _hired(world)
    for caller, status in ACTIVATE.items():
        head = await stored(world.store)
        answer = await world.post(caller, f"/v1/placements/{placement_id}/activate")
        assert answer.status_code == status, (caller, answer.text)
        if status != 200:
            assert answer.headers["content-type"] == "application/problem+json"
            assert await stored(world.store) == head, caller
    placement = (await world.get("a_admin", f"/v1/placements/{placement_id}")).json()["data"]
    assert placement["state"] == "active" and placement["activated_at"] is not None
    head = await stored(world.store)
    await assert_refused(await world.post("a_admin", f"/v1/placements/{placement_id}/fail", {}), 422)
    await assert_refused(await world.post("a_admin", f"/v1/placements/{placement_id}/fail", {"reason": ""}), 422)
    await assert_refused(await world.post("a_manager", f"/v1/placements/{placement_id}/fail", {"reason": "left"}), 403)
    assert await stored(world.store) == head
    failed = await world.post("a_admin", f"/v1/placements/{placement_id}/fail", {"reason": "left in week 3"})
    assert failed.status_code == 200, failed.text
    placement = (await world.get("rtr", f"/v1/placements/{placement_id}")).json()["data"]
    assert (placement["state"], placement["failure_reason"]) == ("failed", "left in week 3")
    await assert_refused(await world.post("admin", f"/v1/placements/{placement_id}/activate"), 422)
    deleted = await world.client.delete(f"/v1/placements/{placement_id}", headers=world.headers("admin"))
    assert deleted.status_code == 405  # events are history: a placement is never deleted


async def test_unknown_placements_are_not_found(world: World) -> None:
    missing = placement_id_for(UUID(int=7))
    await assert_refused(await world.get("admin", f"/v1/placements/{missing}"), 404)
    await assert_refused(await world.post("admin", f"/v1/placements/{missing}/activate"), 404)
    await assert_refused(await world.get("admin", "/v1/placements/not-an-id"), 404)  # not an id: no such resource
