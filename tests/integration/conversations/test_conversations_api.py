"""Conversations over HTTP: starting one (once per pair and context), the request answered, messages sent once per
client message id, edited, redacted and read, mute and archive; routing a company's message to a represented
candidate's recruiter; the monthly initiation cap; and that only participants see a conversation."""

from __future__ import annotations

from uuid import UUID, uuid4

from tests.integration.ats.test_applications_api import seed_job
from tests.integration.conversations.chat_fixtures import Chat, chat
from tests.integration.network.test_network_fixtures import problem

__all__ = ["chat"]


async def _pair(chat: Chat) -> UUID:
    """A recruiter ("rec") who represents a candidate ("cand")."""
    await chat.recruiter("rec")
    candidate_id = await chat.candidate("cand")
    await chat.represents("rec", "cand", candidate_id)
    await chat.projected()
    return candidate_id


async def test_two_people_talk_and_each_sees_their_own_state(chat: Chat) -> None:
    await _pair(chat)
    started = await chat.start("rec", "cand", first="Hello Casey")
    assert started.status_code == 201, started.text
    cid = started.json()["id"]
    data = started.json()["data"]
    assert data["created"] is True and data["recipient_user_id"] == str(chat.user_id("cand"))
    assert data["requested_user_id"] is None

    mine = (await chat.get("/v1/conversations", "cand", started)).json()
    assert mine["pagination"]["total"] == 1
    row = mine["data"][0]
    assert (row["id"], row["request_state"], row["unread_count"], row["last_message_body"]) == (
        cid, "pending", 1, "Hello Casey")
    assert [r["id"] for r in (await chat.get("/v1/conversations", "cand", requests="true")).json()["data"]] == [cid]
    assert (await chat.get("/v1/conversations", "rec", requests="true")).json()["data"] == []
    assert (await chat.get(f"/v1/conversations/{cid}", "rec")).json()["request_state"] == "accepted"

    # Starting again, by either of them, is the same conversation and records nothing.
    again = await chat.start("rec", "cand")
    assert again.status_code == 200 and again.json()["id"] == cid and again.json()["data"]["created"] is False
    assert (await chat.start("cand", "rec")).json()["id"] == cid

    # The reply accepts the request; the same client message id again is the same message.
    reply = await chat.post(f"/v1/conversations/{cid}/messages", "cand", {"body": "Hi!", "client_message_id": "r1"})
    assert reply.status_code == 201, reply.text
    retried = await chat.post(f"/v1/conversations/{cid}/messages", "cand", {"body": "Hi!", "client_message_id": "r1"})
    assert retried.status_code == 201 and retried.json()["data"] == reply.json()["data"]
    assert retried.json()["version"] == reply.json()["version"]  # nothing appended
    messages = await chat.get(f"/v1/conversations/{cid}/messages", "rec", retried)
    assert messages.status_code == 200, messages.text
    messages = messages.json()
    assert [(m["seq"], m["body"], m["kind"]) for m in messages["data"]] == [(1, "Hello Casey", "user"), (2, "Hi!", "user")]
    assert messages["has_more"] is False
    them = (await chat.get(f"/v1/conversations/{cid}", "rec")).json()
    assert them["unread_count"] == 1
    assert {p["user_id"]: p["request_state"] for p in them["participants"]} == {
        str(chat.user_id("rec")): "accepted", str(chat.user_id("cand")): "accepted"}

    # Read receipts clear the unread count.
    reply_id = reply.json()["data"]["message_id"]
    read = await chat.post(f"/v1/conversations/{cid}/read", "rec", {"up_to_message_id": reply_id})
    assert read.status_code == 200, read.text
    assert (await chat.get(f"/v1/conversations/{cid}", "rec", read)).json()["unread_count"] == 0

    # Edit and redact: the author's alone; a redacted body is not served and not edited.
    first_id = started.json()["data"]["message_id"]
    problem(await chat.patch(f"/v1/conversations/{cid}/messages/{first_id}", "cand", {"body": "mine now"}), 403)
    edited = await chat.patch(f"/v1/conversations/{cid}/messages/{first_id}", "rec", {"body": "Hello, Casey"})
    assert edited.status_code == 200, edited.text
    problem(await chat.post(f"/v1/conversations/{cid}/messages/{reply_id}/redact", "rec"), 403)
    redacted = await chat.post(f"/v1/conversations/{cid}/messages/{reply_id}/redact", "cand")
    assert redacted.status_code == 200, redacted.text
    problem(await chat.patch(f"/v1/conversations/{cid}/messages/{reply_id}", "cand", {"body": "again"}), 422)
    messages = (await chat.get(f"/v1/conversations/{cid}/messages", "cand", redacted)).json()["data"]
    assert [(m["body"], m["edited_at"] is not None, m["redacted_at"] is not None) for m in messages] == [
        ("Hello, Casey", True, False), (None, False, True)]
    assert (await chat.get(f"/v1/conversations/{cid}", "cand")).json()["last_message_body"] is None

    # Mute and archive are each one's own.
    for action in ("mute", "archive"):
        assert (await chat.post(f"/v1/conversations/{cid}/{action}", "cand")).status_code == 200
    archived = await chat.post(f"/v1/conversations/{cid}/archive", "cand")
    assert (await chat.get("/v1/conversations", "cand", archived)).json()["data"] == []
    mine = (await chat.get("/v1/conversations", "cand", archived="true")).json()["data"]
    assert [(r["id"], r["muted_at"] is not None) for r in mine] == [(cid, True)]
    assert (await chat.get("/v1/conversations", "rec")).json()["data"][0]["archived_at"] is None
    back = await chat.post(f"/v1/conversations/{cid}/unarchive", "cand")
    assert [r["id"] for r in (await chat.get("/v1/conversations", "cand", back)).json()["data"]] == [cid]


async def test_a_declined_request_refuses_the_starters_messages(chat: Chat) -> None:
    await _pair(chat)
    cid = (await chat.start("rec", "cand", first="Hello")).json()["id"]
    problem(await chat.post(f"/v1/conversations/{cid}/accept", "rec"), 403)  # only the recipient answers
    declined = await chat.post(f"/v1/conversations/{cid}/decline", "cand")
    assert declined.status_code == 200, declined.text
    refused = await chat.post(f"/v1/conversations/{cid}/messages", "rec", {"body": "Still there?",
                                                                          "client_message_id": "m2"})
    problem(refused, 422)
    assert refused.json()["code"] == "conversation_request_declined"
    row = (await chat.get(f"/v1/conversations/{cid}", "cand", declined)).json()
    assert row["request_state"] == "declined"


async def test_only_participants_see_a_conversation(chat: Chat) -> None:
    await _pair(chat)
    await chat.recruiter("rival")
    await chat.person("root", ("platform_admin", None))
    await chat.projected()
    started = await chat.start("rec", "cand", first="Hello")
    cid = started.json()["id"]
    message_id = started.json()["data"]["message_id"]
    await chat.projected()
    for who in ("rival", "root"):  # an admin reads a conversation only once it is reported
        problem(await chat.get(f"/v1/conversations/{cid}", who), 404)
        problem(await chat.get(f"/v1/conversations/{cid}/messages", who), 404)
        problem(await chat.post(f"/v1/conversations/{cid}/messages", who, {"body": "hi", "client_message_id": "x"}),
                404)
        problem(await chat.post(f"/v1/conversations/{cid}/read", who, {"up_to_message_id": message_id}), 404)
        problem(await chat.post(f"/v1/conversations/{cid}/accept", who), 404)
        problem(await chat.post(f"/v1/conversations/{cid}/messages/{message_id}/redact", who), 404)
        assert (await chat.get("/v1/conversations", who)).json()["data"] == []
    problem(await chat.get(f"/v1/conversations/{uuid4()}", "rec"), 404)
    problem(await chat.get(f"/v1/conversations/{cid}", "anonymous"), 401)


async def test_no_conversation_without_a_relationship_or_a_shared_context(chat: Chat) -> None:
    await _pair(chat)
    await chat.recruiter("rival")
    await chat.projected()
    refused = await chat.start("rival", "cand", first="Let me represent you")
    problem(refused, 403)
    assert refused.json()["code"] == "conversation_not_allowed"
    problem(await chat.start("rival", "rival"), 422)
    problem(await chat.post("/v1/conversations", "rival", {"recipient_user_id": str(uuid4())}), 404)
    problem(await chat.start("rival", "rec", context=("job", uuid4())), 404)  # a job nobody can see


async def test_a_company_reaching_a_represented_candidate_is_routed_to_their_recruiter(chat: Chat) -> None:
    await _pair(chat)
    company_id = uuid4()
    await chat.person("boss")
    await chat.company(company_id, boss="company_admin")
    job_id = await seed_job(chat.store, company_id, "Engineer")
    await chat.projected()

    started = await chat.start("boss", "cand", context=("job", job_id), first="Interested in our role?")
    assert started.status_code == 201, started.text
    data = started.json()["data"]
    assert data["recipient_user_id"] == str(chat.user_id("rec"))
    assert data["requested_user_id"] == str(chat.user_id("cand"))
    cid = started.json()["id"]
    messages = (await chat.get(f"/v1/conversations/{cid}/messages", "rec", started)).json()["data"]
    assert [(m["kind"], m["sender_user_id"]) for m in messages] == [("system", None),
                                                                    ("user", str(chat.user_id("boss")))]
    assert "represented by a recruiter" in messages[0]["body"]
    problem(await chat.get(f"/v1/conversations/{cid}", "cand"), 404)  # the candidate is not in it
    # Their own recruiter reaches the candidate directly.
    direct = await chat.start("rec", "cand", context=("job", job_id))
    assert direct.status_code == 201, direct.text
    assert direct.json()["data"]["recipient_user_id"] == str(chat.user_id("cand"))


async def test_new_conversations_a_month_are_capped_by_the_plan(chat: Chat) -> None:
    await chat.recruiter("rec")
    company_id = uuid4()
    await chat.person("boss")
    await chat.company(company_id, boss="company_admin")
    jobs = [await seed_job(chat.store, company_id, f"Role {n}") for n in range(6)]
    await chat.projected()
    for job_id in jobs[:5]:  # Starter: 5 a month
        assert (await chat.start("boss", "rec", context=("job", job_id))).status_code == 201
    refused = await chat.start("boss", "rec", context=("job", jobs[5]))
    problem(refused, 422)
    assert refused.json()["code"] == "messaging_initiations_limit_reached"
    # An existing conversation is not a new initiation.
    assert (await chat.start("boss", "rec", context=("job", jobs[0]), first="Still keen?")).status_code == 200
    # The recipient starting about the same job is the same conversation, not one of theirs.
    assert (await chat.start("rec", "boss", context=("job", jobs[1]))).status_code == 200


async def test_colleagues_and_a_recruiter_working_with_the_company_may_talk_about_nothing_in_particular(
        chat: Chat) -> None:
    from tests.integration.ats.test_applications_api import work_with

    company_id = uuid4()
    await chat.person("boss")
    await chat.person("manager")
    await chat.company(company_id, boss="company_admin", manager="hiring_manager")
    await chat.recruiter("rec")
    await chat.recruiter("rival")
    await work_with(chat.store, await chat.recruiter_of("rec"), company_id, {"can_view_jobs"})
    await chat.projected()
    assert (await chat.start("boss", "manager")).status_code == 201  # a company in common
    assert (await chat.start("rec", "boss")).status_code == 201  # an active recruiter–company relationship
    assert (await chat.start("manager", "rec")).status_code == 201
    for who, whom in (("rival", "boss"), ("boss", "rival"), ("rival", "rec")):
        problem(await chat.start(who, whom), 403)


async def test_an_application_is_talked_about_by_those_who_read_it(chat: Chat) -> None:
    from datetime import UTC, datetime

    from commands.ats import application as applications
    from eventstore import handle
    from tests.api import SEEDER

    candidate_id = await _pair(chat)
    company_id = uuid4()
    await chat.person("boss")
    await chat.company(company_id, boss="company_admin")
    job_id = await seed_job(chat.store, company_id, "Engineer")
    application_id = uuid4()
    await handle(chat.store, applications.application, application_id, applications.CreateApplication(
        application_id=application_id, job_id=job_id, candidate_id=candidate_id, company_id=company_id,
        source="recruiter", candidate_recruiter_id=await chat.recruiter_of("rec"), by="seed",
        at=datetime.now(UTC)), SEEDER)
    await chat.projected()
    context = ("application", application_id)
    assert (await chat.start("rec", "cand", context=context)).status_code == 201
    problem(await chat.start("boss", "rec", context=context), 404)  # a draft the company does not see yet
    problem(await chat.start("rec", "boss", context=context), 403)  # nor may it be drawn into it
