"""The `splits` command: one entry point for every process and tool."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator

import typer
import uvicorn

from eventstore import connect, migrate as run_migrations
from infra.bootstrap import bootstrap
from infra.logs import configure_logging
from infra.settings import Settings, load_settings

app = typer.Typer(help="Splits: split-fee recruiting marketplace backend.", no_args_is_help=True)


def _settings(**overrides: object) -> Settings:
    settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _require_database(settings: Settings) -> str:
    if not settings.database_url:
        typer.echo("DATABASE_URL is not set. Set it, or use `splits dev`, which starts a local database.", err=True)
        raise typer.Exit(2)
    return settings.database_url


async def _migrate(dsn: str) -> list[str]:
    conn = await connect(dsn)
    try:
        return await run_migrations(conn)
    finally:
        await conn.close()


@app.command()
def migrate() -> None:
    """Create or update the database schemas. Idempotent; safe while other processes run."""
    settings = _settings()
    applied = asyncio.run(_migrate(_require_database(settings)))
    typer.echo(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `finally` blocks (stopping the embedded database) still run.

    uvicorn catches SIGTERM for its graceful shutdown, then raises it again in the process; with the
    default handler that would end the process before anything else is cleaned up.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def _serve(settings: Settings) -> None:
    from api.app import create_app  # the API is only imported by the commands that serve it

    api = create_app(lambda: bootstrap(settings))
    uvicorn.run(api, host=settings.host, port=settings.port, log_config=None, access_log=False)


@app.command()
def api(
    port: int = typer.Option(None, help="Port to listen on (default: $PORT or 8000)."),
    host: str = typer.Option(None, help="Interface to bind (default: 127.0.0.1)."),
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, /health, /ready)."""
    settings = _settings(port=port, host=host)
    _require_database(settings)
    _serve(settings)


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
    port: int = typer.Option(None, help="Port to listen on (default: $PORT or 8000)."),
) -> None:
    """Run the whole system in one process for local work.

    Without DATABASE_URL an embedded PostgreSQL is started under $SPLITS_DATA_DIR (default .splits/).
    """
    settings = _settings(port=port)
    with _dev_database(settings) as url:
        settings = settings.model_copy(update={"database_url": url})
        applied = asyncio.run(_migrate(url))
        _exit_on_sigterm()
        typer.echo(f"database ready ({len(applied)} new migration(s)); API on http://{settings.host}:{settings.port}")
        _serve(settings)


if __name__ == "__main__":
    app()
