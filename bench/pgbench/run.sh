#!/usr/bin/env bash
# The server's own cost of an append against a plain INSERT, with no Python client: pgbench (C) drives
# eventstore.append_one (stream row, xid guard, hash chain) and an INSERT of the same row into a table shaped like
# eventstore.events, 16 clients, alternating, in a throwaway database that is dropped at the end.
#   bash bench/pgbench/run.sh [clients] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=${1:-16}; seconds=${2:-8}
server=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
db="splits_pgbench_$$"
url="${server%/*}/$db"
psql "$server" -qc "CREATE DATABASE $db"
trap 'psql "$server" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
.venv/bin/python -c "import asyncio, sys; from infra.bootstrap import migrate_all; asyncio.run(migrate_all(sys.argv[1]))" "$url" >/dev/null
.venv/bin/python -c "from bench.append import RAW_DDL; print(RAW_DDL)" | psql "$url" -q
data=$(.venv/bin/python -c "import orjson; from bench.append import PAYLOAD; print(orjson.dumps(PAYLOAD).decode())")
digest='\x0102030405060708091011121314151617181920212223242526272829303132'
for round in 1 2; do
  for script in append_one raw_insert; do
    printf '%-11s ' "$script"
    pgbench "$url" -n -M prepared -c "$clients" -j 2 -T "$seconds" -D v=0 -D "r=$round$RANDOM" -D "data=$data" \
      -D 'meta={"actor":"bench"}' -D "digest=$digest" -f "bench/pgbench/$script.sql" 2>&1 | grep -E '^tps' || true
  done
done
