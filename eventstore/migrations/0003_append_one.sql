-- append_one: the common case (one event, an exact expected version) in as little work as possible.
--
-- An existing stream is locked, checked, chained and bumped by one UPDATE; a new stream (expected 0) is
-- created by one INSERT. Anything else (a stale version, a duplicate, an older xid, any-version appends)
-- falls through to eventstore.append, which sorts it out and answers the same way.
CREATE OR REPLACE FUNCTION eventstore.append_one(
    p_stream_id      text,
    p_stream_type    text,
    p_expected       bigint,
    p_event_id       uuid,
    p_type           text,
    p_schema_version integer,
    p_data           text,
    p_metadata       text,
    p_digest         bytea,
    OUT status        text,
    OUT version       bigint,
    OUT tx            text,
    OUT last_position bigint
)
LANGUAGE plpgsql AS $$
DECLARE
    v_now    timestamptz := now();
    v_micros bigint      := (extract(epoch FROM now()) * 1000000)::bigint;
    v_hash   bytea;
BEGIN
    IF p_expected IS NOT NULL AND p_expected > 0 THEN
        UPDATE eventstore.streams s
           SET version = s.version + 1,
               last_hash = sha256(s.last_hash || int8send(s.version + 1) || int8send(v_micros) || p_digest),
               last_tx = pg_current_xact_id(),
               updated_at = v_now
         WHERE s.stream_id = p_stream_id AND s.version = p_expected AND s.last_tx <= pg_current_xact_id()
        RETURNING s.version, s.last_hash INTO version, v_hash;
    ELSIF p_expected = 0 THEN
        v_hash := sha256(''::bytea || int8send(1::bigint) || int8send(v_micros) || p_digest);
        INSERT INTO eventstore.streams (stream_id, stream_type, version, last_hash, last_tx, created_at, updated_at)
        VALUES (p_stream_id, p_stream_type, 1, v_hash, pg_current_xact_id(), v_now, v_now)
        ON CONFLICT (stream_id) DO NOTHING;
        IF FOUND THEN
            version := 1;
        END IF;
    END IF;

    IF version IS NULL THEN
        SELECT a.status, a.version, a.tx, a.last_position INTO status, version, tx, last_position
          FROM eventstore.append(p_stream_id, p_stream_type, p_expected, ARRAY[p_event_id], ARRAY[p_type],
                                 ARRAY[p_schema_version], ARRAY[p_data], ARRAY[p_metadata], ARRAY[p_digest]) a;
        RETURN;
    END IF;

    INSERT INTO eventstore.events AS e
           (event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at, hash)
    VALUES (p_event_id, p_stream_id, p_stream_type, version, p_type, p_schema_version,
            p_data::jsonb, p_metadata::jsonb, v_now, v_hash)
    RETURNING e.position INTO last_position;
    status := 'ok';
    tx := pg_current_xact_id()::text;
END;
$$;
