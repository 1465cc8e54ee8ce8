"""Checkpoints commit with the caller's work, and only move forward."""

from __future__ import annotations

import pytest

from eventstore import (
    CheckpointMovedBack,
    EventStore,
    Position,
    delete_checkpoint,
    load_checkpoint,
    save_checkpoint,
)


async def test_checkpoint_saved_in_a_transaction_is_loaded_back(store: EventStore) -> None:
    async with store.pool.connection() as conn:
        assert await load_checkpoint(conn, "cp-a") is None
        async with conn.transaction():
            await save_checkpoint(conn, "cp-a", Position(10, 5), stream_offset=42)
        cp = await load_checkpoint(conn, "cp-a")
        assert cp is not None and (cp.position, cp.stream_offset) == (Position(10, 5), 42)


async def test_checkpoint_rolled_back_with_its_work(store: EventStore) -> None:
    async with store.pool.connection() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await save_checkpoint(conn, "cp-b", Position(3, 3))
                raise RuntimeError("projection failed mid-batch")
        assert await load_checkpoint(conn, "cp-b") is None


async def test_checkpoint_never_moves_back(store: EventStore) -> None:
    async with store.pool.connection() as conn:
        await save_checkpoint(conn, "cp-c", Position(7, 70), stream_offset=5)
        with pytest.raises(CheckpointMovedBack):
            await save_checkpoint(conn, "cp-c", Position(7, 69))
        await save_checkpoint(conn, "cp-c", Position(8, 1))
        cp = await load_checkpoint(conn, "cp-c")
        assert cp is not None and (cp.position, cp.stream_offset) == (Position(8, 1), 5)
        await delete_checkpoint(conn, "cp-c")
        assert await load_checkpoint(conn, "cp-c") is None
