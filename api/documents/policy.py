"""Who may read and who may change the documents of an entity (domain §2.3, §2.4 in spirit).

- candidate: read and changed (uploaded to, deleted from) by the candidate themself, a recruiter
  representing them (an active, consented recruiter–candidate relationship, from the network read
  schema), the recruiter managing a record that has no account yet, and platform admins;
- job: read by whoever may see the job, changed by whoever may change it (api/ats/policy.py);
- application: read by whoever may see the application, changed by its parties: whoever has a role
  towards it (api/ats/application_policy.py: platform admin, the candidate, their recruiter, the
  company's recruiter or the job's owner, the company's users once the company sees it);
- company: read and changed by the company's users (`Access.company_ids`) and platform admins;
- placement: read and changed by whoever may see the placement, its parties (the candidate, the five
  credited recruiters, the company's users) and platform admins;
- conversation (a message's attachments): a file is its uploader's until a message sends it; then it is read by
  both participants, until that message is taken down (then the uploader's again), and by a platform admin while
  the conversation is reported (api/conversations/common.py), as its messages are, taken down or not; uploaded to
  by a participant who may send it a message (not a declined starter, nor across a block, nor under a messaging
  restriction); a file is deleted by the participant who uploaded it only, as only a message's author takes it
  down.

An entity that does not exist, or that the caller may not see, answers 404; one the caller sees but whose
documents they may not read, or may not change, answers 403. A company exists when its ats stream does
or an organization of the identity context names it. The entities are loaded from their streams, as the
commands on them are; only the recruiter–candidate relationship is read from the network read schema.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from api.ats import application_policy as applications_policy
from api.ats import policy as ats_policy
from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import company as companies
from commands.ats import job as jobs
from commands.ats import placement as placements
from api.conversations.common import check_may_attach, conversation_of
from commands.core import Forbidden, NotFound
from commands.documents import document as documents
from commands.documents.events import EntityType
from eventstore import EventStore, load, stream_id_for
from projections.ats.application_queries import recruiter_represents
from projections.identity.access import Access
from projections.network.queries import company_known


@dataclass(frozen=True)
class EntityAccess:
    """What the caller may do with one entity's documents. `changes` implies `reads`, `reads` implies `sees`."""

    entity_type: EntityType
    entity_id: UUID
    exists: bool = False
    sees: bool = False
    reads: bool = False
    changes: bool = False
    # Of a conversation: the files its messages sent (None: every document of the entity), and the caller, whose own
    # uploads they read as well.
    shared: frozenset[UUID] | None = None
    caller: UUID | None = None

    def reads_document(self, document_id: UUID, uploaded_by: UUID | None) -> bool:
        """Whether the caller reads this one of the entity's documents."""
        return self.reads and (self.shared is None or document_id in self.shared
                               or (self.caller is not None and uploaded_by == self.caller))

    def _not_found(self) -> NotFound:
        return NotFound(f"{self.entity_type} {self.entity_id} not found", entity_type=self.entity_type,
                        entity_id=str(self.entity_id))

    def check_read(self) -> None:
        if not (self.exists and self.sees):
            raise self._not_found()
        if not self.reads:
            raise Forbidden(f"you may not read the documents of {self.entity_type} {self.entity_id}",
                            entity_type=self.entity_type, entity_id=str(self.entity_id))

    def check_change(self) -> None:
        if not (self.exists and self.sees):
            raise self._not_found()
        if not self.changes:
            raise Forbidden(f"you may not change the documents of {self.entity_type} {self.entity_id}",
                            entity_type=self.entity_type, entity_id=str(self.entity_id))


def _access(entity_type: EntityType, entity_id: UUID, *, sees: bool, reads: bool, changes: bool) -> EntityAccess:
    reads = reads or changes
    return EntityAccess(entity_type, entity_id, exists=True, sees=sees or reads, reads=reads, changes=changes)


async def entity_access(store: EventStore, pool: AsyncConnectionPool, user: Access, entity_type: EntityType,
                        entity_id: UUID, now: datetime) -> EntityAccess:
    """What the caller may do with the entity's documents at `now` (a recruiter's consent is judged then)."""
    match entity_type:
        case "candidate":
            return await _candidate(store, pool, user, entity_id, now)
        case "job":
            return await _job(store, user, entity_id)
        case "application":
            return await _application(store, user, entity_id)
        case "company":
            return await _company(store, pool, user, entity_id)
        case "placement":
            return await _placement(store, user, entity_id)
        case "conversation":
            return await _conversation(store, pool, user, entity_id)
    raise ValueError(f"documents are not attached to {entity_type}")


async def _candidate(store: EventStore, pool: AsyncConnectionPool, user: Access, candidate_id: UUID,
                     now: datetime) -> EntityAccess:
    state, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    if not state.exists:
        return EntityAccess("candidate", candidate_id)
    party = (
        user.is_platform_admin
        or (user.candidate_id is not None and user.candidate_id == candidate_id)
        or ats_policy.controls_candidate(user, user_id=state.user_id, created_by_user_id=state.created_by_user_id)
    )
    if not party and user.recruiter_id is not None:
        async with pool.connection() as conn:
            party = await recruiter_represents(conn, user.recruiter_id, candidate_id, now)
    return _access("candidate", candidate_id, sees=ats_policy.may_see_candidate(user, state), reads=party,
                   changes=party)


async def _job(store: EventStore, user: Access, job_id: UUID) -> EntityAccess:
    state, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
    if not state.exists:
        return EntityAccess("job", job_id)
    sees = ats_policy.may_see(user, state)
    try:
        ats_policy.check_may_change(user, state)
        changes = sees
    except Forbidden:
        changes = False
    return _access("job", job_id, sees=sees, reads=sees, changes=changes)


async def _application(store: EventStore, user: Access, application_id: UUID) -> EntityAccess:
    app, _, _ = await load(store, applications.application, stream_id_for(applications.application, application_id))
    if not app.exists:
        return EntityAccess("application", application_id)
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, app.job_id))
    parties = applications_policy.Parties.of(app, job)
    sees = applications_policy.may_see(user, parties)
    changes = sees and applications_policy.actor_role(user, parties) is not None
    return _access("application", application_id, sees=sees, reads=sees, changes=changes)


async def _company(store: EventStore, pool: AsyncConnectionPool, user: Access, company_id: UUID) -> EntityAccess:
    state, _, _ = await load(store, companies.company, stream_id_for(companies.company, company_id))
    exists = state.exists
    if not exists:
        async with pool.connection() as conn:
            exists = await company_known(conn, company_id)
    if not exists:
        return EntityAccess("company", company_id)
    staff = user.is_platform_admin or company_id in user.company_ids
    sees = ats_policy.may_see_company(user, state) or company_id in user.company_permissions
    return _access("company", company_id, sees=sees, reads=staff, changes=staff)


async def _placement(store: EventStore, user: Access, placement_id: UUID) -> EntityAccess:
    state, _, _ = await load(store, placements.placement, stream_id_for(placements.placement, placement_id))
    if not state.exists:
        return EntityAccess("placement", placement_id)
    party = applications_policy.may_see_placement(user, state)
    return _access("placement", placement_id, sees=party, reads=party, changes=party)


async def _conversation(store: EventStore, pool: AsyncConnectionPool, user: Access,
                        conversation_id: UUID) -> EntityAccess:
    try:
        state, part = await conversation_of(store, pool, user, conversation_id)
    except NotFound:
        return EntityAccess("conversation", conversation_id)
    shared = frozenset(d for m in state.messages.values() if part == "moderator" or not m.redacted
                       for d in m.sent_attachments)
    return replace(_access("conversation", conversation_id, sees=True, reads=True, changes=part == "participant"),
                   shared=shared, caller=user.user_id)


async def check_may_upload(store: EventStore, pool: AsyncConnectionPool, user: Access, access: EntityAccess,
                           now: datetime) -> None:
    """Refuse an upload the caller may not make to the entity's documents (404 / 403 / 422)."""
    access.check_change()
    if access.entity_type == "conversation":
        await check_may_attach(store, pool, user, access.entity_id, now)


def check_may_delete(user: Access, access: EntityAccess, document: documents.Document) -> None:
    """Refuse a deletion the caller may not make (403): a conversation's file is its uploader's alone."""
    access.check_change()
    if access.entity_type == "conversation" and document.uploaded_by != user.user_id:
        raise Forbidden("only the participant who attached a file to a conversation deletes it",
                        entity_type=access.entity_type, entity_id=str(access.entity_id))
