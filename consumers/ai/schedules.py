"""The AI review's schedule: an application stuck in ai_review is reviewed again.

An application is stuck when it has been in ai_review for `STUCK_AFTER` (10 minutes) and its latest review
has been quiet that long too (no request, no attempt started). Each stuck application gets a `RequestRetry`
on its ai stream; the decider checks the same times on the stream's own state and records at most
`MAX_RETRIES` retries per stay in ai_review (named by the application's `last_activity_at`), so the query only
proposes. The row, and so the command's key, names the deadline reached: a retry, once projected, moves the
deadline on, and the next stall is a new occurrence.
"""

from __future__ import annotations

from commands.ai import review as reviews
from consumers.runtime.scheduler import Schedule, deadline_schedule

BY = "scheduler"
_STUCK = f"interval '{int(reviews.STUCK_AFTER.total_seconds())} seconds'"

_STUCK_REVIEWS = f"""
    SELECT id, deadline, last_activity_at FROM (
        SELECT a.id, a.last_activity_at, r.retries,
               greatest(a.last_activity_at, r.latest) + {_STUCK} AS deadline
          FROM ats.applications a
          LEFT JOIN LATERAL (
              SELECT max(greatest(requested_at, started_at)) AS latest,
                     count(*) FILTER (WHERE trigger = 'retry' AND stuck_since = a.last_activity_at) AS retries
                FROM ai.reviews WHERE application_id = a.id) r ON true
         WHERE a.stage = 'ai_review') stuck
     WHERE deadline <= %(now)s AND retries < {reviews.MAX_RETRIES}
     ORDER BY deadline LIMIT %(limit)s"""


def ai_schedules() -> list[Schedule]:
    return [
        deadline_schedule(
            "ai-review-retry",
            _STUCK_REVIEWS,
            reviews.ai_review,
            lambda row, now: reviews.RequestRetry(application_id=row[0], stuck_since=row[2], by=BY, at=now),
        ),
    ]
