"""Retention over HTTP, for platform admins: `GET /v1/admin/retention` shows each rule (what it removes, its
setting and period, today's cutoff, how many runs and how much they removed). The scheduler runs the rules
(`splits scheduler`, or one pass now with `splits privacy retention --run`); the API only reports."""

from __future__ import annotations

from datetime import datetime
from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import Now, PlatformAdmin, SystemDep
from api.responses import ListOf, PageNumber, PageSize
from commands.privacy.retention import RULES, cutoff
from projections.privacy.retention_status import list_retention_runs

router = APIRouter(tags=["privacy"])


class RetentionRuleView(BaseModel):
    rule: str
    holds: str
    setting: str
    period: int
    unit: str
    enabled: bool
    cutoff: datetime | None
    runs: int
    removed: int
    last_run_at: datetime | None


class RetentionEnvelope(ListOf[RetentionRuleView]):
    pass


@router.get("/v1/admin/retention", response_model=RetentionEnvelope, responses={401: {}, 403: {}})
async def get_retention(_: PlatformAdmin, system: SystemDep, now: Now, page: PageNumber = 1,
                        limit: PageSize = 25) -> RetentionEnvelope:
    """The retention rules in force and what each has removed."""
    async with system.pool.connection() as conn:
        runs = await list_retention_runs(conn)
    views = []
    for rule in RULES:
        period = int(getattr(system.settings, rule.setting.lower()))
        done = runs.get(rule.name)
        views.append(RetentionRuleView(
            rule=rule.name, holds=rule.holds, setting=rule.setting, period=period, unit=rule.unit,
            enabled=period > 0, cutoff=cutoff(rule, period, now), runs=done.runs if done else 0,
            removed=done.removed if done else 0, last_run_at=done.last_run_at if done else None,
        ))
    return RetentionEnvelope.sliced(views, page, limit)
