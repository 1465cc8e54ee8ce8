"""The operator commands on a real database: replay and status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import create_jobs

SPLITS = str(Path(sys.executable).parent / "splits")


def splits(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": url, "LOG_LEVEL": "warning", "COLUMNS": "200"}
    env.pop("RABBITMQ_URL", None)
    return subprocess.run([SPLITS, *args], env=env, capture_output=True, text=True, timeout=120)


async def test_replay_rebuilds_the_named_projection_and_status_shows_it(fresh_store) -> None:
    url = fresh_store.pool.conninfo
    await create_jobs(fresh_store, 25)

    rebuilt = splits("replay", "ats", url=url)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "ats: 25 events" in rebuilt.stdout
    async with fresh_store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM ats.jobs")
        assert (await cur.fetchone())[0] == 25

    status = splits("status", url=url)
    assert status.returncode == 0, status.stderr
    assert "projection:ats" in status.stdout


async def test_replay_of_an_unknown_projection_says_which_exist(fresh_store) -> None:
    answer = splits("replay", "nope", url=fresh_store.pool.conninfo)
    assert answer.returncode == 2 and "unknown projection(s): nope; known: ats" in answer.stderr
    both = splits("replay", "ats", "--all", url=fresh_store.pool.conninfo)
    assert both.returncode == 2
