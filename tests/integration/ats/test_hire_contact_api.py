"""What a hire unlocks (docs/decisions.md): the hiring company's users read their hire's email and phone,
whatever the candidate's privacy flags and marketplace visibility say; another company, the recruiters and
anyone else still read the record as the flags allow.

The world is that of tests/integration/ats/test_applications_api.py: candidate C (email shown to no one, a
phone added here and kept private) is hired by company A through the application of
tests/integration/ats/test_placements_api.py.
"""

from __future__ import annotations

from tests.integration.ats.test_applications_api import World, assert_refused, world_fixture  # noqa: F401
from tests.integration.ats.test_placements_api import _offer_accepted

PHONE = "+1 555 0100"
COMPANY_A = ("a_admin", "a_manager")
# Recruiters see the marketplace as company B does: none of them is the hiring company, not even A's own.
OTHERS = ("b_admin", "stranger", "co", "owner", "rtr")


async def _candidate_as(world: World, caller: str) -> dict[str, object] | int:
    answer = await world.get(caller, f"/v1/candidates/{world.candidate['cand']}")
    if answer.status_code != 200:
        await assert_refused(answer, answer.status_code)
        return answer.status_code
    return answer.json()["data"]


async def _listed_as(world: World, caller: str) -> dict[str, object] | None:
    answer = await world.get(caller, "/v1/candidates", limit=100)
    assert answer.status_code == 200, answer.text
    return next((c for c in answer.json()["data"] if c["id"] == str(world.candidate["cand"])), None)


async def test_the_hiring_company_reads_its_hires_contact_details_and_no_one_else_does(world: World) -> None:
    cand = world.candidate["cand"]
    assert (await world.patch("cand", f"/v1/candidates/{cand}", {"phone": PHONE})).status_code == 200
    before = {caller: await _candidate_as(world, caller) for caller in COMPANY_A + OTHERS}
    for caller, seen in before.items():
        assert isinstance(seen, dict) and seen["show_email"] is False and seen["show_phone"] is False, caller
        assert "email" not in seen and "phone" not in seen, caller

    application_id = await _offer_accepted(world)
    hired = await world.post("a_manager", f"/v1/applications/{application_id}/hire",
                             {"salary_cents": 10_000_000, "start_date": "2027-02-01"})
    assert hired.status_code == 200, hired.text

    for caller in COMPANY_A:
        seen = await _candidate_as(world, caller)
        assert isinstance(seen, dict), caller
        assert (seen["email"], seen["phone"]) == (f"{world.ids['cand']}@example.com", PHONE), caller
        assert "location" in seen and "user_id" not in seen, caller  # the rest as before: flags, no account
        listed = await _listed_as(world, caller)
        assert listed is not None and (listed["email"], listed["phone"]) == (seen["email"], PHONE), caller
    for caller in OTHERS:
        seen = await _candidate_as(world, caller)
        assert isinstance(seen, dict) and "email" not in seen and "phone" not in seen, caller
        listed = await _listed_as(world, caller)
        assert listed is not None and "email" not in listed and "phone" not in listed, caller

    # Hidden from the marketplace, the hire stays readable to the company that made it, and to it only.
    hidden = await world.post("cand", f"/v1/candidates/{cand}/marketplace-visibility", {"visibility": "hidden"})
    assert hidden.status_code == 200, hidden.text
    for caller in COMPANY_A:
        seen = await _candidate_as(world, caller)
        assert isinstance(seen, dict) and seen["phone"] == PHONE and seen["marketplace_visibility"] == "hidden"
    for caller in OTHERS:
        assert await _candidate_as(world, caller) == 404, caller
        assert await _listed_as(world, caller) is None, caller


async def test_an_application_short_of_a_hire_unlocks_nothing(world: World) -> None:
    cand = world.candidate["cand"]
    assert (await world.patch("cand", f"/v1/candidates/{cand}", {"phone": PHONE})).status_code == 200
    await _offer_accepted(world)  # at an offer the candidate accepted, not hired yet
    for caller in COMPANY_A:
        seen = await _candidate_as(world, caller)
        assert isinstance(seen, dict) and "email" not in seen and "phone" not in seen, caller
