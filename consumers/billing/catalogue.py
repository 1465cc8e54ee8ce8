"""The plan catalogue's first state: the plans and their first split rates, recorded as events once (by the
first API or consumers process to start), then left to the platform admins."""

from __future__ import annotations

from adapters.clock import Clock
from commands.billing.catalogue import SEED_ACTOR, seed_commands
from commands.billing.plan import plan
from eventstore import EventStore, Metadata, handle


async def seed_catalogue(store: EventStore, clock: Clock) -> None:
    """The plans and their first split rates, as events: recorded once, then left to the platform admins."""
    for tier, command in seed_commands(clock.now()):
        await handle(store, plan, tier, command, Metadata(actor=SEED_ACTOR, source="seed"))
