-- One append of one event to this client's own stream, its version carried from the last by \gset (bench/pgbench/run.sh).
SELECT version AS v FROM eventstore.append_one('job-' || :client_id || '-' || :r, 'job', :v, gen_random_uuid(), 'JobCreated', 1, :data, :meta, :digest::bytea) \gset
