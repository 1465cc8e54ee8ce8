"""Finding events by whose personal data they hold: every event with a field sealed for given subjects.

A sealed field is ``{"$pii": "<subject>", "c": …}`` at the top level of an event's data, so the subjects an
event holds are ``jsonb_path_query_array(data, '$.*."$pii"')``. Migration 0005 indexes exactly that
expression (GIN, only over events holding a sealed field), which turns an access export or an erasure
check from a scan of the whole store into an index lookup; the same query works, by a scan, without it.

Measured on this project's machine: one person's events among a million take ~4 ms with the index against
0.3–0.5 s by a scan (it grows with the store); appends pay for it about 8% in 100-event batches with nothing
sealed (the predicate is evaluated) and about 15% with sealed fields (the GIN entry), single-event appends
within the benchmark's noise. Dropping the index (a one-line migration) leaves every query working.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from uuid import uuid4

import psycopg

from eventstore.store import _COLUMNS, _recorded
from eventstore.types import RecordedEvent

# The index's expression and predicate, spelled exactly as in migration 0005 so the planner can use it.
_HOLDS_SEALED = """jsonb_path_exists(data, '$.*."$pii"')"""
_SUBJECTS = """jsonb_path_query_array(data, '$.*."$pii"')"""

_SEALED_FOR = (
    f"SELECT {_COLUMNS} FROM eventstore.events"
    f" WHERE {_HOLDS_SEALED} AND {_SUBJECTS} ?| %s::text[]"
    " ORDER BY position"
)


async def events_sealed_for(
    conn: psycopg.AsyncConnection, subjects: Sequence[str], batch: int = 500
) -> AsyncIterator[list[RecordedEvent]]:
    """Every event holding a field sealed for one of `subjects`, in store order, `batch` events at a time.

    Read through a server-side cursor on the caller's connection (inside its transaction), so a person
    with a long history is streamed rather than loaded whole. The events are as stored: load their keys
    (`Keyring.load`) before opening them.
    """
    if not subjects:
        return
    async with conn.cursor(name=f"sealed_for_{uuid4().hex[:12]}", binary=True) as cur:
        await cur.execute(_SEALED_FOR, (sorted(set(subjects)),))
        while rows := await cur.fetchmany(batch):
            yield [_recorded(row) for row in rows]
