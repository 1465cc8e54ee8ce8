"""Application notes through HTTP (domain §2.3, §3.2): each side writes its own visibilities, reads what is
shared with it, and only a note's author changes it.

The application: candidate C's, brought by their recruiter to company A's job (owned by a recruiter who may
view its applications) and pre-screened by the recruiter A chose, so both sides have a recruiter on it.
"""

from __future__ import annotations

from uuid import UUID

import pytest

from tests.integration.ats.test_applications_api import (
    World,
    assert_refused,
    stored,
    world_fixture,  # noqa: F401  (the `world` fixture)
)

ALL = {"shared", "company_only", "candidate_only"}
CANDIDATE_SIDE = {"shared", "candidate_only"}
COMPANY_SIDE = {"shared", "company_only"}
# What each caller reads on the application; an int is the status of a caller who may not read at all.
READS: dict[str, set[str] | int] = {
    "admin": ALL, "cand": CANDIDATE_SIDE, "rtr": CANDIDATE_SIDE, "co": COMPANY_SIDE, "owner": COMPANY_SIDE,
    "a_admin": COMPANY_SIDE, "a_manager": COMPANY_SIDE, "b_admin": 404, "stranger": 404, "cand2": 404,
    "anonymous": 401,
}
# Who writes which visibility, and as whom.
AUTHORS = {"admin": "platform_admin", "cand": "candidate", "rtr": "candidate_recruiter", "co": "company_recruiter",
           "owner": "company_recruiter", "a_admin": "company_admin", "a_manager": "hiring_manager"}


@pytest.fixture
async def screened(world: World) -> UUID:
    application_id = await world.apply("rtr", "a", "cand")
    await world.submitted("rtr", application_id)
    answer = await world.post("a_admin", f"/v1/applications/{application_id}/request-prescreen",
                              {"company_recruiter_id": str(world.recruiter["co"])})
    assert answer.status_code == 200, answer.text
    return application_id


def _notes(application_id: UUID) -> str:
    return f"/v1/applications/{application_id}/notes"


async def test_each_caller_reads_the_notes_of_their_side(world: World, screened: UUID) -> None:
    for visibility in sorted(ALL):
        added = await world.post("admin", _notes(screened), {"visibility": visibility, "message": f"{visibility} note"})
        assert added.status_code == 201, added.text
    for caller, expected in READS.items():
        listed = await world.get(caller, _notes(screened))
        if isinstance(expected, int):
            await assert_refused(listed, expected)
            continue
        assert listed.status_code == 200, (caller, listed.text)
        assert {n["visibility"] for n in listed.json()["data"]} == expected, caller
        assert all(n["message"] == f"{n['visibility']} note" for n in listed.json()["data"])


async def test_each_side_writes_only_its_own_visibilities(world: World, screened: UUID) -> None:
    for caller, expected in READS.items():
        for visibility in sorted(ALL):
            head = await stored(world.store)
            answer = await world.post(caller, _notes(screened), {"visibility": visibility, "message": f"by {caller}"})
            if isinstance(expected, int):
                status = expected
            else:
                status = 201 if visibility in expected else 403
            assert answer.status_code == status, (caller, visibility, answer.text)
            if status != 201:
                assert answer.headers["content-type"] == "application/problem+json"
                assert await stored(world.store) == head, (caller, visibility)
    listed = (await world.get("admin", _notes(screened))).json()["data"]
    assert {(n["message"].removeprefix("by "), n["created_by_type"]) for n in listed} == set(AUTHORS.items())
    assert len(listed) == 3 + 6 * 2  # the admin wrote all three visibilities, every other party two
    second = (await world.get("admin", _notes(screened), page=2, limit=10)).json()
    assert second["pagination"] == {"total": 15, "page": 2, "limit": 10, "total_pages": 2}
    assert [n["id"] for n in second["data"]] == [n["id"] for n in listed[10:]]  # the same order, page by page


async def test_only_the_author_changes_a_note(world: World, screened: UUID) -> None:
    added = await world.post("cand", _notes(screened), {"visibility": "candidate_only", "message": "first draft"})
    note = f"{_notes(screened)}/{added.json()['id']}"
    head = await stored(world.store)
    await assert_refused(await world.patch("rtr", note, {"message": "taken over"}), 403)
    await assert_refused(await world.patch("a_admin", note, {"message": "taken over"}), 404)  # cannot read it
    await assert_refused(await world.patch("stranger", note, {"message": "taken over"}), 404)
    await assert_refused(await world.patch("cand", note, {"visibility": "company_only"}), 403)
    await assert_refused(await world.patch("cand", note, {"message": ""}), 422)
    await assert_refused(await world.delete("admin", note), 403)
    assert await stored(world.store) == head

    assert (await world.patch("cand", note, {"message": "for everyone", "visibility": "shared"})).status_code == 200
    seen = (await world.get("a_manager", _notes(screened))).json()["data"]
    assert [(n["message"], n["visibility"]) for n in seen] == [("for everyone", "shared")]
    assert seen[0]["edited_at"] is not None
    await assert_refused(await world.patch("a_manager", note, {"message": "mine now"}), 403)

    assert (await world.delete("cand", note)).status_code == 200
    for caller in ("cand", "a_manager", "admin"):
        assert (await world.get(caller, _notes(screened))).json()["data"] == []
    await assert_refused(await world.patch("cand", note, {"message": "back"}), 422)


async def test_bad_notes_are_problems_that_write_nothing(world: World, screened: UUID) -> None:
    company_note = await world.post("a_admin", _notes(screened), {"visibility": "company_only", "message": "hm",
                                                                  "note_type": "info_request"})
    shared_note = await world.post("a_admin", _notes(screened), {"visibility": "shared", "message": "Notice period?",
                                                                 "note_type": "info_request"})
    other = await world.apply("cand", "a2")
    head = await stored(world.store)
    bad = [
        ({"visibility": "public", "message": "x"}, 422),
        ({"visibility": "shared", "message": ""}, 422),
        ({"visibility": "shared"}, 422),
        ({"visibility": "shared", "message": "x", "note_type": "gossip"}, 422),
        ({"visibility": "shared", "message": "x", "note_type": "info_response"}, 422),  # answers nothing
        ({"visibility": "shared", "message": "x", "in_response_to_id": company_note.json()["id"]}, 422),
    ]
    for body, status in bad:
        await assert_refused(await world.post("cand", _notes(screened), body), status)
    await assert_refused(await world.patch("cand", f"{_notes(screened)}/{UUID(int=1)}", {"message": "x"}), 404)
    await assert_refused(await world.patch("admin", f"{_notes(other)}/{shared_note.json()['id']}", {"message": "x"}),
                         404)  # a note of another application
    await assert_refused(await world.post("cand", _notes(UUID(int=2)), {"visibility": "shared", "message": "x"}), 404)
    assert await stored(world.store) == head
    answered = await world.post("cand", _notes(screened), {
        "visibility": "shared", "message": "Four weeks", "note_type": "info_response",
        "in_response_to_id": shared_note.json()["id"]})
    assert answered.status_code == 201, answered.text
    thread = (await world.get("co", _notes(screened))).json()["data"]
    assert [(n["note_type"], n["in_response_to_id"]) for n in thread if n["visibility"] == "shared"] == [
        ("info_request", None), ("info_response", shared_note.json()["id"])]
