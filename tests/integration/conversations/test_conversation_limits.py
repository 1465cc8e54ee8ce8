"""A message's attachments (documents on the conversation, readable by its participants only) and every
conversation write at the limits of its schema, stored and replayed."""

from __future__ import annotations

from tests.integration.conversations.chat_fixtures import Chat, chat
from tests.integration.conversations.test_conversations_api import _pair
from tests.integration.network.test_network_fixtures import problem
from tests.integration.platform.test_bounded_input import EXTREMES, big, replay_every_projection, template_of

__all__ = ["chat"]

EXTREMES_TEST = "test_conversation_writes_at_the_limits_of_their_schemas_are_stored_and_replayed"


async def test_an_attachment_is_the_senders_document_on_the_conversation_and_only_participants_read_it(
        chat: Chat) -> None:
    await _pair(chat)
    await chat.recruiter("rival")
    await chat.projected()
    cid = (await chat.start("rec", "cand", first="Hello")).json()["id"]
    problem(await chat.attach("rival", cid), 404)  # not theirs to upload to
    mine = await chat.attach("rec", cid)
    assert mine.status_code == 201, mine.text
    theirs = await chat.attach("cand", cid)
    assert theirs.status_code == 201, theirs.text
    document_id = mine.json()["id"]

    refused = await chat.post(f"/v1/conversations/{cid}/messages", "rec", {
        "body": "see attached", "client_message_id": "a1", "attachment_document_ids": [theirs.json()["id"]]})
    problem(refused, 422)
    assert refused.json()["code"] == "attachment_not_usable"
    sent = await chat.post(f"/v1/conversations/{cid}/messages", "rec", {
        "body": "see attached", "client_message_id": "a1", "attachment_document_ids": [document_id]})
    assert sent.status_code == 201, sent.text
    messages = (await chat.get(f"/v1/conversations/{cid}/messages", "cand", sent)).json()["data"]
    assert messages[-1]["attachment_document_ids"] == [document_id]
    assert (await chat.get(f"/v1/documents/{document_id}", "cand", mine)).status_code == 200
    assert (await chat.client.get(f"/v1/documents/{document_id}/content", headers=chat.as_("cand"))).content == (
        b"Notes for our call.\n")
    problem(await chat.get(f"/v1/documents/{document_id}", "rival", mine), 404)
    problem(await chat.client.get(f"/v1/documents/{document_id}/content", headers=chat.as_("rival")), 404)


async def test_conversation_writes_at_the_limits_of_their_schemas_are_stored_and_replayed(chat: Chat) -> None:
    await _pair(chat)
    sent = []

    async def ok(answer, status: int = 200):  # noqa: ANN001, ANN202
        answer = await answer
        assert answer.status_code == status, answer.text
        sent.append(answer)
        return answer.json()

    started = await ok(chat.start("rec", "cand", first=big(10_000), client=big(100, "c")), 201)
    cid = started["id"]
    attachments = []
    for n in range(10):
        uploaded = await chat.attach("rec", cid, f"file {n}\n".encode())
        assert uploaded.status_code == 201, uploaded.text
        attachments.append(uploaded.json()["id"])
    message = await ok(chat.post(f"/v1/conversations/{cid}/messages", "rec", {
        "body": big(10_000, "m"), "client_message_id": big(100, "d"), "attachment_document_ids": attachments}), 201)
    message_id = message["data"]["message_id"]
    await ok(chat.patch(f"/v1/conversations/{cid}/messages/{message_id}", "rec", {"body": big(10_000, "e")}))
    await ok(chat.post(f"/v1/conversations/{cid}/read", "cand", {"up_to_message_id": message_id}))
    assert {template_of(a.request.method, a.request.url.path) for a in sent} == EXTREMES[EXTREMES_TEST]

    await chat.projected()
    listed = (await chat.get(f"/v1/conversations/{cid}/messages", "rec")).json()["data"]  # their client's ids
    assert [(m["body"], m["client_message_id"]) for m in listed] == [
        (big(10_000), big(100, "c")), (big(10_000, "e"), big(100, "d"))]
    assert listed[1]["attachment_document_ids"] == attachments
    problem(await chat.post(f"/v1/conversations/{cid}/messages", "rec", {
        "body": big(10_001), "client_message_id": "x"}), 422)
    problem(await chat.post(f"/v1/conversations/{cid}/messages", "rec", {
        "body": "x", "client_message_id": big(101)}), 422)
    problem(await chat.post(f"/v1/conversations/{cid}/messages", "rec", {
        "body": "x", "client_message_id": "y", "attachment_document_ids": [*attachments, attachments[0]]}), 422)
    await replay_every_projection(chat.store)
