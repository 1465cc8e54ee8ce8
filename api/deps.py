"""Dependency aliases so route signatures read like prose."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from psycopg import AsyncConnection

from eventstore import EventStore, Metadata
from infra.bootstrap import System


def _system(request: Request) -> System:
    return request.app.state.system


def _store(request: Request) -> EventStore:
    return request.app.state.system.store


SystemDep = Annotated[System, Depends(_system)]
Store = Annotated[EventStore, Depends(_store)]


def _actor(request: Request) -> str:
    # Authentication (Clerk JWTs and the access context) replaces this with the caller's identity.
    return "anonymous"


def _metadata(
    request: Request,
    actor: Annotated[str, Depends(_actor)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Metadata:
    return Metadata(
        actor=actor,
        correlation_id=request.state.correlation_id,
        idempotency_key=idempotency_key,
        source="api",
    )


def _if_match(if_match: Annotated[str | None, Header(alias="If-Match", max_length=40)] = None) -> int | None:
    """`If-Match: <version>` (quoted or not): act only if the entity is still at that version."""
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise HTTPException(400, f"If-Match must be an entity version (a whole number), got {if_match!r}")
    return int(raw)


Actor = Annotated[str, Depends(_actor)]
ExpectedVersion = Annotated[int | None, Depends(_if_match)]
CommandMetadata = Annotated[Metadata, Depends(_metadata)]


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.system.pool.connection() as conn:
        yield conn


Db = Annotated[AsyncConnection, Depends(_connection)]
