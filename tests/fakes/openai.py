"""A local stand-in for the OpenAI API, served over real HTTP for the real `openai` SDK, with programmable replies.

What it fakes: `POST /v1/chat/completions` and `POST /v1/responses`, answered in OpenAI's shapes (a
`chat.completion` with one choice; a `response` with one assistant message holding one `output_text`), with the
requested `model` echoed, an id, a creation time (`created` for chat, `created_at` for responses, as OpenAI
does) and `usage` (prompt/completion/total tokens for chat; input/output/total for responses; estimated at about
four characters a token unless given). What the model "says" is programmed by the test:

- `reply_with(content)` queues one answer: a dict is JSON-encoded into the message text, a str is sent as is
  (so a test can send malformed JSON or plain prose); `reply_with_refusal(text)` queues a refusal;
- `reply_with_error(status, message)` queues an error answer, `{"error": {"message", "type", "param", "code"}}`,
  which the SDK raises as its exception for the status (`BadRequestError`, `AuthenticationError`,
  `RateLimitError`, `InternalServerError`, …);
- `default(handler)` sets `handler(request_json) -> dict | str`, used when the queue is empty. With no handler an
  unprogrammed call gets a 500 saying so. Both endpoints share one queue.

Structured outputs need nothing special: the text is what the SDK parses, so `client.chat.completions.parse(...,
response_format=Model)` gives `.choices[0].message.parsed` and `client.responses.parse(..., text_format=Model)`
gives `.output_parsed`; a malformed or mismatching reply makes them raise `pydantic.ValidationError`.

Like OpenAI it requires `Authorization: Bearer <key>` (401 otherwise; with `api_key=` only that key passes), a
`model`, `messages` for chat, and a JSON body (400 otherwise), and answers unknown paths with 404 "Invalid URL".
It does not fake streaming (`stream: true` → 400), tool calls, n > 1, embeddings, files or any other endpoint.

Use it with `openai.OpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=0)` (or `AsyncOpenAI`; or
`fake.client()` / `fake.async_client()`). In tests: `from tests.fakes.openai import openai_fake`.
"""

from __future__ import annotations

import copy
import json
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest

from tests.fakes.http import FakeServer, Request, Response, json_response

Obj = dict[str, Any]
Handler = Callable[[Obj], Obj | str]

CHAT_PATH = "/v1/chat/completions"
RESPONSES_PATH = "/v1/responses"
ENDPOINTS = (CHAT_PATH, RESPONSES_PATH)

# OpenAI's error `type` and `code` for a status, used by `reply_with_error` unless given.
DEFAULT_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    409: ("invalid_request_error", None),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
}


def error_body(message: str, type: str, code: str | None = None, param: str | None = None) -> Obj:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def estimate_tokens(value: Any) -> int:
    """About four characters a token, at least one: close enough for usage bookkeeping in tests."""
    text = value if isinstance(value, str) else json.dumps(value)
    return max(1, math.ceil(len(text) / 4))


@dataclass
class OpenAIRequest:
    """One API call as received, with its answer's status."""

    method: str
    path: str
    json: Any  # the decoded body; the raw text when it is not JSON
    headers: dict[str, str]  # names lower-cased
    status: int = 0


@dataclass
class Reply:
    """One programmed answer: a message (`content` or `refusal`) or an error (`error_status`, `error`)."""

    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    error_status: int | None = None
    error: Obj | None = field(default=None)


class _Refusal(Exception):
    def __init__(self, status: int, body: Obj) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def _content_text(content: Obj | list[Any] | str) -> str:
    return content if isinstance(content, str) else json.dumps(content)


class FakeOpenAI(FakeServer):
    """One fake OpenAI. Start with `start()` (or as a context manager), stop with `stop()`: later calls then get
    "connection refused" (`APIConnectionError`).

    `api_key`: when given, only that key is accepted; by default any non-empty bearer token is.
    """

    name = "fake-openai"

    def __init__(self, *, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._default: Handler | None = None
        self._requests: list[OpenAIRequest] = []
        self._calls = 0

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's `base_url` (the server's URL plus `/v1`)."""
        return f"{self.url}/v1"

    def client(self, **kwargs: Any) -> openai.OpenAI:
        """A sync SDK client pointed at the fake (`api_key="sk-test"`, no retries, unless overridden)."""
        return openai.OpenAI(**({"base_url": self.base_url, "api_key": "sk-test", "max_retries": 0} | kwargs))

    def async_client(self, **kwargs: Any) -> openai.AsyncOpenAI:
        """An async SDK client pointed at the fake (`api_key="sk-test"`, no retries, unless overridden)."""
        return openai.AsyncOpenAI(**({"base_url": self.base_url, "api_key": "sk-test", "max_retries": 0} | kwargs))

    # --- programming replies --------------------------------------------------------------------------

    def reply_with(self, content: Obj | list[Any] | str, *, finish_reason: str = "stop",
                   prompt_tokens: int | None = None, completion_tokens: int | None = None) -> None:
        """Queue one answer. A dict (or list) is JSON-encoded into the message text; a str is sent as is.
        `finish_reason` "length" answers a chat completion cut short (a response gets status "incomplete");
        token counts default to an estimate from the request and the text."""
        with self._lock:
            self._queue.append(Reply(content=_content_text(content), finish_reason=finish_reason,
                                     prompt_tokens=prompt_tokens, completion_tokens=completion_tokens))

    def reply_with_refusal(self, refusal: str = "I'm sorry, I can't help with that.") -> None:
        """Queue one refusal (`message.refusal` in chat, a `refusal` content part in responses; nothing parsed)."""
        with self._lock:
            self._queue.append(Reply(refusal=refusal))

    def reply_with_error(self, status: int, message: str, *, type: str | None = None, code: str | None = None,
                         param: str | None = None) -> None:
        """Queue one error answer `{"error": {"message", "type", "param", "code"}}` with this status. The type and
        code default to OpenAI's for the status (429 → `requests`/`rate_limit_exceeded`, ≥ 500 → `server_error`)."""
        default_type, default_code = DEFAULT_ERROR_TYPES.get(
            status, ("server_error", None) if status >= 500 else ("invalid_request_error", None))
        with self._lock:
            self._queue.append(Reply(error_status=status, error=error_body(
                message, type or default_type, code if code is not None else default_code, param)))

    def default(self, handler: Handler | None) -> None:
        """Answer with `handler(request_json)` (a dict is JSON-encoded, a str sent as is) whenever the queue is
        empty; None restores the 500 "no reply was programmed"."""
        with self._lock:
            self._default = handler

    @property
    def pending(self) -> int:
        """How many queued replies are still unused."""
        with self._lock:
            return len(self._queue)

    # --- inspection -----------------------------------------------------------------------------------

    @property
    def requests(self) -> list[OpenAIRequest]:
        """Every request received, in order (refused ones included)."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def last_request(self) -> OpenAIRequest:
        with self._lock:
            if not self._requests:
                raise LookupError("no request received yet")
            return copy.deepcopy(self._requests[-1])

    @property
    def calls(self) -> int:
        """How many chat-completion and response calls were received (whatever they were answered)."""
        with self._lock:
            return self._calls

    def clear(self) -> None:
        """Forget recorded requests, the call count and queued replies (the default handler stays)."""
        with self._lock:
            self._requests.clear()
            self._calls = 0
            self._queue.clear()

    # --- handling -------------------------------------------------------------------------------------

    def answer(self, request: Request) -> Response:
        call = OpenAIRequest(request.method, request.path.rstrip("/"), request.json(), request.lower_headers())
        with self._lock:
            self._requests.append(call)
            if call.path in ENDPOINTS:
                self._calls += 1
        try:
            status, answer = self._act(call, copy.deepcopy(call.json))
        except _Refusal as refusal:
            status, answer = refusal.status, refusal.body
        with self._lock:
            call.status = status
        return json_response(status, answer, {"x-request-id": f"req_{secrets.token_hex(16)}"})

    def _act(self, call: OpenAIRequest, body: Any) -> tuple[int, Obj]:
        self._authenticate(call.headers.get("authorization", ""))
        if call.path not in ENDPOINTS or call.method != "POST":
            raise _Refusal(404, error_body(f"Invalid URL ({call.method} {call.path})", "invalid_request_error"))
        if not isinstance(body, dict):
            raise _Refusal(400, error_body(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                "HTTP library correctly. The OpenAI API expects a JSON payload.)", "invalid_request_error"))
        if not body.get("model"):
            raise _Refusal(400, error_body("you must provide a model parameter", "invalid_request_error",
                                           param="model"))
        if call.path == CHAT_PATH and not body.get("messages"):
            raise _Refusal(400, error_body("Missing required parameter: 'messages'.", "invalid_request_error",
                                           code="missing_required_parameter", param="messages"))
        if body.get("stream"):
            raise _Refusal(400, error_body("FakeOpenAI does not stream: call without stream=True.",
                                           "invalid_request_error", param="stream"))
        reply = self._next_reply(call, body)
        if reply.error is not None:
            return reply.error_status or 500, reply.error
        if call.path == CHAT_PATH:
            return 200, self._chat_completion(body, reply)
        return 200, self._response(body, reply)

    def _authenticate(self, authorization: str) -> None:
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise _Refusal(401, error_body(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using "
                "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error"))
        if self.api_key is not None and key != self.api_key:
            raise _Refusal(401, error_body(f"Incorrect API key provided: {key[:3]}***{key[-4:]}.",
                                           "invalid_request_error", code="invalid_api_key"))

    def _next_reply(self, call: OpenAIRequest, body: Obj) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            handler = self._default
        if handler is None:
            return Reply(error_status=500, error=error_body(
                f"FakeOpenAI: no reply was programmed for {call.method} {call.path} "
                "(queue one with reply_with() or set default())", "server_error"))
        try:
            return Reply(content=_content_text(handler(copy.deepcopy(body))))
        except Exception as e:  # a broken handler is the test's bug: say so in the answer
            return Reply(error_status=500, error=error_body(f"FakeOpenAI: the default handler raised {e!r}",
                                                            "server_error"))

    @staticmethod
    def _usage(reply: Reply, prompt: Any) -> tuple[int, int]:
        prompt_tokens = reply.prompt_tokens if reply.prompt_tokens is not None else estimate_tokens(prompt)
        completion_tokens = (reply.completion_tokens if reply.completion_tokens is not None
                             else estimate_tokens(reply.content or reply.refusal or ""))
        return prompt_tokens, completion_tokens

    def _chat_completion(self, body: Obj, reply: Reply) -> Obj:
        prompt_tokens, completion_tokens = self._usage(reply, body["messages"])
        return {
            "id": f"chatcmpl-{secrets.token_urlsafe(21)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal,
                            "annotations": []},
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                              "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    def _response(self, body: Obj, reply: Reply) -> Obj:
        input_tokens, output_tokens = self._usage(reply, [body.get("instructions"), body.get("input")])
        if reply.refusal is not None:
            part: Obj = {"type": "refusal", "refusal": reply.refusal}
        else:
            part = {"type": "output_text", "text": reply.content or "", "annotations": [], "logprobs": []}
        cut_short = reply.finish_reason == "length"
        now = int(time.time())
        return {
            "id": f"resp_{secrets.token_hex(24)}",
            "object": "response",
            "created_at": now,
            "completed_at": None if cut_short else now,
            "status": "incomplete" if cut_short else "completed",
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if cut_short else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": body["model"],
            "output": [{
                "type": "message",
                "id": f"msg_{secrets.token_hex(24)}",
                "status": "incomplete" if cut_short else "completed",
                "role": "assistant",
                "content": [part],
            }],
            "parallel_tool_calls": True,
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {"effort": None, "summary": None},
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": body.get("text") or {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": input_tokens + output_tokens,
            },
            "user": None,
            "metadata": body.get("metadata") or {},
        }


@pytest.fixture
def openai_fake() -> Iterator[FakeOpenAI]:
    """A running fake OpenAI (nothing programmed: calls get a 500 until the test queues replies), stopped after."""
    with FakeOpenAI() as fake:
        yield fake
