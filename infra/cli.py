"""The `splits` command: one entry point for every process and tool.

The processes (`api`, `relay`, `consumers`, `scheduler`, `dev`) and `migrate` and `asyncapi` are here; the
operators' tools are in modules of their own, registered on the same app below: infra/cli_ops.py (`status`,
`replay`, `dlq`), infra/cli_data.py (`audit`, `privacy`), infra/keys_cli.py and infra/admin_cli.py. What the
commands share (settings, refusals, the database check) is in infra/cli_common.py."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from infra.bootstrap import System, bootstrap, migrate_all
from infra.cli_common import (  # noqa: F401 - _require_database and _settings are also read by keys_cli, admin_cli
    _checked,
    _process_settings,
    _refuse,
    _require,
    _require_database,
    _settings,
)
from infra.cli_data import audit_app, privacy_app
from infra.cli_ops import dlq_app, replay, status
from adapters.settings import Settings

app = typer.Typer(help="Splits: split-fee recruiting marketplace backend.", no_args_is_help=True)
# The long-running processes a deployment runs (docker-compose.yml and infra/k8s/ have one service each).
PROCESSES = ("api", "relay", "consumers", "scheduler")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process's stop event decides when it ends."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _run(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main(stop)` until it returns; SIGINT/SIGTERM set `stop` so everything shuts down in order."""

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(runner())


async def _serve_api(system: System, stop: asyncio.Event) -> None:
    from infra.app import create_app  # the API is only imported by the commands that serve it

    @contextlib.asynccontextmanager
    async def existing() -> AsyncIterator[System]:
        yield system

    from api.serving import metrics_config, public_config

    api = create_app(existing)
    # What starting made (the routes, the models, the adapters) lives as long as this process: out of the
    # collector's sight, a full collection walks only what requests made since, instead of pausing a request for
    # the whole heap (in `bench http` they were the slowest percent). Here, not in the app's lifespan: a process
    # that builds many apps (the tests) would keep every one of them.
    gc.freeze()

    async def end_streams() -> None:  # uvicorn waits for open responses: the live streams end first
        await stop.wait()
        if getattr(api.state, "live", None) is not None:
            await api.state.live.end_streams()

    ending = asyncio.create_task(end_streams())
    try:
        await _serve([public_config(api, system.settings),
                      *filter(None, [metrics_config(api.state, system.settings)])], stop)
    finally:
        ending.cancel()


async def _serve_metrics(system: System, stop: asyncio.Event) -> None:
    """The internal metrics listener of a process without the API (METRICS_PORT; nothing when unset)."""
    from types import SimpleNamespace

    from api.serving import metrics_config

    config = metrics_config(SimpleNamespace(system=system), system.settings)
    if config is not None:
        await _serve([config], stop)


async def _serve(configs: list[uvicorn.Config], stop: asyncio.Event) -> None:
    """Serve every listener until `stop` is set or one of them ends; then stop them all, and the process."""
    servers = [_Server(config) for config in configs]
    serving = [asyncio.create_task(server.serve()) for server in servers]
    await asyncio.wait([*serving, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*serving)
    stop.set()


def _sized_for_consumers(settings: Settings, only: set[str] | None, relay: bool, shared: int = 0) -> Settings:
    """The pool sized from CONSUMER_PREFETCH (consumers/runtime/app.py), or a one-line refusal naming the setting."""
    from consumers.runtime.app import PoolTooSmall, consumer_settings

    try:
        return consumer_settings(settings, only, relay, shared=shared)
    except PoolTooSmall as exc:
        _refuse(str(exc))


async def _run_consumers(system: System, stop: asyncio.Event, only: set[str] | None, relay: bool) -> None:
    from consumers.runtime.app import Consumers

    await Consumers(system, only=only, relay=relay).run(stop)


@app.command()
def migrate() -> None:
    """Create or update the database schemas. Idempotent; safe while other processes run."""
    settings = _settings()
    applied = asyncio.run(_migrate_and_seed(_require_database(settings, migrated=False), settings))
    typer.echo(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


async def _migrate_and_seed(dsn: str, settings: Settings) -> list[str]:
    """The schemas, then the plan catalogue (recorded once; it holds no personal data, so no key is needed)."""
    from eventstore import EventStore, Keyring, create_pool
    from consumers.billing.catalogue import seed_catalogue
    from infra.bootstrap import data_keys_of, event_registry
    from adapters.clock import SystemClock

    applied = await migrate_all(dsn)
    async with create_pool(dsn, min_size=1, max_size=2) as pool:
        await seed_catalogue(EventStore(pool, event_registry(), Keyring(pool, data_keys_of(settings))),
                             SystemClock(settings.splits_clock_offset))
    return applied


@app.command()
def api(
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: $PORT or 8000).")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: 127.0.0.1).")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, /health, /ready)."""
    settings = _process_settings(port=port, host=host)
    _require_database(settings, cache=True)

    async def main(stop: asyncio.Event) -> None:
        async with bootstrap(settings) as system:
            await _serve_api(system, stop)

    _run(main)


@app.command()
def relay() -> None:
    """Publish the event store's feed to RabbitMQ (one leader; extra instances wait as standbys)."""
    settings = _process_settings()
    _require(settings.rabbitmq_url, "RABBITMQ_URL", "The relay publishes to RabbitMQ.")
    _require_database(settings, broker=True)
    settings = _sized_for_consumers(settings, {"relay"}, relay=True)

    async def main(stop: asyncio.Event) -> None:
        async with bootstrap(settings) as system:
            await asyncio.gather(_run_consumers(system, stop, only={"relay"}, relay=True), _serve_metrics(system, stop))

    _run(main)


@app.command()
def consumers(
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only these projections or reactors.")] = None,
) -> None:
    """Run the projectors and reactors (from RabbitMQ, or from the feed when RABBITMQ_URL is unset)."""
    settings = _process_settings()
    _require_database(settings, broker=True)
    settings = _sized_for_consumers(settings, set(only) if only else None, relay=False)

    async def main(stop: asyncio.Event) -> None:
        async with bootstrap(settings) as system:
            await asyncio.gather(_run_consumers(system, stop, only=set(only) if only else None, relay=False),
                                 _serve_metrics(system, stop))

    _run(main)


async def _run_scheduler(system: System, stop: asyncio.Event, every_s: float) -> None:
    from consumers.schedules import retention_schedules_of
    from consumers.runtime.scheduler import Scheduler
    from consumers.schedules import all_schedules

    schedules = [*all_schedules(), *retention_schedules_of(system)]
    await Scheduler(system.pool, system.store, schedules, system.clock).run(stop, every_s=every_s)


@app.command()
def scheduler(
    every: Annotated[float, typer.Option(help="Seconds between passes.", min=0.1)] = 60.0,
) -> None:
    """Send what comes due with time: expiries, warnings, early-access activation, job closing, guarantee
    completion, retention. One instance is active; others wait as standbys. Each command is recorded once."""
    settings = _process_settings()
    _require_database(settings)

    async def main(stop: asyncio.Event) -> None:
        async with bootstrap(settings) as system:
            await asyncio.gather(_run_scheduler(system, stop, every), _serve_metrics(system, stop))

    _run(main)


@contextlib.contextmanager
def _dev_database(settings: Settings) -> Iterator[str]:
    if settings.database_url:
        yield settings.database_url
        return
    from infra.localdb import embedded_database

    with embedded_database(settings.splits_data_dir) as url:
        yield url


@app.command()
def dev(
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: $PORT or 8000).")] = None,
) -> None:
    """Run everything in one process: API, relay, projectors and reactors.

    Without DATABASE_URL an embedded PostgreSQL is started under $SPLITS_DATA_DIR (default .splits/);
    without RABBITMQ_URL projectors and reactors read the event store's feed directly.
    """
    from api.auth import clerk_instances

    settings = _settings(mode="development", port=port)
    if not settings.development:
        _refuse(f"`splits dev` runs in development mode, but ENVIRONMENT={settings.environment} is set: unset it, "
                "or run the processes (`splits api`, `splits consumers`, ...)")
    _checked(settings)
    # Development sign-in only while no Clerk instance is configured: with one, `dev:<id>` could be a real user.
    dev_sign_in = not clerk_instances(settings)
    with _dev_database(settings) as url:
        settings = settings.model_copy(update={"database_url": url, "splits_dev_auth": dev_sign_in})
        # One pool for the API and the scheduler (DB_POOL_MAX each) and the consumers (from CONSUMER_PREFETCH).
        settings = _sized_for_consumers(settings, None, relay=True, shared=2 * settings.db_pool_max)
        applied = asyncio.run(migrate_all(url))
        transport = "RabbitMQ" if settings.rabbitmq_url else "the event store's feed (no RABBITMQ_URL)"
        typer.echo(f"database ready ({len(applied)} new migration(s)); consumers read {transport}; "
                   f"API on http://{settings.host}:{settings.port}")
        if dev_sign_in:
            typer.echo(f"no Clerk instance configured: development sign-in is on. A platform admin is ready: "
                       f"`Authorization: Bearer dev:{DEV_ADMIN}`; any `dev:<name>` signs in as that Clerk user")

        async def main(stop: asyncio.Event) -> None:
            async with bootstrap(settings) as system:
                if dev_sign_in:
                    await _seed_dev_admin(system)
                await asyncio.gather(
                    _serve_api(system, stop), _run_consumers(system, stop, only=None, relay=True),
                    _run_scheduler(system, stop, every_s=60.0),
                )

        _run(main)


DEV_ADMIN = "user_dev_admin"


async def _seed_dev_admin(system: System) -> None:
    """The platform admin of development sign-in; idempotent, so every `splits dev` start may run it."""
    from commands.identity import user as users
    from eventstore import Metadata, handle

    user_id, now = users.user_id_for(DEV_ADMIN), system.clock.now()
    steps = [
        users.RegisterUser(user_id=user_id, clerk_user_id=DEV_ADMIN, email="dev-admin@example.com",
                           name="Development admin", source="portal", by="splits-dev", at=now),
        users.GrantRole(user_id=user_id, role="platform_admin", by="splits-dev", at=now),
    ]
    for i, command in enumerate(steps):
        meta = Metadata(actor="splits-dev", idempotency_key=f"dev-admin:{i}", source="cli")
        await handle(system.store, users.user, user_id, command, meta)


@app.command()
def asyncapi(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")] = None,
) -> None:
    """The published events as an AsyncAPI 3.0 document (the same as the API's /asyncapi.json)."""
    import json

    from consumers.runtime.topology import Topology
    from infra.asyncapi import document

    settings = _settings()
    text = json.dumps(document(Topology(prefix=settings.rabbitmq_prefix)), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


# --- the operators' tools, in the order `splits --help` lists them ------------------------------------------------

from infra.keys_cli import keys_app  # noqa: E402 - imported last: it reads this module's helpers when it runs
from infra.admin_cli import admin_app  # noqa: E402

app.command()(status)
app.command()(replay)
app.add_typer(dlq_app, name="dlq")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(admin_app, name="admin")
app.add_typer(privacy_app, name="privacy")


if __name__ == "__main__":
    app()
