"""The engagement mail's notices (domain §10 "cron engagement"): an `EngagementMailDue` recorded by the
engagement schedules (consumers/notifications/schedules.py) becomes one email to its person, by email only (no
in-app notice), in the `engagement` category, with its unsubscribe link and `List-Unsubscribe` header.

The content is read when the event is handled, from the period the event names: a digest or report covers its
finished period (the same whenever it is sent or retried); a reminder or an aftercare check-in says what stands
now. Nothing to say (the read models moved since the schedule proposed the person) is no email: no empty digest.
The plan and preference gates are the reactor's, as for every notice (a recruiter without `email_notifications`
gets none).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from adapters.tokens import unsubscribe_token
from commands.notifications.engagement_events import EngagementMailDue
from consumers.notifications.people import CANDIDATE, COMPANY, RECRUITER, Notice, Planner, Reads, find_user
from consumers.notifications.schedules import INACTIVE_AFTER, THURSDAY, last_weekly, period_window
from consumers.notifications.templates import STAGE_LABELS
from consumers.runtime.reactor import Reaction
from projections.notifications import aftercare_queries, engagement_queries as queries

CATEGORY = "engagement"
_MILESTONE_DAYS = {"day-3": 3, "day-14": 14, "day-30": 30, "day-90": 90}


def _label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage.replace("_", " "))


async def _weekly_digest(e: EngagementMailDue, db: Reads, portal: str) -> tuple[str, dict[str, Any], str] | None:
    start, end = period_window(e.kind, e.period)
    rows = await db.read(queries.weekly_digest, e.user_id, start, end)
    if not rows:
        return None
    items = [{"candidate_name": r["candidate_name"], "job_title": r["job_title"], "stage_label": _label(r["stage"]),
              "is_new": bool(r["is_new"]), "moves": [_label(s) for s in r["moves"]]} for r in rows]
    context = {"week_of": start.date().isoformat(), "week_end": (end - timedelta(days=1)).date().isoformat(),
               "new_count": sum(i["is_new"] for i in items), "moved_count": sum(bool(i["moves"]) for i in items),
               "hired_count": sum("hired" in r["moves"] for r in rows), "items": items}
    return "weekly_digest", context, f"{portal}/applications"


async def _monthly_report(e: EngagementMailDue, db: Reads, portal: str) -> tuple[str, dict[str, Any], str] | None:
    start, end = period_window(e.kind, e.period)
    rows = await db.read(queries.monthly_report, e.user_id, start, end)
    if not rows:
        return None
    return "monthly_hiring_report", {"month": start.strftime("%B %Y"), "companies": [dict(r) for r in rows]}, \
        f"{portal}/dashboard"


async def _candidate_reminder(e: EngagementMailDue, db: Reads, candidate_app: str
                              ) -> tuple[str, dict[str, Any], str] | None:
    rows = await db.read(queries.candidate_waiting, e.user_id, e.at)
    if not rows:
        return None
    return "candidate_reminder", {"items": [dict(r) for r in rows]}, f"{candidate_app}/applications"


async def _recruiter_inactivity(e: EngagementMailDue, db: Reads, portal: str
                                ) -> tuple[str, dict[str, Any], str] | None:
    moment = last_weekly(e.at, THURSDAY, 9)
    row = await db.read(queries.recruiter_idle, e.user_id, moment - INACTIVE_AFTER)
    if row is None:  # seen again since: nothing to remind
        return None
    return "recruiter_inactivity", {"days": max((e.at - row["last_seen"]).days, 14),
                                    "open_applications": row["open_applications"]}, f"{portal}/dashboard"


async def _aftercare(e: EngagementMailDue, db: Reads, portal: str, candidate_app: str
                     ) -> tuple[str, dict[str, Any], str | None, str] | None:
    placement, _, milestone = e.period.partition("/")
    row = await db.read(aftercare_queries.aftercare_placement, UUID(placement), e.user_id)
    if row is None or (milestone == "guarantee-ending" and row["state"] not in ("hired", "active")) \
            or row["state"] == "failed":
        return None
    audience = row["audience"]
    context = {"audience": audience, "milestone": milestone, "days": _MILESTONE_DAYS.get(milestone),
               "job_title": row["job_title"], "candidate_name": row["candidate_name"],
               "company_name": row["company_name"] or "the company",
               "guarantee_ends_on": row["guarantee_expires_at"].date().isoformat()}
    url = None if audience == CANDIDATE else f"{portal}/placements/{row['id']}"
    return "aftercare", context, url, audience


async def plan(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: EngagementMailDue = reaction.event
    person = await find_user(db, e.user_id)
    if person is None:
        return []
    recruiter = await db.read(queries.is_recruiter, e.user_id)
    planned: tuple[str, dict[str, Any], str | None] | None
    audience = RECRUITER if recruiter else COMPANY
    match e.kind:
        case "weekly_digest":
            planned = await _weekly_digest(e, db, portal)
        case "monthly_hiring_report":
            planned, audience = await _monthly_report(e, db, portal), COMPANY
        case "candidate_reminder":
            planned, audience = await _candidate_reminder(e, db, candidate_app), CANDIDATE
        case "recruiter_inactivity":
            planned, audience = await _recruiter_inactivity(e, db, portal), RECRUITER
        case "aftercare":
            found = await _aftercare(e, db, portal, candidate_app)
            planned, audience = (found[:3], found[3]) if found else (None, audience)
        case _:
            planned = None
    if planned is None:
        return []
    template, context, url = planned
    to = replace(person, is_recruiter=recruiter, is_candidate=audience == CANDIDATE)
    return [Notice(to, template, CATEGORY, context | {"audience": audience, "name": person.name or ""}, url,
                   audience, email_only=True)]


PLANNERS: dict[type, Planner] = {EngagementMailDue: plan}


UNSUBSCRIBE_LIFETIME = timedelta(days=365)
UNSUBSCRIBE_PATH = "/v1/notification-preferences/unsubscribe"


def unsubscribe_url(secret: bytes, api_url: str, user_id: UUID, category: str, at: datetime) -> str:
    """The link that turns `category`'s email off for the user without signing in, valid a year from `at` (the
    event's moment, so a retried send carries the same link and Resend's idempotency key still matches)."""
    token = unsubscribe_token(secret, user_id, category, int((at + UNSUBSCRIBE_LIFETIME).timestamp()))
    return f"{api_url.rstrip('/')}{UNSUBSCRIBE_PATH}?token={token}"


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail clients offer their own unsubscribe button, which POSTs to the link."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
