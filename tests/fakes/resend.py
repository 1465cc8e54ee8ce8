"""A local stand-in for the Resend email API, served over real HTTP for the real `resend` SDK.

What it fakes: `POST /emails` (send one), `POST /emails/batch` (send up to 100; `x-batch-validation: strict`, the
default, refuses the whole batch on the first invalid email, `permissive` sends the valid ones and lists the others
under `errors`), and `GET /emails/{id}` (a sent email, in Resend's "email" shape). Nothing is delivered: sent emails
are stored and read back through the driver (`sent`, `sent_to()`). Like Resend it:

- requires `Authorization: Bearer re_…`: no key (or the SDK's `Bearer None`) → 401 `missing_api_key`, a key that
  is not `re_…` (or, when the fake was built with `api_key=`, not that key) → 403 `invalid_api_key`;
- refuses an email without `from`, `to` or `subject` (422 `missing_required_field`), and one with a malformed
  address, more than 50 recipients, no `html`/`text`/`template`, or bad `headers`/`tags` (422 `validation_error`);
- honours `Idempotency-Key` on POSTs: the same key with the same body (and path) replays the first answer and sends
  nothing again; the same key with another body → 409 `invalid_idempotent_request`; a key longer than 256 chars →
  400 `invalid_idempotency_key`. Only successful answers are remembered, so a retry after an error (or an injected
  failure) acts;
- answers errors as `{"statusCode": …, "name": …, "message": …}`, which the SDK turns into its exception classes
  (`resend.exceptions.MissingApiKeyError`, `ValidationError`, `MissingRequiredFieldsError`, `RateLimitError`,
  `ApplicationError`, or plain `ResendError`).

What it does not fake: webhooks, delivery events (`last_event` stays "sent", or "scheduled"), cancelling or
updating scheduled emails, list endpoints, attachments' content (stored as given), domains and audiences, key
expiry of idempotency keys (they are kept until `clear()`).

The SDK is configured by module globals: `resend.api_key = "re_test"; resend.api_url = fake.url`. The fixture
`resend_fake` does that (and restores them after the test). Both `resend.Emails.send()` (requests) and
`await resend.Emails.send_async()` (httpx; needs the `resend[async]` extra, i.e. httpx installed) work against it.
In tests: `from tests.fakes.resend import resend_fake`.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

import pytest
import resend

from tests.fakes.http import FakeServer, Request, Response, json_response

Obj = dict[str, Any]

MAX_RECIPIENTS = 50
MAX_BATCH = 100
MAX_IDEMPOTENCY_KEY = 256

# Resend's error name and message for a status, used by injected failures unless given.
DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("validation_error", "We found an error with one or more fields in the request."),
    401: ("missing_api_key", "Missing API key in the authorization header."),
    403: ("invalid_api_key", "API key is invalid."),
    404: ("not_found", "The requested endpoint does not exist."),
    405: ("method_not_allowed", "Method is not allowed for the requested path."),
    409: ("invalid_idempotent_request", "Same idempotency key used with a different request payload."),
    422: ("validation_error", "We found an error with one or more fields in the request."),
    429: ("rate_limit_exceeded", "Too many requests. You can only make 2 requests per second."),
    500: ("application_error", "An unexpected error occurred, please try again later."),
}

_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_TAG_PART = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ResendFailure(Exception):
    """A refusal in Resend's shape: answered as `{"statusCode", "name", "message"}` with `status`."""

    def __init__(self, status: int, name: str | None = None, message: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        default_name, default_message = DEFAULT_ERRORS.get(status, ("application_error", "Something went wrong."))
        self.status = status
        self.name = name or default_name
        self.message = message or default_message
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.name}: {self.message}")

    def body(self) -> Obj:
        return {"statusCode": self.status, "name": self.name, "message": self.message}


@dataclass
class ResendRequest:
    """One API call as received, with what it was answered."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    json: Any  # the decoded body; None without a body, the raw text when it is not JSON
    status: int = 0
    response: Any = None
    idempotency_key: str | None = None
    replayed: bool = False  # answered from the idempotency store, nothing sent


@dataclass
class _Stored:
    fingerprint: str
    status: int
    body: Any


@dataclass
class _Failure:
    status: int
    name: str | None
    message: str | None
    times: int | None  # None: until recover()


@dataclass
class _Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def bare_address(address: str) -> str:
    """`"Ann <Ann@Example.com>"` → `"ann@example.com"`."""
    return parseaddr(address)[1].strip().lower() or address.strip().lower()


def _valid_address(value: Any) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    name, addr = parseaddr(value)
    return bool(addr) and _ADDRESS.fullmatch(addr) is not None


def _address_list(email: Obj, key: str, *, required: bool = False, limit: int | None = None) -> list[str] | None:
    value = email.get(key)
    if value is None or value == "" or value == []:
        if required:
            raise ResendFailure(422, "missing_required_field", f"Missing `{key}` field.")
        return None
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(_valid_address(v) for v in values):
        raise ResendFailure(422, "validation_error", f"Invalid `{key}` field. The email address needs to follow "
                                                     "the `email@example.com` or `Name <email@example.com>` format.")
    if limit is not None and len(values) > limit:
        raise ResendFailure(422, "validation_error", f"Too many recipients in `{key}`: at most {limit}.")
    return list(values)


def validate_email(email: Any, *, batch: bool = False) -> Obj:
    """The email as Resend would store it, or a `ResendFailure` saying what Resend would refuse."""
    if not isinstance(email, dict):
        raise ResendFailure(422, "validation_error", "The email must be a JSON object.")
    for key in ("from", "to", "subject"):
        if email.get(key) in (None, "", []):
            raise ResendFailure(422, "missing_required_field", f"Missing `{key}` field.")
    sender = email["from"]
    if not _valid_address(sender):
        raise ResendFailure(422, "validation_error", "Invalid `from` field. The email address needs to follow the "
                                                     "`email@example.com` or `Name <email@example.com>` format.")
    to = _address_list(email, "to", required=True, limit=MAX_RECIPIENTS)
    cc = _address_list(email, "cc", limit=MAX_RECIPIENTS)
    bcc = _address_list(email, "bcc", limit=MAX_RECIPIENTS)
    reply_to = _address_list(email, "reply_to")
    if not isinstance(email["subject"], str):
        raise ResendFailure(422, "validation_error", "Invalid `subject` field: it must be a string.")
    html, text, template = email.get("html"), email.get("text"), email.get("template")
    if not (html or text or template):
        raise ResendFailure(422, "validation_error", "Missing `html` or `text` field.")
    for key, value in (("html", html), ("text", text)):
        if value is not None and not isinstance(value, str):
            raise ResendFailure(422, "validation_error", f"Invalid `{key}` field: it must be a string.")
    headers = email.get("headers")
    if headers is not None and not (isinstance(headers, dict)
                                    and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())):
        raise ResendFailure(422, "validation_error", "Invalid `headers` field: it must map names to strings.")
    tags = email.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(
                isinstance(t, dict) and set(t) <= {"name", "value"} and _TAG_PART.fullmatch(str(t.get("name", "")))
                and ("value" not in t or _TAG_PART.fullmatch(str(t["value"]))) for t in tags):
            raise ResendFailure(422, "validation_error", "Invalid `tags` field: each tag needs a `name` (and may "
                                                         "have a `value`) of ASCII letters, numbers, `_` or `-`.")
    if batch:
        for key in ("attachments", "scheduled_at"):
            if email.get(key) is not None:
                raise ResendFailure(422, "validation_error", f"The `{key}` field is not supported in batch emails.")
    return {
        "object": "email",
        "id": str(uuid.uuid4()),
        "from": sender,
        "to": to,
        "subject": email["subject"],
        "html": html,
        "text": text,
        "template": template,
        "cc": cc,
        "bcc": bcc,
        "reply_to": reply_to,
        "headers": headers,
        "tags": tags,
        "attachments": email.get("attachments"),
        "scheduled_at": email.get("scheduled_at"),
        "created_at": _now_iso(),
        "last_event": "scheduled" if email.get("scheduled_at") else "sent",
    }


# The fields `GET /emails/{id}` answers with.
_PUBLIC_FIELDS = ("object", "id", "from", "to", "subject", "html", "text", "cc", "bcc", "reply_to", "created_at",
                  "last_event", "scheduled_at", "tags")


class FakeResend(FakeServer):
    """One fake Resend. Start with `start()` (or as a context manager), stop with `stop()`.

    `api_key`: when given, only that key is accepted (others get 403); by default any `re_…` key is.
    """

    methods = ("GET", "POST", "PATCH", "DELETE")
    name = "fake-resend"

    def __init__(self, *, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self._lock = threading.Lock()
        self._emails: dict[str, Obj] = {}  # by id, in sending order
        self._requests: list[ResendRequest] = []
        self._idempotent: dict[str, _Stored] = {}
        self._failures: list[_Failure] = []

    # --- inspection -----------------------------------------------------------------------------------

    @property
    def sent(self) -> list[Obj]:
        """Every email sent (stored), oldest first, as dicts: `id`, `from`, `to` (always a list), `subject`,
        `html`, `text`, `cc`/`bcc`/`reply_to` (lists or None), `headers`, `tags`, `created_at`, `idempotency_key`
        (of the call that sent it, or None) and `batch` (sent through `/emails/batch`)."""
        with self._lock:
            return [copy.deepcopy(e) for e in self._emails.values()]

    def sent_to(self, address: str) -> list[Obj]:
        """The emails sent to `address` (in `to`, `cc` or `bcc`; compared case-insensitively, display names
        ignored), oldest first."""
        wanted = bare_address(address)
        return [e for e in self.sent
                if any(bare_address(a) == wanted for key in ("to", "cc", "bcc") for a in e[key] or ())]

    def email(self, email_id: str) -> Obj:
        """A copy of the stored email with this id (KeyError if none)."""
        with self._lock:
            return copy.deepcopy(self._emails[email_id])

    @property
    def requests(self) -> list[ResendRequest]:
        """Every API call received, in order, with its status (replays and injected failures included)."""
        with self._lock:
            return copy.deepcopy(self._requests)

    def clear(self) -> None:
        """Forget sent emails, recorded requests and idempotency keys (injected failures stay: see `recover()`)."""
        with self._lock:
            self._emails.clear()
            self._requests.clear()
            self._idempotent.clear()

    # --- failure injection ----------------------------------------------------------------------------

    def fail_next(self, status: int = 500, times: int = 1, *, name: str | None = None,
                  message: str | None = None) -> None:
        """Answer the next `times` calls (any endpoint) with this Resend-shaped error, without acting or storing
        anything. The name and message default to Resend's for the status (500 `application_error`,
        429 `rate_limit_exceeded` with `retry-after`, …)."""
        with self._lock:
            self._failures.append(_Failure(status, name, message, times))

    def fail_always(self, status: int = 500, *, name: str | None = None, message: str | None = None) -> None:
        """Answer every call with this error until `recover()`."""
        with self._lock:
            self._failures.append(_Failure(status, name, message, None))

    def recover(self) -> None:
        """Drop every injected failure: normal service again."""
        with self._lock:
            self._failures.clear()

    # --- handling -------------------------------------------------------------------------------------

    def answer(self, request: Request) -> Response:
        headers = request.lower_headers()
        with self._lock:
            call = ResendRequest(request.method, request.path.rstrip("/") or "/", headers, request.json(),
                                 idempotency_key=headers.get("idempotency-key"))
            self._requests.append(call)
            try:
                answer = self._act(call, request.body)
            except ResendFailure as failure:
                answer = _Answer(failure.status, failure.body(), failure.headers)
            call.status, call.response = answer.status, copy.deepcopy(answer.body)
        return json_response(answer.status, answer.body, answer.headers,
                             content_type="application/json; charset=utf-8")

    def _act(self, call: ResendRequest, raw: bytes) -> _Answer:
        self._inject_failure()
        self._authenticate(call.headers.get("authorization", ""))
        method, path = call.method, call.path
        if path in ("/emails", "/emails/batch"):
            if method != "POST":
                raise ResendFailure(405)
            if raw and isinstance(call.json, str):
                raise ResendFailure(400, "validation_error", "Invalid JSON body.")
            return self._idempotently(call, self._send_batch if path == "/emails/batch" else self._send_one)
        if m := re.fullmatch(r"/emails/([^/]+)", path):
            if method != "GET":
                raise ResendFailure(405)
            email = self._emails.get(m[1])
            if email is None:
                raise ResendFailure(404, "not_found", "Email not found.")
            return _Answer(200, {k: copy.deepcopy(email.get(k)) for k in _PUBLIC_FIELDS})
        raise ResendFailure(404)

    def _inject_failure(self) -> None:
        if not self._failures:
            return
        failure = self._failures[0]
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                self._failures.pop(0)
        headers = {"retry-after": "1"} if failure.status == 429 else None
        raise ResendFailure(failure.status, failure.name, failure.message, headers)

    def _authenticate(self, authorization: str) -> None:
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or key in ("", "None"):
            raise ResendFailure(401)
        if not key.startswith("re_") or (self.api_key is not None and key != self.api_key):
            raise ResendFailure(403)

    def _idempotently(self, call: ResendRequest, act: Any) -> _Answer:
        key = call.idempotency_key
        if key is None:
            return act(call)
        if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
            raise ResendFailure(400, "invalid_idempotency_key", "The key must be between 1-256 chars.")
        fingerprint = json.dumps([call.path, call.json], sort_keys=True)
        stored = self._idempotent.get(key)
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise ResendFailure(409, "invalid_idempotent_request",
                                    "Same idempotency key used with a different request payload.")
            call.replayed = True
            return _Answer(stored.status, copy.deepcopy(stored.body))
        answer = act(call)
        if answer.status < 400:
            self._idempotent[key] = _Stored(fingerprint, answer.status, copy.deepcopy(answer.body))
        return answer

    def _store(self, email: Obj, call: ResendRequest, *, batch: bool) -> str:
        email |= {"idempotency_key": call.idempotency_key, "batch": batch}
        self._emails[email["id"]] = email
        return email["id"]

    def _send_one(self, call: ResendRequest) -> _Answer:
        email = validate_email(call.json)
        return _Answer(200, {"id": self._store(email, call, batch=False)})

    def _send_batch(self, call: ResendRequest) -> _Answer:
        emails = call.json
        if not isinstance(emails, list) or not emails:
            raise ResendFailure(422, "validation_error", "The batch must be a non-empty array of emails.")
        if len(emails) > MAX_BATCH:
            raise ResendFailure(422, "validation_error", f"Too many emails in the batch: at most {MAX_BATCH}.")
        permissive = call.headers.get("x-batch-validation", "strict").lower() == "permissive"
        valid: list[Obj] = []
        errors: list[Obj] = []
        for index, email in enumerate(emails):
            try:
                valid.append(validate_email(email, batch=True))
            except ResendFailure as failure:
                if not permissive:
                    raise
                errors.append({"index": index, "message": failure.message})
        body: Obj = {"data": [{"id": self._store(e, call, batch=True)} for e in valid]}
        if permissive:
            body["errors"] = errors
        return _Answer(200, body)


@pytest.fixture
def resend_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResend]:
    """A running fake Resend with the `resend` SDK pointed at it (`api_key = "re_test"`, `api_url = fake.url`;
    both module globals are restored after the test), stopped after the test."""
    with FakeResend() as fake:
        monkeypatch.setattr(resend, "api_key", "re_test")
        monkeypatch.setattr(resend, "api_url", fake.url)
        yield fake
