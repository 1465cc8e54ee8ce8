-- Each consumer's lag, sampled every LAG_SAMPLE_S into one row per bucket, for the console's lag chart
-- (consumers/runtime/lag_history.py). A ring buffer: the samplers delete what is older than an hour. Every
-- consumers process samples; the bucket's time is the key, so the first to write a bucket wins.
CREATE TABLE IF NOT EXISTS eventstore.consumer_lag (
    name        text        NOT NULL,
    sampled_at  timestamptz NOT NULL,
    lag_events  bigint      NOT NULL,
    lag_seconds float8      NOT NULL,
    PRIMARY KEY (name, sampled_at)
);
CREATE INDEX IF NOT EXISTS consumer_lag_sampled_at ON eventstore.consumer_lag (sampled_at);
