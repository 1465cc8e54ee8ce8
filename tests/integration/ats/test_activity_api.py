"""The activity of jobs and applications, and job notes, through HTTP: the steps in order with who took them,
each caller seeing only the steps (and the fields of a step) their role allows; a job's notes kept by its
company's users and the recruiters working it; the activity rebuilt from the events equals the live one.

The world is that of tests/integration/ats/test_applications_api.py: company A's job "a" is owned by the
recruiter "owner"; "co" works with A and may view its jobs; "stranger" is a recruiter with no tie; "b_admin"
is company B's admin; "cand" is represented by "rtr".
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from commands.identity.user import user_id_for
from consumers.runtime.replay import replay
from projections.ats import ats
from tests.helpers import dump_schema, feed_settled
from tests.integration.ats.test_applications_api import (
    World,
    assert_refused,
    stored,
    world_fixture,  # noqa: F401  (the `world` fixture)
)


def _activity(kind: str, entity_id: UUID) -> str:
    return f"/v1/{kind}/{entity_id}/activity"


async def _entries(world: World, caller: str, path: str, **params: Any) -> list[dict[str, Any]]:
    answer = await world.get(caller, path, limit=100, **params)
    assert answer.status_code == 200, (caller, answer.text)
    return answer.json()["data"]


# --- an application's activity -----------------------------------------------------------------------------

async def _noted_application(world: World) -> tuple[UUID, dict[str, str]]:
    """C's application on A's job, brought by C's recruiter, pre-screened by A's admin; then a note of each
    visibility by a platform admin. Returns the application and the note id of each visibility."""
    application_id = await world.apply("rtr", "a", "cand")
    await world.submitted("rtr", application_id)
    prescreen = await world.post("a_admin", f"/v1/applications/{application_id}/request-prescreen",
                                 {"company_recruiter_id": str(world.recruiter["co"])})
    assert prescreen.status_code == 200, prescreen.text
    notes = {}
    for visibility in ("shared", "company_only", "candidate_only"):
        added = await world.post("admin", f"/v1/applications/{application_id}/notes",
                                 {"visibility": visibility, "message": f"secret words {visibility}"})
        assert added.status_code == 201, added.text
        notes[visibility] = added.json()["id"]
    return application_id, notes


STEPS = [("created", "candidate_recruiter"), ("stage_changed", "candidate_recruiter"), ("ai_reviewed", "system"),
         ("submitted", "candidate_recruiter"), ("prescreen_requested", "company")]
NOTES_READ = {"admin": ["shared", "company_only", "candidate_only"], "cand": ["shared", "candidate_only"],
              "rtr": ["shared", "candidate_only"], "co": ["shared", "company_only"],
              "owner": ["shared", "company_only"], "a_admin": ["shared", "company_only"],
              "a_manager": ["shared", "company_only"]}


async def test_an_applications_activity_lists_its_steps_in_order_as_each_party_may_see_them(world: World) -> None:
    application_id, notes = await _noted_application(world)
    path = _activity("applications", application_id)
    for caller, visibilities in NOTES_READ.items():
        entries = await _entries(world, caller, path)
        assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries), caller
        assert [(e["action"], e["actor_role"]) for e in entries[:5]] == STEPS, caller
        assert [(e["action"], e["visibility"]) for e in entries[5:]] == [("note_added", v) for v in visibilities]
        assert all(e["actor_role"] == "platform_admin" for e in entries[5:]), caller
        assert [e["note_id"] for e in entries[5:]] == [notes[v] for v in visibilities], caller
        assert ("actor" in entries[0]) is (caller == "admin"), caller  # the user id behind a role: admins only
    moves = (await _entries(world, "cand", path))[1:5]
    assert [(m["summary"]["from_stage"], m["summary"]["to_stage"]) for m in moves] == [
        ("draft", "ai_review"), ("ai_review", "ai_reviewed"), ("ai_reviewed", "submitted"),
        ("submitted", "screen")]
    admin_view = await _entries(world, "admin", path)
    assert admin_view[0]["actor"] == str(user_id_for(world.ids["rtr"]))
    assert admin_view[3]["actor"] != admin_view[4]["actor"]  # the recruiter submitted, A's admin asked a screen
    # No step carries anyone's words.
    answer = await world.get("admin", path, limit=100)
    assert "secret words" not in answer.text


async def test_an_applications_activity_is_refused_to_who_may_not_read_the_application(world: World) -> None:
    application_id, _ = await _noted_application(world)
    for caller in ("b_admin", "stranger", "cand2"):
        await assert_refused(await world.get(caller, _activity("applications", application_id)), 404)
    await assert_refused(await world.get("anonymous", _activity("applications", application_id)), 401)
    await assert_refused(await world.get("cand", _activity("applications", UUID(int=7))), 404)
    await assert_refused(await world.get("cand", _activity("applications", application_id), limit=101), 422)


async def test_a_notes_steps_follow_its_visibility_and_its_edits_and_deletion(world: World) -> None:
    application_id, _ = await _noted_application(world)
    added = await world.post("a_admin", f"/v1/applications/{application_id}/notes",
                             {"visibility": "company_only", "message": "Keep this between us"})
    note_id = added.json()["id"]
    path = _activity("applications", application_id)
    assert note_id not in {e.get("note_id") for e in await _entries(world, "cand", path)}
    edited = await world.patch("a_admin", f"/v1/applications/{application_id}/notes/{note_id}", {"visibility": "shared"})
    assert edited.status_code == 200, edited.text
    assert (await world.delete("a_admin", f"/v1/applications/{application_id}/notes/{note_id}")).status_code == 200
    steps = [(e["action"], e["actor_role"], e["visibility"]) for e in await _entries(world, "cand", path)
             if e.get("note_id") == note_id]
    assert steps == [("note_added", "company", "shared"), ("note_edited", "company", "shared"),
                     ("note_deleted", "company", "shared")]


async def test_an_applications_activity_is_paginated(world: World) -> None:
    application_id, _ = await _noted_application(world)
    page = (await world.get("cand", _activity("applications", application_id), page=2, limit=3)).json()
    assert page["pagination"] == {"total": 7, "page": 2, "limit": 3, "total_pages": 3}
    assert [e["seq"] for e in page["data"]] == [4, 5, 6]  # the company_only note (seq 7) is not counted


# --- a job's activity and its notes --------------------------------------------------------------------------

def _notes(world: World) -> str:
    return f"/v1/jobs/{world.jobs['a']}/notes"


async def _worked_job(world: World) -> dict[str, str]:
    """Job a edited twice by A's admin (its fee alone, then its title) and noted by both sides."""
    job = world.jobs["a"]
    for change in ({"fee_percentage": 25}, {"title": "A owned, renamed"}):
        edited = await world.patch("a_admin", f"/v1/jobs/{job}", change)
        assert edited.status_code == 200, edited.text
    notes = {}
    for caller, visibility in (("a_admin", "company_only"), ("owner", "shared")):
        added = await world.post(caller, _notes(world), {"visibility": visibility, "message": f"words of {caller}"})
        assert added.status_code == 201, added.text
        notes[caller] = added.json()["id"]
    return notes


async def test_a_jobs_activity_lists_its_steps_in_order_as_each_caller_may_see_them(world: World) -> None:
    notes = await _worked_job(world)
    path = _activity("jobs", world.jobs["a"])
    party = [("job_created", None), ("job_status_changed", None), ("job_edited", ["fee_percentage"]),
             ("job_edited", ["title"])]
    for caller, note_ids in (("admin", [notes["a_admin"], notes["owner"]]), ("a_admin", [notes["a_admin"],
                             notes["owner"]]), ("a_manager", [notes["a_admin"], notes["owner"]]),
                             ("owner", [notes["owner"]]), ("co", [notes["owner"]])):
        entries = await _entries(world, caller, path)
        expected = party + [("job_note_added", None)] * len(note_ids)
        assert [(e["action"], e["summary"].get("fields")) for e in entries] == expected, caller
        assert [e["note_id"] for e in entries if e["action"] == "job_note_added"] == note_ids, caller
        # Who did each step, but who wrote a note only to its author and platform admins (as the notes show it).
        others_notes = [e for e in entries if e["note_id"] is not None and e["note_id"] != notes.get(caller)]
        assert all("actor" in e for e in entries if e not in others_notes), caller
        assert all(("actor" in e) is (caller == "admin") for e in others_notes), caller
    seen_by_company = await _entries(world, "a_admin", path)
    assert seen_by_company[2]["actor"] == str(user_id_for(world.ids["a_admin"]))  # A's admin edited the fee
    assert seen_by_company[-2]["actor"] == str(user_id_for(world.ids["a_admin"]))  # and wrote a note
    assert "actor" not in seen_by_company[-1]  # the owner's note
    assert (await _entries(world, "admin", path))[-1]["actor"] == str(user_id_for(world.ids["owner"]))
    # A recruiter with no tie sees the job's terms change, a candidate only what the marketplace shows.
    stranger = await _entries(world, "stranger", path)
    assert [(e["action"], e["summary"].get("fields")) for e in stranger] == [
        ("job_created", None), ("job_status_changed", None), ("job_edited", ["fee_percentage"]),
        ("job_edited", ["title"])]
    candidate = await _entries(world, "cand", path)
    assert [(e["action"], e["summary"].get("fields")) for e in candidate] == [
        ("job_created", None), ("job_status_changed", None), ("job_edited", ["title"])]
    assert candidate[1]["summary"] == {"from_status": "draft", "to_status": "active"}
    for entry in stranger + candidate:
        assert set(entry) == {"seq", "action", "summary", "at"}
    await assert_refused(await world.get("b_admin", path), 404)  # another company does not see A's job
    await assert_refused(await world.get("anonymous", path), 401)
    await assert_refused(await world.get("stranger", _activity("jobs", world.jobs["a_draft"])), 404)
    answer = await world.get("admin", path)
    assert "words of" not in answer.text


async def test_job_notes_are_written_and_read_by_the_jobs_parties_only(world: World) -> None:
    path = _notes(world)
    # Who writes which visibility: the company's users either, the recruiters working the job shared only.
    writes = {"admin": (201, 201), "a_admin": (201, 201), "a_manager": (201, 201), "owner": (201, 403),
              "co": (201, 403), "stranger": (403, 403), "rtr": (403, 403), "cand": (403, 403),
              "b_admin": (404, 404), "anonymous": (401, 401)}
    for caller, statuses in writes.items():
        for visibility, status in zip(("shared", "company_only"), statuses, strict=True):
            head = await stored(world.store)
            answer = await world.post(caller, path, {"visibility": visibility, "message": f"by {caller}"})
            assert answer.status_code == status, (caller, visibility, answer.text)
            if status != 201:
                await assert_refused(answer, status)
                assert await stored(world.store) == head, (caller, visibility)
    company = {"admin", "a_admin", "a_manager"}
    reads = {"admin": "all", "a_admin": "all", "a_manager": "all", "owner": "shared", "co": "shared",
             "stranger": 403, "cand": 403, "rtr": 403, "b_admin": 404, "anonymous": 401}
    for caller, expected in reads.items():
        answer = await world.get(caller, path, limit=100)
        if isinstance(expected, int):
            await assert_refused(answer, expected)
            continue
        assert answer.status_code == 200, (caller, answer.text)
        listed = {(n["message"], n["visibility"]) for n in answer.json()["data"]}
        shared = {(f"by {c}", "shared") for c in company | {"owner", "co"}}
        assert listed == (shared | {(f"by {c}", "company_only") for c in company} if expected == "all" else shared)
        own = [n for n in answer.json()["data"] if n["message"] == f"by {caller}"]
        assert all("created_by_user_id" in n for n in own)  # the author sees their own user id
        if caller != "admin":
            assert all("created_by_user_id" not in n for n in answer.json()["data"] if n not in own)
    by_type = {n["message"]: n["created_by_type"] for n in (await world.get("admin", path, limit=100)).json()["data"]}
    assert (by_type["by a_admin"], by_type["by a_manager"], by_type["by owner"], by_type["by admin"]) == (
        "company_admin", "hiring_manager", "job_recruiter", "platform_admin")
    await assert_refused(await world.get("admin", path, limit=0), 422)


async def test_only_a_job_notes_author_changes_it(world: World) -> None:
    notes = await _worked_job(world)
    mine, theirs = f"{_notes(world)}/{notes['owner']}", f"{_notes(world)}/{notes['a_admin']}"
    await assert_refused(await world.patch("a_admin", mine, {"message": "rewritten"}), 403)
    await assert_refused(await world.delete("a_admin", mine), 403)
    await assert_refused(await world.patch("owner", theirs, {"message": "seen?"}), 404)  # company_only: unseen
    await assert_refused(await world.patch("owner", mine, {"visibility": "company_only"}), 403)
    await assert_refused(await world.patch("stranger", mine, {"message": "x"}), 403)
    await assert_refused(await world.patch("owner", mine, {"message": ""}), 422)
    assert (await world.patch("owner", mine, {"message": "Interviews on Tuesdays"})).status_code == 200
    assert (await world.delete("owner", mine)).status_code == 200
    assert (await world.delete("owner", mine)).status_code == 200  # a retried delete records nothing
    listed = (await world.get("a_admin", _notes(world))).json()["data"]
    assert [n["id"] for n in listed] == [notes["a_admin"]]
    steps = [e["action"] for e in await _entries(world, "co", _activity("jobs", world.jobs["a"]))
             if e.get("note_id") == notes["owner"]]
    assert steps == ["job_note_added", "job_note_edited", "job_note_deleted"]


# --- the read schema from the events ----------------------------------------------------------------------

async def test_the_activity_rebuilt_from_the_events_equals_the_live_one(world: World) -> None:
    await _noted_application(world)
    notes = await _worked_job(world)
    assert (await world.patch("owner", f"{_notes(world)}/{notes['owner']}", {"message": "Changed"})).status_code == 200
    assert (await world.delete("a_admin", f"{_notes(world)}/{notes['a_admin']}")).status_code == 200
    await world.get("admin", _notes(world))  # waits for the projection to pass the last write
    await feed_settled(world.store)
    live = await dump_schema(world.store, "ats")
    async with world.store.pool.connection() as conn:
        counts = [(await (await conn.execute(f"SELECT count(*) FROM ats.{table}")).fetchone())[0]  # type: ignore[index]
                  for table in ("job_activity", "application_activity", "job_notes")]
    assert all(counts), counts
    await replay(world.store.pool, ats, world.store.registry)
    assert await dump_schema(world.store, "ats") == live
