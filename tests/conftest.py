"""Shared fixtures: every test run gets its own PostgreSQL databases, dropped at the end."""

from __future__ import annotations

import asyncio
import os
import queue
import secrets
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import redis

from adapters.redis import deployment_prefix
from eventstore import EventStore, create_pool
from infra.bootstrap import event_registry, migrate_all

# Fakes of third parties that serve fixtures (real HTTP servers on 127.0.0.1).
pytest_plugins = ["tests.fakes.clerk"]

ADMIN_URL = os.environ.get("SPLITS_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# One name per process: each pytest-xdist worker has databases and broker names of its own.
RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"


def database_url_for(name: str) -> str:
    return psycopg.conninfo.make_conninfo(ADMIN_URL, dbname=name)


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


# The Redis the tests' apps and consumers are given (each test's keys under its database's deployment prefix).
TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


def _drop(name: str) -> None:
    """Drop a test database and the Redis keys made under its name (rate-limit windows, cached access, live
    backlogs): a test leaves nothing behind."""
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        with redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=5) as client:
            keys = list(client.scan_iter(f"{deployment_prefix(database_url_for(name))}:*", count=1000))
            for start in range(0, len(keys), 1000):
                client.unlink(*keys[start:start + 1000])
    except redis.RedisError:  # Redis stopped by a test of its own restart: its keys went with it
        pass


class Clones:
    """Databases cloned from the template a step ahead of the tests that take them, and dropped behind them, on a
    thread of this worker's own: a clone and a drop took a quarter of an API test's time, spent waiting on
    PostgreSQL with the event loop blocked."""

    AHEAD = 2

    def __init__(self, template: str) -> None:
        self.template = template
        self.ready: queue.Queue[str | BaseException] = queue.Queue()
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="clones")
        for _ in range(self.AHEAD):
            self.thread.submit(self._clone)

    def _clone(self) -> None:
        name = f"splits_test_{RUN_ID}_{secrets.token_hex(4)}"
        try:
            _admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        except BaseException as exc:  # the test that takes it says why
            self.ready.put(exc)
        else:
            self.ready.put(name)

    def take(self) -> str:
        self.thread.submit(self._clone)
        got = self.ready.get(timeout=300)
        if isinstance(got, BaseException):  # made while PostgreSQL restarted under another test, say: once more
            self._clone()
            got = self.ready.get(timeout=300)
        if isinstance(got, BaseException):
            raise got
        return got

    def give_back(self, name: str) -> None:
        self.thread.submit(_drop, name)

    def close(self) -> None:
        self.thread.shutdown(wait=True)
        while not self.ready.empty():
            got = self.ready.get()
            if isinstance(got, str):
                _drop(got)


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    """A migrated database that per-test databases are cloned from."""
    name = f"splits_test_{RUN_ID}_tmpl"
    _admin(f'CREATE DATABASE "{name}"')

    asyncio.run(migrate_all(database_url_for(name)))
    yield name
    _drop(name)


@pytest.fixture(scope="session")
def clones(template_database: str) -> Iterator[Clones]:
    supply = Clones(template_database)
    yield supply
    supply.close()


@pytest.fixture(scope="session")
def database_url(template_database: str) -> Iterator[str]:
    """The run's shared database: tests that use it keep to their own stream ids."""
    name = f"splits_test_{RUN_ID}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield database_url_for(name)
    _drop(name)


@pytest.fixture
def fresh_database_url(clones: Clones) -> Iterator[str]:
    """A migrated database of the test's own, for tests that read the whole feed."""
    name = clones.take()
    yield database_url_for(name)
    clones.give_back(name)


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator:
    async with create_pool(database_url, min_size=2, max_size=20) as pool:
        yield pool


@pytest.fixture
async def store(pool) -> EventStore:
    return EventStore(pool, event_registry())


@pytest.fixture
async def fresh_store(fresh_database_url: str) -> AsyncIterator[EventStore]:
    async with create_pool(fresh_database_url, min_size=2, max_size=40) as pool:
        yield EventStore(pool, event_registry())


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    """A database with nothing in it, not even the event store's schema."""
    name = f"splits_test_{RUN_ID}_{secrets.token_hex(4)}_empty"
    _admin(f'CREATE DATABASE "{name}"')
    yield database_url_for(name)
    _drop(name)


RABBITMQ_URL = os.environ.get("SPLITS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture
async def topology() -> AsyncIterator:
    """RabbitMQ names of the test's own, deleted afterwards."""
    import aio_pika

    from consumers.runtime.topology import Topology

    from consumers.reactors import all_reactors

    topo = Topology(prefix=f"splits_test_{RUN_ID}_{secrets.token_hex(3)}")
    yield topo
    # Every queue the consumers may have declared: quorum queues left behind pile up across runs.
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await topo.delete_all(channel, {r.name: r.retry_delays_ms() for r in all_reactors()})


def _queues_of_this_run() -> list[str]:
    """The broker's queues named under this run's prefix, as `rabbitmqctl` lists them ([] where it is not here)."""
    import shutil
    import subprocess

    if shutil.which("rabbitmqctl") is None:
        return []
    listed = subprocess.run(["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name"],
                            capture_output=True, text=True, timeout=60)
    return [name for name in listed.stdout.split() if name.startswith(f"splits_test_{RUN_ID}_")]


@pytest.fixture(scope="session", autouse=True)
def no_queues_left() -> Iterator[None]:
    """At the end of the run, every queue this run declared and no test removed: a stand-in reactor's (its retry
    delays are not the real reactor's), a queue a test deleted from under its topology. The topology fixture
    removes the real reactors' queues after each test; this catches the rest, which used to pile up."""
    yield
    if not (names := _queues_of_this_run()):
        return

    async def delete() -> None:
        import aio_pika

        async with await aio_pika.connect(RABBITMQ_URL) as connection:
            channel = await connection.channel()
            for name in names:
                await channel.queue_delete(name)

    asyncio.run(delete())


@pytest.fixture
async def amqp() -> AsyncIterator:
    """A robust aio-pika connection (reconnects by itself)."""
    import aio_pika

    connection = await aio_pika.connect_robust(RABBITMQ_URL)
    async with connection:
        yield connection


@pytest.fixture
async def broker() -> AsyncIterator:
    """A connected FastStream broker for publishing."""
    import logging

    from faststream.rabbit import Channel, RabbitBroker

    broker = RabbitBroker(RABBITMQ_URL, default_channel=Channel(on_return_raises=True), log_level=logging.DEBUG)
    await broker.connect()
    yield broker
    await broker.stop()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that stops a shared service never runs beside other tests: under `-n` it fails before it starts."""
    if item.get_closest_marker("restarts") and os.environ.get("PYTEST_XDIST_WORKER") is not None:
        pytest.fail("this test stops a service the other workers use: run `-n N -m 'not restarts'`, then"
                    " `-m restarts` on its own", pytrace=False)


@pytest.hookimpl(trylast=True)  # after `-m` has deselected: the order is of what runs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked `slow` start first, spread over the workers: a parallel run lasts as long as its busiest
    worker, and a long test started late runs on alone while the others idle.

    xdist's `worksteal` gives each of its N workers one of N consecutive slices of this list to start with (the
    k-th takes what remains // (N - k)); idle workers then steal from the end of the busiest one's queue. So each
    slice opens with its share of the slow tests.
    """
    slow = [item for item in items if item.get_closest_marker("slow")]
    rest = iter([item for item in items if not item.get_closest_marker("slow")])
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    ordered: list[pytest.Item] = []
    remaining = len(items)
    for k in range(workers):
        share = slow[k::workers]
        size = remaining // (workers - k)
        remaining -= size
        ordered += share + [item for _, item in zip(range(size - len(share)), rest)]
    items[:] = ordered + list(rest)
