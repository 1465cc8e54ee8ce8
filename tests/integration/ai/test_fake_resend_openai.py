"""The fake Resend and the fake OpenAI, driven through the real `resend` and `openai` SDKs, sync and async."""

from __future__ import annotations

import inspect
import json
import re
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import openai
import pydantic
import pytest
import resend
from resend import exceptions as resend_errors

from tests.fakes import openai as fake_openai_module
from tests.fakes import resend as fake_resend_module
from tests.fakes.openai import FakeOpenAI
from tests.fakes.resend import FakeResend

resend_fake = fake_resend_module.resend_fake
openai_fake = fake_openai_module.openai_fake

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MODES = ["sync", "async"]


async def settle(result: Any) -> Any:
    """The value of a sync call, or of an async one once awaited: one test body covers both SDK paths."""
    return await result if inspect.isawaitable(result) else result


# --- Resend -----------------------------------------------------------------------------------------------


def email(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"from": "Splits <noreply@splits.example>", "to": "ann@example.com",
                              "subject": "Welcome", "html": "<p>Hello</p>"}
    return {k: v for k, v in (params | overrides).items() if v is not None}


def send(mode: str, params: dict[str, Any], options: dict[str, Any] | None = None) -> Any:
    return (resend.Emails.send if mode == "sync" else resend.Emails.send_async)(params, options)


def send_batch(mode: str, params: list[dict[str, Any]], options: dict[str, Any] | None = None) -> Any:
    return (resend.Batch.send if mode == "sync" else resend.Batch.send_async)(params, options)


@pytest.mark.parametrize("mode", MODES)
async def test_resend_send_stores_every_field_and_serves_it_back(resend_fake: FakeResend, mode: str) -> None:
    params = email(to=["Ann <Ann@Example.com>", "bob@example.com"], text="Hello", reply_to="help@splits.example",
                   cc="carol@example.com", bcc=["dave@example.com"], headers={"X-Entity-Ref-ID": "abc"},
                   tags=[{"name": "category", "value": "welcome"}])

    answer = await settle(send(mode, params))

    assert UUID.fullmatch(answer["id"])
    [stored] = resend_fake.sent
    assert stored["id"] == answer["id"]
    assert stored["from"] == "Splits <noreply@splits.example>"
    assert stored["to"] == ["Ann <Ann@Example.com>", "bob@example.com"]
    assert (stored["subject"], stored["html"], stored["text"]) == ("Welcome", "<p>Hello</p>", "Hello")
    assert stored["reply_to"] == ["help@splits.example"]
    assert (stored["cc"], stored["bcc"]) == (["carol@example.com"], ["dave@example.com"])
    assert stored["headers"] == {"X-Entity-Ref-ID": "abc"}
    assert stored["tags"] == [{"name": "category", "value": "welcome"}]
    assert stored["idempotency_key"] is None and stored["batch"] is False
    # Matched on the bare address, case-insensitively, in to, cc and bcc.
    for address in ("ann@example.com", "ANN <ann@EXAMPLE.com>", "carol@example.com", "dave@example.com"):
        assert [e["id"] for e in resend_fake.sent_to(address)] == [answer["id"]]
    assert resend_fake.sent_to("nobody@example.com") == []

    got = await settle(resend.Emails.get(answer["id"]) if mode == "sync" else resend.Emails.get_async(answer["id"]))
    assert got["object"] == "email" and got["id"] == answer["id"]
    assert got["to"] == stored["to"] and got["subject"] == "Welcome" and got["last_event"] == "sent"
    assert "idempotency_key" not in got

    [post, get] = resend_fake.requests
    assert (post.method, post.path, post.status) == ("POST", "/emails", 200)
    assert post.headers["authorization"] == "Bearer re_test"
    assert post.json == params
    assert (get.method, get.path, get.status) == ("GET", f"/emails/{answer['id']}", 200)


@pytest.mark.parametrize("mode", MODES)
async def test_resend_idempotent_replay_sends_once(resend_fake: FakeResend, mode: str) -> None:
    params = email()
    first = await settle(send(mode, params, {"idempotency_key": "welcome/user_1"}))
    again = await settle(send(mode, params, {"idempotency_key": "welcome/user_1"}))
    other = await settle(send(mode, params, {"idempotency_key": "welcome/user_2"}))

    assert again["id"] == first["id"] != other["id"]
    assert [e["id"] for e in resend_fake.sent] == [first["id"], other["id"]]
    assert resend_fake.sent[0]["idempotency_key"] == "welcome/user_1"
    calls = resend_fake.requests
    assert [c.idempotency_key for c in calls] == ["welcome/user_1", "welcome/user_1", "welcome/user_2"]
    assert [(c.status, c.replayed) for c in calls] == [(200, False), (200, True), (200, False)]


@pytest.mark.parametrize("mode", MODES)
async def test_resend_idempotency_key_reused_with_another_body_is_refused(resend_fake: FakeResend, mode: str) -> None:
    await settle(send(mode, email(), {"idempotency_key": "k"}))

    with pytest.raises(resend_errors.ResendError) as refused:
        await settle(send(mode, email(subject="Something else"), {"idempotency_key": "k"}))

    assert (refused.value.code, refused.value.error_type) == (409, "invalid_idempotent_request")
    assert len(resend_fake.sent) == 1
    assert resend_fake.requests[-1].response == {
        "statusCode": 409, "name": "invalid_idempotent_request",
        "message": "Same idempotency key used with a different request payload."}
    with pytest.raises(resend_errors.ResendError) as too_long:
        resend.Emails.send(email(), {"idempotency_key": "x" * 257})
    assert (too_long.value.code, too_long.value.error_type) == (400, "invalid_idempotency_key")


@pytest.mark.parametrize("mode", MODES)
async def test_resend_refuses_missing_or_wrong_api_keys(resend_fake: FakeResend, mode: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resend, "api_key", None)  # the SDK then sends "Bearer None"
    with pytest.raises(resend_errors.MissingApiKeyError) as missing:
        await settle(send(mode, email()))
    assert missing.value.code == 401

    monkeypatch.setattr(resend, "api_key", "sk_not_a_resend_key")
    with pytest.raises(resend_errors.InvalidApiKeyError) as invalid:
        await settle(send(mode, email()))
    assert invalid.value.code == 403

    assert resend_fake.sent == []
    assert [c.status for c in resend_fake.requests] == [401, 403]
    assert resend_fake.requests[0].response == {
        "statusCode": 401, "name": "missing_api_key", "message": "Missing API key in the authorization header."}


def test_resend_pinned_api_key() -> None:
    with FakeResend(api_key="re_right") as fake:
        resend_url, resend_key = resend.api_url, resend.api_key
        try:
            resend.api_url, resend.api_key = fake.url, "re_wrong"
            with pytest.raises(resend_errors.InvalidApiKeyError):
                resend.Emails.send(email())
            resend.api_key = "re_right"
            assert UUID.fullmatch(resend.Emails.send(email())["id"])
        finally:
            resend.api_url, resend.api_key = resend_url, resend_key


@pytest.mark.parametrize(("params", "error", "message"), [
    (email(**{"from": None}), resend_errors.MissingRequiredFieldsError, "Missing `from` field."),
    (email(to=None), resend_errors.MissingRequiredFieldsError, "Missing `to` field."),
    (email(to=[]), resend_errors.MissingRequiredFieldsError, "Missing `to` field."),
    (email(subject=None), resend_errors.MissingRequiredFieldsError, "Missing `subject` field."),
    (email(html=None), resend_errors.ValidationError, "Missing `html` or `text` field."),
    (email(to="not-an-address"), resend_errors.ValidationError, "Invalid `to` field."),
    (email(**{"from": "nobody"}), resend_errors.ValidationError, "Invalid `from` field."),
    (email(to=[f"u{i}@example.com" for i in range(51)]), resend_errors.ValidationError, "Too many recipients"),
    (email(tags=[{"name": "has space"}]), resend_errors.ValidationError, "Invalid `tags` field"),
    (email(headers={"X-Count": 1}), resend_errors.ValidationError, "Invalid `headers` field"),
], ids=["from", "to", "to-empty", "subject", "body", "to-format", "from-format", "too-many", "tags", "headers"])
def test_resend_validation_errors_are_422_and_send_nothing(resend_fake: FakeResend, params: dict[str, Any],
                                                           error: type[Exception], message: str) -> None:
    with pytest.raises(error) as refused:
        resend.Emails.send(params)  # type: ignore[arg-type]
    assert refused.value.code == 422  # type: ignore[attr-defined]
    assert str(refused.value).startswith(message)
    assert resend_fake.sent == []
    assert resend_fake.requests[0].status == 422


@pytest.mark.parametrize("mode", MODES)
async def test_resend_batch(resend_fake: FakeResend, mode: str) -> None:
    emails = [email(to="ann@example.com"), email(to=["bob@example.com"], text="Hi", html=None)]

    answer = await settle(send_batch(mode, emails, {"idempotency_key": "batch-1"}))
    replay = await settle(send_batch(mode, emails, {"idempotency_key": "batch-1"}))

    ids = [item["id"] for item in answer["data"]]
    assert len(ids) == 2 and all(UUID.fullmatch(i) for i in ids)
    assert [item["id"] for item in replay["data"]] == ids
    assert [e["id"] for e in resend_fake.sent] == ids
    assert all(e["batch"] and e["idempotency_key"] == "batch-1" for e in resend_fake.sent)
    assert [e["id"] for e in resend_fake.sent_to("bob@example.com")] == [ids[1]]

    # Strict (the default): one bad email refuses the whole batch.
    with pytest.raises(resend_errors.MissingRequiredFieldsError):
        await settle(send_batch(mode, [email(to="carol@example.com"), email(subject=None)]))
    assert len(resend_fake.sent) == 2

    # Permissive: the valid ones are sent, the others listed.
    mixed = await settle(send_batch(mode, [email(to="carol@example.com"), email(subject=None)],
                                    {"batch_validation": "permissive"}))
    assert len(mixed["data"]) == 1
    assert mixed["errors"] == [{"index": 1, "message": "Missing `subject` field."}]
    assert [e["to"] for e in resend_fake.sent_to("carol@example.com")] == [["carol@example.com"]]


@pytest.mark.parametrize("mode", MODES)
async def test_resend_fail_next_then_idempotent_retry_sends_once(resend_fake: FakeResend, mode: str) -> None:
    resend_fake.fail_next(500, times=2)
    options = {"idempotency_key": "retry-me"}

    for _ in range(2):
        with pytest.raises(resend_errors.ApplicationError) as failed:
            await settle(send(mode, email(), options))
        assert failed.value.code == 500
    assert resend_fake.sent == []

    first = await settle(send(mode, email(), options))
    second = await settle(send(mode, email(), options))

    assert first["id"] == second["id"]
    assert [e["id"] for e in resend_fake.sent] == [first["id"]]
    assert [(c.status, c.replayed) for c in resend_fake.requests] == [(500, False), (500, False), (200, False),
                                                                       (200, True)]
    assert resend_fake.requests[0].response == {"statusCode": 500, "name": "application_error",
                                                "message": "An unexpected error occurred, please try again later."}


@pytest.mark.parametrize("mode", MODES)
async def test_resend_fail_always_until_recover(resend_fake: FakeResend, mode: str) -> None:
    resend_fake.fail_always(429)
    for _ in range(3):
        with pytest.raises(resend_errors.RateLimitError) as limited:
            await settle(send(mode, email()))
    assert limited.value.code == 429
    assert {k.lower(): v for k, v in limited.value.headers.items()}["retry-after"] == "1"

    resend_fake.fail_always(503, name="service_unavailable", message="Down for maintenance.")  # queued behind 429
    resend_fake.recover()
    assert UUID.fullmatch((await settle(send(mode, email())))["id"])
    assert [c.status for c in resend_fake.requests] == [429, 429, 429, 200]
    assert len(resend_fake.sent) == 1

    resend_fake.fail_next(503, name="service_unavailable", message="Down for maintenance.")
    with pytest.raises(resend_errors.ResendError) as down:
        await settle(send(mode, email()))
    assert (down.value.code, down.value.error_type, down.value.message) == (
        503, "service_unavailable", "Down for maintenance.")


def test_resend_unknown_email_clear_and_outage(resend_fake: FakeResend) -> None:
    with pytest.raises(resend_errors.ResendError) as missing:
        resend.Emails.get("00000000-0000-0000-0000-000000000000")
    assert (missing.value.code, missing.value.error_type) == (404, "not_found")

    resend.Emails.send(email(), {"idempotency_key": "once"})
    resend_fake.clear()
    assert resend_fake.sent == [] and resend_fake.requests == []
    resend.Emails.send(email(), {"idempotency_key": "once"})  # the key was forgotten: sent again
    assert len(resend_fake.sent) == 1

    resend_fake.stop()
    with pytest.raises(resend_errors.ResendError) as down:
        resend.Emails.send(email())
    assert down.value.error_type == "HttpClientError"


# --- OpenAI -----------------------------------------------------------------------------------------------


class Review(pydantic.BaseModel):
    score: int
    summary: str


MESSAGES = [{"role": "system", "content": "You review CVs."}, {"role": "user", "content": "Review this CV."}]


@pytest.fixture(params=MODES)
async def ai(request: pytest.FixtureRequest, openai_fake: FakeOpenAI) -> AsyncIterator[Any]:
    """An `openai.OpenAI` or `openai.AsyncOpenAI` pointed at the fake; call it through `settle()`."""
    client: Any
    if request.param == "sync":
        client = openai.OpenAI(base_url=f"{openai_fake.url}/v1", api_key="sk-test", max_retries=0)
    else:
        client = openai.AsyncOpenAI(base_url=f"{openai_fake.url}/v1", api_key="sk-test", max_retries=0)
    yield client
    await settle(client.close())


async def test_openai_chat_completion(openai_fake: FakeOpenAI, ai: Any) -> None:
    openai_fake.reply_with("Looks good.")

    completion = await settle(ai.chat.completions.create(model="gpt-4.1-mini", messages=MESSAGES))

    assert completion.choices[0].message.content == "Looks good."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "gpt-4.1-mini"
    assert completion.id.startswith("chatcmpl-") and completion.object == "chat.completion"
    assert isinstance(completion.created, int) and completion.created > 0
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert openai_fake.calls == 1 and openai_fake.pending == 0
    [call] = openai_fake.requests
    assert (call.method, call.path, call.status) == ("POST", "/v1/chat/completions", 200)
    assert call.json["messages"] == MESSAGES and call.json["model"] == "gpt-4.1-mini"
    assert call.headers["authorization"] == "Bearer sk-test"


async def test_openai_response(openai_fake: FakeOpenAI, ai: Any) -> None:
    openai_fake.reply_with("Looks good.", prompt_tokens=120, completion_tokens=7)

    response = await settle(ai.responses.create(model="gpt-4.1-mini", instructions="Be brief.", input="Review."))

    assert response.output_text == "Looks good."
    assert response.model == "gpt-4.1-mini" and response.id.startswith("resp_") and response.status == "completed"
    assert isinstance(response.created_at, (int, float)) and response.created_at > 0
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (120, 7, 127)
    assert openai_fake.last_request.path == "/v1/responses"
    assert openai_fake.last_request.json["input"] == "Review."


async def test_openai_raw_json_schema_response_format(openai_fake: FakeOpenAI, ai: Any) -> None:
    openai_fake.reply_with({"score": 4, "summary": "Strong"})
    response_format = {"type": "json_schema", "json_schema": {
        "name": "Review", "strict": True, "schema": Review.model_json_schema() | {"additionalProperties": False}}}

    completion = await settle(ai.chat.completions.create(model="gpt-4.1-mini", messages=MESSAGES,
                                                         response_format=response_format))

    assert json.loads(completion.choices[0].message.content) == {"score": 4, "summary": "Strong"}
    assert openai_fake.last_request.json["response_format"] == response_format


async def test_openai_structured_output_parse(openai_fake: FakeOpenAI, ai: Any) -> None:
    openai_fake.reply_with({"score": 4, "summary": "Strong"})
    openai_fake.reply_with({"score": 2, "summary": "Thin"})

    chat = await settle(ai.chat.completions.parse(model="gpt-4.1-mini", messages=MESSAGES, response_format=Review))
    response = await settle(ai.responses.parse(model="gpt-4.1-mini", input="Review.", text_format=Review))

    assert chat.choices[0].message.parsed == Review(score=4, summary="Strong")
    assert response.output_parsed == Review(score=2, summary="Thin")
    chat_call, response_call = openai_fake.requests
    assert chat_call.json["response_format"]["type"] == "json_schema"
    assert chat_call.json["response_format"]["json_schema"]["name"] == "Review"
    assert response_call.json["text"]["format"]["type"] == "json_schema"
    assert response_call.json["text"]["format"]["strict"] is True


@pytest.mark.parametrize(("reply", "error_type"), [
    ("{not json", "json_invalid"),
    ({"score": "high"}, "int_parsing"),
    ({"score": 3}, "missing"),
], ids=["malformed-json", "wrong-type", "missing-field"])
@pytest.mark.parametrize("api", ["chat", "responses"])
async def test_openai_parse_raises_pydantic_validation_error(openai_fake: FakeOpenAI, ai: Any, api: str,
                                                             reply: Any, error_type: str) -> None:
    openai_fake.reply_with(reply)

    with pytest.raises(pydantic.ValidationError) as invalid:
        if api == "chat":
            await settle(ai.chat.completions.parse(model="m", messages=MESSAGES, response_format=Review))
        else:
            await settle(ai.responses.parse(model="m", input="Review.", text_format=Review))

    assert not isinstance(invalid.value, openai.OpenAIError)
    assert error_type in {e["type"] for e in invalid.value.errors()}


async def test_openai_refusal_and_truncation(openai_fake: FakeOpenAI, ai: Any) -> None:
    openai_fake.reply_with_refusal("I can't help with that.")
    chat = await settle(ai.chat.completions.parse(model="m", messages=MESSAGES, response_format=Review))
    assert chat.choices[0].message.refusal == "I can't help with that." and chat.choices[0].message.parsed is None

    openai_fake.reply_with_refusal("No.")
    response = await settle(ai.responses.parse(model="m", input="Review.", text_format=Review))
    assert response.output_parsed is None and response.output[0].content[0].refusal == "No."

    openai_fake.reply_with('{"score": 4, "summ', finish_reason="length")
    with pytest.raises(openai.LengthFinishReasonError):
        await settle(ai.chat.completions.parse(model="m", messages=MESSAGES, response_format=Review))


@pytest.mark.parametrize(("status", "error", "error_type", "code"), [
    (400, openai.BadRequestError, "invalid_request_error", None),
    (401, openai.AuthenticationError, "invalid_request_error", "invalid_api_key"),
    (429, openai.RateLimitError, "requests", "rate_limit_exceeded"),
    (500, openai.InternalServerError, "server_error", None),
    (503, openai.InternalServerError, "server_error", None),
])
async def test_openai_error_replies_raise_sdk_errors(openai_fake: FakeOpenAI, ai: Any, status: int,
                                                     error: type[openai.APIStatusError], error_type: str,
                                                     code: str | None) -> None:
    openai_fake.reply_with_error(status, "Something is off.")
    openai_fake.reply_with("Fine now.")

    with pytest.raises(error) as failed:
        await settle(ai.chat.completions.create(model="m", messages=MESSAGES))
    assert failed.value.status_code == status
    assert failed.value.body == {"message": "Something is off.", "type": error_type, "param": None, "code": code}
    assert (failed.value.type, failed.value.code) == (error_type, code)

    completion = await settle(ai.chat.completions.create(model="m", messages=MESSAGES))
    assert completion.choices[0].message.content == "Fine now."
    assert [c.status for c in openai_fake.requests] == [status, 200]


async def test_openai_default_handler(openai_fake: FakeOpenAI, ai: Any) -> None:
    with pytest.raises(openai.InternalServerError, match="no reply was programmed"):
        await settle(ai.chat.completions.create(model="m", messages=MESSAGES))

    seen: list[dict[str, Any]] = []

    def handler(request: dict[str, Any]) -> dict[str, Any] | str:
        seen.append(request)
        return {"score": len(request.get("messages", [])), "summary": "default"} if "messages" in request else "text"

    openai_fake.default(handler)
    openai_fake.reply_with({"score": 9, "summary": "queued"})  # the queue goes first

    first = await settle(ai.chat.completions.parse(model="m", messages=MESSAGES, response_format=Review))
    second = await settle(ai.chat.completions.parse(model="m", messages=MESSAGES, response_format=Review))
    third = await settle(ai.responses.create(model="m", input="hi"))

    assert first.choices[0].message.parsed == Review(score=9, summary="queued")
    assert second.choices[0].message.parsed == Review(score=2, summary="default")
    assert third.output_text == "text"
    assert [r["model"] for r in seen] == ["m", "m"]
    assert openai_fake.calls == 4

    openai_fake.default(None)
    with pytest.raises(openai.InternalServerError):
        await settle(ai.responses.create(model="m", input="hi"))

    openai_fake.clear()
    assert (openai_fake.calls, openai_fake.requests, openai_fake.pending) == (0, [], 0)


async def test_openai_auth(ai: Any) -> None:
    with FakeOpenAI(api_key="sk-right") as fake:
        wrong = fake.client(api_key="sk-wrong") if isinstance(ai, openai.OpenAI) else fake.async_client(
            api_key="sk-wrong")
        right = fake.client(api_key="sk-right") if isinstance(ai, openai.OpenAI) else fake.async_client(
            api_key="sk-right")
        fake.reply_with("ok")
        with pytest.raises(openai.AuthenticationError) as refused:
            await settle(wrong.chat.completions.create(model="m", messages=MESSAGES))
        assert refused.value.code == "invalid_api_key"
        assert fake.pending == 1  # a refused call does not use up the programmed reply
        assert (await settle(right.chat.completions.create(model="m", messages=MESSAGES))).choices[0].message.content \
            == "ok"

        # No Authorization header at all (the SDK always sends one, so go around it).
        request = urllib.request.Request(f"{fake.base_url}/chat/completions", method="POST",
                                         data=json.dumps({"model": "m", "messages": MESSAGES}).encode(),
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as unauthenticated:
            urllib.request.urlopen(request, timeout=5)
        assert unauthenticated.value.code == 401
        assert json.loads(unauthenticated.value.read())["error"]["type"] == "invalid_request_error"
        assert [c.status for c in fake.requests] == [401, 200, 401] and fake.calls == 3
        await settle(wrong.close())
        await settle(right.close())


async def test_openai_bad_requests_and_outage(openai_fake: FakeOpenAI, ai: Any) -> None:
    with pytest.raises(openai.NotFoundError, match="Invalid URL"):
        await settle(ai.embeddings.create(model="m", input="hi"))
    with pytest.raises(openai.BadRequestError, match="does not stream"):
        await settle(ai.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    assert openai_fake.calls == 1  # only the chat call counts

    openai_fake.stop()
    with pytest.raises(openai.APIConnectionError):
        await settle(ai.chat.completions.create(model="m", messages=MESSAGES))
