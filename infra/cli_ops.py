"""`splits status`, `splits replay` and `splits dlq`: watching the consumers and repairing what they hold
(registered on the `splits` app by infra/cli.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated

import typer

from infra.bootstrap import System, bootstrap
from infra.cli_common import _require, _require_database, _settings
from adapters.settings import Settings

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

    from consumers.runtime.status import StatusReport

dlq_app = typer.Typer(help="Dead letters: events a reactor gave up on.", no_args_is_help=True)


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


@contextlib.asynccontextmanager
async def _notes(settings: Settings) -> AsyncIterator[AsyncConnectionPool | None]:
    """The database where the reactors note why they gave up (None without DATABASE_URL: the letters alone)."""
    if not settings.database_url:
        yield None
        return
    from eventstore import create_pool

    async with create_pool(settings.database_url, min_size=1, max_size=2, name="splits-dlq") as pool:
        yield pool


@dlq_app.command("list")
def dlq_list(reactor: Annotated[str, typer.Argument(help="Reactor name.")]) -> None:
    """List a reactor's dead letters (they stay in the queue)."""
    import aio_pika

    from consumers.runtime.dead_letter_errors import with_errors
    from consumers.runtime.dlq import list_dead_letters
    from consumers.runtime.topology import Topology

    settings = _settings()
    url = _dlq_context(settings)

    async def main() -> None:
        async with await aio_pika.connect(url) as connection:
            letters = await list_dead_letters(connection, Topology(settings.rabbitmq_prefix), reactor)
        async with _notes(settings) as pool:
            views = await with_errors(pool, reactor, letters) if pool is not None else None
        for n, letter in enumerate(letters):
            typer.echo(f"{letter.event_id}  {letter.type:<32} {letter.stream_id}  deaths={letter.deaths} ({letter.reason})")
            if views is not None:
                typer.echo(f"    attempts={views[n].attempts if views[n].attempts is not None else '-'}  {views[n].error}")
        typer.echo(f"{len(letters)} dead letter(s) for {reactor}")

    asyncio.run(main())


@dlq_app.command("show")
def dlq_show(reactor: str, event_id: str) -> None:
    """Show one dead letter in full."""
    import aio_pika
    import orjson

    from consumers.runtime.dead_letter_errors import with_errors
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
        noted: dict[str, object] = {}
        async with _notes(settings) as pool:
            if pool is not None:
                [view] = await with_errors(pool, reactor, found)
                noted = {"error": view.error, "attempts": view.attempts}
        typer.echo(orjson.dumps({**found[0].summary(), **noted, "event": orjson.loads(found[0].body)},
                                option=orjson.OPT_INDENT_2).decode())

    asyncio.run(main())


@dlq_app.command("requeue")
def dlq_requeue(
    reactor: str,
    event_id: Annotated[str | None, typer.Option("--id", help="Only this event (default: all).")] = None,
) -> None:
    """Send dead letters back to the reactor with a fresh retry budget (after fixing the cause)."""
    import aio_pika

    from consumers.runtime.dead_letter_errors import forget_dead_letter_errors
    from consumers.runtime.dlq import requeue_dead_letter_ids
    from consumers.runtime.topology import Topology

    settings = _settings()
    url = _dlq_context(settings)

    async def main() -> int:
        async with await aio_pika.connect(url) as connection:
            moved = await requeue_dead_letter_ids(connection, Topology(settings.rabbitmq_prefix), reactor, event_id)
        async with _notes(settings) as pool:
            if pool is not None:  # a letter sent back has no error until it fails again
                await forget_dead_letter_errors(pool, reactor, moved)
        return len(moved)

    typer.echo(f"requeued {asyncio.run(main())} dead letter(s) for {reactor}")
