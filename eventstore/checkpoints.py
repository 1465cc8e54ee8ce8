"""Checkpoints: a named consumer's feed position (and broker stream offset), saved in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from eventstore.types import Position


@dataclass(frozen=True, slots=True)
class Checkpoint:
    name: str
    position: Position
    stream_offset: int | None = None


class CheckpointMovedBack(RuntimeError):
    """Another instance of the consumer is ahead; this transaction must not commit."""


async def load_checkpoint(conn: psycopg.AsyncConnection, name: str) -> Checkpoint | None:
    """The consumer's saved place, or None when it has never saved one."""
    cur = await conn.execute(
        "SELECT tx_id::text, position, stream_offset FROM eventstore.checkpoints WHERE name = %s", (name,)
    )
    row = await cur.fetchone()
    return None if row is None else Checkpoint(name, Position(int(row[0]), row[1]), row[2])


async def save_checkpoint(
    conn: psycopg.AsyncConnection, name: str, position: Position, stream_offset: int | None = None
) -> None:
    """Record the consumer's place inside the caller's transaction, so it commits with the work it covers.

    A checkpoint only moves forward: saving a position behind the stored one raises
    `CheckpointMovedBack`, which should roll the caller's transaction back.
    """
    checked(name, position, await send_checkpoint(conn, name, position, stream_offset))


async def send_checkpoint(
    conn: psycopg.AsyncConnection, name: str, position: Position, stream_offset: int | None = None
) -> psycopg.AsyncCursor:
    """The statement of `save_checkpoint`, without the check: in a pipeline, pass its cursor to `checked`
    once the pipeline has synced (until then its row count is not known)."""
    return await conn.execute(
        "INSERT INTO eventstore.checkpoints AS c (name, tx_id, position, stream_offset)"
        " VALUES (%s, %s::text::xid8, %s, %s)"
        " ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position,"
        " stream_offset = coalesce(EXCLUDED.stream_offset, c.stream_offset), updated_at = now()"
        " WHERE (c.tx_id, c.position) <= (EXCLUDED.tx_id, EXCLUDED.position)",
        (name, str(position.tx), position.pos, stream_offset),
    )


def checked(name: str, position: Position, cursor: psycopg.AsyncCursor) -> None:
    """Raise `CheckpointMovedBack` when the checkpoint statement of `cursor` saved nothing."""
    if cursor.rowcount == 0:
        raise CheckpointMovedBack(f"checkpoint {name!r} is already past {position}")


async def delete_checkpoint(conn: psycopg.AsyncConnection, name: str) -> None:
    """Forget the consumer's place (it will start again from the beginning)."""
    await conn.execute("DELETE FROM eventstore.checkpoints WHERE name = %s", (name,))
