"""One page of rows and the total that match, for the ats list queries (not a table module)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row


async def fetch_page(
    conn: psycopg.AsyncConnection, table: str, condition: str, params: list[Any], order: str, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Rows of `table` matching `condition`, ordered by `order`, page `page` (from 1) of `limit`; and their total."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            f"SELECT *, count(*) OVER () AS total FROM {table} WHERE {condition} ORDER BY {order} LIMIT %s OFFSET %s",
            (*params, limit, (page - 1) * limit),
        )
        found = await cur.fetchall()
        if found:
            return [{k: v for k, v in row.items() if k != "total"} for row in found], found[0]["total"]
        # Past the last page the window count is lost with the rows: count on its own.
        await cur.execute(f"SELECT count(*) AS total FROM {table} WHERE {condition}", params)
        row = await cur.fetchone()
        return [], row["total"] if row else 0


async def fetch_one(conn: psycopg.AsyncConnection, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params)
        return await cur.fetchone()


async def fetch_all(conn: psycopg.AsyncConnection, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params)
        return await cur.fetchall()
