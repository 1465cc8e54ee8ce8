-- The event store: streams, events, consumer checkpoints and the append function.

CREATE TABLE IF NOT EXISTS eventstore.streams (
    stream_id   text        PRIMARY KEY,
    stream_type text        NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 0),
    last_hash   bytea       NOT NULL,
    -- xid of the last append: a writer holding an older xid must retry, or the feed (ordered by xid)
    -- could show version n + 1 before version n.
    last_tx     xid8        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS eventstore.events (
    position       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id       uuid        NOT NULL UNIQUE,
    stream_id      text        NOT NULL,
    stream_type    text        NOT NULL,
    version        bigint      NOT NULL CHECK (version >= 1),
    type           text        NOT NULL,
    schema_version integer     NOT NULL DEFAULT 1,
    data           jsonb       NOT NULL,
    metadata       jsonb       NOT NULL DEFAULT '{}',
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    hash           bytea       NOT NULL,
    UNIQUE (stream_id, version)
);

-- The ordered feed reads by (tx_id, position).
CREATE INDEX IF NOT EXISTS events_feed_idx ON eventstore.events (tx_id, position);

-- A named consumer's place in the feed (and, for consumers of the broker's log, its stream offset).
CREATE TABLE IF NOT EXISTS eventstore.checkpoints (
    name          text        PRIMARY KEY,
    tx_id         xid8        NOT NULL,
    position      bigint      NOT NULL,
    stream_offset bigint,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- append: one round trip, one short transaction whose first write is the stream row.
--   status 'ok'        appended; version, tx and position are those of the last new event
--   status 'duplicate' these event ids are already stored in this stream: the original result
--   status 'conflict'  the expected version is stale; version is the stream's current version
-- Raises serialization_failure (40001) when the stream's last writer holds a newer xid than ours;
-- the caller retries in a new transaction, which takes a newer xid.
CREATE OR REPLACE FUNCTION eventstore.append(
    p_stream_id       text,
    p_stream_type     text,
    p_expected        bigint,
    p_event_ids       uuid[],
    p_types           text[],
    p_schema_versions integer[],
    p_data            text[],
    p_metadata        text[],
    p_digests         bytea[]
) RETURNS TABLE (status text, version bigint, tx text, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    n          integer     := cardinality(p_event_ids);
    v_now      timestamptz := now();
    v_micros   bigint      := (extract(epoch FROM now()) * 1000000)::bigint;
    v_current  bigint;
    v_hash     bytea;
    v_last_tx  xid8;
    v_hashes   bytea[]     := '{}';
    v_position bigint;
    v_exists   boolean;
BEGIN
    IF n = 0 THEN
        RAISE EXCEPTION 'append needs at least one event' USING ERRCODE = '22023';
    END IF;

    IF p_expected IS NULL AND EXISTS (SELECT 1 FROM eventstore.events e WHERE e.event_id = p_event_ids[1]) THEN
        RETURN QUERY SELECT 'duplicate', max(e.version), max(e.tx_id)::text, max(e.position)
                       FROM eventstore.events e
                      WHERE e.event_id = ANY (p_event_ids) AND e.stream_id = p_stream_id;
        RETURN;
    END IF;

    LOOP
        SELECT s.version, s.last_hash, s.last_tx INTO v_current, v_hash, v_last_tx
          FROM eventstore.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
        v_exists := FOUND;

        IF NOT v_exists THEN
            v_current := 0;
            v_hash := ''::bytea;
        END IF;

        IF p_expected IS NOT NULL AND v_current <> p_expected THEN
            IF EXISTS (SELECT 1 FROM eventstore.events e WHERE e.event_id = p_event_ids[1] AND e.stream_id = p_stream_id) THEN
                RETURN QUERY SELECT 'duplicate', max(e.version), max(e.tx_id)::text, max(e.position)
                               FROM eventstore.events e
                              WHERE e.event_id = ANY (p_event_ids) AND e.stream_id = p_stream_id;
            ELSE
                RETURN QUERY SELECT 'conflict', v_current, NULL::text, NULL::bigint;
            END IF;
            RETURN;
        END IF;

        IF v_exists AND v_last_tx > pg_current_xact_id() THEN
            RAISE EXCEPTION 'stream % was appended by a newer transaction; retry', p_stream_id
                USING ERRCODE = '40001';
        END IF;

        FOR i IN 1 .. n LOOP
            v_hash := sha256(v_hash || int8send(v_current + i) || int8send(v_micros) || p_digests[i]);
            v_hashes := v_hashes || v_hash;
        END LOOP;

        IF v_exists THEN
            UPDATE eventstore.streams s
               SET version = v_current + n, last_hash = v_hash, last_tx = pg_current_xact_id(), updated_at = v_now
             WHERE s.stream_id = p_stream_id;
            EXIT;
        END IF;

        INSERT INTO eventstore.streams AS s (stream_id, stream_type, version, last_hash, last_tx, created_at, updated_at)
        VALUES (p_stream_id, p_stream_type, n, v_hash, pg_current_xact_id(), v_now, v_now)
        ON CONFLICT (stream_id) DO NOTHING;
        EXIT WHEN FOUND;
        -- Another writer created the stream first; take the existing-stream path.
        v_hashes := '{}';
    END LOOP;

    WITH inserted AS (
        INSERT INTO eventstore.events AS e
               (event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at, hash)
        SELECT u.event_id, p_stream_id, p_stream_type, v_current + u.ord, u.type, u.schema_version,
               u.data::jsonb, u.metadata::jsonb, v_now, u.hash
          FROM unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata, v_hashes)
               WITH ORDINALITY AS u(event_id, type, schema_version, data, metadata, hash, ord)
         ORDER BY u.ord
        RETURNING e.position
    )
    SELECT max(inserted.position) INTO v_position FROM inserted;

    RETURN QUERY SELECT 'ok', v_current + n, pg_current_xact_id()::text, v_position;
END;
$$;
