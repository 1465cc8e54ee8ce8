"""A view read in several queries reads one moment (`projections.reads.snapshot`).

Found as a flake of the billing story: the money view read a placement's splits, the billing projector committed
the splits and transactions together, and the next query read the transactions — an answer with transactions
and no splits."""

from __future__ import annotations

import pytest

from projections.reads import fetch_one, snapshot


@pytest.mark.asyncio
async def test_a_commit_between_two_queries_of_a_snapshot_is_not_seen(fresh_store) -> None:
    pool = fresh_store.pool
    async with pool.connection() as writer:
        await writer.execute("CREATE TABLE splits_seen (n int)")
    async with pool.connection() as reader, pool.connection() as writer:
        async with snapshot(reader):
            before = await fetch_one(reader, "SELECT count(*) AS n FROM splits_seen", ())
            await writer.execute("INSERT INTO splits_seen VALUES (1)")
            after = await fetch_one(reader, "SELECT count(*) AS n FROM splits_seen", ())
        assert (before, after) == ({"n": 0}, {"n": 0})
        assert await fetch_one(reader, "SELECT count(*) AS n FROM splits_seen", ()) == {"n": 1}


@pytest.mark.asyncio
async def test_a_snapshot_refuses_writes(fresh_store) -> None:
    async with fresh_store.pool.connection() as conn:
        await conn.execute("CREATE TABLE splits_written (n int)")
        with pytest.raises(Exception, match="read-only transaction"):
            async with snapshot(conn):
                await conn.execute("INSERT INTO splits_written VALUES (1)")
