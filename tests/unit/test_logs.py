"""Logs: one JSON object per line in production, readable lines in development (in a child process,
so this test's logging configuration stays its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
from adapters.logs import configure_logging
from adapters.settings import Settings
import structlog
settings = Settings()
configure_logging(settings.log_level, settings.logs_as)
structlog.get_logger("t").info("job created", job_id="j-1")
"""


def _log_line(environment: str, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "ENVIRONMENT")}
    env |= {"ENVIRONMENT": environment, **extra}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stderr.strip().splitlines()[-1]


def test_production_logs_are_json_with_level_and_time() -> None:
    line = json.loads(_log_line("production"))
    assert (line["event"], line["job_id"], line["level"]) == ("job created", "j-1", "info") and "timestamp" in line


@pytest.mark.parametrize(("environment", "extra"), [("development", {}), ("production", {"LOG_FORMAT": "console"})])
def test_development_logs_are_readable_lines(environment: str, extra: dict) -> None:
    line = _log_line(environment, **extra)
    assert "job created" in line and "job_id=j-1" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


# A 500 as production serves it: the problem handlers, Starlette re-raising, uvicorn logging the error.
SERVE_AN_ERROR = """
import asyncio, httpx, uvicorn
from fastapi import FastAPI
from api.problems import install_problem_handlers
from adapters.logs import configure_logging
from adapters.settings import Settings

settings = Settings()
configure_logging(settings.log_level, settings.logs_as)
app = FastAPI()
install_problem_handlers(app)

@app.get("/boom")
async def boom():
    secret_local = "LOCAL-VALUE-" * 2000
    raise RuntimeError("the kettle exploded")

async def main():
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{port}/boom")
    assert answer.status_code == 500 and answer.json()["code"] == "internal", answer.text
    server.should_exit = True
    await task

asyncio.run(main())
"""


def _serve_an_error(**env_extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "ENVIRONMENT")}
    env |= {"ENVIRONMENT": "production", **env_extra}
    done = subprocess.run([sys.executable, "-c", SERVE_AN_ERROR], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_json_logs_carry_the_formatted_traceback_of_a_500_without_locals() -> None:
    lines = [json.loads(line) for line in _serve_an_error().splitlines() if line.startswith("{")]
    errors = [line for line in lines if line["level"] == "error"]
    assert len(errors) == 1, lines
    traceback = errors[0]["exception"]
    assert traceback.startswith("Traceback (most recent call last):")
    assert 'in boom' in traceback and "RuntimeError: the kettle exploded" in traceback
    assert "LOCAL-VALUE-LOCAL-VALUE" not in json.dumps(errors[0]) and "secret_local" not in traceback


def test_console_logs_print_one_traceback_without_locals() -> None:
    stderr = _serve_an_error(LOG_FORMAT="console")
    assert stderr.count("Traceback (most recent call last):") == 1, stderr[-3000:]
    assert stderr.count("RuntimeError: the kettle exploded") == 1
    assert "LOCAL-VALUE-LOCAL-VALUE" not in stderr and "secret_local" not in stderr
    assert len(stderr.splitlines()) < 200
