"""The marketplace's schedules (domain §14): idle applications are warned, then expire; placements
complete their guarantee. The read model proposes; each decider checks on its own stream and `at`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg

from commands.ats import application as applications
from commands.ats import placement as placements
from consumers.scheduler import Due, Schedule

BATCH = 500

# The idle limit of each stage that expires, as SQL: last activity + limit is the expiry instant.
_DEADLINE = "CASE stage " + " ".join(
    f"WHEN '{stage}' THEN last_activity_at + interval '{int(limit.total_seconds())} seconds'"
    for stage, limit in applications.IDLE_LIMITS.items()
) + " END"
_LEAD = f"interval '{int(applications.WARNING_LEAD.total_seconds())} seconds'"


async def _idle_applications(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
    cur = await conn.execute(
        f"SELECT id, deadline FROM (SELECT id, {_DEADLINE} AS deadline FROM ats.applications"
        "  WHERE stage = ANY(%s)) a WHERE deadline <= %s ORDER BY deadline LIMIT %s",
        (list(applications.IDLE_LIMITS), now, BATCH))
    return [
        Due(applications.application, application_id,
            applications.ExpireApplication(application_id=application_id, by="scheduler", at=now),
            f"{application_id}:{deadline.isoformat()}")
        for application_id, deadline in await cur.fetchall()
    ]


async def _applications_to_warn(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
    cur = await conn.execute(
        f"SELECT id, deadline FROM (SELECT id, expiry_warned_at, last_activity_at, {_DEADLINE} AS deadline"
        "  FROM ats.applications WHERE stage = ANY(%s)) a"
        f" WHERE deadline - {_LEAD} <= %s AND deadline > %s"
        "  AND (expiry_warned_at IS NULL OR expiry_warned_at < last_activity_at)"
        " ORDER BY deadline LIMIT %s",
        (list(applications.IDLE_LIMITS), now, now, BATCH))
    return [
        Due(applications.application, application_id,
            applications.RecordExpiryWarning(application_id=application_id, by="scheduler", at=now),
            f"{application_id}:{deadline.isoformat()}")
        for application_id, deadline in await cur.fetchall()
    ]


async def _guarantees_over(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
    cur = await conn.execute(
        "SELECT id, guarantee_expires_at FROM ats.placements WHERE state IN ('hired', 'active')"
        " AND guarantee_expires_at <= %s ORDER BY guarantee_expires_at LIMIT %s", (now, BATCH))
    return [
        Due(placements.placement, placement_id,
            placements.CompletePlacementGuarantee(placement_id=placement_id, by="scheduler", at=now),
            f"{placement_id}:{expires_at.isoformat()}")
        for placement_id, expires_at in await cur.fetchall()
    ]


def ats_schedules() -> list[Schedule]:
    return [
        Schedule("application-expiry-warning", _applications_to_warn),
        Schedule("application-expiry", _idle_applications),
        Schedule("placement-guarantee", _guarantees_over),
    ]
