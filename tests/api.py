"""Serving the API in-process for tests, and seeding the people who call it.

People are seeded the way production gets them: commands on the identity streams, projected by the
consumers (so a test's callers are resolved through the same read schema as real ones).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx
import uvicorn

from infra.app import create_app
from commands.identity import organization as orgs
from commands.identity import user as users
from consumers.runtime.app import Consumers
from eventstore import EventStore, Metadata, handle
from infra.bootstrap import System, system_for
from adapters.system import Adapters
from adapters.settings import Settings

SEEDER = Metadata(actor="test-seed", source="test")


def dev_auth(clerk_user_id: str) -> dict[str, str]:
    """Headers signing in as `clerk_user_id` through development sign-in (settings.splits_dev_auth)."""
    return {"Authorization": f"Bearer dev:{clerk_user_id}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def seed_user(
    store: EventStore, clerk_user_id: str, *, roles: Iterable[tuple[str, UUID | None]] = (), source: str = "portal",
    email: str | None = None, verified: bool = True,
) -> UUID:
    """Register a user as Clerk's webhook would (`<clerk id>@example.com` unless `email` is given, verified
    unless `verified` is False) and grant each (role, role entity id); returns the identity user id."""
    user_id, now = users.user_id_for(clerk_user_id), datetime.now(UTC)
    await handle(store, users.user, user_id, users.RegisterUser(
        user_id=user_id, clerk_user_id=clerk_user_id, email=email or f"{clerk_user_id}@example.com",
        email_verified=verified, name=clerk_user_id, source=source, by="test", at=now), SEEDER)
    for role, entity in roles:
        await handle(store, users.user, user_id,
                     users.GrantRole(user_id=user_id, role=role, role_entity_id=entity, by="test", at=now), SEEDER)
    return user_id


async def seed_organization(
    store: EventStore, company_id: UUID, members: Iterable[tuple[str, str, bool]] = ()
) -> UUID:
    """An organization for `company_id` with members (clerk user id, role, company-scoped?)."""
    org_id, now = uuid4(), datetime.now(UTC)
    await handle(store, orgs.organization, org_id, orgs.CreateOrganization(
        organization_id=org_id, name=f"Org {company_id}", slug=f"org-{str(org_id)[:8]}", company_id=company_id,
        by="test", at=now), SEEDER)
    for clerk_user_id, role, scoped in members:
        await handle(store, orgs.organization, org_id, orgs.AddMember(
            organization_id=org_id, user_id=users.user_id_for(clerk_user_id), role=role,
            company_id=company_id if scoped else None, by="test", at=now), SEEDER)
    return org_id


@contextlib.asynccontextmanager
async def serving(
    store: EventStore, settings: Settings, client_ip: str | None = None, adapters: Adapters | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, System]]:
    """The app on the test's store, its lifespan run, and a client talking to it in-process from `client_ip`
    (by default an address of its own: the per-address limits in Redis outlive a test, and anonymous and refused
    requests count against the address); with the settings' adapters unless `adapters` are given."""
    if client_ip is None:
        client_ip = "10." + ".".join(str(b) for b in secrets.token_bytes(3))
    system = system_for(settings, store, adapters)

    @contextlib.asynccontextmanager
    async def existing() -> AsyncIterator[System]:
        yield system

    app = create_app(existing)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://splits") as client:
            yield client, system


async def scrape(client: httpx.AsyncClient) -> str:
    """The Prometheus text of the app behind a `serving` client, as its internal metrics listener
    (METRICS_PORT, api/serving.py) serves it: the public app has no `/metrics`."""
    from api.serving import metrics_app

    app = client._transport.app  # the ASGITransport `serving` made
    transport = httpx.ASGITransport(app=metrics_app(app.state))
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as internal:
        answer = await internal.get("/metrics")
    assert answer.status_code == 200, answer.text
    return answer.text


@contextlib.asynccontextmanager
async def serving_http(store: EventStore, settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient, System]]:
    """The app on a real socket (127.0.0.1, a free port), for callers that are not in this process: a fake
    Stripe delivering webhooks. Yields its base URL, a client talking to it, and the system."""
    system = system_for(settings, store)

    @contextlib.asynccontextmanager
    async def existing() -> AsyncIterator[System]:
        yield system

    server = uvicorn.Server(uvicorn.Config(create_app(existing), host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            yield base_url, client, system
    finally:
        server.should_exit = True
        await asyncio.wait([task], timeout=10)


@contextlib.asynccontextmanager
async def running_consumers(system: System, only: set[str] | None = None) -> AsyncIterator[Consumers]:
    stop = asyncio.Event()
    consumers = Consumers(system, only=only)
    task = asyncio.create_task(consumers.run(stop))
    try:
        yield consumers
    finally:
        stop.set()
        done, _ = await asyncio.wait([task], timeout=30)
        if not done:  # never hang a test run silently: say what is stuck, then give up on it
            for other in asyncio.all_tasks():
                other.print_stack(limit=8)
            task.cancel()
            raise AssertionError("the consumers did not stop within 30 s of being asked")
        task.result()
