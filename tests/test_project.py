"""The project's own promises: the README's commands, CI, and the CLI on a real database (the stack: tests/test_deployment.py)."""

from __future__ import annotations

import pytest
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from eventstore import eventstore_migrations

ROOT = Path(__file__).resolve().parent.parent
SPLITS = str(Path(sys.executable).parent / "splits")


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README must open with a bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_two_commands_and_ci_runs_the_test_one() -> None:
    run, test = readme_commands()
    assert run.endswith("splits dev") and "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text().splitlines()


@pytest.mark.slow
def test_the_tests_that_restart_a_shared_service_are_refused_beside_other_workers() -> None:
    """Under `-n` a test that stops PostgreSQL, RabbitMQ or Redis would fail the other workers' tests."""
    gateway = "tests/integration/platform/test_gateway.py"
    refused = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "1", "-rf", "-k",
                              "redis_stopped or development_sign_in_cannot", gateway], cwd=ROOT, capture_output=True, text=True,
                             timeout=180)
    assert "stops a service the other workers use" in refused.stdout, refused.stdout[-2000:]
    assert "1 passed, 1 error" in refused.stdout and refused.returncode != 0, refused.stdout[-2000:]
    alone = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "1", "--collect-only",
                            "-q", "-m", "not restarts", gateway], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert alone.returncode == 0, alone.stdout[-2000:]


def test_migrate_command_creates_the_event_store_and_is_idempotent(empty_database_url: str) -> None:
    env = os.environ | {"DATABASE_URL": empty_database_url}
    first = subprocess.run([SPLITS, "migrate"], env=env, capture_output=True, text=True, timeout=60)
    again = subprocess.run([SPLITS, "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert f"applied {len(eventstore_migrations())} migration" in first.stdout
    assert "applied 0 migration" in again.stdout
    done = subprocess.run(
        ["psql", empty_database_url, "-Atc", "SELECT to_regclass('eventstore.events'), to_regclass('ats.jobs')"],
        capture_output=True, text=True, timeout=30,
    )
    assert done.stdout.strip() == "eventstore.events|ats.jobs"


def test_migrate_without_database_url_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([SPLITS, "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "DATABASE_URL is not set" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dev_starts_an_embedded_database_and_serves(tmp_path: Path) -> None:
    """`splits dev` on a machine with no DATABASE_URL: the README's first command."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PORT": str(port), "SPLITS_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([SPLITS, "dev"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        ready = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert ready is not None and ready.json() == {"status": "ok", "database": "ok", "schema": "ok",
                                                      "simulated": ["payments", "email", "ai"]}
        # The whole path in one process: command, projector fed from the event store, query with the token.
        admin = {"Authorization": "Bearer dev:user_dev_admin"}
        created = httpx.post(f"http://127.0.0.1:{port}/v1/jobs", json={"company_id": "00000000-0000-0000-0000-000000000007", "title": "Dev", "fee_percentage": 20}, headers=admin, timeout=10)
        assert created.status_code == 201, created.text
        read = httpx.get(f"http://127.0.0.1:{port}/v1/jobs/{created.json()['id']}", params={"after": created.json()["consistency_token"]}, headers=admin, timeout=10)
        assert read.status_code == 200 and read.json()["data"]["title"] == "Dev"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output
    assert "embedded postgres stopped" in output
    shutil.rmtree(tmp_path / "data", ignore_errors=True)
