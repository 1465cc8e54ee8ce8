"""Queries of the metrics schema: the marketplace's figures per UTC day, over a range or for today.

The figures are aggregated from the fact rows when asked (one indexed range scan per table), which keeps the
projection free of counters that a replayed event would bump twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

# The names of the figures, in the order they are reported; `date` comes first in each row.
COUNTS = ("jobs_posted", "applications", "submissions", "hires", "placements", "fees_cents", "payouts",
          "payouts_cents", "disputes_opened", "active_recruiters")
HOURS = ("time_to_hire_hours_avg", "time_to_hire_hours_median")
FIGURES = COUNTS + HOURS

_DAILY = """
WITH days AS (
    SELECT d::date AS day FROM generate_series(%(from)s::date, %(to)s::date, interval '1 day') AS d
), jobs AS (
    SELECT (posted_at AT TIME ZONE 'UTC')::date AS day, count(*) AS jobs_posted
    FROM metrics.jobs_posted WHERE posted_at >= %(start)s AND posted_at < %(end)s GROUP BY 1
), created AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS applications
    FROM metrics.applications WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY 1
), submitted AS (
    SELECT (submitted_at AT TIME ZONE 'UTC')::date AS day, count(*) AS submissions
    FROM metrics.applications WHERE submitted_at >= %(start)s AND submitted_at < %(end)s GROUP BY 1
), hired AS (
    SELECT day, count(*) AS hires, avg(hours) AS time_to_hire_hours_avg,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS time_to_hire_hours_median
    FROM (SELECT (hired_at AT TIME ZONE 'UTC')::date AS day,
                 extract(epoch FROM hired_at - created_at)::float8 / 3600 AS hours
          FROM metrics.applications WHERE hired_at >= %(start)s AND hired_at < %(end)s) AS h
    GROUP BY 1
), placed AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS placements, sum(fee_cents) AS fees_cents
    FROM metrics.placements WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY 1
), paid AS (
    SELECT (transferred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS payouts, sum(amount_cents) AS payouts_cents
    FROM metrics.payouts WHERE transferred_at >= %(start)s AND transferred_at < %(end)s GROUP BY 1
), disputed AS (
    SELECT (opened_at AT TIME ZONE 'UTC')::date AS day, count(*) AS disputes_opened
    FROM metrics.disputes WHERE opened_at >= %(start)s AND opened_at < %(end)s GROUP BY 1
), recruiters AS (
    SELECT day, count(*) AS active_recruiters
    FROM metrics.recruiter_days WHERE day BETWEEN %(from)s::date AND %(to)s::date GROUP BY 1
)
SELECT days.day AS date,
       coalesce(jobs_posted, 0)::bigint AS jobs_posted,
       coalesce(applications, 0)::bigint AS applications,
       coalesce(submissions, 0)::bigint AS submissions,
       coalesce(hires, 0)::bigint AS hires,
       coalesce(placements, 0)::bigint AS placements,
       coalesce(fees_cents, 0)::bigint AS fees_cents,
       coalesce(payouts, 0)::bigint AS payouts,
       coalesce(payouts_cents, 0)::bigint AS payouts_cents,
       coalesce(disputes_opened, 0)::bigint AS disputes_opened,
       coalesce(active_recruiters, 0)::bigint AS active_recruiters,
       time_to_hire_hours_avg::float8 AS time_to_hire_hours_avg,
       time_to_hire_hours_median::float8 AS time_to_hire_hours_median
FROM days
LEFT JOIN jobs USING (day) LEFT JOIN created USING (day) LEFT JOIN submitted USING (day)
LEFT JOIN hired USING (day) LEFT JOIN placed USING (day) LEFT JOIN paid USING (day)
LEFT JOIN disputed USING (day) LEFT JOIN recruiters USING (day)
ORDER BY days.day
"""


async def daily_metrics(db: psycopg.AsyncConnection, from_date: date, to_date: date) -> list[dict[str, Any]]:
    """One row per UTC day from `from_date` to `to_date` inclusive (none when `to_date` is before
    `from_date`), zeros on days without activity.

    Time to hire is in hours from the application's creation to its hire, over the day's hires (None on a day
    without hires); `fees_cents` are the fees of the placements created that day, `payouts_cents` the amounts
    transferred that day.
    """
    if to_date < from_date:
        return []
    params = {"from": from_date, "to": to_date, "start": datetime.combine(from_date, time.min, UTC),
              "end": datetime.combine(to_date + timedelta(days=1), time.min, UTC)}
    async with db.cursor(row_factory=dict_row) as cur:
        await cur.execute(_DAILY, params)
        return await cur.fetchall()


async def today(db: psycopg.AsyncConnection, *, now: datetime) -> dict[str, Any]:
    """The figures of the current UTC day (the day of `now`, the caller's clock reading)."""
    day = now.astimezone(UTC).date()
    return (await daily_metrics(db, day, day))[0]
