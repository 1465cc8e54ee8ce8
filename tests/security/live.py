"""The API served the way `splits api` serves it (infra/cli.py), on free ports of 127.0.0.1: the public
listener and, when METRICS_PORT is given, the internal metrics listener."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

from eventstore import EventStore
from infra.bootstrap import system_for
from infra.cli import _serve_api
from adapters.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _listening(port: int, task: asyncio.Task) -> None:
    for _ in range(500):
        if task.done():
            task.result()
            raise AssertionError("the API stopped before it listened")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


@contextlib.asynccontextmanager
async def splits_api(store: EventStore, **overrides: object) -> AsyncIterator[Settings]:
    """Serve until the block ends; yields the settings (their `port`, and `metrics_port` if given)."""
    settings = Settings(database_url=store.pool.conninfo, host="127.0.0.1", port=free_port(), **overrides)
    system = system_for(settings, store)
    stop = asyncio.Event()
    task = asyncio.create_task(_serve_api(system, stop))
    try:
        await _listening(settings.port, task)
        if getattr(settings, "metrics_port", None) is not None:
            await _listening(settings.metrics_port, task)
        yield settings
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
