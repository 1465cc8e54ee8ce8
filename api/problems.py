"""RFC 9457 problem details: the one table from errors to HTTP statuses.

How the statuses are used (the README's API section says the same to callers):
- 400: the request cannot be read at all: a body that is not JSON, a header not in its syntax (`If-Match`,
  `X-Consistency-Token`/`?after=`), a webhook whose signature does not verify.
- 401 before anything else: a route that needs a signed-in caller answers an anonymous or refused caller 401
  even when the body, headers or query are also bad (`authenticate_first`).
- 422: the request was read but refused: `invalid_request` (with `errors: [{loc, msg, type}]`) when it does
  not match the schema or a command's own rules on its values; a business rule refusing it has a code of its
  own (`rule_violation` or a more precise one), never `invalid_request`.
- 409: the state is not what the request expected: `version_conflict` (a stale `If-Match`), `conflict` and its
  subclasses (the thing already exists or is taken).
Every problem has a stable `code`; a title is ours, never the caller's input, and a detail carries no
control characters.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from api.auth import AuthUnavailable, InvalidToken
from api.deps import NotAuthenticated, RateLimited, authenticate, identity_of
from api.errors import ApiProblem
from commands.core import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RuleViolation,
)
from eventstore import Conflict as VersionConflict
from eventstore import AppendContended, SubjectErased, Unstorable
from adapters.payments import PaymentRefused, PaymentsUnavailable

PROBLEM_JSON = "application/problem+json"

_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    RuleViolation: 422,
    Invalid: 422,
}

# A webhook that cannot be read (signature, shape, no secret) is the one kind of `Invalid` that is a 400:
# the delivery is not a request we could act on, and the sender should not retry it unchanged.
_WEBHOOK = re.compile(r"^/(v\d+/)?webhooks/")

# The code of an `HTTPException` raised without one (Starlette's own 404/405, a route's bare raise).
_HTTP_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 410: "gone", 413: "body_too_large", 415: "unsupported_media_type",
    422: "invalid_request", 429: "rate_limited", 503: "unavailable",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})


def problem(status: int, title: str, detail: str | None = None, type_: str = "about:blank", /,
            **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = _CONTROL.sub(" ", detail)
    extra.setdefault("code", _HTTP_CODES.get(status, f"http_{status}"))
    if clash := _MEMBERS & extra.keys():
        raise ValueError(f"problem extension members may not reuse the standard names {sorted(clash)}")
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _status_of(exc: DomainError, path: str) -> int:
    if isinstance(exc, Invalid) and _WEBHOOK.match(path):
        return 400
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 422


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _title(status: int) -> str:
    return _phrase(status).lower()


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route of `app` answers on `path` (for a 405's `Allow`)."""
    table = getattr(app.state, "method_table", None)
    if table is None:
        table = []
        for context in iter_route_contexts(app.routes):
            regex, methods = getattr(context, "path_regex", None), getattr(context, "methods", None)
            if regex is not None and methods:
                table.append((regex, frozenset(methods)))
        app.state.method_table = table
    return sorted({m for regex, methods in table if regex.match(path) for m in methods})


def _unauthenticated() -> JSONResponse:
    response = problem(401, "authentication required",
                       "send a Clerk session token as `Authorization: Bearer <token>`", code="unauthenticated")
    response.headers["WWW-Authenticate"] = 'Bearer realm="splits"'
    return response


async def authenticate_first(request: Request) -> Response | None:
    """The answer a request gets for who is calling, if that answer comes before its parsing errors.

    FastAPI reads the body, and dependencies check headers and queries, before a route's own dependency asks
    who is calling; so every refusal of what was sent asks this first: on a route that needs a signed-in
    caller, no token is a 401, and on any route that asks, a refused token is a 401 (or 429/503 as it would
    have been), whatever else is wrong with the request.
    """
    identity = identity_of(request.scope.get("route"))
    if identity == "none":
        return None
    try:
        token = await authenticate(request)
    except Exception as exc:  # a refusal: answered by its own handler
        handler = _handler_for(request.app, exc)
        if handler is None:
            raise
        return await handler(request, exc)
    if token is None and identity == "required":
        return _unauthenticated()
    return None


def _handler_for(app: FastAPI, exc: Exception) -> Any:
    for cls in type(exc).__mro__:
        if cls in app.exception_handlers:
            return app.exception_handlers[cls]
    return None


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(_: Request, exc: NotAuthenticated) -> JSONResponse:
        return _unauthenticated()

    @app.exception_handler(InvalidToken)
    async def invalid_token(_: Request, exc: InvalidToken) -> JSONResponse:
        response = problem(401, "invalid token", f"the session token was refused: {exc.reason}",
                           code="invalid_token", reason=exc.reason)
        response.headers["WWW-Authenticate"] = f'Bearer realm="splits", error="invalid_token", error_description="{exc.reason}"'
        return response

    @app.exception_handler(AuthUnavailable)
    async def auth_unavailable(_: Request, exc: AuthUnavailable) -> JSONResponse:
        response = problem(503, "authentication unavailable",
                           "session tokens cannot be checked right now; try again shortly", code="auth_unavailable")
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(PaymentRefused)
    async def payment_refused(_: Request, exc: PaymentRefused) -> JSONResponse:
        return problem(402, "payment refused", str(exc), code="payment_refused", stripe_code=exc.code)

    @app.exception_handler(PaymentsUnavailable)
    async def payments_unavailable(_: Request, exc: PaymentsUnavailable) -> JSONResponse:
        response = problem(503, "payments unavailable", str(exc), code="payments_unavailable")
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(RateLimited)
    async def rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        response = problem(429, "too many requests", str(exc), code="rate_limited", limit=exc.decision.limit)
        response.headers.update(exc.decision.headers())
        return response

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return problem(_status_of(exc, request.url.path), exc.code.replace("_", " "), exc.message, code=exc.code,
                       **exc.details)

    @app.exception_handler(VersionConflict)
    async def version_conflict(_: Request, exc: VersionConflict) -> JSONResponse:
        return problem(
            409, "version conflict", str(exc), code="version_conflict",
            expected_version=exc.expected, current_version=exc.actual,
        )

    @app.exception_handler(SubjectErased)
    async def subject_erased(_: Request, exc: SubjectErased) -> JSONResponse:
        return problem(410, "subject erased", "the personal data of a person this request names has been erased:"
                       " nothing new is recorded about them", code="subject_erased")

    @app.exception_handler(Unstorable)
    async def unstorable(_: Request, exc: Unstorable) -> JSONResponse:
        # A value no event can hold exactly (a NUL character, a number out of range): said without echoing it.
        return problem(422, "unstorable value", str(exc), code="unstorable_value")

    @app.exception_handler(AppendContended)
    async def contended(_: Request, exc: AppendContended) -> JSONResponse:
        response = problem(503, "stream busy", "the record this request changes is being written without pause;"
                           " send the request again", code="stream_busy")
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if (first := await authenticate_first(request)) is not None:
            return first
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return problem(400, "malformed body", "the request body is not valid JSON", code="malformed_body")
        errors = [{"loc": list(e["loc"]), "msg": _CONTROL.sub(" ", e["msg"]), "type": e["type"]} for e in exc.errors()]
        return problem(422, "invalid request", "the request does not match the schema", code="invalid_request", errors=errors)

    @app.exception_handler(ValidationError)
    async def invalid_command(_: Request, exc: ValidationError) -> JSONResponse:
        # A command refused on construction: the body parsed, but its values break a rule of the command.
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        detail = "; ".join(e["msg"] for e in errors)
        return problem(422, "invalid request", detail, code="invalid_request", errors=errors)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Still raised afterwards by Starlette, so Sentry (when on) and the logs get the traceback.
        return problem(500, "internal error", "something went wrong on our side; it has been logged", code="internal")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if 400 <= exc.status_code < 500 and exc.status_code not in (401, 404, 405, 413, 429):
            if (first := await authenticate_first(request)) is not None:
                return first
        status = exc.status_code
        code = getattr(exc, "code", None) or _HTTP_CODES.get(status, f"http_{status}")
        extra = getattr(exc, "extra", {}) if isinstance(exc, ApiProblem) else {}
        detail = str(exc.detail) if exc.detail and exc.detail != _phrase(status) else None
        response = problem(status, _title(status), detail, code=code, **extra)
        if exc.headers:
            response.headers.update(exc.headers)
        if status == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
        return response
