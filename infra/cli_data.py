"""`splits audit` and `splits privacy`: audit bundles of the money trail, and personal data (access exports,
erasure, retention), as an operator (registered on the `splits` app by infra/cli.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from infra.bootstrap import adapters_for, bootstrap
from infra.cli_common import _require_database, _settings

audit_app = typer.Typer(help="Audit bundles of a placement's money trail, for billing disputes.", no_args_is_help=True)


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

    settings = _settings()
    _require_database(settings)
    try:
        placement_id = UUID(placement)
    except ValueError:
        typer.echo(f"not a placement id: {placement!r}", err=True)
        raise typer.Exit(2) from None
    adapters = adapters_for(settings)
    key = adapters.audit.private_key()
    exporter = f"cli:{getpass.getuser()}"

    async def main() -> None:
        async with bootstrap(settings, adapters) as system:
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



privacy_app = typer.Typer(help="Personal data: access exports and erasure.", no_args_is_help=True)


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
