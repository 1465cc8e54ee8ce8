-- Why a reactor gave up on an event: the error and the attempts it took, kept where the reactor dead-letters it
-- (before the reject in broker mode, beside the inbox's 'dead-lettered' outcome in feed mode), so the operator
-- console shows more than RabbitMQ's x-death reason. The error is the exception's type and message, cut to
-- 1000 characters. A requeue forgets the row; the dead-letter retention drops rows older than its cutoff.
CREATE TABLE IF NOT EXISTS eventstore.dead_letter_errors (
    reactor          text        NOT NULL,
    event_id         uuid        NOT NULL,
    error            text        NOT NULL,
    attempts         integer     NOT NULL,
    dead_lettered_at timestamptz NOT NULL,
    PRIMARY KEY (reactor, event_id)
);
CREATE INDEX IF NOT EXISTS dead_letter_errors_at ON eventstore.dead_letter_errors (dead_lettered_at);
