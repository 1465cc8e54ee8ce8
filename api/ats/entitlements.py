"""The entitlements the ats routes decide on (domain §13), from the billing context: read from the subscription's
and the plan's own streams (projections/billing/entitlement_queries.py), so a plan changed a moment ago counts.

- `early_access_roles`: a recruiter whose plan grants it sees early-access jobs in the marketplace before their
  `activates_at`; nobody else does (api/ats/policy.py `job_visibility`).
- `max_saved_jobs`, `max_saved_candidates`: a recruiter's limits on saved items; a candidate, who has no plan,
  keeps at most `CANDIDATE_MAX_SAVED_JOBS` jobs (commands/ats/saved_items.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends

from api.ats.policy import job_visibility, may_see
from api.deps import MaybeUser, Now, Store
from commands.ats.job import Job
from commands.ats.saved_items import CANDIDATE_MAX_SAVED_JOBS
from commands.ats.saved_item_events import SaverKind
from eventstore import EventStore
from projections.ats.queries import JobVisibility
from projections.billing.entitlement_queries import entitlements_of
from projections.identity.access import Access


async def sees_early_access(store: EventStore, user: Access, now: datetime) -> bool:
    """A recruiter whose plan grants `early_access_roles` (Pro, Partner). Platform admins see every job anyway;
    candidates, company staff and anonymous callers have no such plan."""
    if not user.is_recruiter or user.user_id is None or user.is_platform_admin:
        return False
    return (await entitlements_of(store, user.user_id, now)).allows("early_access_roles")


async def visible_jobs(store: EventStore, user: Access, now: datetime) -> JobVisibility:
    """The jobs this caller may read at `now`, their plan's early access included."""
    return job_visibility(user, early_access=await sees_early_access(store, user, now), now=now)


async def may_see_job(store: EventStore, user: Access, job: Job, now: datetime) -> bool:
    """`may_see` for one job from its stream, their plan's early access included (looked up only when it
    decides: a job in early access that the caller does not see otherwise)."""
    if may_see(user, job, now=now):
        return True
    return job.is_early_access and may_see(user, job, early_access=await sees_early_access(store, user, now), now=now)


async def saved_limit(store: EventStore, user: Access, saver_kind: SaverKind, item: str,
                      now: datetime) -> int | None:
    """How many `item`s ("jobs" or "candidates") this saver may keep saved; None is unlimited."""
    if saver_kind == "candidate" or user.user_id is None:
        return CANDIDATE_MAX_SAVED_JOBS
    value = (await entitlements_of(store, user.user_id, now)).values.get(f"max_saved_{item}", 0)
    if value is None:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


async def _visible_jobs(user: MaybeUser, store: Store, now: Now) -> JobVisibility:
    return await visible_jobs(store, user, now)


# Declared before a route's `Db`: the plan is read (on the store's own connection) before the route takes one.
VisibleJobs = Annotated[JobVisibility, Depends(_visible_jobs)]
