"""The `splits` command: one entry point for every process and tool."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn
from uuid import UUID

import click
import structlog
import typer
import uvicorn
from pydantic import ValidationError

from infra.bootstrap import System, bootstrap, migrate_all
from adapters.logs import configure_logging
from adapters.sentry import init_sentry
from adapters.tracing import configure_tracing
from adapters.settings import Settings, SettingsProblem, load_settings
from adapters.startup import refusal, simulation_notices

if TYPE_CHECKING:
    from consumers.runtime.status import StatusReport

log = structlog.get_logger(__name__)

app = typer.Typer(help="Splits: split-fee recruiting marketplace backend.", no_args_is_help=True)
# The long-running processes a deployment runs (docker-compose.yml and infra/k8s/ have one service each).
PROCESSES = ("api", "relay", "consumers", "scheduler")
dlq_app = typer.Typer(help="Dead letters: events a reactor gave up on.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


def _settings(*, mode: Literal["production", "development"] = "production", **overrides: object) -> Settings:
    """One command's settings. Without ENVIRONMENT a command runs as production: every command but
    `splits dev`, whose mode is development, so a deployment that forgets the variable is not left open."""
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsProblem as exc:
        _refuse(str(exc))
    except ValidationError as exc:
        _refuse(_unreadable(exc))
    if "environment" not in settings.model_fields_set:
        settings = settings.model_copy(update={"environment": mode})
    configure_logging(settings.log_level, settings.logs_as)
    init_sentry(settings)
    command = click.get_current_context(silent=True)
    configure_tracing(command.info_name if command is not None and command.info_name else "cli")
    return settings


def _unreadable(exc: ValidationError) -> str:
    """One line for settings that do not parse, naming each (without echoing a value, which may be a secret)."""
    wrong = [f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()]
    return "settings that cannot be used: " + "; ".join(wrong)


def _refuse(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _checked(settings: Settings) -> Settings:
    """Refuse, in one line, what the process may not start with (adapters/startup.py); announce its simulations."""
    problem = refusal(settings)
    if problem:
        _refuse(problem)
    for notice in simulation_notices(settings):
        log.warning(notice)
    return settings


def _process_settings(**overrides: object) -> Settings:
    """The settings of a long-running process (`api`, `relay`, `consumers`, `scheduler`): production or test,
    never development, whose sign-in, mailbox and fixed token secret belong to `splits dev` alone."""
    settings = _settings(**overrides)
    if settings.development:
        _refuse("ENVIRONMENT=development is the mode of `splits dev` only: run `splits dev`, or set "
                "ENVIRONMENT=production (the default) or ENVIRONMENT=test")
    return _checked(settings)


def _require(value: str | None, name: str, hint: str) -> str:
    if not value:
        typer.echo(f"{name} is not set. {hint}", err=True)
        raise typer.Exit(2)
    return value


def _require_database(settings: Settings, *, migrated: bool = True, broker: bool = False, cache: bool = False) -> str:
    """DATABASE_URL, once the database (and, when asked, the broker and Redis) answer and the schema is this
    release's; otherwise one line naming the setting and the fix (infra/preflight.py), and exit 2."""
    from infra.preflight import Needs, Unready, preflight

    try:
        asyncio.run(preflight(settings, Needs(migrated=migrated, broker=broker, cache=cache)))
    except Unready as exc:
        _refuse(str(exc))
    assert settings.database_url is not None
    return settings.database_url


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
    await _serve([public_config(api, system.settings), *filter(None, [metrics_config(api.state, system.settings)])],
                 stop)


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


@app.command()
def status() -> None:
    """Each consumer's position, lag and state, and dead-letter counts."""
    from rich.console import Console

    from consumers.runtime.status import read_status, render_table

    settings = _settings()
    _require_database(settings)

    async def main() -> None:
        async with bootstrap(settings) as system:
            report = await read_status(system.pool)
            report.dead_letters = await _dead_letter_counts(system)
            report = await _with_queue_depths(system, report)
            Console().print(render_table(report))

    asyncio.run(main())


async def _with_queue_depths(system: System, report: StatusReport) -> StatusReport:
    if not system.settings.rabbitmq_url:
        return report
    from consumers.runtime.topology import topology_of
    from consumers.reactors import all_reactors
    from consumers.runtime.status import queue_depths

    names = [r.name for r in all_reactors()]
    return report.with_queue_depths(await queue_depths(system.settings.rabbitmq_url, topology_of(system), names))


async def _dead_letter_counts(system: System) -> dict[str, int]:
    if not system.settings.rabbitmq_url:
        return {}
    from consumers.runtime.topology import topology_of
    from consumers.runtime.dlq import dead_letter_counts
    from consumers.reactors import all_reactors

    names = [r.name for r in all_reactors()]
    return await dead_letter_counts(system.settings.rabbitmq_url, topology_of(system), names)


@app.command()
def replay(
    projection: Annotated[str | None, typer.Argument(help="The projection to rebuild (see `splits status`).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Rebuild every projection.")] = False,
) -> None:
    """Rebuild a projection from the event store into a shadow schema, then swap it in atomically."""
    from consumers.runtime.replay import replay_with_progress
    from projections.registry import all_projections

    settings = _settings()
    _require_database(settings)
    known = all_projections()
    if all_ == (projection is not None):
        typer.echo("name one projection, or pass --all", err=True)
        raise typer.Exit(2)
    names = list(known) if all_ else [projection]
    unknown = [n for n in names if n not in known]
    if unknown:
        typer.echo(f"unknown projection(s): {', '.join(unknown)}; known: {', '.join(known)}", err=True)
        raise typer.Exit(2)

    async def main() -> None:
        async with bootstrap(settings) as system:
            for name in names:
                result = await replay_with_progress(system.pool, known[name], system.store.registry)
                typer.echo(f"{name}: {result.events} events in {result.seconds:.1f}s ({result.events_per_s:,.0f}/s)")

    asyncio.run(main())


def _dlq_context(settings: Settings) -> str:
    return _require(settings.rabbitmq_url, "RABBITMQ_URL", "Dead letters live in RabbitMQ.")


@dlq_app.command("list")
def dlq_list(reactor: Annotated[str, typer.Argument(help="Reactor name.")]) -> None:
    """List a reactor's dead letters (they stay in the queue)."""
    import aio_pika

    from consumers.runtime.dlq import list_dead_letters
    from consumers.runtime.topology import Topology

    settings = _settings()
    url = _dlq_context(settings)

    async def main() -> None:
        async with await aio_pika.connect(url) as connection:
            letters = await list_dead_letters(connection, Topology(settings.rabbitmq_prefix), reactor)
        for letter in letters:
            typer.echo(f"{letter.event_id}  {letter.type:<32} {letter.stream_id}  deaths={letter.deaths} ({letter.reason})")
        typer.echo(f"{len(letters)} dead letter(s) for {reactor}")

    asyncio.run(main())


@dlq_app.command("show")
def dlq_show(reactor: str, event_id: str) -> None:
    """Show one dead letter in full."""
    import aio_pika
    import orjson

    from consumers.runtime.dlq import list_dead_letters
    from consumers.runtime.topology import Topology

    settings = _settings()
    url = _dlq_context(settings)

    async def main() -> None:
        async with await aio_pika.connect(url) as connection:
            letters = await list_dead_letters(connection, Topology(settings.rabbitmq_prefix), reactor)
        found = [letter for letter in letters if letter.event_id == event_id]
        if not found:
            typer.echo(f"no dead letter {event_id} for {reactor}", err=True)
            raise typer.Exit(1)
        typer.echo(orjson.dumps({**found[0].summary(), "event": orjson.loads(found[0].body)}, option=orjson.OPT_INDENT_2).decode())

    asyncio.run(main())


@dlq_app.command("requeue")
def dlq_requeue(
    reactor: str,
    event_id: Annotated[str | None, typer.Option("--id", help="Only this event (default: all).")] = None,
) -> None:
    """Send dead letters back to the reactor with a fresh retry budget (after fixing the cause)."""
    import aio_pika

    from consumers.runtime.dlq import requeue_dead_letters
    from consumers.runtime.topology import Topology

    settings = _settings()
    url = _dlq_context(settings)

    async def main() -> int:
        async with await aio_pika.connect(url) as connection:
            return await requeue_dead_letters(connection, Topology(settings.rabbitmq_prefix), reactor, event_id)

    typer.echo(f"requeued {asyncio.run(main())} dead letter(s) for {reactor}")


if __name__ == "__main__":
    app()


# --- audit exports ---------------------------------------------------------------------------------------------

audit_app = typer.Typer(help="Audit bundles of a placement's money trail, for billing disputes.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("export")
def audit_export(
    placement: Annotated[str, typer.Option("--placement", help="The placement's id.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the bundle (a .zip).")],
) -> None:
    """Export the placement's signed audit bundle (recorded as an export by the platform)."""
    import getpass
    from uuid import UUID

    from eventstore import Metadata
    from api.audit.bundles import export_placement
    from adapters.audit_keys import signing_key

    settings = _settings()
    _require_database(settings)
    try:
        placement_id = UUID(placement)
    except ValueError:
        typer.echo(f"not a placement id: {placement!r}", err=True)
        raise typer.Exit(2) from None
    key = signing_key(settings)
    exporter = f"cli:{getpass.getuser()}"

    async def main() -> None:
        async with bootstrap(settings) as system:
            taken = await export_placement(system.store, placement_id, exporter, "platform_admin", key,
                                           Metadata(actor=exporter, source="cli"), clock=system.clock)
        if taken is None:
            typer.echo(f"placement {placement_id} not found", err=True)
            raise typer.Exit(1)
        out.write_bytes(taken.bundle)
        typer.echo(f"wrote {out}: {taken.event_count} events, export {taken.export_id}")

    asyncio.run(main())


@audit_app.command("verify")
def audit_verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle (.zip) to check.")],
    public_key: Annotated[str | None, typer.Option(
        "--public-key", help="The platform's key (hex, from GET /v1/audit/public-key); checked if given.")] = None,
) -> None:
    """Recompute every hash chain, check the digests and the signature; exit 0 only when the bundle is intact.

    A hostile file is a TAMPERED verdict (exit 1) with its reasons, never a traceback: the zip's index is
    checked before anything is inflated, and every entry is read against a cap."""
    from projections.audit.bundle import verify_bundle

    if not bundle.is_file():
        typer.echo(f"no such file: {bundle}", err=True)
        raise typer.Exit(2)
    verdict = verify_bundle(bundle, public_key)
    typer.echo(verdict.line())
    for problem in verdict.problems:
        typer.echo(f"  - {problem}")
    raise typer.Exit(0 if verdict.intact else 1)


@audit_app.command("keygen")
def audit_keygen() -> None:
    """Print a new signing key for AUDIT_SIGNING_KEY, and its public key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from adapters.audit_keys import encode_key
    from projections.audit.bundle import public_key_hex

    key = Ed25519PrivateKey.generate()
    typer.echo(f"AUDIT_SIGNING_KEY={encode_key(key)}")
    typer.echo(f"public key: {public_key_hex(key.public_key())}")


# --- keys that protect personal data -------------------------------------------------------------------------------

from infra.keys_cli import keys_app  # noqa: E402 - a sub-command group of its own module

app.add_typer(keys_app, name="keys")


# --- platform admins, by an operator ---------------------------------------------------------------------------

from infra.admin_cli import admin_app  # noqa: E402 - a sub-command group of its own module

app.add_typer(admin_app, name="admin")


# --- personal data -----------------------------------------------------------------------------------------

privacy_app = typer.Typer(help="Personal data: access exports and erasure.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("export")
def privacy_export(
    out: Annotated[Path, typer.Option("--out", help="Where to write the export (a .zip).")],
    user: Annotated[str | None, typer.Option("--user", help="A user's id.")] = None,
    candidate: Annotated[str | None, typer.Option("--candidate", help="A candidate record's id.")] = None,
    recruiter: Annotated[str | None, typer.Option("--recruiter", help="A recruiter's id.")] = None,
) -> None:
    """Export everything held about a person (an access request), recorded as an export by the platform."""
    import getpass
    import shutil

    from eventstore import Metadata
    from api.privacy.archive import ExportLimits, ExportTooLarge, export_person

    kind, person_id = _one_person(user, candidate, recruiter)
    settings = _settings()
    _require_database(settings)
    exporter = f"cli:{getpass.getuser()}"
    limits = ExportLimits(settings.privacy_export_max_events, settings.privacy_export_max_bytes)

    async def main() -> None:
        async with bootstrap(settings) as system:
            try:
                taken = await export_person(system.store, system.adapters.storage, kind, person_id, exporter,  # type: ignore[arg-type]
                                            system.clock.now(), Metadata(actor=exporter, source="cli"), limits)
            except ExportTooLarge as exc:
                typer.echo(f"{exc.message} (raise PRIVACY_EXPORT_MAX_EVENTS / PRIVACY_EXPORT_MAX_BYTES)", err=True)
                raise typer.Exit(1) from None
        if taken is None:
            typer.echo(f"{kind} {person_id} not found", err=True)
            raise typer.Exit(1)
        with taken.file, out.open("wb") as target:
            shutil.copyfileobj(taken.file, target)
        typer.echo(f"wrote {out}: {taken.event_count} events, {taken.size} bytes, sha256 {taken.sha256},"
                   f" export {taken.export_id}")

    asyncio.run(main())


def _one_person(user: str | None, candidate: str | None, recruiter: str | None) -> tuple[str, UUID]:
    """The one person named by `--user`, `--candidate` or `--recruiter` (exit 2 otherwise)."""
    named = [(kind, value) for kind, value in (("user", user), ("candidate", candidate), ("recruiter", recruiter))
             if value is not None]
    if len(named) != 1:
        typer.echo("name one person: --user ID, --candidate ID or --recruiter ID", err=True)
        raise typer.Exit(2)
    kind, value = named[0]
    try:
        return kind, UUID(value)
    except ValueError:
        typer.echo(f"not a {kind} id: {value!r}", err=True)
        raise typer.Exit(2) from None


@privacy_app.command("erase")
def privacy_erase(
    user: Annotated[str | None, typer.Option("--user", help="A user's id (their records go with them).")] = None,
    candidate: Annotated[str | None, typer.Option("--candidate", help="A candidate record's id.")] = None,
    recruiter: Annotated[str | None, typer.Option("--recruiter", help="A recruiter's id (and their user).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept with the request).")] = None,
) -> None:
    """Ask for a person's data to be erased, as the operator; the consumers do it (`splits privacy status`)."""
    import getpass

    from api.privacy.erasure import request_erasure
    from commands.core import DomainError
    from eventstore import Metadata

    kind, person_id = _one_person(user, candidate, recruiter)
    settings = _settings()
    _require_database(settings)
    operator = f"operator:{getpass.getuser()}"

    async def main() -> None:
        async with bootstrap(settings) as system:
            try:
                result = await request_erasure(system.store, kind, person_id,  # type: ignore[arg-type]
                                               Metadata(actor=operator, source="cli"), reason=reason,
                                               now=system.clock.now())
            except DomainError as exc:
                typer.echo(exc.message, err=True)
                raise typer.Exit(1) from None
        typer.echo(f"erasure {result.id} requested for {kind} {person_id}; `splits privacy status {result.id}`")

    asyncio.run(main())


@privacy_app.command("status")
def privacy_status(erasure_id: Annotated[str, typer.Argument(help="The erasure's id.")]) -> None:
    """Where an erasure stands: requested, or erased with what it covered."""
    from api.privacy.erasure import status_of

    try:
        wanted = UUID(erasure_id)
    except ValueError:
        typer.echo(f"not an erasure id: {erasure_id!r}", err=True)
        raise typer.Exit(2) from None
    settings = _settings()
    _require_database(settings)

    async def main() -> None:
        async with bootstrap(settings) as system:
            status = await status_of(system.store, wanted)
        if status is None:
            typer.echo(f"no erasure {wanted}", err=True)
            raise typer.Exit(1)
        typer.echo(status.model_dump_json(indent=2))

    asyncio.run(main())


@privacy_app.command("retention")
def privacy_retention(
    run: Annotated[bool, typer.Option("--run", help="Run one pass of every rule now (as the scheduler does daily).")] = False,
) -> None:
    """The retention rules in force and what each has removed; with --run, apply them now first."""
    from commands.privacy.retention import RULES, cutoff
    from consumers.schedules import retention_schedules_of
    from consumers.runtime.scheduler import Scheduler
    from projections.privacy.retention_status import list_retention_runs

    settings = _settings()
    _require_database(settings)

    async def main() -> None:
        async with bootstrap(settings) as system:
            if run:
                retention = Scheduler(system.pool, system.store, retention_schedules_of(system), system.clock)
                report = await retention.run_once()
                for outcome in ("sent", "unchanged", "refused", "failed"):
                    for name, count in sorted(getattr(report, outcome).items()):
                        typer.echo(f"{name}: {count} {outcome}")
            async with system.pool.connection() as conn:
                runs = await list_retention_runs(conn)
            now = system.clock.now()
        for rule in RULES:
            period = int(getattr(settings, rule.setting.lower()))
            done = runs.get(rule.name)
            before = cutoff(rule, period, now)
            kept = "kept for good (0)" if before is None else f"{period} {rule.unit}, removing what is older than {before:%Y-%m-%d}"
            ran = f"{done.runs} runs removed {done.removed}, last {done.last_run_at:%Y-%m-%d %H:%M}" if done else "never run"
            typer.echo(f"{rule.name:<14} {rule.setting:<32} {kept}; {ran}")

    asyncio.run(main())
