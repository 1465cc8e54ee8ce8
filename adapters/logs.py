"""Structured logging: key-value events through structlog, as JSON in production, readable in a terminal."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "info", fmt: str = "console") -> None:
    """Route structlog and the standard library's logging through one renderer.

    An error's traceback is written once, formatted, without the frames' local variables: in JSON as the
    `exception` string of its line, on the console as plain text after it. (structlog's console default is
    rich's traceback with every frame's locals: tens of thousands of lines for one error in a request, and
    whatever personal data the locals held.)
    """
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)
    )
    # JSON: `exc_info` becomes the formatted `exception` (the JSON renderer alone would drop it).
    finish: list[structlog.typing.Processor] = [structlog.processors.format_exc_info] if fmt == "json" else []
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *finish, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # psycopg_pool and uvicorn's access log are noisy at info.
    logging.getLogger("psycopg.pool").setLevel(logging.WARNING)
