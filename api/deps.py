"""Dependency aliases so route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from eventstore import EventStore
from infra.bootstrap import System


def _system(request: Request) -> System:
    return request.app.state.system


def _store(request: Request) -> EventStore:
    return request.app.state.system.store


SystemDep = Annotated[System, Depends(_system)]
Store = Annotated[EventStore, Depends(_store)]
