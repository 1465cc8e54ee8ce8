"""Retention seen over HTTP and run from the CLI: the rules in force, and what their runs removed."""

from __future__ import annotations

import pytest
import asyncio
import os
import subprocess
import sys
from pathlib import Path

from eventstore import EventStore
from tests.integration.privacy.test_erasure_api import Api, api  # noqa: F401 - the fixture

SPLITS = str(Path(sys.executable).parent / "splits")


def splits(*args: str, url: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": url, "LOG_LEVEL": "error", "COLUMNS": "200", "ENVIRONMENT": "test"} | extra
    for name in ("RABBITMQ_URL", "SPLITS_DATA_KEY", "SPLITS_DATA_KEY_FILE", "REDIS_URL"):
        env.pop(name, None)
    return subprocess.run([SPLITS, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
async def test_platform_admins_see_each_rule_and_what_its_runs_removed(api: Api) -> None:
    root = await api.admin()
    await api.register("rita")
    assert (await api.client.get("/v1/admin/retention")).status_code == 401
    refused = await api.client.get("/v1/admin/retention", headers=api.as_("rita"))
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"

    answer = await api.client.get("/v1/admin/retention", headers=root)
    assert answer.status_code == 200, answer.text
    rules = {r["rule"]: r for r in answer.json()["data"]}
    assert set(rules) == {"applications", "notifications", "mailbox", "dead-letters"}
    assert rules["mailbox"] | {"cutoff": None} == {
        "rule": "mailbox", "holds": "the development mailbox", "setting": "RETENTION_MAILBOX_DAYS", "period": 14,
        "unit": "days", "enabled": True, "cutoff": None, "runs": 0, "removed": 0, "last_run_at": None,
    }
    assert rules["mailbox"]["cutoff"] is not None

    # One pass from the CLI records each daily rule once (a second pass the same day records nothing more).
    url = api.store.pool.conninfo
    first = await asyncio.to_thread(splits, "privacy", "retention", "--run", url=url, RETENTION_DEAD_LETTERS_DAYS="0")
    assert first.returncode == 0, first.stderr
    assert "retention-notifications: 1 sent" in first.stdout and "retention-mailbox: 1 sent" in first.stdout
    lines = {line.split()[0]: " ".join(line.split()[1:]) for line in first.stdout.splitlines()}
    assert lines["dead-letters"] == "RETENTION_DEAD_LETTERS_DAYS kept for good (0); never run"
    assert lines["mailbox"].startswith("RETENTION_MAILBOX_DAYS 14 days, removing what is older than")
    again = await asyncio.to_thread(splits, "privacy", "retention", "--run", url=url, RETENTION_DEAD_LETTERS_DAYS="0")
    assert again.returncode == 0 and "sent" not in again.stdout, again.stdout

    rules = {r["rule"]: r for r in (await api.client.get("/v1/admin/retention", headers=root)).json()["data"]}
    assert (rules["mailbox"]["runs"], rules["notifications"]["runs"]) == (1, 1)
    assert rules["mailbox"]["last_run_at"] is not None and rules["dead-letters"]["runs"] == 0
