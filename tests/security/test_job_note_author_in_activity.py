"""Who wrote a job note: its author's user id is the author's and the platform admins' to read
(`GET /v1/jobs/{id}/notes` leaves `created_by_user_id` out for every other reader). The job's activity must not
give it away either: a note's rows show their `actor` to the author and platform admins only, while the other
parties still see the note's steps and the author's side (`summary.author_type`)."""

from __future__ import annotations

from commands.identity.user import user_id_for
from tests.integration.ats.test_applications_api import World
from tests.integration.ats.test_applications_api import world_fixture  # noqa: F401  (the fixture)


async def test_a_job_notes_author_is_not_named_in_the_activity_to_its_other_readers(world: World) -> None:
    w = world
    job = w.jobs["a"]
    added = await w.post("a_manager", f"/v1/jobs/{job}/notes", {"visibility": "shared", "message": "between us"})
    assert added.status_code == 201, added.text
    note_id = added.json()["id"]
    author = str(user_id_for(w.ids["a_manager"]))

    listed = await w.get("co", f"/v1/jobs/{job}/notes")
    assert listed.status_code == 200, listed.text
    assert [("created_by_user_id" in n) for n in listed.json()["data"]] == [False]

    def note_rows(answer) -> list[dict]:
        assert answer.status_code == 200, answer.text
        return [e for e in answer.json()["data"] if e.get("note_id") == note_id]

    for reader in ("co", "owner", "a_admin"):
        rows = note_rows(await w.get(reader, f"/v1/jobs/{job}/activity", limit=100))
        assert [(r["action"], r["summary"]["author_type"]) for r in rows] == [("job_note_added", "hiring_manager")]
        assert author not in str(rows), reader
        assert "actor" not in rows[0], reader
    for reader in ("a_manager", "admin"):
        rows = note_rows(await w.get(reader, f"/v1/jobs/{job}/activity", limit=100))
        assert rows[0]["actor"] == author, reader
