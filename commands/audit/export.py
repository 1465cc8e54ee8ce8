"""The audit export decider: each export of a placement's bundle is recorded once (a retried request with the
same export id records nothing)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.audit.events import AuditBundleExported, ExporterRole
from commands.core import Command, Decider

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class RecordExport(Command):
    placement_id: UUID
    export_id: UUID
    exporter: Text
    exporter_role: ExporterRole
    feed_position: Text
    event_count: Annotated[int, Field(ge=0)]
    manifest_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    at: AwareDatetime


def initial_state() -> frozenset[UUID]:
    return frozenset()


def evolve(exported: frozenset[UUID], e: AuditBundleExported) -> frozenset[UUID]:
    return exported | {e.export_id}


def decide(cmd: RecordExport, exported: frozenset[UUID]) -> list[AuditBundleExported]:
    if cmd.export_id in exported:
        return []
    return [AuditBundleExported(**cmd.model_dump())]


audit_export: Decider[RecordExport, AuditBundleExported, frozenset[UUID]] = Decider(
    "auditexport", initial_state, evolve, decide, events=(AuditBundleExported,),
)
