"""What retention has done: per rule, how many runs are recorded, how much they removed, and the latest run.

Read from the retention streams themselves (`retention-<rule>`, `retention-application-<id>`): they are few
and small, and the status must tell the truth right after a run, whatever the read models' lag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg


@dataclass(frozen=True)
class RuleRuns:
    rule: str
    runs: int
    removed: int
    last_run_at: datetime | None
    last_cutoff: datetime | None


async def list_retention_runs(conn: psycopg.AsyncConnection) -> dict[str, RuleRuns]:
    """Every rule that has run at least once, by name."""
    cur = await conn.execute("""
        SELECT data->>'rule', count(*), coalesce(sum((data->>'removed')::bigint), 0),
               max(recorded_at), max((data->>'cutoff')::timestamptz)
          FROM eventstore.events
         WHERE type = 'RetentionApplied' AND stream_type = 'retention'
         GROUP BY data->>'rule'""")
    return {rule: RuleRuns(rule, runs, int(removed), last_at, last_cutoff)
            for rule, runs, removed, last_at, last_cutoff in await cur.fetchall()}
