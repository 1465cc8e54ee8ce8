"""The projections that feed live updates (projections/live.py), by projection name: the event types each
pushes and its planner."""

from __future__ import annotations

from projections.ats import live as ats_live
from projections.conversations import live as conversations_live
from projections.live import Planner
from projections.notifications import live as notifications_live

LIVE_PLANNERS: dict[str, tuple[frozenset[str], Planner]] = {
    "notifications": (notifications_live.TYPES, notifications_live.plan),
    "ats": (ats_live.TYPES, ats_live.plan),
    "conversations": (conversations_live.TYPES, conversations_live.plan),
}
