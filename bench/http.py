"""The `http` suite: commands and a query over real HTTP, the API as deployed beside a bare FastAPI app.

Two servers run as processes of their own, each one uvicorn worker on 127.0.0.1, against the throwaway database:

- ``api``: the API as `splits api` serves it (`python -m infra.cli api`: production settings, the preflight,
  `bootstrap`, `public_config`), its schemas made by `infra.bootstrap.migrate_all`. Callers sign in with RS256
  session tokens from a stand-in Clerk instance whose JWKS this process serves (SPLITS_CLERK_JWKS_URL and
  SPLITS_CLERK_ISSUER point at it, as the tests' fake Clerk does); Redis is used as deployed (REDIS_URL, rate
  limits set out of reach; ``--redis-url ''`` runs without it). Payments, email and AI are simulated by name.
- ``bare``: `bare_app` below, FastAPI + a psycopg async pool of the same size, doing the least each route can:
  validate a pydantic body and INSERT one row; UPDATE one row by id; SELECT 25 rows with a LIMIT.

The caller is a company admin, registered the way the tests seed people (commands on the identity streams,
then the identity projection caught up once, before the API starts). The cases:

- ``POST /v1/jobs``: create a job for the caller's company;
- ``PATCH /v1/jobs/{id}``: edit the title of one of the jobs made beforehand, a new title each request, the
  jobs taken in turn so concurrent requests never edit the same stream (no If-Match: the API takes the edit on
  the current version);
- ``GET /v1/jobs?limit=25``: the first page of the caller's jobs, after the ats projection has caught up with
  every job made so far.

Load comes from `wrk` (one thread, `connections` connections, a Lua script counting every non-2xx answer), in
`rounds` slices per side alternating bare and api, each after an untimed warm-up. A figure is valid only when
both sides answered every request 2xx without socket errors. Each slice also records the CPU the server
process, wrk and the whole machine used, so a ratio can be told apart from a starved client.

With ``--profile``, one more slice per case (untimed) runs `py-spy record` on the API process: the collapsed
stacks and a list of the hottest functions (own and total samples, only those taken while a thread held
the GIL: idle pool threads would otherwise lead the list) are written to the paths it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from bench.common import _machine_busy_s, fmt_ms, fmt_rate, fmt_ratio, ratio

if TYPE_CHECKING:
    from eventstore import EventStore

ROOT = Path(__file__).resolve().parent.parent  # the project: the servers run from here
SEEDED_JOBS = 400  # jobs made on each side before the load (--jobs): the edit case's targets, a list to read
AZP = "http://localhost:3000"
CLERK_USER = "user_bench_company_admin"
START_TIMEOUT_S = 60.0

# A job as a company posts it: the same body on both sides.
JOB_BODY: dict[str, Any] = {
    "title": "Senior Backend Engineer (Python, PostgreSQL)",
    "location": "Berlin",
    "department": "Platform",
    "fee_percentage": 20,
    "guarantee_days": 90,
    "salary_min_cents": 8_500_000,
    "salary_max_cents": 10_500_000,
}


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "create", "edit" or "list"
    real_path: str
    bare_path: str


CASES: tuple[Case, ...] = (
    Case("POST /v1/jobs", "create", "/v1/jobs", "/bare/jobs"),
    Case("PATCH /v1/jobs/{id}", "edit", "/v1/jobs/", "/bare/jobs/"),
    Case("GET /v1/jobs?limit=25", "list", "/v1/jobs?limit=25", "/bare/jobs?limit=25"),
)


# --- the bare app -------------------------------------------------------------------------------------

BARE_DDL = """
CREATE SCHEMA IF NOT EXISTS bench_bare;
CREATE TABLE IF NOT EXISTS bench_bare.jobs (
    id              uuid        PRIMARY KEY,
    company_id      uuid        NOT NULL,
    title           text        NOT NULL,
    location        text,
    department      text,
    fee_bps         integer     NOT NULL,
    guarantee_days  integer     NOT NULL,
    salary_min_cents bigint,
    salary_max_cents bigint,
    status          text        NOT NULL DEFAULT 'draft',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS jobs_created_idx ON bench_bare.jobs (created_at DESC);
"""
_BARE_INSERT = (
    "INSERT INTO bench_bare.jobs (id, company_id, title, location, department, fee_bps, guarantee_days,"
    " salary_min_cents, salary_max_cents) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


class BareJobBody(BaseModel):
    """A job's fields with constraints like the API's body, so validation costs about the same."""

    model_config = ConfigDict(extra="forbid")
    company_id: UUID
    title: str = Field(min_length=1, max_length=200)
    location: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    fee_percentage: float = Field(gt=0, le=100)
    guarantee_days: int = Field(default=90, ge=0, le=365)
    salary_min_cents: int | None = Field(default=None, ge=0)
    salary_max_cents: int | None = Field(default=None, ge=0)


class BareEditBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)


def bare_app() -> FastAPI:
    """The bare app (an app factory for `uvicorn --factory`): its database is BENCH_HTTP_DSN."""
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    from adapters.settings import Settings

    dsn = os.environ["BENCH_HTTP_DSN"]
    sizes = Settings.model_fields["db_pool_min"].default, Settings.model_fields["db_pool_max"].default  # the API's

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncConnectionPool(dsn, min_size=sizes[0], max_size=sizes[1], open=False,
                                       kwargs={"autocommit": True}) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/bare/jobs", status_code=201)
    async def create(body: BareJobBody) -> dict[str, Any]:
        job_id = uuid4()
        async with app.state.pool.connection() as conn:
            await conn.execute(_BARE_INSERT, (job_id, body.company_id, body.title, body.location, body.department,
                                              round(body.fee_percentage * 100), body.guarantee_days,
                                              body.salary_min_cents, body.salary_max_cents))
        return {"id": str(job_id), "version": 1}

    @app.patch("/bare/jobs/{job_id}")
    async def edit(job_id: UUID, body: BareEditBody) -> dict[str, Any]:
        async with app.state.pool.connection() as conn:
            cur = await conn.execute("UPDATE bench_bare.jobs SET title = %s, updated_at = now() WHERE id = %s",
                                     (body.title, job_id))
        if cur.rowcount != 1:
            raise HTTPException(404, f"job {job_id} not found")
        return {"id": str(job_id)}

    @app.get("/bare/jobs")
    async def list_jobs(limit: Annotated[int, Query(ge=1, le=100)] = 25) -> dict[str, Any]:
        async with app.state.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute("SELECT id, company_id, title, location, fee_bps, status, created_at"
                              " FROM bench_bare.jobs ORDER BY created_at DESC LIMIT %s", (limit,))
            rows = await cur.fetchall()
        return {"data": rows}

    return app


# --- a stand-in Clerk instance: its JWKS served from this process, its session tokens minted here -----


class Clerk:
    """One RS256 key published as a JWKS on 127.0.0.1 (a thread of this process), and tokens signed with it."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = f"ins_bench_{secrets.token_hex(6)}"
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key())) | {"kid": self.kid, "use": "sig", "alg": "RS256"}
        body = json.dumps({"keys": [jwk]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="bench-jwks", daemon=True)
        self.thread.start()

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def mint(self, user_id: str, lifetime_s: int = 3600) -> str:
        import jwt

        now = int(time.time())
        claims = {"sub": user_id, "sid": f"sess_{secrets.token_hex(12)}", "iss": self.issuer, "azp": AZP,
                  "iat": now, "nbf": now - 10, "exp": now + lifetime_s}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the world the API acts on: schemas, the caller, jobs, projections caught up -----------------------


@dataclass
class World:
    """What was made before the load: the caller's company, the jobs to edit on each side, the data key."""

    company_id: UUID
    data_key: str
    real_jobs: list[UUID] = field(default_factory=list)
    bare_jobs: list[UUID] = field(default_factory=list)


@contextlib.asynccontextmanager
async def _store(dsn: str, data_key: str) -> AsyncIterator[EventStore]:
    """A store of this process for seeding and catching up, sealing with the API's data key."""
    from eventstore import EventStore, Keyring, create_pool
    from eventstore.personal import parse_keks
    from infra.bootstrap import event_registry

    async with create_pool(dsn, min_size=1, max_size=4, name="bench-seed") as pool:
        yield EventStore(pool, event_registry(), Keyring(pool, parse_keks(data_key)))


async def prepare(dsn: str, store: EventStore, world: World, jobs_made: int) -> None:
    """Schemas (the project's migration entry point, and the bare table), the caller, and the jobs."""
    import psycopg

    from commands.ats import job as jobs
    from commands.identity import organization as orgs
    from commands.identity import user as users
    from eventstore import Metadata, handle
    from infra.bootstrap import migrate_all

    await migrate_all(dsn)
    meta, now = Metadata(actor="bench-seed", source="bench"), datetime.now(UTC)
    user_id = users.user_id_for(CLERK_USER)
    await handle(store, users.user, user_id, users.RegisterUser(
        user_id=user_id, clerk_user_id=CLERK_USER, email=f"{CLERK_USER}@example.com", email_verified=True,
        name="Bench Admin", source="portal", by="bench", at=now), meta)
    org_id = uuid4()
    await handle(store, orgs.organization, org_id, orgs.CreateOrganization(
        organization_id=org_id, name="Bench Co", slug=f"bench-{str(org_id)[:8]}", company_id=world.company_id,
        by="bench", at=now), meta)
    await handle(store, orgs.organization, org_id, orgs.AddMember(
        organization_id=org_id, user_id=user_id, role="company_admin", company_id=None, by="bench", at=now), meta)

    world.real_jobs = [uuid4() for _ in range(jobs_made)]
    for start in range(0, jobs_made, 20):
        await asyncio.gather(*(handle(store, jobs.job, job_id, jobs.CreateJob(
            job_id=job_id, company_id=world.company_id, title=f"Seeded job {start + i}", fee_bps=2000,
            by=str(user_id), at=now), meta) for i, job_id in enumerate(world.real_jobs[start:start + 20])))

    world.bare_jobs = [uuid4() for _ in range(jobs_made)]
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(BARE_DDL)
        async with conn.cursor() as cur:
            await cur.executemany(_BARE_INSERT, [(job_id, world.company_id, f"Seeded job {i}", "Berlin", None, 2000,
                                                  90, None, None) for i, job_id in enumerate(world.bare_jobs)])
    await catch_up(store, "identity")


async def catch_up(store: EventStore, projection: str, timeout_s: float = 180.0) -> int:
    """Apply every event stored so far to `projection`, as its projector would: until its checkpoint passes
    the last event in the table (the feed holds events back behind any transaction open in the cluster)."""
    from consumers.runtime.projector import Projector
    from eventstore import Position
    from projections.registry import all_projections

    projector = Projector(store.pool, all_projections()[projection], store.registry)
    async with store.pool.connection() as conn:
        last = await (await conn.execute(
            "SELECT tx_id::text, position FROM eventstore.events ORDER BY tx_id DESC, position DESC LIMIT 1")).fetchone()
    target = Position(int(last[0]), last[1])
    deadline, applied = time.monotonic() + timeout_s, 0
    while (await projector.position())[0] < target:
        applied += await projector.catch_up()
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {projection} projection did not catch up within {timeout_s:g} s")
        await asyncio.sleep(0.05)
    return applied


# --- the servers: processes of their own, stopped by pid ----------------------------------------------

_STARTED: list[subprocess.Popen] = []  # what `cleanup` stops if the run ends early


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings_free_environ() -> dict[str, str]:
    """This process's environment without any of the project's settings, so only what the suite gives counts."""
    from adapters.settings import Settings

    names = {n.upper() for n in Settings.model_fields} | {f"{n.upper()}_FILE" for n in Settings.model_fields}
    return {k: v for k, v in os.environ.items() if k.upper() not in names}


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_s(self) -> float:
        """User + system CPU seconds of the process so far (0 once it is gone)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


async def start_server(name: str, argv: list[str], env: dict[str, str], port: int, ready_path: str,
                       logs: Path) -> Server:
    """Start `argv` (a uvicorn process) and wait until `ready_path` answers 200; its output goes to a log file."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    _STARTED.append(process)
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    try:
        await _until_ready(server, ready_path)
    except BaseException:
        stop_process(process)
        raise
    return server


async def _until_ready(server: Server, ready_path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    async with httpx.AsyncClient(base_url=server.url, timeout=2) as client:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"the {server.name} server exited with {server.process.returncode}:\n{server.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(ready_path)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {server.name} server did not answer within {START_TIMEOUT_S:g} s:\n"
                                   f"{server.tail()}")
            await asyncio.sleep(0.2)


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM (a graceful shutdown), SIGKILL after 10 s; by pid, only a process this suite started."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    with contextlib.suppress(ValueError):
        _STARTED.remove(process)


def api_environ(dsn: str, port: int, clerk: Clerk, data_key: str, redis_url: str) -> dict[str, str]:
    """Production settings, with every provider simulated by name and the stand-in Clerk instance."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from adapters.audit_keys import encode_key

    env = _settings_free_environ() | {
        "ENVIRONMENT": "production", "DATABASE_URL": dsn, "HOST": "127.0.0.1", "PORT": str(port),
        "SPLITS_CLERK_JWKS_URL": clerk.jwks_url, "SPLITS_CLERK_ISSUER": clerk.issuer,
        "SPLITS_CLERK_SECRET_KEY": f"sk_test_{secrets.token_hex(16)}",
        "CLERK_API_URL": "http://127.0.0.1:9",  # never asked: the caller is registered already
        "CLERK_AUTHORIZED_PARTIES": AZP,
        "SPLITS_TOKEN_SECRET": secrets.token_urlsafe(32), "AUDIT_SIGNING_KEY": encode_key(Ed25519PrivateKey.generate()),
        "SPLITS_DATA_KEY": data_key,
        "SPLITS_PAYMENTS": "simulated", "SPLITS_EMAIL": "mailbox", "SPLITS_AI": "local",
        # One caller sends everything: its limits are set out of reach, the Redis round trips stay.
        "RATE_LIMIT_PER_USER": str(10**9), "RATE_LIMIT_PER_IP": str(10**9),
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextlib.asynccontextmanager
async def servers(dsn: str, world: World, clerk: Clerk, redis_url: str, logs: Path) -> AsyncIterator[tuple[Server, Server]]:
    """The API (`splits api`) and the bare app, each one uvicorn process, started side by side; both stopped
    afterwards."""
    api_port, bare_port = _free_port(), _free_port()
    outcomes = await asyncio.gather(
        start_server("api", [sys.executable, "-m", "infra.cli", "api", "--host", "127.0.0.1", "--port", str(api_port)],
                     api_environ(dsn, api_port, clerk, world.data_key, redis_url), api_port, "/health", logs),
        start_server("bare", [sys.executable, "-m", "uvicorn", "bench.http:bare_app", "--factory", "--host",
                              "127.0.0.1", "--port", str(bare_port), "--workers", "1", "--no-access-log",
                              "--no-proxy-headers", "--log-level", "warning"],
                     _settings_free_environ() | {"BENCH_HTTP_DSN": dsn}, bare_port, "/bare/jobs?limit=1", logs),
        return_exceptions=True)
    started = [o for o in outcomes if isinstance(o, Server)]
    try:
        failed = next((o for o in outcomes if isinstance(o, BaseException)), None)
        if failed is not None:
            raise failed
        yield started[0], started[1]
    finally:
        for server in reversed(started):
            stop_process(server.process)


# --- load: wrk with a Lua script per case and side ------------------------------------------------------

# Counts every answer that is not 2xx (wrk itself counts only >= 400), keeps the first one, and prints the
# figures as lines `done` writes (latencies in microseconds, from wrk's histogram): the summary, the first
# refusal, and the latency at 1000 evenly spaced quantiles, so slices can be merged into one distribution.
_LUA_TALLY = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non_2xx = 0; first_bad = "" end
function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 300) end
  end
end
function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non_2xx")
    local f = t:get("first_bad")
    if first == "" and f ~= nil then first = f end
  end
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"non_2xx":%d}\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, bad))
  io.write("BENCH_FIRST_BAD " .. string.gsub(first, "\n", " ") .. "\n")
  if summary.requests > 0 then
    local q = {}
    for i = 1, 1000 do q[i] = latency:percentile((i - 0.5) / 10) end
    io.write("BENCH_QUANTILES " .. table.concat(q, ",") .. "\n")
  end
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for this text (ASCII, no control chars)


def lua_script(case: Case, bare: bool, world: World, token: str) -> str:
    """The wrk script of one case on one side: method, path, headers and body, and the tally."""
    tag = secrets.token_hex(4)  # every run edits to titles of its own, so no edit is ever a no-op
    lines = [
        f'wrk.headers["Authorization"] = {_lua_string("Bearer " + token)}',
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    path = case.bare_path if bare else case.real_path
    if case.kind == "create":
        body = json.dumps({"company_id": str(world.company_id), **JOB_BODY})
        lines += ['wrk.method = "POST"', f"wrk.path = {_lua_string(path)}", f"wrk.body = {_lua_string(body)}"]
    elif case.kind == "edit":
        ids = ",".join(f'"{j}"' for j in (world.bare_jobs if bare else world.real_jobs))
        lines += [
            f"local ids = {{{ids}}}",
            "local n = 0",
            "function request()",
            "  n = n + 1",
            f"  return wrk.format(\"PATCH\", {_lua_string(path)} .. ids[(n % #ids) + 1], nil,"
            f" '{{\"title\":\"Edited {tag} ' .. n .. '\"}}')",
            "end",
        ]
    else:
        lines += ['wrk.method = "GET"', f"wrk.path = {_lua_string(path)}"]
    return "\n".join(lines) + "\n" + _LUA_TALLY


@dataclass
class Slice:
    """One timed wrk run against one server."""

    requests: int
    elapsed_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    non_2xx: int
    first_bad: str | None
    quantiles_ms: list[float]  # the latency at quantiles (i - 0.5) / 1000, i = 1..1000
    server_cpu_s: float
    wrk_cpu_s: float
    machine_busy_s: float


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def drive(server: Server, script: Path, seconds: float, connections: int) -> Slice:
    """wrk on `server` for `seconds` (stopped with SIGINT, so a slice need not be whole seconds)."""
    wrk_cpu0, server_cpu0, busy0 = _children_cpu_s(), server.cpu_s(), _machine_busy_s()
    proc = await asyncio.create_subprocess_exec(
        "wrk", "--threads", "1", "--connections", str(connections), "--duration", f"{int(seconds) + 30}s",
        "--timeout", "10s", "--latency", "--script", str(script), server.url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await asyncio.sleep(seconds)
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    server_cpu, busy = server.cpu_s() - server_cpu0, _machine_busy_s() - busy0
    text = out.decode(errors="replace")
    figures = next((line.removeprefix("BENCH ") for line in text.splitlines() if line.startswith("BENCH {")), None)
    if figures is None:
        raise RuntimeError(f"wrk gave no figures (exit {proc.returncode}): {err.decode(errors='replace')[-500:]}")
    f = json.loads(figures)
    first = next((line.removeprefix("BENCH_FIRST_BAD").strip() for line in text.splitlines()
                  if line.startswith("BENCH_FIRST_BAD")), "")
    quantiles = next(([int(x) / 1000 for x in line.split(" ", 1)[1].split(",")] for line in text.splitlines()
                      if line.startswith("BENCH_QUANTILES ")), [])
    return Slice(
        requests=f["requests"], elapsed_s=f["duration_us"] / 1e6, p50_ms=f["p50_us"] / 1000, p99_ms=f["p99_us"] / 1000,
        max_ms=f["max_us"] / 1000, socket_errors=f["connect"] + f["read"] + f["write"] + f["timeout"],
        non_2xx=f["non_2xx"], first_bad=first or None, quantiles_ms=quantiles, server_cpu_s=server_cpu,
        wrk_cpu_s=_children_cpu_s() - wrk_cpu0, machine_busy_s=max(0.0, busy),
    )


def merged_percentile(slices: list[Slice], pct: float) -> float | None:
    """The `pct`-th percentile of the slices' requests together: each slice's quantiles stand for an equal share
    of its requests (wrk keeps its histogram to itself; 1000 quantiles a slice put this within 0.1 percentile)."""
    points = sorted((q, s.requests / len(s.quantiles_ms)) for s in slices if s.quantiles_ms for q in s.quantiles_ms)
    total = sum(w for _, w in points)
    if not total:
        return None
    seen = 0.0
    for value, weight in points:
        seen += weight
        if seen >= total * pct / 100:
            return value
    return points[-1][0]


def combine(slices: list[Slice]) -> dict[str, Any]:
    """The slices of one side as one figure (one slice: wrk's own percentiles)."""
    requests = sum(s.requests for s in slices)
    elapsed = sum(s.elapsed_s for s in slices)
    single = len(slices) == 1
    return {
        "requests_per_s": requests / elapsed if elapsed else 0.0,
        "p50_ms": slices[0].p50_ms if single else merged_percentile(slices, 50),
        "p99_ms": slices[0].p99_ms if single else merged_percentile(slices, 99),
        "max_ms": max((s.max_ms for s in slices), default=None),
        "requests": requests,
        "seconds": elapsed,
        "socket_errors": sum(s.socket_errors for s in slices),
        "non_2xx": sum(s.non_2xx for s in slices),
        "first_bad": next((s.first_bad for s in slices if s.first_bad), None),
        # CPU: the server process per request, and how many cores the server, wrk and the machine kept busy.
        "server_cpu_us_per_request": sum(s.server_cpu_s for s in slices) / requests * 1e6 if requests else None,
        "server_cpu_cores": sum(s.server_cpu_s for s in slices) / elapsed if elapsed else None,
        "wrk_cpu_cores": sum(s.wrk_cpu_s for s in slices) / elapsed if elapsed else None,
        "machine_busy_cores": sum(s.machine_busy_s for s in slices) / elapsed if elapsed else None,
    }


async def check_once(server: Server, case: Case, bare: bool, world: World, token: str) -> None:
    """One request of the case before any load, so a refusal is reported once and plainly."""
    path = case.bare_path if bare else case.real_path
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        if case.kind == "create":
            answer = await client.post(path, json={"company_id": str(world.company_id), **JOB_BODY}, headers=headers)
        elif case.kind == "edit":
            job = (world.bare_jobs if bare else world.real_jobs)[0]
            answer = await client.patch(f"{path}{job}", json={"title": "Checked"}, headers=headers)
        else:
            answer = await client.get(path, headers=headers)
    if not answer.is_success:
        raise RuntimeError(f"{server.name} {case.name}: {answer.status_code} {answer.text[:300]}")
    if case.kind == "list" and len(answer.json()["data"]) != 25:
        raise RuntimeError(f"{server.name} {case.name}: {len(answer.json()['data'])} rows, not 25")


# --- profiling with py-spy -----------------------------------------------------------------------------


def find_py_spy(given: str | None) -> str:
    found = given or shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if not found or not Path(found).exists():
        raise SystemExit("py-spy not found: `pip install py-spy`, or pass --py-spy PATH")
    return found


PROJECT_PACKAGES = ("api/", "eventstore/", "commands/", "consumers/", "projections/", "adapters/", "infra/")


@dataclass
class Hottest:
    """The hottest functions of a profile, each as (frame, samples)."""

    samples: int
    own: list[tuple[str, int]]  # the function itself was running
    total: list[tuple[str, int]]  # it was on the stack (frames on every stack, the process's entry, left out)
    project: list[tuple[str, int]]  # `total`, the project's own functions only

    def rows(self, pairs: list[tuple[str, int]]) -> list[str]:
        return [f"  {n / self.samples * 100:5.1f}%  {n:>6}  {frame}" for frame, n in pairs]

    def text(self, title: str) -> str:
        return "\n".join([title,
                          "hottest by own samples (the function itself was running):", *self.rows(self.own),
                          "the project's functions by total samples (on the stack):", *self.rows(self.project),
                          "hottest by total samples (on the stack; frames on every stack left out):",
                          *self.rows(self.total)]) + "\n"

    def as_json(self) -> dict[str, Any]:
        def listed(pairs: list[tuple[str, int]]) -> list[dict[str, Any]]:
            return [{"function": f, "pct": n / self.samples * 100} for f, n in pairs]

        return {"samples": self.samples, "hottest_own": listed(self.own), "project_total": listed(self.project),
                "hottest_total": listed(self.total)}


def hottest(collapsed: str, top: int) -> Hottest:
    """The `top` functions of py-spy's collapsed stacks (`frame;frame;... count` a line, root first)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, n = stack.split(";"), int(count)
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    def by_samples(counts: Counter[str]) -> list[tuple[str, int]]:  # ties by name, so a ranking is repeatable
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    ranked = [(f, n) for f, n in by_samples(total) if n < samples]
    project = [(f, n) for f, n in ranked if f.rpartition(" (")[2].startswith(PROJECT_PACKAGES)]
    return Hottest(samples, by_samples(own)[:top], ranked[:top], project[:top])


async def profile(case: Case, api: Server, script: Path, seconds: float, connections: int, options: argparse.Namespace,
                  say: Callable[[str], None]) -> dict[str, Any]:
    """One more slice of the case on the API with py-spy sampling it; the figures of this slice are not kept."""
    py_spy = find_py_spy(options.py_spy)
    out_dir = Path(options.profile_dir or tempfile.gettempdir())
    stem = out_dir / f"splits-bench-http-{os.getpid()}-{case.kind}"
    raw, top_path = stem.with_suffix(".collapsed.txt"), stem.with_suffix(".top.txt")
    duration = max(1, round(seconds))
    load = asyncio.create_task(drive(api, script, duration + 1.5, connections))
    try:
        await asyncio.sleep(0.5)
        spy = await asyncio.create_subprocess_exec(
            py_spy, "record", "--pid", str(api.pid), "--duration", str(duration), "--rate", "200", "--format", "raw",
            "--nolineno", "--gil", "--output", str(raw), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            _, err = await asyncio.wait_for(spy.communicate(), timeout=duration + 60)
        finally:
            if spy.returncode is None:
                spy.kill()
                await spy.wait()
    finally:
        await load
    if spy.returncode != 0 or not raw.exists():
        raise RuntimeError(f"py-spy failed ({spy.returncode}): {err.decode(errors='replace')[-500:]}")
    hot = hottest(raw.read_text(), options.profile_top)
    if not hot.samples:
        raise RuntimeError(f"py-spy took no samples of the API process ({raw})")
    top_path.write_text(hot.text(f"{case.name}: {hot.samples} samples of the API process (pid {api.pid}) holding the"
                                 f" GIL, py-spy at 200 Hz for {duration} s"))
    say(f"  profile of the API under {case.name}: {top_path} (collapsed stacks: {raw})")
    for title, pairs in (("own", hot.own), ("project, total", hot.project)):
        say(f"    hottest by {title} samples, of {hot.samples}:")
        for row in hot.rows(pairs):
            say(f"    {row}")
    return {"case": case.name, "collapsed": str(raw), "top": str(top_path), **hot.as_json()}


# --- running -----------------------------------------------------------------------------------------


def _jobs(text: str) -> int:
    value = int(text)
    if value < 25:
        raise argparse.ArgumentTypeError("at least 25: the list case reads a page of 25")
    return value


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    group.add_argument("--jobs", type=_jobs, default=SEEDED_JOBS,
                       help=f"jobs made on each side before the load (default {SEEDED_JOBS}, at least 25)")
    group.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                       help="the API's REDIS_URL, as deployed (default $REDIS_URL or redis://127.0.0.1:6379/0;"
                            " '' for none); its keys for this run are deleted afterwards")
    group.add_argument("--profile", action="store_true",
                       help="after each case, one more slice with py-spy recording the API process")
    group.add_argument("--profile-top", type=int, default=25, help="functions listed per profile (default 25)")
    group.add_argument("--profile-dir", default=None, help="where profiles are written (default: the temp dir)")
    group.add_argument("--py-spy", default=None, help="the py-spy executable (default: found on PATH)")


def describe(args: argparse.Namespace) -> str:
    return (f"{args.seconds:g} s per case per side (bare, api) in {args.rounds} interleaved slices, wrk 1 thread"
            f" {args.connections} connections, each server one uvicorn worker")


def _redis_forget(redis_url: str, dsn: str) -> None:
    """Delete this run's keys (rate limits, cached access) from the shared Redis."""
    from redis import Redis

    from adapters.redis import deployment_prefix

    client = Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{deployment_prefix(dsn)}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


async def measure(case: Case, api: Server, bare: Server, scripts: dict[str, Path], seconds: float, warmup: float,
                  rounds: int, connections: int) -> dict[str, Any]:
    """`rounds` slices per side, bare and api alternating (which goes first alternates too), each warmed up."""
    parts: dict[str, list[Slice]] = {"bare": [], "api": []}
    for r in range(rounds):
        order = [("bare", bare), ("api", api)] if r % 2 == 0 else [("api", api), ("bare", bare)]
        for side, server in order:
            if warmup > 0:
                await drive(server, scripts[side], warmup, connections)
            parts[side].append(await drive(server, scripts[side], seconds / rounds, connections))
    real, base = combine(parts["api"]), combine(parts["bare"])
    valid = all(side["socket_errors"] == 0 and side["non_2xx"] == 0 for side in (real, base))
    out: dict[str, Any] = {
        "name": case.name, "connections": connections,
        "requests_per_s": real["requests_per_s"], "p50_ms": real["p50_ms"], "p99_ms": real["p99_ms"],
        "ratio_vs_bare": ratio(real["requests_per_s"], base["requests_per_s"]),
        "errors": real["socket_errors"], "non_2xx": real["non_2xx"], "valid": valid,
        "bare_requests_per_s": base["requests_per_s"], "bare_p50_ms": base["p50_ms"], "bare_p99_ms": base["p99_ms"],
        "bare_errors": base["socket_errors"], "bare_non_2xx": base["non_2xx"],
        "api": real, "bare": base,
    }
    return out


def progress_line(c: dict[str, Any]) -> str:
    flag = "" if c["valid"] else (f" [red]INVALID[/]: api {c['errors']} errors {c['non_2xx']} non-2xx,"
                                  f" bare {c['bare_errors']} errors {c['bare_non_2xx']} non-2xx")
    return (f"{c['name']:<22} api {fmt_rate(c['requests_per_s']):>6} req/s p50 {fmt_ms(c['p50_ms'])} p99"
            f" {fmt_ms(c['p99_ms'])} ms | bare {fmt_rate(c['bare_requests_per_s']):>6} req/s p50"
            f" {fmt_ms(c['bare_p50_ms'])} p99 {fmt_ms(c['bare_p99_ms'])} ms | {fmt_ratio(c['ratio_vs_bare'])} bare"
            f" | API CPU {c['api']['server_cpu_us_per_request'] or 0:,.0f} µs/req, wrk {c['api']['wrk_cpu_cores'] or 0:.2f}"
            f" cores{flag}")


def check_targets(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reported, never asserted; an invalid figure (errors or non-2xx answers) never meets a target."""
    checks = []
    for c in cases:
        if c["name"] != "POST /v1/jobs" or "failed" in c:
            continue
        checks.append({"target": "POST /v1/jobs >= 0.6x bare", "case": c["name"], "ratio": c["ratio_vs_bare"],
                       "minimum": 0.6, "met": c["valid"] and (c["ratio_vs_bare"] or 0) >= 0.6})
        checks.append({"target": "POST /v1/jobs p99 <= 25 ms", "case": c["name"], "value": c["p99_ms"],
                       "maximum": 25.0, "met": c["valid"] and c["p99_ms"] is not None and c["p99_ms"] <= 25.0})
    return checks


def table(report: dict[str, Any]):  # noqa: ANN201
    from rich.table import Table

    m = report["machine"]
    t = Table(title=f"http — {m['cores']} cores, PostgreSQL {m['pg_version']}, {report['seconds_per_case']:g} s per"
                    f" case per side, {report['connections']} connections",
              caption="requests/s; latency per request (ms, from wrk); ratio = api ÷ bare; API CPU per request"
                      " (µs, the uvicorn process); wrk: cores wrk used")
    for col in ("case", "api req/s", "p50", "p99", "bare req/s", "p50", "p99", "vs bare", "API µs/req", "wrk",
                "errors"):
        t.add_column(col, justify="left" if col == "case" else "right")
    for c in report["cases"]:
        if "failed" in c:
            t.add_row(c["name"], "[red]failed[/]")
            continue
        errors = f"{c['errors'] + c['non_2xx']}/{c['bare_errors'] + c['bare_non_2xx']}"
        t.add_row(c["name"], fmt_rate(c["requests_per_s"]), fmt_ms(c["p50_ms"]), fmt_ms(c["p99_ms"]),
                  fmt_rate(c["bare_requests_per_s"]), fmt_ms(c["bare_p50_ms"]), fmt_ms(c["bare_p99_ms"]),
                  fmt_ratio(c["ratio_vs_bare"]), fmt_rate(c["api"]["server_cpu_us_per_request"]),
                  f"{c['api']['wrk_cpu_cores'] or 0:.2f}", errors if c["valid"] else f"[red]{errors}[/]")
    failed = [c for c in report["cases"] if "failed" in c]
    if failed:
        t.caption += "".join(f"\n{c['name']} failed: {c['failed']}" for c in failed)
    return t


def _require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")


async def run(dsn: str, *, seconds: float, warmup: float, rounds: int = 3, only: list[str] | None,
              say: Callable[[str], None], options: argparse.Namespace | None = None) -> dict[str, Any]:
    """Run every case (or those whose name contains one of `only`) and return the report."""
    from eventstore.personal import generate_kek

    _require_wrk()
    options = options or argparse.Namespace(connections=16, jobs=SEEDED_JOBS, redis_url="", profile=False,
                                            profile_top=25, profile_dir=None, py_spy=None)
    if options.profile:
        find_py_spy(options.py_spy)  # refused before anything is made
    cases = [c for c in CASES if not only or any(o in c.name for o in only)]
    world = World(company_id=uuid4(), data_key=generate_kek())
    clerk = Clerk()
    token = clerk.mint(CLERK_USER, lifetime_s=int(seconds * 10 + 3600))
    results: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="splits-bench-http-") as tmp:
            logs = Path(tmp)
            async with _store(dsn, world.data_key) as store:
                await prepare(dsn, store, world, options.jobs)
                async with servers(dsn, world, clerk, options.redis_url, logs) as (api, bare):
                    say(f"  api pid {api.pid}, bare pid {bare.pid}; {options.jobs} jobs seeded on each side")
                    for case in cases:
                        try:
                            result, profiled = await _one_case(case, store, api, bare, world, token, logs, seconds,
                                                               warmup, rounds, options, say)
                        except Exception as exc:  # reported and the next case runs
                            result = {"name": case.name, "connections": options.connections,
                                      "failed": f"{type(exc).__name__}: {exc}"}
                            say(f"{case.name:<22} [red]failed[/]: {result['failed']}\n{api.tail()}")
                            profiled = None
                        results.append(result)
                        if profiled:
                            profiles.append(profiled)
    finally:
        clerk.close()
        if options.redis_url:
            with contextlib.suppress(Exception):  # the keys expire anyway: a failed cleanup is not a failed run
                _redis_forget(options.redis_url, dsn)
    return {
        "suite": "http", "seconds_per_case": seconds, "warmup_seconds": warmup, "rounds": rounds,
        "connections": options.connections, "wrk_threads": 1, "uvicorn_workers": 1, "seeded_jobs": options.jobs,
        "redis": bool(options.redis_url), "cases": results, "targets": check_targets(results),
        **({"profiles": profiles} if options.profile else {}),
    }


async def _one_case(case: Case, store: EventStore, api: Server, bare: Server, world: World, token: str, logs: Path,
                    seconds: float, warmup: float, rounds: int, options: argparse.Namespace,
                    say: Callable[[str], None]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if case.kind == "list":
        applied = await catch_up(store, "ats")
        say(f"  the ats projection caught up ({applied} events) before {case.name}")
    scripts = {}
    for side, server in (("bare", bare), ("api", api)):
        await check_once(server, case, side == "bare", world, token)
        scripts[side] = logs / f"{case.kind}-{side}.lua"
        scripts[side].write_text(lua_script(case, side == "bare", world, token))
    result = await measure(case, api, bare, scripts, seconds, warmup, rounds, options.connections)
    say(progress_line(result))
    if not result["valid"]:
        say(f"  first refusal: api {result['api']['first_bad']!r}, bare {result['bare']['first_bad']!r}")
    profiled = None
    if options.profile:
        profiled = await profile(case, api, scripts["api"], seconds, options.connections, options, say)
    return result, profiled


def cleanup() -> None:
    """Stop whatever server a failed or interrupted run left running (by pid)."""
    for process in list(_STARTED):
        with contextlib.suppress(Exception):
            stop_process(process)
