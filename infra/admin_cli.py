"""`splits admin`: platform admins made, unmade and listed by an operator, against the database.

The API grants roles only to a platform admin's call, so the first admin of a deployment whose sign-in is
Clerk has to come from somewhere else: from an operator at the database, as `splits admin grant`. Each
change is a command on the user's stream, recorded with the operator as actor (`operator:<login>`), the same
trail the API leaves. A person who never signed in is registered first from what Clerk's Backend API says of
them (`SPLITS_CLERK_SECRET_KEY`), never from what the operator types: their email must be Clerk's.
"""

from __future__ import annotations

import asyncio
import getpass
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer

from commands.core import DomainError
from commands.identity import user as users
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from infra.bootstrap import System, bootstrap
from adapters.clerk_backend import ClerkBackend, ClerkBackendUnavailable
from adapters.clock import Clock
from adapters.settings import Settings

ROLE = "platform_admin"
admin_app = typer.Typer(help="Platform admins, as an operator: grant, revoke, list.", no_args_is_help=True)
ClerkUserId = Annotated[str, typer.Option("--clerk-user-id", help="The person's Clerk user id (user_...).")]
_CLERK_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class Refused(Exception):
    """What the operator is told, in one line, when nothing was recorded."""


def _settings() -> Settings:
    from infra.cli import _require_database, _settings as cli_settings

    settings = cli_settings()
    _require_database(settings)
    return settings


def _operator() -> Metadata:
    return Metadata(actor=f"operator:{getpass.getuser()}", source="cli")


def _checked_id(clerk_user_id: str) -> str:
    if not _CLERK_ID.match(clerk_user_id):
        typer.echo(f"not a Clerk user id: {clerk_user_id!r}", err=True)
        raise typer.Exit(2)
    return clerk_user_id


def _run(settings: Settings, work: Callable[[System], Awaitable[str]]) -> None:
    async def main() -> str:
        async with bootstrap(settings) as system:
            return await work(system)

    try:
        typer.echo(asyncio.run(main()))
    except (Refused, DomainError) as exc:
        typer.echo(str(exc.message if isinstance(exc, DomainError) else exc), err=True)
        raise typer.Exit(1) from None


async def _registered(store: EventStore, settings: Settings, clerk_user_id: str, meta: Metadata,
                      clock: Clock) -> users.User:
    """The user of this Clerk id, registered from Clerk's Backend API if they never signed in."""
    user_id = users.user_id_for(clerk_user_id)
    account, _, _ = await load(store, users.user, stream_id_for(users.user, user_id))
    if account.exists:
        return account
    backend = ClerkBackend(settings)
    if not backend.configured("splits"):
        raise Refused(f"{clerk_user_id} has never signed in here, and SPLITS_CLERK_SECRET_KEY is not set to ask "
                      "Clerk who they are: have them sign in once, or set the key, then grant again")
    try:
        identity = await backend.user("splits", clerk_user_id)
    except ClerkBackendUnavailable as exc:
        raise Refused(f"could not ask Clerk about {clerk_user_id}: {exc}; nothing was recorded") from None
    if identity is None:
        raise Refused(f"Clerk has no user {clerk_user_id} (portal instance); nothing was recorded")
    if identity.email is None:
        raise Refused(f"Clerk's user {clerk_user_id} has no email address; nothing was recorded")
    await handle(store, users.user, user_id, users.RegisterUser(
        user_id=user_id, clerk_user_id=clerk_user_id, email=identity.email, email_verified=identity.email_verified,
        name=identity.name, image_url=identity.image_url, source="portal", by=meta.actor or "operator",
        at=clock.now()), meta)
    account, _, _ = await load(store, users.user, stream_id_for(users.user, user_id))
    return account


@admin_app.command("grant")
def grant(clerk_user_id: ClerkUserId) -> None:
    """Make a person a platform admin (the way to make the first one). Someone who never signed in is
    registered from Clerk's Backend API first (needs SPLITS_CLERK_SECRET_KEY)."""
    clerk_user_id = _checked_id(clerk_user_id)
    settings, meta = _settings(), _operator()

    async def work(system: System) -> str:
        store = system.store
        account = await _registered(store, settings, clerk_user_id, meta, system.clock)
        assert account.id is not None and meta.actor is not None
        if account.deleted:
            raise Refused(f"the account of {clerk_user_id} is closed; nothing was recorded")
        result = await handle(store, users.user, account.id, users.GrantRole(
            user_id=account.id, role=ROLE, by=meta.actor, at=system.clock.now()), meta)
        done = "granted" if result.event_types else "already held"
        return f"{ROLE} {done}: {clerk_user_id} (user {account.id}, {account.email}) by {meta.actor}"

    _run(settings, work)


@admin_app.command("revoke")
def revoke(clerk_user_id: ClerkUserId) -> None:
    """Take the platform admin role back."""
    clerk_user_id = _checked_id(clerk_user_id)
    settings, meta = _settings(), _operator()

    async def work(system: System) -> str:
        store = system.store
        user_id = users.user_id_for(clerk_user_id)
        account, _, _ = await load(store, users.user, stream_id_for(users.user, user_id))
        if not account.exists:
            raise Refused(f"no user {clerk_user_id}; nothing was recorded")
        assert meta.actor is not None
        result = await handle(store, users.user, user_id, users.RevokeRole(
            user_id=user_id, role=ROLE, by=meta.actor, at=system.clock.now()), meta)
        done = "revoked" if result.event_types else "was not held"
        return f"{ROLE} {done}: {clerk_user_id} (user {user_id}) by {meta.actor}"

    _run(settings, work)


@admin_app.command("list")
def list_admins() -> None:
    """The platform admins now, from the event store itself (no projection needs to be up to date)."""
    settings = _settings()

    async def work(system: System) -> str:
        store = system.store
        async with store.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT DISTINCT stream_id FROM eventstore.events WHERE type = 'UserRoleGranted'"
                " AND data->>'role' = %s ORDER BY stream_id", (ROLE,))
            streams = [row[0] for row in await cur.fetchall()]
        lines = []
        for stream in streams:
            account, _, _ = await load(store, users.user, stream)
            if (ROLE, None) in account.roles and not account.deleted:
                lines.append(f"{account.clerk_user_id}  user {account.id}  {account.email}  {account.name or ''}")
        return "\n".join([*lines, f"{len(lines)} platform admin(s)"])

    _run(settings, work)
