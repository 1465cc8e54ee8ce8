"""A server-sent events client for the tests: reads a `GET /v1/stream` response into a queue of events, as a
browser's EventSource would parse it (fields `id`, `event`, `data`; comments counted apart)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Received:
    id: str | None
    event: str
    data: Any


@dataclass
class Stream:
    status: int
    events: asyncio.Queue[Received] = field(default_factory=asyncio.Queue)
    comments: list[str] = field(default_factory=list)
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    async def next(self, timeout: float = 5.0) -> Received:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def nothing_for(self, seconds: float) -> None:
        """Nothing more arrives within `seconds`."""
        try:
            got = await asyncio.wait_for(self.events.get(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"received {got}")


async def _read(response: httpx.Response, stream: Stream) -> None:
    fields: dict[str, str] = {}
    try:
        async for line in response.aiter_lines():
            if line == "":
                if "data" in fields:
                    stream.events.put_nowait(Received(fields.get("id"), fields.get("event", "message"),
                                                      json.loads(fields["data"])))
                fields = {}
            elif line.startswith(":"):
                stream.comments.append(line[1:].strip())
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                fields[name] = fields[name] + "\n" + value if name == "data" and name in fields else value
    except (httpx.HTTPError, asyncio.CancelledError):
        pass
    finally:
        stream.ended.set()


@contextlib.asynccontextmanager
async def open_stream(client: httpx.AsyncClient, headers: dict[str, str] | None = None,
                      params: dict[str, str] | None = None) -> AsyncIterator[Stream]:
    """`GET /v1/stream` held open for the block; the stream's events arrive on `Stream.events`."""
    request = client.build_request("GET", "/v1/stream", headers=headers, params=params,
                                   timeout=httpx.Timeout(10, read=None))
    response = await client.send(request, stream=True)
    stream = Stream(response.status_code)
    if response.status_code != 200:
        await response.aread()
        stream.events.put_nowait(Received(None, "refused", response.json()))
        await response.aclose()
        yield stream
        return
    reader = asyncio.create_task(_read(response, stream))
    try:
        yield stream
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        await response.aclose()
