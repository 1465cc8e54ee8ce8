"""Marketplace metrics for platform admins: the daily figures over a date range, and the current UTC day's
figures as Prometheus gauges for the `/metrics` scrape.

The figures come from the `metrics` read schema (`projections/metrics`); nothing is counted here.
"""

from __future__ import annotations

import math
import weakref
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Gauge
from pydantic import BaseModel

from api.bounds import Day
from api.deps import Db, Now, PlatformAdmin
from api.problems import problem
from projections.metrics import queries

router = APIRouter(prefix="/v1/admin/metrics", tags=["metrics"])

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30


class DailyMetricsOut(BaseModel):
    """One UTC day of the marketplace. Money is integer cents; time to hire is None on a day without hires."""

    date: date
    jobs_posted: int
    applications: int
    submissions: int
    hires: int
    placements: int
    fees_cents: int
    payouts: int
    payouts_cents: int
    disputes_opened: int
    active_recruiters: int
    time_to_hire_hours_avg: float | None
    time_to_hire_hours_median: float | None


class DailyMetricsPage(BaseModel):
    data: list[DailyMetricsOut]


@router.get("/daily", response_model=DailyMetricsPage, responses={401: {}, 403: {}, 422: {}})
async def daily(
    db: Db,
    _: PlatformAdmin,
    now: Now,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Annotated[Day | None, Query()] = None,
) -> DailyMetricsPage | JSONResponse:
    """The figures of each UTC day from `from` to `to` inclusive (by default the last 30 days to today), at most
    366 days; days without activity are zeros."""
    to = to or now.date()
    from_ = from_ or to - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if to < from_:
        return problem(422, "invalid request", "`to` is before `from`", code="invalid_request")
    if (to - from_).days + 1 > MAX_RANGE_DAYS:
        return problem(422, "invalid request", f"a range covers at most {MAX_RANGE_DAYS} days",
                       code="invalid_request", max_days=MAX_RANGE_DAYS)
    rows = await queries.daily_metrics(db, from_, to)
    return DailyMetricsPage(data=[DailyMetricsOut(**row) for row in rows])


# --- Prometheus ----------------------------------------------------------------------------------------------

_HELP = {
    "jobs_posted": "Jobs that first went active today (UTC).",
    "applications": "Applications created or proposed today (UTC).",
    "submissions": "Applications first submitted today (UTC).",
    "hires": "Applications hired today (UTC).",
    "placements": "Placements created today (UTC).",
    "fees_cents": "Fees of the placements created today (UTC), in cents.",
    "payouts": "Payout transfers made today (UTC).",
    "payouts_cents": "Amount of the payout transfers made today (UTC), in cents.",
    "disputes_opened": "Disputes opened today (UTC).",
    "active_recruiters": "Distinct recruiters with recorded activity today (UTC).",
    "time_to_hire_hours_avg": "Mean hours from application to hire over today's hires (UTC); NaN without hires.",
    "time_to_hire_hours_median": "Median hours from application to hire over today's hires (UTC); NaN without hires.",
}

# A gauge is registered once per registry: keep them with it (and let them go with it), as consumers.runtime.status does.
_gauges: weakref.WeakKeyDictionary[CollectorRegistry, dict[str, Gauge]] = weakref.WeakKeyDictionary()


def _gauges_of(registry: CollectorRegistry) -> dict[str, Gauge]:
    gauges = _gauges.get(registry)
    if gauges is None:
        gauges = _gauges[registry] = {
            name: Gauge(f"splits_marketplace_{name}", _HELP[name], registry=registry) for name in queries.FIGURES
        }
    return gauges


async def export_marketplace_gauges(db: psycopg.AsyncConnection, registry: CollectorRegistry, *,
                                    now: datetime) -> dict[str, Any]:
    """Set the `splits_marketplace_*` gauges on `registry` to the current UTC day's figures (the day of `now`,
    the system clock's reading); returns the figures."""
    figures = await queries.today(db, now=now)
    for name, gauge in _gauges_of(registry).items():
        value = figures[name]
        gauge.set(math.nan if value is None else float(value))
    return figures
