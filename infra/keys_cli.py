"""`splits keys …`: the keys that protect personal data, and the one-time sealing of data stored before them.

- `generate` prints a new key-encryption key for SPLITS_DATA_KEY;
- `rotate` rewraps every data key with the first configured key-encryption key (the others, and the
  development key if the database holds one, only unwrap); running it again changes nothing;
- `status` counts the data keys: held, erased, per key-encryption key, and says whether a development key is
  in use;
- `seal-existing` seals the personal fields of events stored before sealing (docs/personal-data-migration.md),
  `verify-sealing` checks its signed record and every stream's chain.

Every refusal is one line on stderr and exit status 2; a failed verification exits 1.
"""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Annotated

import orjson
import typer

from eventstore.personal import DataKeyProblem, generate_kek, kek_fingerprint, parse_keks
from infra.bootstrap import adapters_for, bootstrap, data_keys_of
from adapters.settings import Settings

keys_app = typer.Typer(help="Keys that protect personal data: generate, rotate, status; seal data stored before.",
                       no_args_is_help=True)


def _refuse(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _settings() -> Settings:
    from infra.cli import _require_database, _settings as cli_settings

    settings = cli_settings()
    _require_database(settings)
    return settings


def _keks(settings: Settings) -> list[tuple[str, bytes]] | None:
    try:
        return data_keys_of(settings)
    except DataKeyProblem as exc:
        raise _refuse(str(exc)) from None


@keys_app.command("generate")
def generate(
    key_id: Annotated[str | None, typer.Option("--id", help="A name for the key (default: its fingerprint).")] = None,
) -> None:
    """Print a new key-encryption key, as SPLITS_DATA_KEY takes it."""
    if key_id is not None and (not key_id.strip() or any(c in key_id for c in ":,\n")):
        raise _refuse("--id must be non-empty, without ':', ',' or a line break")
    value = generate_kek()
    [(kek_id, kek)] = parse_keks(f"{key_id}:{value}" if key_id else value)
    typer.echo(f"SPLITS_DATA_KEY={key_id + ':' if key_id else ''}{value}")
    typer.echo(f"key id: {kek_id} (fingerprint {kek_fingerprint(kek)}). To rotate, put it first and keep the old key "
               "after it, comma-separated, then run `splits keys rotate`.")


async def _development_kek(pool) -> bytes | None:  # noqa: ANN001 - a psycopg pool
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT kek FROM eventstore.development_data_key")
        row = await cur.fetchone()
    return None if row is None else bytes(row[0])


@keys_app.command("rotate")
def rotate(
    batch: Annotated[int, typer.Option(help="Data keys rewrapped per transaction.", min=1, max=100_000)] = 1000,
) -> None:
    """Rewrap every data key with the first configured key-encryption key. Idempotent."""
    from eventstore import Keyring

    settings = _settings()
    keks = _keks(settings)
    if keks is None:
        raise _refuse("SPLITS_DATA_KEY is not set: there is no key to rotate to (`splits keys generate` makes one)")

    async def main() -> int:
        async with bootstrap(settings) as system:
            development = await _development_kek(system.pool)
            unwrap_only = [("development", development)] if development is not None else []
            keyring = Keyring(system.pool, [*keks, *unwrap_only])
            return await keyring.rotate(batch, progress=lambda n: typer.echo(f"rewrapped {n:,} data key(s) ..."))

    try:
        done = asyncio.run(main())
    except DataKeyProblem as exc:
        raise _refuse(str(exc)) from None
    typer.echo(f"{done:,} data key(s) rewrapped with key-encryption key {keks[0][0]}"
               + ("" if done else "; every data key was wrapped by it already"))


@keys_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object instead of lines.")] = False,
) -> None:
    """How many data keys there are, how many are erased, per key-encryption key; whether a development key is in
    use."""
    settings = _settings()
    keks = _keks(settings)

    async def main() -> dict:
        async with bootstrap(settings) as system, system.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE erased_at IS NOT NULL) FROM eventstore.data_keys")
            total, erased = await cur.fetchone()  # type: ignore[misc]
            cur = await conn.execute(
                "SELECT kek_id, count(*) FROM eventstore.data_keys WHERE kek_id IS NOT NULL GROUP BY 1 ORDER BY 1")
            per_kek = dict(await cur.fetchall())
            cur = await conn.execute("SELECT count(*) FROM eventstore.development_data_key")
            development_stored = (await cur.fetchone())[0] > 0  # type: ignore[index]
        return {"data_keys": total, "held": total - erased, "erased": erased, "per_kek": per_kek,
                "configured": [k for k, _ in keks] if keks else [],
                "development_key_stored": development_stored,
                "development_key_in_use": keks is None or per_kek.get("development", 0) > 0}

    try:
        report = asyncio.run(main())
    except RuntimeError as exc:  # e.g. production without SPLITS_DATA_KEY
        raise _refuse(str(exc)) from None
    configured = report["configured"]
    readable = configured or ["development"]
    # Keys wrapped by a key-encryption key the processes are not given: unreadable until it is configured
    # again (or, for the development key, until `rotate` has moved them off it).
    report["unreadable"] = {k: n for k, n in report["per_kek"].items() if k not in readable}
    if as_json:
        typer.echo(orjson.dumps(report).decode())
        return
    typer.echo(f"data keys: {report['data_keys']:,} ({report['held']:,} held, {report['erased']:,} erased)")
    for kek_id, count in report["per_kek"].items():
        note = " (current)" if kek_id == readable[0] else (
            " (NOT configured: unreadable until rotated or configured)" if kek_id in report["unreadable"] else "")
        typer.echo(f"  wrapped by {kek_id}: {count:,}{note}")
    typer.echo("key-encryption keys configured: " + (", ".join(configured) if configured else "none"))
    if report["development_key_in_use"]:
        typer.echo("development key: IN USE — personal data is protected by a key kept in the database itself"
                   + ("; run `splits keys rotate` to move off it" if configured else
                      "; set SPLITS_DATA_KEY, then run `splits keys rotate`"))
    else:
        typer.echo("development key: not in use" + (" (still stored in the database)"
                                                    if report["development_key_stored"] else ""))


@keys_app.command("seal-existing")
def seal_existing(
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the signed record "
                                             "(default: personal-data-migration-<id>.json here).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be sealed; change nothing.")] = False,
) -> None:
    """Seal the personal fields of events stored before sealing existed, once, and write a signed record.

    Stop every process that uses the database first (API, relay, consumers, scheduler): the events are rewritten
    in place and their streams re-chained. See docs/personal-data-migration.md.
    """
    from infra.personal_migration import ProcessesRunning, record_file_bytes
    from infra.personal_migration import seal_existing as run
    from eventstore.reseal import ChainBroken, StillWritten

    settings = _settings()
    _keks(settings)
    try:
        adapters = adapters_for(settings)
        key = adapters.audit.private_key()
    except (RuntimeError, ValueError) as exc:
        raise _refuse(str(exc)) from None
    operator = f"cli:{getpass.getuser()}"
    typer.echo("this rewrites stored events: every Splits process using this database must be stopped", err=True)

    async def main():  # noqa: ANN202
        async with bootstrap(settings, adapters) as system:
            return await run(system.store, key, by=operator, now=system.clock.now, dry_run=dry_run,
                             say=lambda line: typer.echo(line, err=True))

    try:
        outcome = asyncio.run(main())
    except (ProcessesRunning, ChainBroken, StillWritten, DataKeyProblem, RuntimeError) as exc:
        raise _refuse(str(exc)) from None
    if dry_run:
        for stream_id, count in outcome.found.streams.items():
            typer.echo(f"  {stream_id}: {count} event(s)")
        typer.echo(f"dry run: {outcome.found.events:,} event(s) in {len(outcome.found.streams):,} stream(s) would be "
                   "sealed; nothing was changed")
        return
    if outcome.record is None:
        typer.echo("nothing to seal: every declared personal field is sealed already")
        return
    record = outcome.record
    path = out or Path(f"personal-data-migration-{record['migration_id']}.json")
    path.write_bytes(record_file_bytes(record))
    typer.echo(f"sealed {record['fields_sealed']:,} field(s) of {record['events_sealed']:,} event(s) in "
               f"{len(record['streams']):,} stream(s); signed record in {path} and on stream "
               f"personaldatamigration-{record['migration_id']}")


@keys_app.command("verify-sealing")
def verify_sealing(
    record_path: Annotated[Path | None, typer.Argument(help="The record file (default: the last record stored).")] = None,
    public_key: Annotated[str | None, typer.Option("--public-key", help="The trusted signing key (hex).")] = None,
) -> None:
    """Check the record's signature, that each rewritten stream continues from its new tip, that every stream
    verifies and that no declared personal field is still plain. Exit 0 only when all hold."""
    from infra.personal_migration import latest_record
    from infra.personal_migration import verify_sealing as verify

    settings = _settings()
    _keks(settings)
    if record_path is not None and not record_path.is_file():
        raise _refuse(f"no such file: {record_path}")

    async def main():  # noqa: ANN202
        async with bootstrap(settings) as system:
            record = orjson.loads(record_path.read_bytes()) if record_path else await latest_record(system.store)
            if record is None:
                return None
            return await verify(system.store, record, public_key)

    try:
        verdict = asyncio.run(main())
    except orjson.JSONDecodeError:
        raise _refuse(f"{record_path} is not JSON") from None
    except RuntimeError as exc:
        raise _refuse(str(exc)) from None
    if verdict is None:
        raise _refuse("no personal data migration is recorded in this database")
    if verdict.intact:
        typer.echo(f"INTACT: the record's signature verifies; {verdict.streams_checked:,} stream(s) verify; "
                   "no plain personal field is left")
        return
    typer.echo(f"NOT INTACT: {len(verdict.problems)} problem(s)")
    for problem in verdict.problems:
        typer.echo(f"  - {problem}")
    raise typer.Exit(1)
