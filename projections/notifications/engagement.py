"""The engagement mail recorded due (`engagement_mail`): which person was due which kind for which period, so the
engagement schedules propose each person once per period (the engagement decider refuses a second one anyway)."""

from __future__ import annotations

from commands.notifications.engagement_events import EngagementMailDue
from projections.core import Sql
from projections.notifications.schema import notifications

notifications.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS engagement_mail (
        user_id uuid NOT NULL,
        kind    text NOT NULL,
        period  text NOT NULL,
        due_at  timestamptz NOT NULL,
        PRIMARY KEY (kind, period, user_id)
    );
    """
)


@notifications.handles(EngagementMailDue)
def _(e: EngagementMailDue) -> Sql:
    return Sql("INSERT INTO engagement_mail (user_id, kind, period, due_at) VALUES (%s, %s, %s, %s)"
               " ON CONFLICT DO NOTHING", (e.user_id, e.kind, e.period, e.at))
