"""Logs: one JSON object per line in production, readable lines in development (in a child process,
so this test's logging configuration stays its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
from infra.logs import configure_logging
from infra.settings import Settings
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
