"""Errors the API layer raises itself (not a decider's): a status, a stable `code` and a detail that never
repeats what the caller sent. Anything raised as a bare `HTTPException` still gets a code from its status
(api/problems.py); these say more precisely what went wrong."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException


class ApiProblem(HTTPException):
    """An HTTP error with its problem `code` (and extension members in `extra`)."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(status, detail, headers)
        self.code = code
        self.extra = extra


def not_registered() -> ApiProblem:
    """A signed-in caller the identity context does not know yet."""
    return ApiProblem(403, "not_registered", "register first: POST /v1/users/register")


def bad_header(name: str, code: str, expected: str) -> ApiProblem:
    """A header that cannot be read: said by its name and what it should hold, never by what it held."""
    return ApiProblem(400, code, f"the {name} header must be {expected}", header=name)
