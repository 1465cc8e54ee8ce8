"""The OpenAPI document, told truthfully and from one place.

FastAPI writes each operation's parameters, bodies and success responses. What it cannot know is said here,
from each route's dependencies, so no decorator has to repeat it: which operations need a Clerk session token
(`security`), and which errors each can answer, every one as `application/problem+json` with the `Problem`
schema (`ValidationProblem`, with `errors`, for 422). A route that raises something its dependencies do not
show declares it in its decorator (`responses={402: {}}`); it gets the same problem content.

The rules, from a route's dependencies and parameters:
- needs a signed-in caller (`CurrentUser`, `Caller`): `security: [ClerkSession]`, 401, 403 (not registered, or
  not allowed), 503 (Clerk unreachable); takes one if given (`MaybeUser`): `security: [{}, ClerkSession]`, 401
  for a refused token, 503; asks no one: `security: []` and a token is never looked at;
- a path parameter: 404; any parameter or body: 422; a JSON body: 400 (not JSON) and 413 (too large);
  `If-Match`: 400 (not a version) and 409 (stale); a consistency token: 400 (not a token) and 503 (read model
  late); a command (it records events): 403 (when it asks who is calling), 404 (what its body names), 409,
  410 (a person erased), 422 (business rules), 503 (stream busy); the caller's own `/me` record: 404;
- rate limited (everything but health and webhooks): 429. Webhooks: 400 (signature), 503.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from api.consistency import TOKEN_HEADER, consistency_token
from api.deps import (
    EXEMPT_PREFIXES,
    SECURITY_SCHEME,
    _if_match,
    _metadata,
    clerk_session,
    identity_of,
    is_platform_admin_only,
)
from api.problems import PROBLEM_JSON

_DESCRIPTIONS = {
    400: "The request cannot be read: a body that is not JSON, a malformed header or consistency token",
    401: "No session token where one is needed, or a refused one (`unauthenticated`, `invalid_token`)",
    402: "The payment provider refused the payment (`payment_refused`)",
    403: "Signed in, but not allowed (`forbidden`, `not_registered`, …)",
    404: "Not found, or not visible to the caller (`not_found`)",
    409: "The state is not what the request expected (`version_conflict`, `conflict`, …)",
    410: "A person this request names has been erased (`subject_erased`)",
    413: "The body is larger than the route accepts (`body_too_large`)",
    422: "The request does not match the schema (`invalid_request`, with `errors`) or a business rule refuses it",
    429: "Too many requests (`rate_limited`); see `Retry-After`",
    503: "A dependency is unavailable or a read model is late; see `Retry-After`",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, with a stable machine-readable `code`.",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem (`about:blank` by default)"},
        "title": {"type": "string", "description": "A short summary of the kind of problem; never the caller's input"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong this time"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "Stable and machine-readable: branch on this"},
    },
    "additionalProperties": True,
}

VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ValidationProblem",
    "description": "A 422 problem; `errors` lists what did not match the schema (empty for a business rule).",
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["loc", "msg", "type"],
                        "properties": {
                            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                },
            },
        },
    ],
}


_OWN = re.compile(r"/me(/|$)")


def _calls(dependant: Any) -> Iterator[Any]:
    for sub in getattr(dependant, "dependencies", ()):
        yield sub.call
        yield from _calls(sub)


def _dependants(dependant: Any) -> Iterator[Any]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _has_params(d: Any) -> bool:
    return any((d.path_params, d.query_params, d.header_params, d.cookie_params, d.body_params))


def error_statuses(route: Any, path: str) -> set[int]:
    """The error statuses an operation can answer, from its dependencies and parameters."""
    dependant = route.dependant
    calls = set(_calls(dependant))
    statuses: set[int] = set()
    identity = identity_of(route)
    if identity != "none":
        statuses |= {401, 503}
    if identity == "required":
        statuses.add(403)
    if is_platform_admin_only(route):
        statuses.add(403)
    if dependant.path_params:
        statuses.add(404)
    headers = {field.alias for d in _dependants(dependant) for field in d.header_params}
    if any(_has_params(d) for d in _dependants(dependant)):
        statuses.add(422)
    if route.body_field is not None:
        statuses |= {400, 413}
    if _if_match in calls or "If-Match" in headers:
        statuses |= {400, 409}
    if consistency_token in calls or TOKEN_HEADER in headers:
        statuses |= {400, 503}
    if _metadata in calls or "Idempotency-Key" in headers:
        # A command: what its body names may not exist or be the caller's to change; conflicts, business
        # rules, erased people, a busy stream.
        statuses |= {404, 409, 410, 422, 503}
        if identity != "none":
            statuses.add(403)
    if _OWN.search(path) and identity != "none":  # the caller's own record, which may not exist yet
        statuses.add(404)
    if not path.startswith(EXEMPT_PREFIXES):
        statuses.add(429)
    if "webhooks/" in path:
        statuses |= {400, 503}
    if "billing" in route.tags and _metadata in calls:  # Stripe is asked: it may refuse, or be away
        statuses |= {402, 503}
    statuses |= {int(status) for status in route.responses if str(status).isdigit() and int(status) >= 400}
    return statuses


def _security(route: Any) -> list[dict[str, list[str]]]:
    identity = identity_of(route)
    if identity == "required":
        return [{SECURITY_SCHEME: []}]
    if identity == "optional":
        return [{}, {SECURITY_SCHEME: []}]
    return []


def _problem_response(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    schema = "ValidationProblem" if status == 422 else "Problem"
    description = (existing or {}).get("description")
    if not description or description in ("Validation Error", "Additional Response"):
        description = _DESCRIPTIONS.get(status, "An error")
    answer: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
    if status in (429, 503):
        answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}
    if status == 401:
        answer["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return answer


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document: FastAPI's, with the security and the errors of every operation written in."""
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ValidationProblem"] = VALIDATION_PROBLEM_SCHEMA
    components["securitySchemes"] = {SECURITY_SCHEME: {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": clerk_session.model.description,
    }}
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        path = context.path_format
        for method in context.methods:
            operation = document["paths"].get(path, {}).get(method.lower())
            if operation is None:
                continue
            operation["security"] = _security(context)
            responses = operation.setdefault("responses", {})
            # A route that answers an error with a body of its own (`/ready`'s 503) says so in its decorator.
            own = {str(s) for s, r in context.responses.items() if "model" in r or "content" in r}
            for status in error_statuses(context, path):
                if str(status) not in own:
                    responses[str(status)] = _problem_response(status, responses.get(str(status)))
            operation["responses"] = dict(sorted(responses.items()))
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve `build_openapi`'s document at /openapi.json (built once, on first ask)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
