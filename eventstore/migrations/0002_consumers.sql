-- What the consumers keep beside their checkpoints.

-- Reactors: the events each has handled, so a redelivered event causes no second side effect.
CREATE TABLE IF NOT EXISTS eventstore.inbox (
    reactor      text        NOT NULL,
    event_id     uuid        NOT NULL,
    outcome      text        NOT NULL DEFAULT 'done',
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reactor, event_id)
);

-- Every consumer's last reported state, for `splits status` and /admin/status.
CREATE TABLE IF NOT EXISTS eventstore.consumer_status (
    name       text        PRIMARY KEY,
    kind       text        NOT NULL,
    state      text        NOT NULL,
    detail     text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
