"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import SystemDep
from infra.startup import simulations

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(system: SystemDep) -> JSONResponse:
    """The process can serve: its database answers. `simulated` lists the providers stood in for locally
    (`payments`, `email`, `ai`), so a deployment running on simulations cannot look like the real thing."""
    simulated = simulations(system.settings)
    try:
        async with system.pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        return JSONResponse({"status": "unavailable", "database": str(exc), "simulated": simulated}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "simulated": simulated})
