"""Erasing a candidate who went through the whole story (tests/integration/ats/test_story.py): a job, a
recruiter, a sign-up with consent, an application to the hire and the placement, a résumé, a phone number
and a note about them.

Afterwards no endpoint any party uses, no read table and no rebuilt projection shows their name, email or
phone; a replay of every projection equals the live read models; the placement's money view is what it was;
every stream's hash chain verifies; and a command naming them is refused with 410.
"""

from __future__ import annotations

import io
import secrets
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from psycopg import sql

from consumers.runtime.projector import checkpoint_name
from consumers.runtime.replay import replay
from eventstore import EventStore, load_checkpoint, verify_chain
from adapters.settings import Settings
from projections.registry import all_projections
from tests.api import running_consumers, seed_user, serving
from tests.helpers import dump_schema, feed_settled, settled_head, wait_until
from tests.integration.ats.test_story import People, placement_story

PHONE = "+44 20 7946 0123"


def resume(email: str) -> bytes:
    return f"Cami Candidate\nSenior Python developer\n{email}\n{PHONE}\n".encode()


@pytest.fixture
async def people(fresh_store: EventStore, clerk, candidate_clerk, clerk_backend, tmp_path: Path):
    settings = Settings(
        clerk_api_url=clerk_backend.base_url, splits_clerk_secret_key=clerk_backend.secret_key,
        app_clerk_secret_key=clerk_backend.secret_key,
        database_url=fresh_store.pool.conninfo, documents_dir=str(tmp_path / "documents"),
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        app_clerk_jwks_url=candidate_clerk.jwks_url, app_clerk_issuer=candidate_clerk.issuer,
        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=15, rate_limit_per_user=100_000,
    )
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        yield People(client, clerk, candidate_clerk, secrets.token_hex(4), clerk_backend)


def traces(p: People) -> list[str]:
    """What would show the candidate: their names, their email, their phone, their file's name."""
    return ["Cami Candidate", "Cami", p.email("cami"), PHONE, "cami-cv"]


async def found_in(store: EventStore, needles: list[str], schemas: list[str] | None = None) -> list[str]:
    """Every text, JSON or array column of these schemas (by default every read schema) holding a needle."""
    schemas = schemas or list(all_projections())
    found = []
    async with store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = ANY(%s) AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')",
            (schemas,))
        for schema, table, column in await cur.fetchall():
            for needle in needles:
                query = sql.SQL("SELECT count(*) FROM {}.{} WHERE strpos({}::text, %s) > 0").format(
                    sql.Identifier(schema), sql.Identifier(table), sql.Identifier(column))
                if (await (await conn.execute(query, (needle,))).fetchone())[0]:  # type: ignore[index]
                    found.append(f"{schema}.{table}.{column} holds {needle!r}")
    return found


def texts_of(answer: httpx.Response) -> dict[str, str]:
    """The response as text, or each member of a zip it carries, by name."""
    if answer.headers.get("content-type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(answer.content)) as bundle:
            return {name: bundle.read(name).decode("utf-8", "replace") for name in bundle.namelist()}
    return {"": answer.content.decode("utf-8", "replace")}


async def walk(p: People, who: str, ids: dict[str, str], needles: list[str]) -> tuple[int, list[str]]:
    """GET every route of the API the caller can name the parameters of; what any answer shows of the needles."""
    spec = (await p.client.get("/openapi.json")).json()
    extra = {"entity_type": "candidate", "entity_id": ids["candidate_id"], "kind": "user"}
    answered, shown = 0, []
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        if "text/event-stream" in operations["get"].get("responses", {}).get("200", {}).get("content", {}):
            continue  # the live stream: open until its limit, it pushes only what happens while it is open
        names = [q["name"] for q in operations["get"].get("parameters", []) if q["in"] == "path"]
        if any(n not in ids for n in names):
            continue
        url = path.format(**{n: ids[n] for n in names})
        answer = await p.client.get(url, headers=p.as_(who), params=extra)
        answered += answer.status_code == 200
        shown += [f"{who} GET {url} {member} shows {n!r}" for member, text in texts_of(answer).items()
                  for n in needles if n in text]
    return answered, shown


async def projections_caught_up(store: EventStore) -> None:
    await feed_settled(store)
    head = await settled_head(store)

    async def all_there() -> bool:
        async with store.pool.connection() as conn:
            for name in all_projections():
                checkpoint = await load_checkpoint(conn, checkpoint_name(name))
                if checkpoint is None or checkpoint.position < head:
                    return False
        return True

    await wait_until(all_there, timeout=60)


@pytest.mark.slow
async def test_erasing_a_candidate_who_went_through_the_whole_story(
    people: People, fresh_store: EventStore, tmp_path: Path
) -> None:
    p, store = people, fresh_store
    story = await placement_story(p)
    cami = (await p.call("cami", "GET", "/v1/users/me"))["data"]["id"]

    # More of what a candidate leaves behind: a consent, a phone, a résumé, and a note the company wrote.
    consent = await p.client.post("/v1/consent", headers={**p.as_("cami"), "User-Agent": "Cami's phone"},
                                  json={"functional": True, "analytics": True, "marketing": False})
    assert consent.status_code == 200, consent.text
    await p.call("cami", "PATCH", f"/v1/candidates/{story.candidate}", json={"phone": PHONE, "bio": "Cami Candidate, Pythonista"})
    uploaded = await p.client.post("/v1/documents", headers=p.as_("cami"), data={
        "entity_type": "candidate", "entity_id": story.candidate, "document_type": "resume"}, files={
        "file": ("cami-cv.txt", resume(p.email("cami")), "text/plain")})
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()["id"]
    await p.call("cora", "POST", f"/v1/applications/{story.application}/notes", 201,
                 json={"visibility": "company_only", "message": "Cami Candidate negotiated well"})
    money_path = f"/v1/placements/{story.placement}/money"
    money = (await p.eventually("cora", money_path, lambda b: b["data"]["splits"]))["data"]
    await projections_caught_up(store)
    needles = traces(p)
    assert await found_in(store, needles), "the story left no trace to erase: the check proves nothing"
    files = [f for f in (tmp_path / "documents").rglob("*") if f.is_file()]
    assert len(files) == 1

    # The erasure, asked for by a platform admin, done by the consumers.
    await seed_user(store, f"user_root_{p.run}", roles=[("platform_admin", None)])
    await p.eventually("root", "/v1/users/me", lambda b: b["data"]["is_platform_admin"])
    accepted = await p.call("root", "POST", f"/v1/admin/subjects/{cami}/erase", 202, json={"kind": "user"})
    status = (await p.eventually("root", f"/v1/admin/erasures/{accepted['id']}",
                                 lambda b: b["data"]["status"] == "erased"))["data"]
    counts = status["counts"]
    assert (counts["users"], counts["candidates"], counts["applications"], counts["documents"],
            counts["documents_deleted"]) == (1, 1, 1, 1, 1)
    await projections_caught_up(store)

    # No read table and no file holds anything of them.
    assert await found_in(store, needles) == []
    assert [f for f in (tmp_path / "documents").rglob("*") if f.is_file()] == []

    # The money view is what it was, and still adds up.
    after = (await p.call("cora", "GET", money_path))["data"]
    assert after == money
    totals = after["totals"]
    assert totals["splits_cents"] + totals["platform_remainder_cents"] == totals["fee_cents"] == 4_218_761
    placement = (await p.call("cora", "GET", f"/v1/placements/{story.placement}"))["data"]
    assert placement["fee_cents"] == 4_218_761 and placement["candidate_recruiter_id"] == story.recruiter

    # Every projection rebuilt from the events equals the live one, and shows them no more.
    await feed_settled(store)
    for name, projection in all_projections().items():
        live = await dump_schema(store, name)
        await replay(store.pool, projection, store.registry)
        assert await dump_schema(store, name) == live, name
    assert await found_in(store, needles) == []

    # Every stream's chain verifies through the erasure; nothing new is recorded about them.
    async with store.pool.connection() as conn:
        streams = [r[0] for r in await (await conn.execute("SELECT stream_id FROM eventstore.streams")).fetchall()]
    for stream in streams:
        verify_chain(await store.read_stream(stream))
    refused: Any = await p.client.patch(f"/v1/candidates/{story.candidate}", headers=p.as_("root"),
                                        json={"bio": "Still looking"})
    assert refused.status_code == 410 and refused.json()["code"] == "subject_erased", refused.text

    # No endpoint any party uses shows them.
    ids = {"candidate_id": story.candidate, "application_id": story.application, "placement_id": story.placement,
           "job_id": story.job, "company_id": story.company, "owner_id": story.company,
           "organization_id": story.organization, "recruiter_id": story.recruiter,
           "relationship_id": story.representations[0], "document_id": document, "person_id": cami,
           "erasure_id": accepted["id"]}
    answered, shown = 0, []
    for who in ("cora", "rex", "ray", "root"):
        count, seen = await walk(p, who, ids, needles)
        answered, shown = answered + count, shown + seen
    assert answered > 40  # the walk reached the routes, not only their refusals
    assert shown == [], "\n".join(shown)

    # The events themselves hold nothing of them in the clear: every field that does is sealed, and gone.
    assert await found_in(store, needles, ["eventstore"]) == []
