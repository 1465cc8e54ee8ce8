"""What a running Splits process is made of: its settings, its database pool and event store, and its adapters.

The types only; `infra/bootstrap.py` builds them (the one place that chooses an adapter from the settings) and
hands the `System` to the API and the consumers, which read what they need from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from adapters.audit_keys import AuditSigner
from adapters.clock import Clock
from adapters.live import Live
from adapters.mail import Mailer
from adapters.payments import Payments
from adapters.redis import Cache
from adapters.reviewer import Reviewer
from adapters.settings import Settings
from adapters.storage import Storage
from adapters.tokens import TokenSigner

if TYPE_CHECKING:  # the layers above: named for the type checker only
    from psycopg_pool import AsyncConnectionPool

    from eventstore import EventStore


@dataclass(frozen=True)
class Adapters:
    """Every way out of the process but the database: the clock, Stripe (or its stand-in), the mailer, document
    storage, the AI reviewer (OpenAI or the local scorer), the audit bundles' signing key, the token secret, and
    where the caches live (Redis). Routes take them as dependencies (api/deps.py), reactors from their context;
    a test swaps one with `dataclasses.replace`."""

    clock: Clock
    payments: Payments
    mailer: Mailer
    storage: Storage
    reviewer: Reviewer
    audit: AuditSigner
    tokens: TokenSigner
    cache: Cache
    live: Live  # live updates (GET /v1/stream): through the cache's Redis, or in this process without one


@dataclass(frozen=True)
class System:
    settings: Settings
    pool: AsyncConnectionPool
    store: EventStore
    adapters: Adapters

    @property
    def clock(self) -> Clock:
        return self.adapters.clock
