"""An audit export, recorded on `auditexport-<placement id>`: who took which bundle of the placement's money
trail, when, at which feed position, and the SHA-256 of its signed manifest."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event

ExporterRole = Literal["platform_admin", "company_admin", "recruiter"]


class AuditBundleExported(Event):
    placement_id: UUID
    export_id: UUID
    exporter: str
    exporter_role: ExporterRole
    feed_position: str
    event_count: int
    manifest_sha256: str
    at: datetime
