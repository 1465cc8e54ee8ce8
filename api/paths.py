"""Typed path templates, so a literal path is never caught by a `{id}` route.

A path parameter is matched by Starlette before FastAPI reads its type, so `GET /v1/applications/propose`
was taken by `GET /v1/applications/{application_id}` (and answered 422) instead of being a 405 beside
`POST /v1/applications/propose`. Here each path parameter declared as a UUID gets Starlette's `uuid`
convertor, and one declared as a `Literal` (a job's move, a plan's tier) a convertor that matches exactly
its values: a segment that is not an id or one of the values matches no templated route, so the literal
route wins, and a malformed id is a plain 404. The document's paths (`path_format`) do not change.
"""

from __future__ import annotations

import hashlib
import re
import typing
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.convertors import CONVERTOR_TYPES, Convertor, register_url_convertor
from starlette.routing import compile_path

_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)}")  # an untyped parameter: `{name}` (no `:convertor`)


class _OneOf(Convertor[str]):
    """Matches exactly one of a fixed set of path segments."""

    def __init__(self, values: tuple[str, ...]) -> None:
        self.regex = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


def _convertor_for(annotation: Any) -> str | None:
    if annotation is UUID:
        return "uuid"
    if typing.get_origin(annotation) is typing.Literal:
        values = tuple(str(v) for v in typing.get_args(annotation))
        name = "one_of_" + hashlib.sha256("|".join(sorted(values)).encode()).hexdigest()[:12]
        if name not in CONVERTOR_TYPES:
            register_url_convertor(name, _OneOf(values))
        return name
    return None


def type_path_parameters(router: APIRouter) -> None:
    """Give every untyped UUID or Literal path parameter of `router`'s routes its convertor (idempotent)."""
    for route in router.routes:
        included = getattr(route, "original_router", None)  # a router included in this one
        if isinstance(included, APIRouter):
            type_path_parameters(included)
            continue
        if not isinstance(route, APIRoute):
            continue
        types = {field.name: field.field_info.annotation for field in route.dependant.path_params}
        typed = _PARAM.sub(lambda m: _typed(m.group(1), types), route.path)
        if typed != route.path:
            route.path = typed
            route.path_regex, route.path_format, route.param_convertors = compile_path(typed)
    router._mark_routes_changed()


def _typed(name: str, types: dict[str, Any]) -> str:
    convertor = _convertor_for(types.get(name))
    return f"{{{name}:{convertor}}}" if convertor else f"{{{name}}}"
