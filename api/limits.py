"""Request body limits, enforced while the body streams in.

Without them, one anonymous POST could make the process hold as much as it was sent: a JSON route reads
its whole body before it asks who is calling, and a webhook reads its body before it checks a signature.
So every request body is bounded here, in front of every route: about 1 MB in general, 256 KB on the
webhooks (Clerk's and Stripe's deliveries are a few KB), and the document upload and the console's bundle
check keep their own, larger caps (the document route also stops reading there). A declared `Content-Length`
over the limit is answered at once, before a byte of the body is read; an undeclared (chunked) body is counted
as it arrives and refused the moment it passes the limit. Either way the answer is a 413 problem (`code:
body_too_large`; under /console, the operator console's, an HTML page) and the rest of the body is never read.

JSON depth needs no bound of its own: a body is at most 1 MB here, and the decoder's recursion guard turns
a pathologically nested one into a 400, never a crash.
"""

from __future__ import annotations

import json
import re

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commands.documents.document import MAX_DOCUMENT_BYTES

log = structlog.get_logger(__name__)

KB = 1024
MB = 1024 * KB
DEFAULT_LIMIT = 1 * MB
WEBHOOK_LIMIT = 256 * KB
# The upload route's own cap (api/documents/routes.py): the largest document and its form fields.
UPLOAD_LIMIT = MAX_DOCUMENT_BYTES + 64 * KB
# The operator console's bundle check (api/operations/money.py): a bundle of a long trail is a few MB; a larger
# one is checked with `splits audit verify`, which reads files of any size it accepts entry by entry.
MAX_CHECKED_BUNDLE_BYTES = 16 * MB
BUNDLE_CHECK_LIMIT = MAX_CHECKED_BUNDLE_BYTES + 64 * KB

_WEBHOOK = re.compile(r"^/(v\d+/)?webhooks/")
_UPLOADS = frozenset({"/v1/documents"})


def limit_for(path: str) -> int:
    """The most bytes a request body to `path` may carry."""
    if _WEBHOOK.match(path):
        return WEBHOOK_LIMIT
    if path in _UPLOADS:
        return UPLOAD_LIMIT
    if path == "/console/money/verify":
        return BUNDLE_CHECK_LIMIT
    return DEFAULT_LIMIT


class BodyTooLarge(HTTPException):
    """Raised to whatever is reading the body once it passes its limit (→ 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _console_page(limit: int) -> bytes:
    """The operator console answers with pages (api/operations/console.py), its 413 too."""
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too large · Splits console"
            "</title><link rel=\"stylesheet\" href=\"/console/static/console.css\"></head><body><main>"
            "<h1>Too large</h1><p class=\"refused\" role=\"alert\"><span class=\"status\">413</span> the request"
            f" is larger than the {limit} bytes this form takes; nothing was changed.</p>"
            "<p><a href=\"/console\">Back to the console</a></p></main></body></html>").encode()


async def _refuse(send: Send, limit: int, path: str = "") -> None:
    if path == "/console" or path.startswith("/console/"):
        body, content_type = _console_page(limit), b"text/html; charset=utf-8"
    else:
        body, content_type = json.dumps({
            "type": "about:blank", "title": "request body too large", "status": 413,
            "detail": f"the request body is larger than {limit} bytes", "code": "body_too_large",
            "limit_bytes": limit,
        }).encode(), b"application/problem+json"
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: a request whose body passes its path's limit is answered 413, unread beyond it.

    When the limit is passed mid-stream, whatever the route then answers (its own error for a failed read)
    is replaced by the 413, so the caller always gets the same problem.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            log.info("request body refused by its declared length", path=scope["path"], length=declared, limit=limit)
            await _refuse(send, limit, scope["path"])
            return

        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    log.info("request body refused while streaming", path=scope["path"], limit=limit)
                    raise BodyTooLarge(limit)
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:  # the route's own answer to a read that failed: the 413 is sent instead
                if not started:
                    started = True
                    await _refuse(send, limit, scope["path"])
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except BodyTooLarge:
            if not started:
                await _refuse(send, limit, scope["path"])
