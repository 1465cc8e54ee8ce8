"""A consumers process's concurrency and its pool come from one setting, CONSUMER_PREFETCH, and a pool too
small for them is refused at start-up in one line naming the setting (issue 15, reproduction 5)."""

from __future__ import annotations

import os
import subprocess

import pytest

from consumers.runtime.app import PoolTooSmall, concurrency_of, consumer_settings
from consumers.reactors import all_reactors
from adapters.settings import Settings
from projections.registry import all_projections
from tests.integration.platform.test_cli import SPLITS

BROKER = "amqp://guest:guest@127.0.0.1:5672/"


def test_the_pool_is_sized_from_the_prefetch_one_connection_per_handler() -> None:
    reactors, projectors = len(all_reactors()), len(all_projections())
    shipped = consumer_settings(Settings(rabbitmq_url=BROKER))
    assert shipped.consumer_prefetch == 2
    assert shipped.db_pool_max == 2 * reactors + projectors + 1 + 3  # + the relay, status reports, lag sampler, metrics
    wider = consumer_settings(Settings(rabbitmq_url=BROKER, consumer_prefetch=5), relay=False)
    assert wider.db_pool_max == 5 * reactors + projectors + 3
    assert concurrency_of(wider, relay=False).handlers == 5 * reactors
    relay_only = consumer_settings(Settings(rabbitmq_url=BROKER), {"relay"})
    assert relay_only.db_pool_max == 4 and relay_only.db_pool_min <= 4
    # DB_POOL_MAX given and large enough is kept; too small is refused, naming both settings.
    assert consumer_settings(Settings(rabbitmq_url=BROKER, db_pool_max=200)).db_pool_max == 200
    with pytest.raises(PoolTooSmall, match=rf"DB_POOL_MAX=10 .*CONSUMER_PREFETCH=2 × {reactors} reactor queues"):
        consumer_settings(Settings(rabbitmq_url=BROKER, db_pool_max=10))


def test_splits_consumers_refuses_a_pool_too_small_in_one_line(database_url: str) -> None:
    env = os.environ | {"DATABASE_URL": database_url, "RABBITMQ_URL": BROKER,
                        "DB_POOL_MAX": "10", "ENVIRONMENT": "test", "LOG_LEVEL": "warning"}
    answer = subprocess.run([SPLITS, "consumers"], env=env, capture_output=True, text=True, timeout=60)
    assert answer.returncode == 2, answer.stderr
    said = [line for line in answer.stderr.splitlines() if line.strip() and "[warning" not in line]  # not the logs
    assert len(said) == 1 and said[0].startswith("DB_POOL_MAX=10 is too small"), answer.stderr
    lines = said
    assert "CONSUMER_PREFETCH" in lines[0]
