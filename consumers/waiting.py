"""Bounded waits that never swallow a cancellation.

Python 3.11's `asyncio.wait_for` can lose a `cancel()` that lands as the awaited thing completes, which
leaves a "stopped" consumer running forever; `asyncio.timeout` does not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def at_most(awaitable: Awaitable[T], seconds: float) -> T | None:
    """The awaitable's result, or None when `seconds` pass first (it is then cancelled)."""
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError:
        return None


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep for `seconds`, or less if `stop` is set meanwhile."""
    await at_most(stop.wait(), seconds)
