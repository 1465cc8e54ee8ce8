"""Who a notice goes to: the people an event concerns, found through the read models and the streams, and the
notice each planner returns for one of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.identity.user import user_id_for
from commands.notifications.events import Category
from consumers.runtime.reactor import Reaction
from eventstore import EventStore, load, stream_id_for
from projections.ats.company_queries import company_admin_contacts
from projections.identity.queries import user_contact
from projections.network.queries import recruiter_contact

T = TypeVar("T")
CANDIDATE, RECRUITER, COMPANY = "candidate", "recruiter", "company"


@dataclass(frozen=True)
class Person:
    email: str
    user_id: UUID | None = None
    name: str | None = None
    is_recruiter: bool = False
    is_candidate: bool = False


@dataclass(frozen=True)
class Notice:
    to: Person
    template: str
    category: Category
    context: dict[str, Any] = field(default_factory=dict)
    action_url: str | None = None
    audience: str = "user"
    email_only: bool = False  # no in-app notice (the engagement mail: a digest is not an inbox item)
    # Told once per this (with the recipient and template) instead of once per event: a chat email is sent once
    # per conversation and quiet period, whatever the number of messages (chat.py `quiet_period`).
    once_per: str | None = None


class Reads:
    """Read-model queries for the planners, each on a pool connection held for that query alone.

    A planner also loads streams, and `load` takes a connection of its own: holding one across the whole
    plan held two per handler, and under a backlog every connection was held by a handler waiting for a
    second (the pool starved and the consumers stalled).
    """

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def read(self, query: Callable[..., Awaitable[T]], *args: Any) -> T:
        """`query(conn, *args)`: a query function of the read models' (projections/<ctx>/*queries.py)."""
        async with self._pool.connection() as conn:
            return await query(conn, *args)


def actor_user_id(by: str) -> UUID:
    """The user who recorded an event: `by` is the identity user id (the API's actor), `clerk:<id>` before the
    user was synced, or a bare Clerk id (seeders); compared with a recipient so nobody is told of their own act."""
    try:
        return UUID(by)
    except ValueError:
        return user_id_for(by.removeprefix("clerk:"))


async def find_user(db: Reads, user_id: UUID | None, **kind: bool) -> Person | None:
    if user_id is None:
        return None
    row = await db.read(user_contact, user_id)
    return Person(email=row[0], user_id=user_id, name=row[1], **kind) if row else None


async def find_recruiter(db: Reads, recruiter_id: UUID | None) -> Person | None:
    if recruiter_id is None:
        return None
    row = await db.read(recruiter_contact, recruiter_id)
    return Person(email=row[1], user_id=row[0], name=row[2], is_recruiter=True) if row else None


async def find_candidate(store: EventStore, db: Reads, candidate_id: UUID | None) -> Person | None:
    if candidate_id is None:
        return None
    c, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    if not c.exists:
        return None
    return Person(email=c.email, user_id=c.user_id, name=c.full_name, is_candidate=True)


async def company_admins(db: Reads, company_id: UUID | None) -> list[Person]:
    if company_id is None:
        return []
    return [Person(email=r[1], user_id=r[0], name=r[2]) for r in await db.read(company_admin_contacts, company_id)]


async def application_people(store: EventStore, db: Reads, application_id: UUID
                              ) -> tuple[Any, Any, dict[str, list[Person]]]:
    app, _, _ = await load(store, applications.application, stream_id_for(applications.application, application_id))
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, app.job_id)) if app.exists else (
        jobs.initial_state(), 0, None)
    candidate = await find_candidate(store, db, app.candidate_id)
    recruiters = [r for r in [await find_recruiter(db, app.candidate_recruiter_id),
                              await find_recruiter(db, app.company_recruiter_id)] if r]
    people = {CANDIDATE: [candidate] if candidate else [], RECRUITER: recruiters,
              COMPANY: await company_admins(db, app.company_id)}
    return app, job, people


Planner = Callable[[Reaction, Reads, str, str], Awaitable[list[Notice]]]
"""(the reaction, the read models, the portal's URL, the candidate app's URL) → the notices to send."""
