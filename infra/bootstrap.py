"""The one composition root: builds every long-lived object from the settings, and closes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from psycopg_pool import AsyncConnectionPool

from commands.registry import all_event_classes
from eventstore import EventRegistry, EventStore, Keyring, connect, create_pool, migrate
from infra.clock import Clock, SystemClock
from infra.mail import Mailer, mailer_for
from infra.payments import Payments, payments_for
from infra.settings import Settings
from infra.storage import Storage, storage_for


@dataclass(frozen=True)
class Adapters:
    """Every way out of the process but the database, chosen from the settings once, here: the clock, Stripe (or
    its stand-in), the mailer, document storage. Routes take them as dependencies (api/deps.py), reactors from
    their context; a test swaps one with `dataclasses.replace`."""

    clock: Clock
    payments: Payments
    mailer: Mailer
    storage: Storage

    @classmethod
    def from_settings(cls, settings: Settings) -> Adapters:
        clock = SystemClock(settings.splits_clock_offset)
        return cls(clock=clock, payments=payments_for(settings, clock), mailer=mailer_for(settings),
                   storage=storage_for(settings))


@dataclass(frozen=True)
class System:
    settings: Settings
    pool: AsyncConnectionPool
    store: EventStore
    adapters: Adapters = field(default=None)  # type: ignore[assignment]  # None: chosen from the settings

    def __post_init__(self) -> None:
        if self.adapters is None:
            object.__setattr__(self, "adapters", Adapters.from_settings(self.settings))

    @property
    def clock(self) -> Clock:
        return self.adapters.clock


def event_registry() -> EventRegistry:
    return EventRegistry(all_event_classes())


@asynccontextmanager
async def bootstrap(settings: Settings) -> AsyncIterator[System]:
    """Open the database pool and the event store for the lifetime of a process."""
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (`splits dev` starts a local database when it is missing)")
    keks = settings.data_keys()
    if keks is None and settings.environment == "production":
        raise RuntimeError(
            "SPLITS_DATA_KEY (or SPLITS_DATA_KEY_FILE) is not set: production needs the key that protects "
            "personal data (`splits keys generate` makes one)"
        )
    pool = create_pool(settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    await pool.open(wait=True, timeout=30)
    try:
        keyring = Keyring(pool, keks, cache_ttl_s=settings.data_key_cache_s)
        yield System(settings=settings, pool=pool, store=EventStore(pool, event_registry(), keyring))
    finally:
        await pool.close()


async def migrate_all(dsn: str) -> list[str]:
    """The event store's migrations, then every projection's live schema (so queries find their tables)."""
    from consumers.projector import create_schema
    from projections.registry import all_projections

    conn = await connect(dsn)
    try:
        applied = await migrate(conn)
        for projection in all_projections().values():
            await create_schema(conn, projection)
        return applied
    finally:
        await conn.close()


async def seed_catalogue(store: EventStore, clock: Clock) -> None:
    """The plans and their first split rates, as events: recorded once, then left to the platform admins."""
    from commands.billing.catalogue import SEED_ACTOR, seed_commands
    from commands.billing.plan import plan
    from eventstore import Metadata, handle

    for tier, command in seed_commands(clock.now()):
        await handle(store, plan, tier, command, Metadata(actor=SEED_ACTOR, source="seed"))
