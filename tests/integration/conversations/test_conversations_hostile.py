"""Conversations attacked over HTTP: a client message id reused for other words, the other participant's files,
files pushed by someone who may not message, an admin reading attachments of an unreported conversation, two starts
in parallel against the monthly cap; an archived conversation brought back by the other side's message; and an
erased participant's attachments and words."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID, uuid4

from adapters.storage import LocalStorage
from consumers.runtime.projector import Projector
from eventstore import load_checkpoint
from projections.conversations import conversations
from projections.documents import documents
from tests.helpers import dump_schema, feed_settled, settled_head, wait_until
from tests.integration.ats.test_applications_api import seed_job
from tests.integration.conversations.chat_fixtures import Chat, chat
from tests.integration.conversations.test_conversations_api import _pair
from tests.integration.network.test_network_fixtures import problem
from tests.integration.privacy.test_erasure_process import request as request_erasure
from tests.integration.privacy.test_erasure_process import runner as erasure_runner

__all__ = ["chat"]


async def _started(chat: Chat) -> str:
    await _pair(chat)
    started = await chat.start("rec", "cand", first="Hello Casey", client="m1")
    assert started.status_code == 201, started.text
    return started.json()["id"]


async def _documents_projected(chat: Chat) -> None:
    await chat.projected()
    head = await settled_head(chat.store)

    async def caught_up() -> bool:
        async with chat.store.pool.connection() as conn:
            checkpoint = await load_checkpoint(conn, "projection:documents")
        return checkpoint is not None and checkpoint.position >= head

    await wait_until(caught_up)


async def test_a_client_message_id_reused_for_other_words_is_a_conflict_and_records_nothing(chat: Chat) -> None:
    cid = await _started(chat)
    path = f"/v1/conversations/{cid}/messages"
    first = await chat.post(path, "rec", {"body": "Are you free on Monday?", "client_message_id": "m2"})
    assert first.status_code == 201, first.text
    before = await settled_head(chat.store)
    reused = await chat.post(path, "rec", {"body": "Forget it", "client_message_id": "m2"})
    problem(reused, 409)
    assert reused.json()["code"] == "client_message_id_reused"
    again = await chat.start("rec", "cand", first="Other words", client="m1")  # the first message's id, too
    problem(again, 409)
    assert again.json()["code"] == "client_message_id_reused"
    assert await settled_head(chat.store) == before
    # The same words again are the same message, also after an edit; another sender's same id is theirs.
    edited = await chat.patch(f"{path}/{first.json()['data']['message_id']}", "rec", {"body": "Monday 10:00?"})
    assert edited.status_code == 200, edited.text
    retried = await chat.post(path, "rec", {"body": "Are you free on Monday?", "client_message_id": "m2"})
    assert retried.status_code == 201 and retried.json()["data"] == first.json()["data"], retried.text
    theirs = await chat.post(path, "cand", {"body": "Yes", "client_message_id": "m2"})
    assert theirs.status_code == 201 and theirs.json()["data"] != first.json()["data"], theirs.text
    listed = (await chat.get(path, "cand", theirs)).json()["data"]
    assert [(m["sender_user_id"], m["body"]) for m in listed] == [
        (str(chat.user_id("rec")), "Hello Casey"), (str(chat.user_id("rec")), "Monday 10:00?"),
        (str(chat.user_id("cand")), "Yes")]


async def test_a_new_message_brings_the_conversation_back_from_the_recipients_archive_only(chat: Chat) -> None:
    cid = await _started(chat)
    for who in ("rec", "cand"):
        archived = await chat.post(f"/v1/conversations/{cid}/archive", who)
        assert archived.status_code == 200, archived.text
    sent = await chat.post(f"/v1/conversations/{cid}/messages", "rec", {"body": "Ping", "client_message_id": "m2"})
    assert sent.status_code == 201, sent.text
    inbox = (await chat.get("/v1/conversations", "cand", sent)).json()["data"]
    assert [(c["id"], c["archived_at"], c["unread_count"]) for c in inbox] == [(cid, None, 2)]
    assert (await chat.get("/v1/conversations", "rec", sent)).json()["data"] == []
    assert [c["id"] for c in (await chat.get("/v1/conversations", "rec", sent, archived="true")).json()["data"]] == [
        cid]
    # Archiving it again works (the decider knows it was brought back).
    again = await chat.post(f"/v1/conversations/{cid}/archive", "cand")
    assert again.status_code == 200 and again.json()["version"] > sent.json()["version"], again.text


async def test_a_participant_deletes_their_own_attachments_not_the_other_ones(chat: Chat) -> None:
    cid = await _started(chat)
    mine = await chat.attach("rec", cid)
    assert mine.status_code == 201, mine.text
    document_id = mine.json()["id"]
    await _documents_projected(chat)
    problem(await chat.client.delete(f"/v1/documents/{document_id}", headers=chat.as_("cand")), 404)  # unsent
    sent = await chat.post(f"/v1/conversations/{cid}/messages", "rec", {
        "body": "See attached", "client_message_id": "m2", "attachment_document_ids": [document_id]})
    assert sent.status_code == 201, sent.text
    before = await settled_head(chat.store)
    problem(await chat.client.delete(f"/v1/documents/{document_id}", headers=chat.as_("cand")), 403)
    assert await settled_head(chat.store) == before
    assert (await chat.get(f"/v1/documents/{document_id}", "cand")).status_code == 200
    deleted = await chat.client.delete(f"/v1/documents/{document_id}", headers=chat.as_("rec"))
    assert deleted.status_code == 200, deleted.text


async def test_who_may_not_message_may_neither_push_files_nor_change_their_words(chat: Chat) -> None:
    cid = await _started(chat)
    await chat.person("root", ("platform_admin", None))
    await chat.projected()
    # A declined starter.
    declined = await chat.post(f"/v1/conversations/{cid}/decline", "cand")
    assert declined.status_code == 200, declined.text
    before = await settled_head(chat.store)
    refused = await chat.attach("rec", cid)
    problem(refused, 422)
    assert refused.json()["code"] == "conversation_request_declined"
    first = (await chat.get(f"/v1/conversations/{cid}/messages", "rec", declined)).json()["data"][0]["id"]
    refused = await chat.patch(f"/v1/conversations/{cid}/messages/{first}", "rec", {"body": "Changed my words"})
    problem(refused, 422)
    assert refused.json()["code"] == "conversation_request_declined"
    assert await settled_head(chat.store) == before
    # Either side of a block.
    accepted = await chat.post(f"/v1/conversations/{cid}/accept", "cand")
    assert accepted.status_code == 200, accepted.text
    uploaded = await chat.attach("rec", cid)
    assert uploaded.status_code == 201, uploaded.text
    blocked = await chat.post("/v1/conversation-blocks", "cand", {"user_id": str(chat.user_id("rec"))})
    assert blocked.status_code == 200, blocked.text
    await chat.projected()
    before = await settled_head(chat.store)
    for who in ("rec", "cand"):
        refused = await chat.attach(who, cid)
        problem(refused, 403)
        assert refused.json()["code"] == "conversation_blocked"
    unblocked = await chat.client.delete(f"/v1/conversation-blocks/{chat.user_id('rec')}", headers=chat.as_("cand"))
    assert unblocked.status_code == 200, unblocked.text
    # A user whose messaging an admin suspended.
    suspended = await chat.post(f"/v1/admin/users/{chat.user_id('rec')}/messaging-sanctions", "root",
                                {"action": "suspend_messaging", "reason": "spam"})
    assert suspended.status_code == 201, suspended.text
    await chat.projected()
    before = await settled_head(chat.store)
    refused = await chat.attach("rec", cid)
    problem(refused, 403)
    assert refused.json()["code"] == "messaging_restricted"
    assert await settled_head(chat.store) == before
    assert (await chat.attach("cand", cid)).status_code == 201


async def test_an_admin_reads_no_attachment_of_a_conversation_nobody_reported(chat: Chat) -> None:
    cid = await _started(chat)
    await chat.person("root", ("platform_admin", None))
    uploaded = await chat.attach("cand", cid)
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    await _documents_projected(chat)
    problem(await chat.get(f"/v1/documents/{document_id}", "root"), 404)
    problem(await chat.client.get(f"/v1/documents/{document_id}/content", headers=chat.as_("root")), 404)
    problem(await chat.get("/v1/documents", "root", entity_type="conversation", entity_id=cid), 404)
    problem(await chat.attach("root", cid), 404)
    problem(await chat.client.delete(f"/v1/documents/{document_id}", headers=chat.as_("root")), 404)


async def test_two_starts_in_parallel_do_not_pass_the_monthly_cap_together(chat: Chat) -> None:
    await chat.recruiter("rec")
    company_id = uuid4()
    await chat.person("boss")
    await chat.company(company_id, boss="company_admin")
    jobs = [await seed_job(chat.store, company_id, f"Role {n}") for n in range(6)]
    await chat.projected()
    for job_id in jobs[:4]:  # Starter: 5 a month
        assert (await chat.start("boss", "rec", context=("job", job_id))).status_code == 201
    answers = await asyncio.gather(*(chat.start("boss", "rec", context=("job", job_id)) for job_id in jobs[4:]))
    assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
    counted = [e for e in await chat.store.read_stream(f"messaging_initiations-{chat.user_id('boss')}")]
    assert len(counted) == 5


async def test_erasing_a_participant_erases_their_conversation_attachments_and_words(chat: Chat,
                                                                                    tmp_path: Path) -> None:
    cid = await _started(chat)
    uploaded = await chat.attach("rec", cid, b"Casey's offer letter, from the recruiter.\n")
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    theirs = await chat.attach("cand", cid, b"My answer.\n")
    assert theirs.status_code == 201, theirs.text
    sent = await chat.post(f"/v1/conversations/{cid}/messages", "rec", {
        "body": "Offer attached", "client_message_id": "m2", "attachment_document_ids": [document_id]})
    assert sent.status_code == 201, sent.text
    reply = await chat.post(f"/v1/conversations/{cid}/messages", "cand", {"body": "Thanks!", "client_message_id": "r"})
    assert reply.status_code == 201, reply.text
    await _documents_projected(chat)
    async with chat.store.pool.connection() as conn:
        key = (await (await conn.execute("SELECT storage_key FROM documents.documents WHERE id = %s",
                                         (UUID(document_id),))).fetchone())[0]
    storage = LocalStorage(tmp_path)
    assert await storage.get(key) == b"Casey's offer letter, from the recruiter.\n"

    erasure_id = await request_erasure(chat.store, "user", chat.user_id("rec"))
    await erasure_runner(chat.store, storage).react((await chat.store.read_stream(f"erasure-{erasure_id}"))[0])
    erased = [e for e in await chat.store.read_stream(f"erasure-{erasure_id}") if e.type == "SubjectErased"]
    assert f"document:{document_id}" in erased[0].data["subjects"]
    assert document_id in erased[0].data["document_ids"] and theirs.json()["id"] not in erased[0].data["document_ids"]
    await _documents_projected(chat)
    await feed_settled(chat.store)

    async with chat.store.pool.connection() as conn:
        rows = await (await conn.execute(
            "SELECT id, filename, deleted_at IS NOT NULL FROM documents.documents WHERE entity_id = %s ORDER BY id",
            (UUID(cid),))).fetchall()
        bodies = await (await conn.execute("SELECT sender_user_id, body, client_message_id FROM conversations.messages"
                                           " WHERE conversation_id = %s ORDER BY seq", (UUID(cid),))).fetchall()
    assert {str(r[0]): r[1:] for r in rows} == {document_id: ("[erased]", True), theirs.json()["id"]: ("notes.txt",
                                                                                                      False)}
    assert bodies == [(chat.user_id("rec"), "[erased]", "m1"), (chat.user_id("rec"), "[erased]", "m2"),
                      (chat.user_id("cand"), "Thanks!", "r")]  # a client's ids are ids (served to their sender only)
    sealed = [e for e in await chat.store.read_stream(f"conversation-{cid}") if e.type == "ConversationMessageSent"]
    opened = [chat.store.registry.decode(e) for e in sealed]
    assert [(e.body, e.client_message_id) for e in opened] == [
        ("[erased]", "m1"), ("[erased]", "m2"), ("Thanks!", "r")]
    assert not await storage.exists(key)
    listed = (await chat.get(f"/v1/conversations/{cid}/messages", "cand")).json()["data"]
    assert [m["body"] for m in listed] == ["[erased]", "[erased]", "Thanks!"]
    problem(await chat.get(f"/v1/documents/{document_id}", "cand"), 404)
    for projection in (conversations, documents):  # a rebuild from the events leaves the same rows
        rebuilt = Projector(chat.store.pool, projection, chat.store.registry, schema=f"{projection.name}_rebuilt",
                            checkpoint=f"projection:{projection.name}_rebuilt")
        await rebuilt.ensure_schema()
        await rebuilt.catch_up()
        assert await dump_schema(chat.store, f"{projection.name}_rebuilt") == await dump_schema(chat.store,
                                                                                                projection.name)


async def test_an_admin_reading_a_report_sees_the_words_the_reported_user_took_down(chat: Chat) -> None:
    cid = await _started(chat)
    await chat.person("root", ("platform_admin", None))
    sent = await chat.post(f"/v1/conversations/{cid}/messages", "rec", {"body": "You will regret this",
                                                                        "client_message_id": "m2"})
    assert sent.status_code == 201, sent.text
    message_id = sent.json()["data"]["message_id"]
    reported = await chat.post(f"/v1/conversations/{cid}/reports", "cand", {
        "category": "harassment", "details": "a threat", "message_id": message_id})
    assert reported.status_code == 201, reported.text
    redacted = await chat.post(f"/v1/conversations/{cid}/messages/{message_id}/redact", "rec")
    assert redacted.status_code == 200, redacted.text
    await chat.projected()
    for who, words in (("cand", None), ("rec", None), ("root", "You will regret this")):
        listed = (await chat.get(f"/v1/conversations/{cid}/messages", who, redacted)).json()["data"]
        assert [(m["body"], m["redacted_by"]) for m in listed] == [("Hello Casey", None), (words, "author")], who


async def test_a_client_message_id_is_shown_to_its_sender_alone(chat: Chat) -> None:
    cid = await _started(chat)
    reply = await chat.post(f"/v1/conversations/{cid}/messages", "cand", {"body": "Hi", "client_message_id": "c-9"})
    assert reply.status_code == 201, reply.text
    for who, ids in (("rec", ["m1", None]), ("cand", [None, "c-9"])):
        listed = (await chat.get(f"/v1/conversations/{cid}/messages", who, reply)).json()["data"]
        assert [m["client_message_id"] for m in listed] == ids, who


async def test_an_idempotency_key_reused_for_another_message_is_a_conflict_not_a_made_up_answer(chat: Chat) -> None:
    cid = await _started(chat)
    path = f"/v1/conversations/{cid}/messages"

    async def send(body: str, client: str, key: str = "key-1"):  # noqa: ANN202
        return await chat.client.post(path, json={"body": body, "client_message_id": client},
                                      headers={**chat.as_("rec"), "Idempotency-Key": key})

    first = await send("One", "a")
    assert first.status_code == 201, first.text
    retried = await send("One", "a")
    assert retried.status_code == 201 and retried.json()["data"] == first.json()["data"], retried.text
    before = await settled_head(chat.store)
    other = await send("Two", "b")
    problem(other, 409)
    assert other.json()["code"] == "idempotency_key_reused"
    again = await chat.client.post("/v1/conversations", headers={**chat.as_("rec"), "Idempotency-Key": "key-2"},
                                   json={"recipient_user_id": str(chat.user_id("cand")),
                                         "first_message": {"body": "Three", "client_message_id": "c"}})
    assert again.status_code == 200, again.text
    reused = await chat.client.post("/v1/conversations", headers={**chat.as_("rec"), "Idempotency-Key": "key-2"},
                                    json={"recipient_user_id": str(chat.user_id("cand")),
                                          "first_message": {"body": "Four", "client_message_id": "d"}})
    problem(reused, 409)
    assert reused.json()["code"] == "idempotency_key_reused"
    listed = (await chat.get(path, "cand", again)).json()["data"]
    assert [m["body"] for m in listed] == ["Hello Casey", "One", "Three"]
    assert await settled_head(chat.store) > before  # "Three" only


async def test_messages_page_both_ways_within_bounds_and_unread_counts_follow_receipts_not_edits(chat: Chat) -> None:
    cid = await _started(chat)  # message 1
    await chat.recruiter("rival")
    path = f"/v1/conversations/{cid}/messages"
    sent = []
    for n in range(2, 6):
        answer = await chat.post(path, "rec", {"body": f"message {n}", "client_message_id": f"m{n}"})
        assert answer.status_code == 201, answer.text
        sent.append(answer)

    async def page(**params: object) -> tuple[list[int], bool]:
        listed = (await chat.get(path, "cand", sent[-1], **params)).json()
        return [m["seq"] for m in listed["data"]], listed["has_more"]

    assert await page(limit=2) == ([4, 5], True)
    assert await page(limit=2, before_seq=4) == ([2, 3], True)
    assert await page(limit=2, before_seq=2) == ([1], False)
    assert await page(limit=2, after_seq=3) == ([4, 5], False)
    assert await page(limit=2, after_seq=1, before_seq=5) == ([2, 3], True)
    for bad in ({"limit": 101}, {"limit": 0}, {"after_seq": -1}, {"before_seq": 0}):
        problem(await chat.get(path, "cand", **bad), 422)
    problem(await chat.get(path, "rival", limit=1, after_seq=0), 404)

    mine = (await chat.get(f"/v1/conversations/{cid}", "cand", sent[-1])).json()
    assert mine["unread_count"] == 5
    read = await chat.post(f"/v1/conversations/{cid}/read", "cand", {"up_to_message_id": sent[1].json()["data"][
        "message_id"]})  # up to message 3
    assert read.status_code == 200, read.text
    edited = await chat.patch(f"{path}/{sent[2].json()['data']['message_id']}", "rec", {"body": "message 4, edited"})
    assert edited.status_code == 200, edited.text
    older = await chat.post(f"/v1/conversations/{cid}/read", "cand", {"up_to_message_id": sent[0].json()["data"][
        "message_id"]})  # back to message 2: records nothing
    assert older.status_code == 200 and older.json()["version"] == edited.json()["version"], older.text
    mine = (await chat.get(f"/v1/conversations/{cid}", "cand", edited)).json()
    assert (mine["unread_count"], mine["last_read_seq"]) == (2, 3)
    assert (await chat.get("/v1/conversations", "cand", edited)).json()["data"][0]["unread_count"] == 2
    assert (await chat.get(f"/v1/conversations/{cid}", "rec", edited)).json()["unread_count"] == 0


async def test_a_platform_admin_starts_any_conversation_but_a_stranger_cannot_start_one_with_an_admin(
        chat: Chat) -> None:
    await chat.recruiter("rival")
    await chat.person("root", ("platform_admin", None))
    await chat.person("root2", ("platform_admin", None))
    await chat.projected()
    before = await settled_head(chat.store)
    refused = await chat.start("rival", "root", first="Please look at my account")
    problem(refused, 403)
    assert refused.json()["code"] == "conversation_not_allowed"
    assert await settled_head(chat.store) == before
    started = await chat.start("root", "rival", first="About your reports")
    assert started.status_code == 201, started.text
    reply = await chat.post(f"/v1/conversations/{started.json()['id']}/messages", "rival",
                            {"body": "Thanks", "client_message_id": "r1"})
    assert reply.status_code == 201, reply.text
    assert (await chat.start("root", "root2")).status_code == 201


async def test_a_persons_export_holds_their_conversation_rows_and_attachments_and_not_the_other_ones(
        chat: Chat) -> None:
    import io
    import zipfile

    import orjson

    cid = await _started(chat)
    mine = await chat.attach("rec", cid, b"Offer letter.\n")
    assert mine.status_code == 201, mine.text
    theirs = await chat.attach("cand", cid, b"Counter offer.\n")
    assert theirs.status_code == 201, theirs.text
    reply = await chat.post(f"/v1/conversations/{cid}/messages", "cand", {"body": "Cand's own words",
                                                                         "client_message_id": "r1"})
    assert reply.status_code == 201, reply.text
    blocked = await chat.post("/v1/conversation-blocks", "rec", {"user_id": str(chat.user_id("cand"))})
    assert blocked.status_code == 200, blocked.text
    await _documents_projected(chat)

    answer = await chat.client.get("/v1/users/me/export", headers=chat.as_("rec"))
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as bundle:
        files = {name: bundle.read(name) for name in bundle.namelist()}
    records = orjson.loads(files["data.json"])["records"]
    assert [m["body"] for m in records["conversations.messages"]] == ["Hello Casey"]
    assert [(p["conversation_id"], p["user_id"]) for p in records["conversations.participants"]] == [
        (cid, str(chat.user_id("rec")))]
    assert [b["blocked_user_id"] for b in records["conversations.blocks"]] == [str(chat.user_id("cand"))]
    assert [d["id"] for d in records["documents.documents"]] == [mine.json()["id"]]
    assert b"Offer letter." in b"".join(files.values())
    assert b"Counter offer." not in b"".join(files.values()) and b"Cand's own words" not in b"".join(files.values())


async def test_a_file_reaches_the_other_participant_only_when_sent_and_leaves_with_its_message(chat: Chat) -> None:
    cid = await _started(chat)
    await chat.person("root", ("platform_admin", None))
    uploaded = await chat.attach("rec", cid, b"A draft I may not send.\n")
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    await _documents_projected(chat)

    async def seen_by(who: str) -> tuple[int, int, list[str]]:
        one = await chat.get(f"/v1/documents/{document_id}", who)
        content = await chat.client.get(f"/v1/documents/{document_id}/content", headers=chat.as_(who))
        listed = await chat.get("/v1/documents", who, entity_type="conversation", entity_id=cid)
        assert listed.status_code == 200, listed.text
        return one.status_code, content.status_code, [d["id"] for d in listed.json()["data"]]

    assert await seen_by("rec") == (200, 200, [document_id])
    assert await seen_by("cand") == (404, 404, [])  # uploaded, not sent: still the uploader's alone
    sent = await chat.post(f"/v1/conversations/{cid}/messages", "rec", {
        "body": "Here it is", "client_message_id": "m2", "attachment_document_ids": [document_id]})
    assert sent.status_code == 201, sent.text
    assert await seen_by("cand") == (200, 200, [document_id])
    message_id = sent.json()["data"]["message_id"]
    reported = await chat.post(f"/v1/conversations/{cid}/reports", "cand", {
        "category": "other", "details": "this file", "message_id": message_id})
    assert reported.status_code == 201, reported.text
    redacted = await chat.post(f"/v1/conversations/{cid}/messages/{message_id}/redact", "rec")
    assert redacted.status_code == 200, redacted.text
    await chat.projected()
    assert await seen_by("cand") == (404, 404, [])  # taken down with its message
    assert await seen_by("rec") == (200, 200, [document_id])
    assert await seen_by("root") == (200, 200, [document_id])  # evidence of the report
    for who, attachments in (("cand", []), ("rec", []), ("root", [document_id])):
        listed = (await chat.get(f"/v1/conversations/{cid}/messages", who, redacted)).json()["data"]
        assert listed[-1]["attachment_document_ids"] == attachments, who
