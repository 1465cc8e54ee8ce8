"""Reading helpers every query module shares: one row, all rows, one page of rows with its total, and one
snapshot for a view read in several queries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row


async def fetch_page(
    conn: psycopg.AsyncConnection, table: str, condition: str, params: list[Any], order: str, page: int, limit: int,
    columns: str = "*",
) -> tuple[list[dict[str, Any]], int]:
    """`columns` of the rows of `table` (or a join) matching `condition`, ordered by `order`, page `page`
    (from 1) of `limit`; and their total."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            f"SELECT {columns}, count(*) OVER () AS total FROM {table} WHERE {condition}"
            f" ORDER BY {order} LIMIT %s OFFSET %s",
            (*params, limit, (page - 1) * limit),
        )
        found = await cur.fetchall()
        if found:
            return [{k: v for k, v in row.items() if k != "total"} for row in found], found[0]["total"]
        # Past the last page the window count is lost with the rows: count on its own.
        await cur.execute(f"SELECT count(*) AS total FROM {table} WHERE {condition}", params)
        row = await cur.fetchone()
        return [], row["total"] if row else 0


async def fetch_one(conn: psycopg.AsyncConnection, sql: str, params: tuple[Any, ...] | list[Any]) -> dict[str, Any] | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params)
        return await cur.fetchone()


async def fetch_all(conn: psycopg.AsyncConnection, sql: str, params: tuple[Any, ...] | list[Any]) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params)
        return await cur.fetchall()


@asynccontextmanager
async def snapshot(conn: psycopg.AsyncConnection) -> AsyncIterator[psycopg.AsyncConnection]:
    """Every query inside reads the same moment: a read-only REPEATABLE READ transaction.

    A view built from several queries on an autocommit connection could otherwise see a projector's commit
    between two of them (the splits before it, the transactions after)."""
    async with conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield conn
