"""Bounded waits that never swallow a cancellation.

On Python 3.11 a `cancel()` that lands just as a bounded wait ends can be lost: `asyncio.wait_for`
returns the result, and `asyncio.timeout` turns it into its own TimeoutError. Either way a "stopped"
consumer would run on forever, so a pending cancel is checked and honoured here.
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
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError from None  # a cancel arrived with the timeout: it wins
        return None


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep for `seconds`, or less if `stop` is set meanwhile."""
    await at_most(stop.wait(), seconds)


def honour_cancellation() -> None:
    """Raise CancelledError if this task was cancelled and some library swallowed it on the way.

    Called at the top of consumer loops, so a lost cancel stops the loop at its next turn.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
