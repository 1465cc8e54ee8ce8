"""The operator commands on a real database: replay and status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import create_jobs, feed_settled

SPLITS = str(Path(sys.executable).parent / "splits")


def splits(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": url, "LOG_LEVEL": "warning", "COLUMNS": "200", "ENVIRONMENT": "test"}
    env.pop("RABBITMQ_URL", None)
    return subprocess.run([SPLITS, *args], env=env, capture_output=True, text=True, timeout=120)


async def test_replay_rebuilds_the_named_projection_and_status_shows_it(fresh_store) -> None:
    url = fresh_store.pool.conninfo
    await create_jobs(fresh_store, 25)
    await feed_settled(fresh_store)  # a replay reads the feed, which another run's open transaction holds back

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
    assert answer.returncode == 2 and "unknown projection(s): nope; known: ats, identity" in answer.stderr
    both = splits("replay", "ats", "--all", url=fresh_store.pool.conninfo)
    assert both.returncode == 2


async def test_scheduler_command_expires_what_is_due_and_stops_cleanly_on_sigterm(fresh_store) -> None:
    import signal
    import time
    from datetime import UTC, datetime, timedelta
    from uuid import uuid4

    from commands.identity import invitation as invitations
    from eventstore import handle
    from tests.integration.runtime.test_scheduler import project

    invitation_id = uuid4()
    long_ago = datetime.now(UTC) - timedelta(days=30)
    await handle(fresh_store, invitations.invitation, invitation_id, invitations.CreateInvitation(
        invitation_id=invitation_id, email="old@example.com", organization_id=uuid4(), role="company_admin",
        by="admin", at=long_ago))
    await project(fresh_store)
    env = os.environ | {"DATABASE_URL": fresh_store.pool.conninfo, "LOG_LEVEL": "warning", "ENVIRONMENT": "test"}
    proc = subprocess.Popen([SPLITS, "scheduler", "--every", "0.2"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if [e.type for e in await fresh_store.read_stream(f"invitation-{invitation_id}")][-1] == "InvitationExpired":
                break
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
    assert [e.type for e in await fresh_store.read_stream(f"invitation-{invitation_id}")] == [
        "InvitationCreated", "InvitationExpired"]
    assert proc.returncode == 0, output
