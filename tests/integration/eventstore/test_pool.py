"""The pool never hands on a connection that a cancelled task left mid-protocol.

A projector applies its batch in pipeline mode. Cancelled inside the pipeline, psycopg can fail to
leave libpq's pipeline mode ("cannot exit pipeline mode with uncollected results" is logged and
ignored while a cancellation unwinds) and the connection goes back to the pool looking idle. The next
task's autocommit statements then ran without a sync, inside a transaction that was never committed:
appends that answered `ok` were lost when the connection was discarded (seen as a stream one version
short in tests/integration/runtime/test_projector_crash.py).
"""

from __future__ import annotations

from uuid import uuid4

import psycopg
from psycopg import pq

from eventstore import NO_STREAM, EventStore, NewEvent
from eventstore.db import create_pool


async def test_a_connection_left_in_pipeline_mode_is_not_handed_on(database_url) -> None:
    pool = create_pool(database_url, min_size=1, max_size=1)
    async with pool:
        async with pool.connection() as conn:
            conn.pgconn.enter_pipeline_mode()  # the state a cancelled pipeline can leave behind

        async with pool.connection() as conn:
            assert conn.pgconn.pipeline_status == pq.PipelineStatus.OFF
            assert conn.pgconn.transaction_status == pq.TransactionStatus.IDLE

        stream = f"tick-{uuid4()}"
        result = await EventStore(pool).append(stream, [NewEvent("Ticked", {"n": 1}, uuid4())], NO_STREAM)
        assert result.version == 1

    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as other:
        cur = await other.execute("SELECT version FROM eventstore.streams WHERE stream_id = %s", (stream,))
        assert await cur.fetchone() == (1,)  # committed, not lost with the connection
