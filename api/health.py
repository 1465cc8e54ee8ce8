"""Liveness and readiness."""

from __future__ import annotations

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from eventstore.migrate import eventstore_migrations
from eventstore.probes import applied_migrations

from api.deps import SystemDep
from adapters.startup import simulations

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str
    database: str
    schema_: str = Field(alias="schema")
    redis: str | None = None
    simulated: list[str]

    model_config = ConfigDict(populate_by_name=True)


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness, "description": "Not ready"}})
async def ready(system: SystemDep, request: Request) -> JSONResponse:
    """The process can serve: its database answers and holds this release's schema. Each check says "ok" or
    what is wrong; `redis` (when configured) is reported but never makes the API unready, since requests are
    served without it. `simulated` lists the providers stood in for locally (`payments`, `email`, `ai`), so a
    deployment running on simulations cannot look like the real thing."""
    body = Readiness(status="ok", database="ok", schema_="ok", simulated=simulations(system.settings))
    try:
        async with system.pool.connection(timeout=2) as conn:
            done = await applied_migrations(conn)
        missing = [m.name for m in eventstore_migrations() if m.name not in done]
        if missing:
            body.schema_ = f"behind this release by {len(missing)} migration(s): run `splits migrate`"
    except psycopg.errors.UndefinedTable:
        body.schema_ = "no Splits schema: run `splits migrate`"
    except Exception as exc:  # any failure means "not ready"; what failed is reported
        body.database, body.schema_ = f"unavailable ({type(exc).__name__})", "unknown"
    gateway = getattr(request.app.state, "gateway", None)
    if gateway is not None and gateway.redis is not None:
        try:
            await gateway.redis.ping()
            body.redis = "ok"
        except Exception as exc:  # reported only: requests are served without Redis
            body.redis = f"unavailable ({type(exc).__name__})"
    if body.database != "ok" or body.schema_ != "ok":
        body.status = "unavailable"
    return JSONResponse(body.model_dump(by_alias=True, exclude_none=True),
                        status_code=200 if body.status == "ok" else 503)
