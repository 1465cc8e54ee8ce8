-- What the operator console's searches need on a large store (eventstore/browse.py), and nothing more.
-- Each expression is spelled exactly as browse.py queries it, so the planner can use the index.
--
-- What they cost an append, measured on a store of 200k events (EXPLAIN (ANALYZE, WAL, BUFFERS) of the append
-- function, medians of 400 appends, 2026-12-07): 4 more WAL records and ~10 more buffers per one-event append;
-- with a correlation id the correlation index is a random insert into a large btree, which after a checkpoint
-- writes a full page image (WAL ~9-16 KB -> ~17-24 KB per append, as the event id's own unique index already
-- does); a 100-event batch ~1.5-2x the WAL. The type index and the BRIN add little (appends without correlation
-- or causation ids: WAL within 2%). A GIN over the metadata instead (fast update) wrote less WAL per single
-- append, as much per batch, and its pending-list flushes gave 100-event batches with causation ids twice the
-- btrees' p99 (30 against 17 ms); we kept the btrees: an append's latency matters more here than its WAL.

-- Streams by id prefix, and by type (a type T is the prefix 'T-'): a range over the ids in byte order, so
-- '%' and '_' in a prefix are plain characters. The primary key cannot serve it (its collation is the
-- database's). Written only when a stream is created: an append's UPDATE of the row changes no indexed
-- column and stays a heap-only update.
CREATE INDEX IF NOT EXISTS streams_id_c_idx ON eventstore.streams (stream_id COLLATE "C");

-- Events of a type, newest first.
CREATE INDEX IF NOT EXISTS events_type_idx ON eventstore.events (type, position);

-- Events of a correlation (one request and what followed from it), and the events an event caused (reactors
-- record the causing event's id as the causation id). Only events that carry one are indexed.
CREATE INDEX IF NOT EXISTS events_correlation_idx ON eventstore.events ((metadata->>'correlation_id'), position)
    WHERE (metadata->>'correlation_id') IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_causation_idx ON eventstore.events ((metadata->>'causation_id'), position)
    WHERE (metadata->>'causation_id') IS NOT NULL;

-- A time range: recorded_at grows with position (an append records its transaction's start), so a block range
-- index is a few pages for the whole store and costs an append almost nothing.
CREATE INDEX IF NOT EXISTS events_recorded_at_brin ON eventstore.events USING brin (recorded_at);
