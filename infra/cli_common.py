"""What every `splits` command shares: its settings (refused in one line when unusable) and the checks that
the database, the broker and Redis answer before a command goes on (infra/cli.py registers the commands)."""

from __future__ import annotations

import asyncio
from typing import Literal, NoReturn

import click
import structlog
import typer
from pydantic import ValidationError

from adapters.logs import configure_logging
from adapters.sentry import init_sentry
from adapters.tracing import configure_tracing
from adapters.settings import Settings, SettingsProblem, load_settings
from adapters.startup import refusal, simulation_notices

log = structlog.get_logger(__name__)


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
