"""A stream's hash chain checked in the operator console, recorded on `chaincheck-<uuid5 of the stream id>`: every
check of one stream reads together, whoever made it and whatever the verdict."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.core import Event


class StreamChainVerified(Event):
    """An operator had the server recompute `stream_id`'s hash chain (eventstore/chain_check.py). `ok` is about
    what was checked: `events_checked` events from version 1 and, unless `capped` says why the check stopped
    early, the stream row's tip. `first_problem` is where the history first failed to verify, as the verifier
    wrote it, at `first_problem_version`."""

    check_id: UUID
    stream_id: str
    stream_version: int
    events_checked: int
    ok: bool
    problem_count: int
    first_problem_version: int | None
    first_problem: str | None
    capped: str | None
    operator: str
    at: datetime
