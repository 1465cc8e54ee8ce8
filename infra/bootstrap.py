"""The one composition root: builds every long-lived object from the settings, and closes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from commands.registry import all_event_classes
from eventstore import EventRegistry, EventStore, Keyring, connect, create_pool, migrate
from eventstore.personal import DataKeyProblem, parse_keks
from adapters.audit_keys import audit_signer_for
from adapters.clock import SystemClock
from adapters.live import live_config
from adapters.mail import mailer_for
from adapters.payments import payments_for
from adapters.redis import cache_for
from adapters.reviewer import reviewer_for
from adapters.settings import Settings
from adapters.storage import storage_for
from adapters.tokens import token_signer_for
from adapters.system import Adapters, System


def data_keys_of(settings: Settings) -> list[tuple[str, bytes]] | None:
    """The configured key-encryption keys (current first), or None when neither setting is given."""
    if settings.splits_data_key is not None:
        return parse_keks(settings.splits_data_key.get_secret_value())
    if settings.splits_data_key_file is not None:
        try:
            text = settings.splits_data_key_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise DataKeyProblem(f"SPLITS_DATA_KEY_FILE: cannot read {settings.splits_data_key_file}"
                                 f" ({exc.strerror})") from None
        return parse_keks(text)
    return None


def adapters_for(settings: Settings) -> Adapters:
    """The adapters these settings choose: the one place that decides between Stripe and its stand-in, Resend and
    the mailbox, a bucket and a folder, OpenAI and the local scorer, how far the clock is moved, which keys sign
    audit bundles and tokens, and where the caches live. Nothing is opened or checked here: the keys are found
    when first used, the Redis clients made by whoever runs (adapters/redis.py says why)."""
    clock = SystemClock(settings.splits_clock_offset)
    cache = cache_for(settings)
    live = live_config(cache, clock, backlog=settings.live_backlog, backlog_ttl_s=settings.live_backlog_ttl_s,
                       presence_ttl_s=3 * settings.live_keepalive_s,
                       max_connections=settings.live_max_connections_per_user)
    return Adapters(clock=clock, payments=payments_for(settings, clock), mailer=mailer_for(settings),
                    storage=storage_for(settings), reviewer=reviewer_for(settings),
                    audit=audit_signer_for(settings), tokens=token_signer_for(settings), cache=cache,
                    live=live)


def system_for(settings: Settings, store: EventStore, adapters: Adapters | None = None) -> System:
    """A System around an event store opened elsewhere (a test's, a tool's), with the settings' adapters."""
    return System(settings=settings, pool=store.pool, store=store, adapters=adapters or adapters_for(settings))


def event_registry() -> EventRegistry:
    return EventRegistry(all_event_classes())


@asynccontextmanager
async def bootstrap(settings: Settings, adapters: Adapters | None = None) -> AsyncIterator[System]:
    """Open the database pool and the event store for the lifetime of a process; the adapters are the settings'
    (`adapters_for`) unless the caller made them already."""
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (`splits dev` starts a local database when it is missing)")
    keks = data_keys_of(settings)
    if keks is None and settings.environment == "production":
        raise RuntimeError(
            "SPLITS_DATA_KEY (or SPLITS_DATA_KEY_FILE) is not set: production needs the key that protects "
            "personal data (`splits keys generate` makes one)"
        )
    pool = create_pool(settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    await pool.open(wait=True, timeout=30)
    try:
        keyring = Keyring(pool, keks, cache_ttl_s=settings.data_key_cache_s)
        yield System(settings=settings, pool=pool, store=EventStore(pool, event_registry(), keyring),
                     adapters=adapters or adapters_for(settings))
    finally:
        await pool.close()


async def migrate_all(dsn: str) -> list[str]:
    """The event store's migrations, then every projection's live schema (so queries find their tables)."""
    from consumers.runtime.projector import create_schema
    from projections.registry import all_projections

    conn = await connect(dsn)
    try:
        applied = await migrate(conn)
        for projection in all_projections().values():
            await create_schema(conn, projection)
        return applied
    finally:
        await conn.close()
