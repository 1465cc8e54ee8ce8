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
from projections.ai.queries import STUCK_REVIEWS

BY = "scheduler"


def ai_schedules() -> list[Schedule]:
    return [
        deadline_schedule(
            "ai-review-retry",
            STUCK_REVIEWS,
            reviews.ai_review,
            lambda row, now: reviews.RequestRetry(application_id=row[0], stuck_since=row[2], by=BY, at=now),
        ),
    ]
