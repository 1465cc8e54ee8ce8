"""Taking an audit export: the placement's money trail, bundled and signed, and the export recorded as an event
(after the bundle is built, so a bundle shows the exports before it, never itself).

The personal fields of the trail are opened here, with the data keys the trail's read loaded, for the timeline
and the report only (an erased field reads `[erased]`, whatever its type); the parties are named from their own
streams at the same moment. `events.jsonl` keeps every event as stored, or, for an event the exporter may not
read (`projections/audit/scope.py`), its redacted line.

The CPU work (opening the sealed fields, deciding what is withheld, rendering and zipping) runs in a worker
thread: a big trail takes seconds, and the API's event loop keeps answering other requests meanwhile."""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.audit.events import ExporterRole
from commands.audit.export import RecordExport, audit_export
from eventstore import EventStore, Metadata, RecordedEvent, handle
from eventstore.personal import ERASED, open_fields
from adapters.clock import SYSTEM_CLOCK, Clock
from projections.audit.bundle import MANIFEST, build_bundle
from projections.audit.parties import trail_parties
from projections.audit.scope import Viewer, masked, withheld
from projections.audit.trail import money_trail


@dataclass(frozen=True)
class Export:
    bundle: bytes
    export_id: UUID
    event_count: int
    filename: str


def opened_data(store: EventStore, events: list[RecordedEvent]) -> dict[UUID, dict[str, Any]]:
    """Each event's data with its personal fields opened (an erased one as `[erased]`), by event id. The trail's
    read loaded its subjects' keys."""
    return {e.event_id: open_fields(e.data, e.event_id, store.keyring.key, lambda _: ERASED) for e in events}


def _opened_and_withheld(store: EventStore, events: list[RecordedEvent], viewer: Viewer
                         ) -> tuple[dict[UUID, dict[str, Any]], set[UUID], dict[UUID, tuple[str, ...]]]:
    opened = opened_data(store, events)
    hidden = withheld(events, opened, viewer)
    return opened, hidden, masked(events, viewer, hidden)


def _manifest_sha256(bundle: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        return hashlib.sha256(zf.read(MANIFEST)).hexdigest()


async def export_placement(store: EventStore, placement_id: UUID, exporter: str, role: ExporterRole,
                           key: Ed25519PrivateKey, meta: Metadata, viewer: Viewer | None = None,
                           clock: Clock = SYSTEM_CLOCK) -> Export | None:
    """The bundle of the placement, or None when there is no such placement. `viewer` is who it is for (their
    role and ids decide what is redacted); without one, the bundle is whole (a platform admin's). It is dated
    by `clock` (the system's)."""
    viewer = viewer or Viewer("platform_admin")
    head = await store.head()
    async with store.pool.connection() as db:
        events = await money_trail(store, db, placement_id)
    if not events:
        return None

    opened, hidden, views = await asyncio.to_thread(_opened_and_withheld, store, events, viewer)
    parties = await trail_parties(store, [{"type": e.type, "data": opened[e.event_id], "metadata": e.metadata}
                                          for e in events if e.event_id not in hidden],
                                  emails=viewer.sees_everything)
    now = clock.now()
    export_id = uuid4()
    bundle = await asyncio.to_thread(
        build_bundle, events, {"placement_id": str(placement_id), "export_id": str(export_id),
                               "exported_at": now.isoformat(), "exporter": exporter, "exporter_role": role,
                               "feed_position": str(head)}, key, open_data=lambda e: opened[e.event_id],
        parties=parties, withheld=hidden, masked=views)
    manifest_sha256 = await asyncio.to_thread(_manifest_sha256, bundle)
    await handle(store, audit_export, placement_id, RecordExport(
        placement_id=placement_id, export_id=export_id, exporter=exporter, exporter_role=role,
        feed_position=str(head), event_count=len(events), manifest_sha256=manifest_sha256, at=now), meta)
    return Export(bundle, export_id, len(events), f"placement-{placement_id}-audit-{now:%Y%m%dT%H%M%SZ}.zip")
