"""What the console's Money page shows, built with the audit report's own functions: a placement's money is the
money table of `report.html` (`projections/audit/money_fold.money_table`), folded from the events of the
placement's trail (`projections/audit/trail.money_trail`) as `events.jsonl` writes them
(`projections/audit/bundle.event_line`). Nothing is derived again here, so the page and an export taken at the
same moment show the same figures and the same checks.

The table needs nothing personal (the fold reads a sealed field as its type's erased value), so no personal
field is opened for the page. A bundle check runs `splits audit verify`'s `verify_bundle` against this
deployment's public key, in a worker thread: a bundle is verified entry by entry under its caps, but a big one
still takes seconds of CPU.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from uuid import UUID

from eventstore import EventStore
from projections.audit.bundle import Verdict, event_line, verify_bundle
from projections.audit.money import MoneyTable
from projections.audit.money_fold import money_table
from projections.audit.trail import money_trail

PLACEMENTS_PER_PAGE = 25
MAX_PAGE = 1000  # 25 000 placements back: further than anyone pages; find an older one by its id


@dataclass(frozen=True)
class PlacementMoney:
    """A placement's money table, and how much of the trail it was told from."""

    placement_id: UUID
    money: MoneyTable
    event_count: int
    streams: tuple[str, ...]
    last_position: str


async def placement_money(store: EventStore, placement_id: UUID) -> PlacementMoney | None:
    """The placement's money as its audit report would show it now; None for an unknown placement."""
    async with store.pool.connection() as db:
        events = await money_trail(store, db, placement_id)
    if not events:
        return None
    lines = [event_line(e) for e in events]
    table = await asyncio.to_thread(money_table, lines, str(placement_id))
    return PlacementMoney(placement_id, table, len(events), tuple(sorted({e.stream_id for e in events})),
                          str(events[-1].position))


@dataclass(frozen=True)
class BundleCheck:
    """A verdict on an uploaded bundle, with what identifies the file."""

    verdict: Verdict
    sha256: str
    size: int
    placement_id: UUID | None  # the one its manifest names, when that reads as a placement id


def _check(data: bytes, public_key_hex: str) -> BundleCheck:
    verdict = verify_bundle(data, public_key_hex)
    return BundleCheck(verdict, hashlib.sha256(data).hexdigest(), len(data), as_placement_id(verdict.placement_id))


async def check_bundle(data: bytes, public_key_hex: str) -> BundleCheck:
    """`splits audit verify <bundle> --public-key <this deployment's key>`, on the uploaded bytes."""
    return await asyncio.to_thread(_check, data, public_key_hex)


def as_placement_id(text: str | None) -> UUID | None:
    """A placement id typed or read from a file, or None when it is not one."""
    if not isinstance(text, str) or not 32 <= len(text.strip()) <= 36:
        return None
    try:
        return UUID(text.strip())
    except ValueError:
        return None
