"""The conversations context's routes: starting a conversation, reading and writing in one."""

from __future__ import annotations

from fastapi import APIRouter

from api.conversations import routes, start

router = APIRouter(prefix="/v1")
for feature in (start, routes):
    router.include_router(feature.router)

__all__ = ["router"]
