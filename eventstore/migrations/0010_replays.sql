-- The replays started from the operator console (consumers/runtime/replay_runs.py): one row per run, its
-- progress written by the process running it about twice a second, so that every API process can show it.
-- A run whose process died stays 'running' with an old updated_at and the replay's advisory lock free: it
-- reads as abandoned, and is marked so when the next replay of its projection starts.
CREATE TABLE IF NOT EXISTS eventstore.replay_runs (
    run_id      uuid             PRIMARY KEY,
    projection  text             NOT NULL,
    state       text             NOT NULL DEFAULT 'running'
                                 CHECK (state IN ('running', 'completed', 'failed', 'abandoned')),
    done        bigint           NOT NULL DEFAULT 0,
    total       bigint,
    started_at  timestamptz      NOT NULL DEFAULT now(),
    updated_at  timestamptz      NOT NULL DEFAULT now(),
    finished_at timestamptz,
    events      bigint,
    seconds     double precision,
    position    text,
    error       text
);

-- One running replay per projection, whichever process started it: the second start is refused here.
CREATE UNIQUE INDEX IF NOT EXISTS replay_runs_one_running ON eventstore.replay_runs (projection)
    WHERE state = 'running';
CREATE INDEX IF NOT EXISTS replay_runs_latest ON eventstore.replay_runs (projection, started_at DESC);
