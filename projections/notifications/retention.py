"""Retention in the notifications read schema: in-app notifications and development mailbox emails older than
a run's cutoff are removed when the run is applied (`RetentionApplied`), so a replay removes the same rows."""

from __future__ import annotations

from commands.privacy.events import RetentionApplied
from projections.core import Sql
from projections.notifications.schema import notifications


@notifications.handles(RetentionApplied)
def _(e: RetentionApplied) -> Sql | None:
    if e.rule == "notifications":
        return Sql("DELETE FROM inbox WHERE created_at < %s", (e.cutoff,))
    if e.rule == "mailbox":
        return Sql("DELETE FROM emails WHERE provider = 'mailbox' AND at < %s", (e.cutoff,))
    return None
