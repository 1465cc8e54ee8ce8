"""Blocks, reports and the platform admins' moderation over HTTP, on the real PostgreSQL: who may do what, each
refusal writing nothing, and the trail listing each action with its admin.

The conversation is seeded with the conversation decider's commands (as its routes record them); the identity
projection runs in the consumers, the conversations projection is caught up by the test before each read.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from adapters.settings import Settings
from adapters.storage import LocalStorage
from commands.conversations import conversation as conversations_decider
from commands.conversations.conversation_commands import FirstMessage, SendMessage, StartConversation
from consumers.runtime.projector import Projector
from consumers.runtime.replay import replay
from eventstore import EventStore, handle, load, stream_id_for
from projections.conversations import conversations
from projections.conversations import moderation_queries as queries
from tests.api import SEEDER, dev_auth, running_consumers, seed_user, serving
from tests.helpers import dump_schema, feed_settled, settled_head, wait_until
from tests.integration.privacy.test_erasure_process import request as request_erasure
from tests.integration.privacy.test_erasure_process import runner as erasure_runner
from tests.integration.platform.test_bounded_input import EXTREMES, big, replay_every_projection, template_of


@dataclass
class World:
    store: EventStore
    client: httpx.AsyncClient
    projector: Projector
    clerk: dict[str, str]
    ids: dict[str, UUID]
    conversation_id: UUID
    ann_message: UUID
    bob_message: UUID

    def auth(self, who: str) -> dict[str, str]:
        return dev_auth(self.clerk[who])

    async def project(self) -> None:
        await feed_settled(self.store)
        await self.projector.catch_up()

    async def post(self, who: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return await self.client.post(path, json=body, headers={**self.auth(who), **headers})

    async def get(self, who: str, path: str, **params: Any) -> httpx.Response:
        await self.project()
        return await self.client.get(path, params=params, headers=self.auth(who))

    async def check(self, call: Any) -> Any:
        async with self.store.pool.connection() as conn:
            return await call(conn)


def ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, (answer.request.method, answer.request.url, answer.text)
    return answer.json()


def refused(answer: httpx.Response, status: int, code: str | None = None) -> None:
    assert answer.status_code == status, (answer.request.url, answer.text)
    if code is not None:
        assert answer.json()["code"] == code, answer.text


@pytest.fixture
async def world(fresh_store: EventStore, tmp_path) -> AsyncIterator[World]:
    run = secrets.token_hex(4)
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, consistency_wait_s=10,
                        splits_data_dir=tmp_path)
    async with serving(fresh_store, settings) as (client, _system), running_consumers(_system, only={"identity"}):
        assert fresh_store.registry is not None
        projector = Projector(fresh_store.pool, conversations, fresh_store.registry)
        await projector.ensure_schema()
        clerk, ids = {}, {}
        for name in ("root", "root2", "ann", "bob", "eve"):
            clerk[name] = f"user_{name}_{run}"
            roles = [("platform_admin", None)] if name.startswith("root") else []
            ids[name] = await seed_user(fresh_store, clerk[name], roles=roles)
        for name in clerk:
            async def known(name: str = name) -> bool:
                me = await client.get("/v1/users/me", headers=dev_auth(clerk[name]))
                return me.status_code == 200 and (not name.startswith("root")
                                                  or "platform_admin" in me.json()["data"]["roles"])
            await wait_until(known)
        ann, bob, now = ids["ann"], ids["bob"], datetime.now(UTC)
        cid = conversations_decider.conversation_id_for(ann, bob, "none", None)
        await conversations_decider_handle(fresh_store, StartConversation(
            conversation_id=cid, started_by_user_id=ann, recipient_user_id=bob, context_type="none", context_id=None,
            first_message=FirstMessage(body="hello", client_message_id="a1"), by=str(ann), at=now))
        await conversations_decider_handle(fresh_store, SendMessage(
            conversation_id=cid, sender_user_id=bob, body="go away, or else", client_message_id="b1", by=str(bob),
            at=now))
        yield World(fresh_store, client, projector, clerk, ids, cid,
                    conversations_decider.message_id_for(cid, ann, "a1"),
                    conversations_decider.message_id_for(cid, bob, "b1"))


async def conversations_decider_handle(store: EventStore, command: Any) -> None:
    await handle(store, conversations_decider.conversation, command.conversation_id, command, SEEDER)


async def report(w: World, who: str = "ann", **body: Any) -> UUID:
    answer = ok(await w.post(who, f"/v1/conversations/{w.conversation_id}/reports",
                             {"category": "harassment", "details": "threats", **body}), 201)
    return UUID(answer["id"])


async def test_a_report_is_reviewed_and_resolved_with_a_mute_and_the_trail_names_each_admin(world: World) -> None:
    w = world
    report_id = await report(w, message_id=str(w.bob_message))
    shown = ok(await w.get("root", f"/v1/admin/conversation-reports/{report_id}"))["data"]
    assert (shown["status"], shown["reporter_id"], shown["reported_user_id"], shown["message_id"]) == (
        "new", str(w.ids["ann"]), str(w.ids["bob"]), str(w.bob_message))
    assert await w.check(lambda c: queries.is_reported(c, w.conversation_id))

    # Deciding before review is refused; review by one admin, then another admin is refused.
    refused(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/resolve",
                         {"action": "none", "reason": "x"}), 422, "report_not_in_review")
    ok(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/review"))
    ok(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/review"))  # a retry: nothing more
    refused(await w.post("root2", f"/v1/admin/conversation-reports/{report_id}/review"), 409,
            "report_already_in_review")

    resolved = ok(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/resolve",
                               {"action": "mute", "mute_hours": 24, "reason": "threatening messages"}))
    assert resolved["id"] == str(report_id)
    assert ok(await w.get("root", f"/v1/admin/conversation-reports/{report_id}"))["data"]["status"] == "resolved"
    await w.project()
    now = datetime.now(UTC)
    assert await w.check(lambda c: queries.messaging_sanction(c, w.ids["bob"], now)) == "mute"
    assert await w.check(lambda c: queries.messaging_sanction(c, w.ids["bob"], now + timedelta(hours=25))) is None
    assert await w.check(lambda c: queries.messaging_sanction(c, w.ids["ann"], now)) is None
    assert await w.check(lambda c: queries.is_reported(c, w.conversation_id))  # resolved: still reported

    # Suspended on top, then lifted: each action by its admin.
    ok(await w.post("root2", f"/v1/admin/users/{w.ids['bob']}/messaging-sanctions",
                    {"action": "suspend_messaging", "reason": "again"}), 201)
    refused(await w.post("root", f"/v1/admin/users/{w.ids['bob']}/messaging-sanctions",
                         {"action": "mute", "mute_hours": 1, "reason": "x"}), 422, "messaging_suspended")
    await w.project()
    assert await w.check(lambda c: queries.messaging_sanction(c, w.ids["bob"], now + timedelta(days=400))) == (
        "suspend_messaging")
    ok(await w.post("root", f"/v1/admin/users/{w.ids['bob']}/messaging-sanctions/lift", {"reason": "appeal upheld"}))
    refused(await w.post("root", f"/v1/admin/users/{w.ids['bob']}/messaging-sanctions/lift", {"reason": "again"}),
            422, "no_messaging_sanction")
    await w.project()
    assert await w.check(lambda c: queries.messaging_sanction(c, w.ids["bob"], now)) is None

    trail = ok(await w.get("root", "/v1/admin/conversation-moderation-audit", user_id=str(w.ids["bob"])))
    assert [(a["action"], a["admin_id"], a["reason"]) for a in trail["data"]] == [
        ("lift", str(w.ids["root"]), "appeal upheld"),
        ("suspend_messaging", str(w.ids["root2"]), "again"),
        ("resolve", str(w.ids["root"]), "threatening messages"),
        ("mute", str(w.ids["root"]), "threatening messages"),
    ]
    everything = ok(await w.get("root2", "/v1/admin/conversation-moderation-audit", limit=2))
    assert everything["pagination"]["total"] == 5  # and the review, which concerns the report only
    by_report = ok(await w.get("root2", "/v1/admin/conversation-moderation-audit", report_id=str(report_id)))
    assert {a["action"] for a in by_report["data"]} == {"review", "mute", "resolve"}
    assert trail["data"][1]["outcome"] is None and trail["data"][0]["outcome"] == "suspend_messaging"

    # A closed report stays closed.
    refused(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/dismiss", {"reason": "x"}), 422,
            "report_closed")


async def test_a_resolution_takes_the_reported_message_down_and_a_dismissed_report_no_longer_counts(world: World) -> None:
    w = world
    with_message = await report(w, category="spam", message_id=str(w.bob_message))
    without = await report(w, category="other", details="")
    for report_id in (with_message, without):
        ok(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/review"))
    refused(await w.post("root", f"/v1/admin/conversation-reports/{without}/resolve",
                         {"action": "none", "reason": "x", "redact_message": True}), 422, "report_has_no_message")
    ok(await w.post("root", f"/v1/admin/conversation-reports/{with_message}/resolve",
                    {"action": "warn", "reason": "spam link", "redact_message": True}, **{"Idempotency-Key": "k1"}))
    again = await w.post("root", f"/v1/admin/conversation-reports/{with_message}/resolve",
                         {"action": "warn", "reason": "spam link", "redact_message": True}, **{"Idempotency-Key": "k1"})
    ok(again)  # the retry answers the first result and records nothing more
    state, _, _ = await load(w.store, conversations_decider.conversation,
                             stream_id_for(conversations_decider.conversation, w.conversation_id))
    assert state.messages[w.bob_message].redacted and not state.messages[w.ann_message].redacted
    shown = ok(await w.get("root", f"/v1/admin/conversation-reports/{with_message}"))["data"]
    assert (shown["status"], shown["action"], shown["message_redacted"], shown["closed_by"]) == (
        "resolved", "warn", True, str(w.ids["root"]))
    warned = ok(await w.get("root", "/v1/admin/conversation-moderation-audit", user_id=str(w.ids["bob"])))["data"]
    assert [a["action"] for a in warned] == ["resolve", "warn"]  # one warning, not two

    ok(await w.post("root", f"/v1/admin/conversation-reports/{without}/dismiss", {"reason": "nothing wrong"}))
    listed = ok(await w.get("root", "/v1/admin/conversation-reports", status="dismissed"))["data"]
    assert [r["id"] for r in listed] == [str(without)]
    assert [r["id"] for r in ok(await w.get("root", "/v1/admin/conversation-reports", status="new"))["data"]] == []

    # Only dismissed reports left: no longer reported (the admins lose the right to read it).
    other = await report(w, category="fraud")
    ok(await w.post("root", f"/v1/admin/conversation-reports/{other}/review"))
    ok(await w.post("root", f"/v1/admin/conversation-reports/{other}/dismiss", {"reason": "no"}))
    await w.project()
    assert await w.check(lambda c: queries.is_reported(c, w.conversation_id))  # the resolved one still counts
    fresh = conversations_decider.conversation_id_for(w.ids["ann"], w.ids["eve"], "none", None)
    assert not await w.check(lambda c: queries.is_reported(c, fresh))


async def test_only_a_participant_reports_and_only_about_the_other_participant(world: World) -> None:
    w = world
    before = await settled_head(w.store)
    refused(await w.post("eve", f"/v1/conversations/{w.conversation_id}/reports", {"category": "spam"}), 404,
            "conversation_not_found")
    refused(await w.post("root", f"/v1/conversations/{w.conversation_id}/reports", {"category": "spam"}), 404,
            "conversation_not_found")  # an admin is no participant either
    refused(await w.post("ann", f"/v1/conversations/{uuid4()}/reports", {"category": "spam"}), 404,
            "conversation_not_found")
    refused(await w.post("ann", f"/v1/conversations/{w.conversation_id}/reports",
                         {"category": "spam", "message_id": str(w.ann_message)}), 422, "report_message_not_theirs")
    refused(await w.post("ann", f"/v1/conversations/{w.conversation_id}/reports",
                         {"category": "spam", "message_id": str(uuid4())}), 404, "message_not_found")
    refused(await w.post("ann", f"/v1/conversations/{w.conversation_id}/reports", {"category": "rude"}), 422,
            "invalid_request")
    refused(await w.client.post(f"/v1/conversations/{w.conversation_id}/reports", json={"category": "spam"}), 401)
    assert await settled_head(w.store) == before
    bob_reports = await report(w, "bob", category="spam", message_id=str(w.ann_message))
    shown = ok(await w.get("root", f"/v1/admin/conversation-reports/{bob_reports}"))["data"]
    assert (shown["reporter_id"], shown["reported_user_id"]) == (str(w.ids["bob"]), str(w.ids["ann"]))


async def test_the_admin_routes_are_for_platform_admins_only(world: World) -> None:
    w = world
    report_id = await report(w)
    bob = w.ids["bob"]
    routes = [
        ("GET", "/v1/admin/conversation-reports", None),
        ("GET", f"/v1/admin/conversation-reports/{report_id}", None),
        ("POST", f"/v1/admin/conversation-reports/{report_id}/review", None),
        ("POST", f"/v1/admin/conversation-reports/{report_id}/resolve", {"action": "none", "reason": "x"}),
        ("POST", f"/v1/admin/conversation-reports/{report_id}/dismiss", {"reason": "x"}),
        ("POST", f"/v1/admin/users/{bob}/messaging-sanctions", {"action": "warn", "reason": "x"}),
        ("POST", f"/v1/admin/users/{bob}/messaging-sanctions/lift", {"reason": "x"}),
        ("GET", "/v1/admin/conversation-moderation-audit", None),
    ]
    before = await settled_head(w.store)
    for method, path, body in routes:
        for who in ("ann", "eve"):
            refused(await w.client.request(method, path, json=body, headers=w.auth(who)), 403)
        refused(await w.client.request(method, path, json=body), 401)
    assert await settled_head(w.store) == before
    await w.project()
    assert (await w.check(lambda c: queries.get_report(c, report_id)))["status"] == "new"


async def test_admin_sanctions_outside_a_report_are_checked(world: World) -> None:
    w = world
    before = await settled_head(w.store)
    refused(await w.post("root", f"/v1/admin/users/{uuid4()}/messaging-sanctions",
                         {"action": "warn", "reason": "x"}), 404, "user_not_found")
    refused(await w.post("root", f"/v1/admin/users/{w.ids['root']}/messaging-sanctions",
                         {"action": "warn", "reason": "x"}), 403, "cannot_sanction_yourself")
    for body in ({"action": "mute", "reason": "x", "mute_hours": 0}, {"action": "mute", "reason": "x",
                                                                     "mute_hours": 8761},
                 {"action": "ban", "reason": "x"}, {"action": "warn", "reason": "  "}):
        refused(await w.post("root", f"/v1/admin/users/{w.ids['eve']}/messaging-sanctions", body), 422,
                "invalid_request")
    # A rule between two fields: no one field is wrong, so it is a rule's refusal, not a field's.
    for body in ({"action": "mute", "reason": "x"}, {"action": "warn", "reason": "x", "mute_hours": 2}):
        refused(await w.post("root", f"/v1/admin/users/{w.ids['eve']}/messaging-sanctions", body), 422,
                "mute_hours_mismatch")
    refused(await w.post("root", f"/v1/admin/conversation-reports/{uuid4()}/review"), 404, "report_not_found")
    assert await settled_head(w.store) == before
    warned = ok(await w.post("root", f"/v1/admin/users/{w.ids['eve']}/messaging-sanctions",
                             {"action": "warn", "reason": "be nice"}), 201)
    trail = ok(await w.get("root", "/v1/admin/conversation-moderation-audit", user_id=str(w.ids["eve"])))["data"]
    assert [(a["id"], a["action"], a["admin_id"], a["report_id"]) for a in trail] == [
        (f"sanction:{warned['data']['sanction_id']}", "warn", str(w.ids["root"]), None)]


async def test_a_user_blocks_and_unblocks_and_the_block_works_both_ways(world: World) -> None:
    w = world
    ann, bob = w.ids["ann"], w.ids["bob"]
    ok(await w.post("ann", "/v1/conversation-blocks", {"user_id": str(bob)}))
    again = ok(await w.post("ann", "/v1/conversation-blocks", {"user_id": str(bob)}))
    assert again["version"] == 1  # blocking again records nothing
    before = await settled_head(w.store)
    refused(await w.post("ann", "/v1/conversation-blocks", {"user_id": str(ann)}), 422, "cannot_block_yourself")
    refused(await w.post("ann", "/v1/conversation-blocks", {"user_id": str(uuid4())}), 404, "user_not_found")
    refused(await w.client.delete(f"/v1/conversation-blocks/{w.ids['eve']}", headers=w.auth("ann")), 404,
            "block_not_found")
    refused(await w.client.post("/v1/conversation-blocks", json={"user_id": str(bob)}), 401)
    assert await settled_head(w.store) == before

    listed = ok(await w.get("ann", "/v1/conversation-blocks"))
    assert [b["user_id"] for b in listed["data"]] == [str(bob)] and listed["pagination"]["total"] == 1
    assert ok(await w.get("bob", "/v1/conversation-blocks"))["data"] == []  # one's list is one's own
    assert await w.check(lambda c: queries.blocked_between(c, bob, ann))
    assert await w.check(lambda c: queries.blocked_between(c, ann, bob))
    assert not await w.check(lambda c: queries.blocked_between(c, ann, w.ids["eve"]))

    ok(await w.client.delete(f"/v1/conversation-blocks/{bob}", headers=w.auth("ann")))
    assert ok(await w.get("ann", "/v1/conversation-blocks"))["data"] == []
    assert not await w.check(lambda c: queries.blocked_between(c, bob, ann))


EXTREMES_TEST = "test_moderation_writes_at_the_limits_of_their_schemas_are_stored_and_replayed"


async def test_moderation_writes_at_the_limits_of_their_schemas_are_stored_and_replayed(world: World) -> None:
    w = world
    sent: list[httpx.Response] = []

    async def send(who: str, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        answer = await w.post(who, path, body)
        sent.append(answer)
        return ok(answer, status)

    await send("ann", "/v1/conversation-blocks", {"user_id": str(w.ids["eve"])})
    first = UUID((await send("ann", f"/v1/conversations/{w.conversation_id}/reports",
                             {"category": "other", "details": big(2000), "message_id": str(w.bob_message)}, 201))["id"])
    second = UUID((await send("bob", f"/v1/conversations/{w.conversation_id}/reports",
                              {"category": "fraud", "details": big(2000, "d")}, 201))["id"])
    for report_id in (first, second):
        ok(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/review"))
    await send("root", f"/v1/admin/conversation-reports/{first}/resolve",
               {"action": "mute", "mute_hours": 8760, "reason": big(2000), "redact_message": True})
    await send("root", f"/v1/admin/conversation-reports/{second}/dismiss", {"reason": big(2000, "r")})
    await send("root", f"/v1/admin/users/{w.ids['eve']}/messaging-sanctions",
               {"action": "mute", "mute_hours": 1, "reason": big(2000, "m")}, 201)
    await send("root", f"/v1/admin/users/{w.ids['eve']}/messaging-sanctions/lift", {"reason": big(2000, "l")})

    assert {template_of(a.request.method, a.request.url.path) for a in sent} == EXTREMES[EXTREMES_TEST]
    shown = ok(await w.get("root", f"/v1/admin/conversation-reports/{first}"))["data"]
    assert (shown["details"], shown["reason"]) == (big(2000), big(2000))
    trail = ok(await w.get("root", "/v1/admin/conversation-moderation-audit", limit=100))["data"]
    assert {a["reason"] for a in trail} >= {big(2000), big(2000, "r"), big(2000, "m"), big(2000, "l")}
    mute = next(a for a in trail if a["action"] == "mute" and a["report_id"] == str(first))
    assert datetime.fromisoformat(mute["until"]) - datetime.fromisoformat(mute["at"]) == timedelta(hours=8760)
    await replay_every_projection(w.store)


async def test_an_erasure_takes_the_reporters_and_the_reported_users_words_and_a_replay_equals_the_live_tables(
        world: World, tmp_path) -> None:
    w = world
    first = await report(w, details="he threatened me", message_id=str(w.bob_message))
    second = await report(w, "bob", category="spam", details="she spams")
    for report_id in (first, second):
        ok(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/review"))
    ok(await w.post("root", f"/v1/admin/conversation-reports/{first}/resolve",
                    {"action": "mute", "mute_hours": 2, "reason": "bob threatened ann"}))
    ok(await w.post("root", f"/v1/admin/conversation-reports/{second}/dismiss", {"reason": "ann did not spam"}))
    ok(await w.post("root", f"/v1/admin/users/{w.ids['bob']}/messaging-sanctions/lift", {"reason": "bob apologised"}))
    ok(await w.post("root", f"/v1/admin/users/{w.ids['eve']}/messaging-sanctions",
                    {"action": "warn", "reason": "eve was rude"}), 201)
    await w.project()

    storage = LocalStorage(tmp_path)
    for person in ("ann", "bob"):
        erasure_id = await request_erasure(w.store, "user", w.ids[person])
        await erasure_runner(w.store, storage).react((await w.store.read_stream(f"erasure-{erasure_id}"))[0])
    await w.project()
    async with w.store.pool.connection() as conn:
        reports = await (await conn.execute(
            "SELECT id, details, reason FROM conversations.reports ORDER BY created_at")).fetchall()
        sanctions = await (await conn.execute("SELECT user_id, reason FROM conversations.sanctions")).fetchall()
        trail = await (await conn.execute(
            "SELECT action, user_id, reason FROM conversations.moderation_audit ORDER BY at, id")).fetchall()
    assert {r[0]: r[1:] for r in reports} == {first: ("[erased]", "[erased]"), second: ("[erased]", "[erased]")}
    assert sanctions == [(w.ids["bob"], "[erased]")]  # a warning restricts nothing: it is in the trail only
    assert {(action, reason) for action, _, reason in trail} == {
        ("review", None), ("mute", "[erased]"), ("resolve", "[erased]"), ("dismiss", "[erased]"),
        ("lift", "[erased]"), ("warn", "eve was rude")}

    live = await dump_schema(w.store, "conversations")
    await replay(w.store.pool, conversations, w.store.registry)
    assert await dump_schema(w.store, "conversations") == live


# --- the conversation routes' moderation checks (api/conversations/common.py reads the tables above) ---------------

async def send(w: World, who: str, client_message_id: str) -> httpx.Response:
    await w.project()  # the checks read the moderation tables: brought up to date, as the projector keeps them
    return await w.post(who, f"/v1/conversations/{w.conversation_id}/messages",
                        {"body": f"{who} says hi", "client_message_id": client_message_id})


async def test_a_blocked_pair_cannot_message_either_way_until_the_block_is_lifted(world: World) -> None:
    w = world
    ok(await w.post("bob", "/v1/conversation-blocks", {"user_id": str(w.ids["ann"])}))
    before = await settled_head(w.store)
    refused(await send(w, "ann", "m1"), 403, "conversation_blocked")
    refused(await send(w, "bob", "m2"), 403, "conversation_blocked")
    assert await settled_head(w.store) == before
    ok(await w.client.delete(f"/v1/conversation-blocks/{w.ids['ann']}", headers=w.auth("bob")))
    ok(await send(w, "ann", "m1"), 201)


async def test_a_muted_or_suspended_user_cannot_send_and_the_other_participant_still_can(world: World) -> None:
    w = world
    ok(await w.post("root", f"/v1/admin/users/{w.ids['bob']}/messaging-sanctions",
                    {"action": "warn", "reason": "a warning restricts nothing"}), 201)
    ok(await send(w, "bob", "w1"), 201)
    for action in ({"action": "mute", "mute_hours": 1}, {"action": "suspend_messaging"}):
        ok(await w.post("root", f"/v1/admin/users/{w.ids['bob']}/messaging-sanctions", {**action, "reason": "x"}),
           201)
        before = await settled_head(w.store)
        refused(await send(w, "bob", f"b-{action['action']}"), 403, "messaging_restricted")
        assert await settled_head(w.store) == before
        ok(await send(w, "ann", f"a-{action['action']}"), 201)
    ok(await w.post("root", f"/v1/admin/users/{w.ids['bob']}/messaging-sanctions/lift", {"reason": "appeal"}))
    ok(await send(w, "bob", "after-lift"), 201)


async def test_an_admin_reads_a_conversation_while_it_is_reported_and_takes_no_part_in_it(world: World) -> None:
    w = world
    path = f"/v1/conversations/{w.conversation_id}"
    refused(await w.get("root", path), 404, "conversation_not_found")
    refused(await w.get("root", f"{path}/messages"), 404, "conversation_not_found")
    report_id = await report(w, category="fraud")
    assert ok(await w.get("root", path))["id"] == str(w.conversation_id)
    bodies = [m["body"] for m in ok(await w.get("root", f"{path}/messages"))["data"]]
    assert bodies == ["hello", "go away, or else"]
    refused(await w.post("root", f"{path}/messages", {"body": "admin here", "client_message_id": "r1"}), 403)
    refused(await w.get("eve", path), 404, "conversation_not_found")  # a report opens it to admins only
    ok(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/review"))
    ok(await w.post("root", f"/v1/admin/conversation-reports/{report_id}/dismiss", {"reason": "nothing wrong"}))
    refused(await w.get("root", path), 404, "conversation_not_found")


async def test_a_block_or_a_sanction_holds_from_its_answer_on_not_once_the_read_model_has_it(world: World) -> None:
    w = world  # the conversations projection is not brought up to date in this test: the checks must not need it
    ok(await w.post("bob", "/v1/conversation-blocks", {"user_id": str(w.ids["ann"])}))
    path = f"/v1/conversations/{w.conversation_id}/messages"
    refused(await w.post("ann", path, {"body": "at once", "client_message_id": "race-1"}), 403, "conversation_blocked")
    ok(await w.client.delete(f"/v1/conversation-blocks/{w.ids['ann']}", headers=w.auth("bob")))
    ok(await w.post("ann", path, {"body": "after the unblock", "client_message_id": "race-2"}), 201)
    ok(await w.post("root", f"/v1/admin/users/{w.ids['ann']}/messaging-sanctions",
                    {"action": "suspend_messaging", "reason": "spam"}), 201)
    refused(await w.post("ann", path, {"body": "still here", "client_message_id": "race-3"}), 403,
            "messaging_restricted")
    ok(await w.post("root", f"/v1/admin/users/{w.ids['ann']}/messaging-sanctions/lift", {"reason": "appeal"}))
    ok(await w.post("ann", path, {"body": "back", "client_message_id": "race-4"}), 201)
