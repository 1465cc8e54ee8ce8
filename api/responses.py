"""The shapes every route shares, defined once.

A command answers `{id, version, consistency_token}` — the entity, its new version, and the token to read the
write — and anything more under `data`. A list answers `{data: [...], pagination}` and takes `page` and `limit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import ceil
from typing import Generic, Self, TypeVar
from uuid import UUID

from pydantic import BaseModel, Field

from api.bounds import Limit, Page
from eventstore import CommandResult

T = TypeVar("T")

# The bounds of every list's page and limit are declared once, in api/bounds.py.
PageNumber = Page
PageSize = Limit


class CommandResponse(BaseModel):
    id: UUID
    version: int
    consistency_token: str | None = Field(description="Pass as ?after= or X-Consistency-Token to read your write")

    @classmethod
    def of(cls, entity_id: UUID, result: CommandResult) -> CommandResponse:
        return cls(id=entity_id, version=result.version, consistency_token=result.token)


class CommandResponseWith(CommandResponse, Generic[T]):
    """A command's answer that carries more than the entity and its version: the rest is under `data`."""

    data: T

    @classmethod
    def with_data(cls, entity_id: UUID, result: CommandResult, data: T) -> Self:
        return cls(id=entity_id, version=result.version, consistency_token=result.token, data=data)


class Pagination(BaseModel):
    total: int
    page: int
    limit: int
    total_pages: int

    @classmethod
    def of(cls, total: int, page: int, limit: int) -> Pagination:
        return cls(total=total, page=page, limit=limit, total_pages=ceil(total / limit) if total else 0)


class ListOf(BaseModel, Generic[T]):
    data: list[T]
    pagination: Pagination

    @classmethod
    def sliced(cls, items: Sequence[T], page: int, limit: int) -> Self:
        """One page of a collection read whole: for the few that are small by nature (an application's notes,
        an organization's members), where counting and slicing in SQL would buy nothing."""
        start = (page - 1) * limit
        return cls(data=list(items[start:start + limit]), pagination=Pagination.of(len(items), page, limit))
