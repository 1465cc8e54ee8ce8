"""The common mistakes of a deployment, each one line naming the setting and the fix, exit 2, no traceback
(infra/preflight.py), for the process commands and the one-off ones alike; and `/ready` naming what is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SPLITS = str(Path(sys.executable).parent / "splits")


def splits(tmp_path: Path, *args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "ENVIRONMENT": "test", **environment}
    return subprocess.run([SPLITS, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stdout + done.stderr
    return done.stderr.strip().splitlines()[-1]  # after the start-up notices, if any


@pytest.mark.parametrize("command", [["api"], ["consumers"], ["scheduler"], ["status"]])
def test_an_unmigrated_database_says_run_migrate(command: list[str], empty_database_url: str, tmp_path: Path) -> None:
    line = one_line(splits(tmp_path, *command, DATABASE_URL=empty_database_url))
    assert line.endswith("has no Splits schema yet: run `splits migrate`") and "DATABASE_URL" in line


@pytest.mark.parametrize("command", [["migrate"], ["api"], ["relay"]])
def test_postgresql_unreachable_names_the_setting_and_the_address(command: list[str], tmp_path: Path) -> None:
    line = one_line(splits(tmp_path, *command, DATABASE_URL="postgresql://splits:secret@127.0.0.1:1/splits",
                           RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/"))
    assert line.startswith("DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:1/splits (")
    assert "secret" not in line


def test_a_malformed_database_url_is_said_without_echoing_it(tmp_path: Path) -> None:
    line = one_line(splits(tmp_path, "migrate", DATABASE_URL="postgres:/user:hunter2@host db"))
    assert line == "DATABASE_URL is malformed: give postgresql://user:password@host:5432/dbname"


@pytest.mark.parametrize(("url", "expected"), [
    ("amqp://guest:guest@127.0.0.1:1/", "RABBITMQ_URL: cannot reach RabbitMQ at 127.0.0.1:1 ("),
    ("http://127.0.0.1:5672/", "RABBITMQ_URL is malformed: give amqp://user:password@host:5672/ (or amqps://)"),
])
def test_rabbitmq_unreachable_or_malformed_stops_the_relay_and_the_consumers(
        url: str, expected: str, fresh_database_url: str, tmp_path: Path) -> None:
    for command in ("relay", "consumers"):
        assert one_line(splits(tmp_path, command, DATABASE_URL=fresh_database_url, RABBITMQ_URL=url)
                        ).startswith(expected), command


def test_redis_unreachable_stops_the_api(fresh_database_url: str, tmp_path: Path) -> None:
    line = one_line(splits(tmp_path, "api", DATABASE_URL=fresh_database_url, REDIS_URL="redis://127.0.0.1:1/0"))
    assert line.startswith("REDIS_URL: cannot reach Redis at 127.0.0.1:1 (")


def test_a_missing_secret_in_production_is_one_line(fresh_database_url: str, tmp_path: Path) -> None:
    done = splits(tmp_path, "api", DATABASE_URL=fresh_database_url, ENVIRONMENT="production")
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert "SPLITS_" in done.stderr.strip().splitlines()[-1]


async def test_ready_names_a_schema_behind_the_release_and_redis_down(fresh_store) -> None:
    from adapters.settings import Settings
    from tests.api import serving

    settings = Settings(database_url=fresh_store.pool.conninfo, redis_url="redis://127.0.0.1:1/0")
    async with serving(fresh_store, settings) as (client, _):
        ready = await client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json() | {"redis": "?"} == {"status": "ok", "database": "ok", "schema": "ok", "redis": "?",
                                                 "simulated": ready.json()["simulated"]}
        assert ready.json()["redis"].startswith("unavailable")
        async with fresh_store.pool.connection() as conn:
            await conn.execute("DELETE FROM eventstore.migrations WHERE name = %s",
                               ("eventstore/0005_sealed_subjects.sql",))
        behind = await client.get("/ready")
        assert behind.status_code == 503
        assert behind.json()["status"] == "unavailable"
        assert behind.json()["schema"] == "behind this release by 1 migration(s): run `splits migrate`"
