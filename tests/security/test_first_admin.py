"""No way to make the first platform admin once Clerk is configured: `POST /v1/users/{id}/roles` needs a
platform admin, so the only path found was running `splits dev` (and its development sign-in) against the
production database.

Now an operator runs `splits admin grant --clerk-user-id ID` against the database, in production: the grant
is an event whose actor is the operator, a person who never signed in is registered from Clerk's Backend
API (not from anything typed), and an unknown person is refused with a clear message and nothing recorded.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from commands.identity.user import user_id_for
from eventstore import EventStore, Keyring, generate_kek, parse_keks
from infra.bootstrap import event_registry
from adapters.settings import Settings
from tests.api import bearer, running_consumers, seed_user, serving
from tests.fakes.clerk import FakeClerk, FakeClerkBackend
from tests.helpers import wait_until

SPLITS = str(Path(sys.executable).parent / "splits")
SETTINGS = {name.upper() for name in Settings.model_fields}
OPERATOR = f"operator:{getpass.getuser()}"


@dataclass
class Deployment:
    store: EventStore  # opens what the CLI seals: the same data key
    env: dict[str, str]

    async def splits(self, *args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(subprocess.run, [SPLITS, "admin", *args], env=self.env, capture_output=True,
                                       text=True, timeout=120)


@pytest.fixture
async def deployment(fresh_store: EventStore, clerk_backend: FakeClerkBackend) -> AsyncIterator[Deployment]:
    """A production database and its data key; the operator's environment names nothing but what it needs
    (no ENVIRONMENT: production)."""
    key = generate_kek()
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | {
        "DATABASE_URL": fresh_store.pool.conninfo, "SPLITS_DATA_KEY": key, "LOG_LEVEL": "warning",
        "SPLITS_CLERK_SECRET_KEY": clerk_backend.secret_key, "CLERK_API_URL": clerk_backend.base_url}
    yield Deployment(EventStore(fresh_store.pool, event_registry(), Keyring(fresh_store.pool, parse_keks(key))), env)


def production(store: EventStore, clerk: FakeClerk) -> Settings:
    return Settings(database_url=store.pool.conninfo, environment="production", splits_token_secret="t" * 40,
                    splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
                    clerk_authorized_parties=clerk.azp, consistency_wait_s=10)


@pytest.mark.slow
async def test_an_operator_makes_the_first_admin_who_can_then_use_admin_routes(
        deployment: Deployment, clerk: FakeClerk, clerk_backend: FakeClerkBackend) -> None:
    d, root = deployment, f"user_root_{secrets.token_hex(4)}"
    clerk_backend.put(root, f"{root}@example.com")  # Clerk knows them; they never signed in here
    headers = bearer(clerk.mint(user_id=root))
    async with serving(d.store, production(d.store, clerk)) as (client, system), \
            running_consumers(system, only={"identity"}):
        assert (await client.get("/admin/status", headers=headers)).status_code in (401, 403)

        granted = await d.splits("grant", "--clerk-user-id", root)
        assert granted.returncode == 0, granted.stderr
        assert f"platform_admin granted: {root}" in granted.stdout and OPERATOR in granted.stdout

        async def admin() -> bool:
            return (await client.get("/admin/status", headers=headers)).status_code == 200

        await wait_until(admin)
        listed = await d.splits("list")
        assert listed.returncode == 0 and root in listed.stdout and f"{root}@example.com" in listed.stdout

        events = await d.store.read_stream(f"user-{user_id_for(root)}")
        assert [e.type for e in events] == ["UserRegistered", "UserRoleGranted"]
        assert all(e.metadata["actor"] == OPERATOR for e in events)
        registered = d.store.registry.decode(events[0])  # type: ignore[union-attr]
        assert (registered.email, registered.email_verified, registered.by) == (f"{root}@example.com", True, OPERATOR)
        assert events[1].data["role"] == "platform_admin" and events[1].data["by"] == OPERATOR

        again = await d.splits("grant", "--clerk-user-id", root)
        assert again.returncode == 0 and "already held" in again.stdout
        revoked = await d.splits("revoke", "--clerk-user-id", root)
        assert revoked.returncode == 0 and "platform_admin revoked" in revoked.stdout

        async def not_admin() -> bool:
            return (await client.get("/admin/status", headers=headers)).status_code == 403

        await wait_until(not_admin)
        assert "0 platform admin(s)" in (await d.splits("list")).stdout
    events = await d.store.read_stream(f"user-{user_id_for(root)}")
    assert events[-1].type == "UserRoleRevoked" and events[-1].metadata["actor"] == OPERATOR


async def test_a_registered_user_is_granted_without_asking_clerk(deployment: Deployment,
                                                                  clerk_backend: FakeClerkBackend) -> None:
    d, known = deployment, f"user_known_{secrets.token_hex(4)}"
    await seed_user(d.store, known)
    granted = await d.splits("grant", "--clerk-user-id", known)
    assert granted.returncode == 0, granted.stderr
    assert clerk_backend.reads == []
    events = await d.store.read_stream(f"user-{user_id_for(known)}")
    assert events[-1].type == "UserRoleGranted" and events[-1].metadata["actor"] == OPERATOR


async def test_someone_clerk_does_not_know_is_refused_and_nothing_is_recorded(deployment: Deployment) -> None:
    d, stranger = deployment, f"user_nobody_{secrets.token_hex(4)}"
    refused = await d.splits("grant", "--clerk-user-id", stranger)
    assert refused.returncode == 1 and f"Clerk has no user {stranger}" in refused.stderr, refused.stderr
    assert await d.store.read_stream(f"user-{user_id_for(stranger)}") == []

    without_key = Deployment(d.store, {k: v for k, v in d.env.items() if k != "SPLITS_CLERK_SECRET_KEY"})
    refused = await without_key.splits("grant", "--clerk-user-id", stranger)
    assert refused.returncode == 1 and "SPLITS_CLERK_SECRET_KEY" in refused.stderr, refused.stderr
    assert "never signed in" in refused.stderr
    assert (await d.splits("grant", "--clerk-user-id", "not an id")).returncode == 2
    assert await d.store.read_stream(f"user-{user_id_for(stranger)}") == []
