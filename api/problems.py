"""RFC 9457 problem details: the one table from errors to HTTP statuses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from api.auth import AuthUnavailable, InvalidToken
from api.deps import NotAuthenticated, RateLimited
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
from infra.payments import PaymentRefused, PaymentsUnavailable

PROBLEM_JSON = "application/problem+json"

_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    RuleViolation: 422,
    Invalid: 400,
}


_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})


def problem(status: int, title: str, detail: str | None = None, type_: str = "about:blank", /,
            **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if clash := _MEMBERS & extra.keys():
        raise ValueError(f"problem extension members may not reuse the standard names {sorted(clash)}")
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(_: Request, exc: NotAuthenticated) -> JSONResponse:
        response = problem(401, "authentication required",
                           "send a Clerk session token as `Authorization: Bearer <token>`", code="unauthenticated")
        response.headers["WWW-Authenticate"] = 'Bearer realm="splits"'
        return response

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
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return problem(_status_of(exc), exc.code.replace("_", " "), exc.message, code=exc.code, **exc.details)

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
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
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
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        response = problem(exc.status_code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response
