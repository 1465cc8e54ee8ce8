"""Recruiter–company routes (domain §7.4): a company invites a recruiter or a recruiter asks to work
with a company; the other side accepts or declines; either ends it; the company sets the permissions.

Sides are judged from the relationship's own stream: the recruiter side is the caller whose recruiter
it names; the company side is that company's admins (and platform admins). The company's other users
(hiring managers) see the relationship but do not act on it (403); anyone else gets 404.
"""

from __future__ import annotations

from math import ceil
from uuid import UUID

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from api.bounds import Limit, Page
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, Now, Store
from api.network.common import FreshNetwork, my_recruiter_id, own_recruiter
from api.network.endings import CompanyTerminationImpact, TerminateCompanyBody, affected, decided
from api.network.models import (
    AcceptRelationshipBody,
    InviteRecruiterBody,
    OptionalReasonBody,
    Pagination,
    PermissionsBody,
    RecruiterCompanyOut,
    RecruiterCompanyPage,
    RequestConnectionBody,
)
from api.responses import CommandResponse
from commands.core import Conflict, Forbidden, RuleViolation
from commands.network import recruiter as recruiters
from commands.network import recruiter_company as rco
from commands.network.events import JobEndingItem, RecruiterCompanySide, RecruiterCompanyStatus
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from projections.ats import ending_queries
from projections.identity.access import Access
from projections.network import queries
from projections.network.queries import RecruiterCompanyScope

router = APIRouter(prefix="/recruiter-companies", tags=["recruiter-companies"])
# The termination impact reads the ats schema: a caller's own write there is waited for.
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]


def _scope(user: Access) -> RecruiterCompanyScope:
    if user.is_platform_admin:
        return RecruiterCompanyScope(everything=True)
    return RecruiterCompanyScope(recruiter_id=my_recruiter_id(user), company_ids=user.company_ids)


def _sides(user: Access, s: rco.RecruiterCompany) -> set[RecruiterCompanySide]:
    sides: set[RecruiterCompanySide] = set()
    if s.recruiter_id is not None and s.recruiter_id == my_recruiter_id(user):
        sides.add("recruiter")
    if user.is_platform_admin or user.is_company_admin_of(s.company_id):
        sides.add("company")
    return sides


async def _relationship(store: EventStore, user: Access,
                        relationship_id: UUID) -> tuple[rco.RecruiterCompany, set[RecruiterCompanySide]]:
    s, _, _ = await load(store, rco.recruiter_company, stream_id_for(rco.recruiter_company, relationship_id))
    sides = _sides(user, s) if s.exists else set()
    if not s.exists or not (sides or s.company_id in user.company_ids):
        raise HTTPException(404, f"relationship {relationship_id} not found")
    return s, sides


def _responding(s: rco.RecruiterCompany, sides: set[RecruiterCompanySide], action: str) -> RecruiterCompanySide:
    """The side the caller answers for: the one that did not start it, if they hold it (else the decider refuses)."""
    responder: RecruiterCompanySide = "company" if s.started_by == "recruiter" else "recruiter"
    if responder in sides:
        return responder
    if sides:
        return next(iter(sides))
    raise Forbidden(f"only the {responder} can {action} this relationship", relationship_id=str(s.id))


def _party(s: rco.RecruiterCompany, side: RecruiterCompanySide) -> UUID:
    party = s.recruiter_id if side == "recruiter" else s.company_id
    assert party is not None
    return party


async def _run(store: EventStore, relationship_id: UUID, command: rco.RecruiterCompanyCommand,
               meta: Metadata) -> CommandResponse:
    return CommandResponse.of(relationship_id, await handle(store, rco.recruiter_company, relationship_id, command, meta))


@router.post("/invite", status_code=201, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def invite(body: InviteRecruiterBody, user: CurrentUser, store: Store, meta: CommandMetadata,
                 now: Now) -> CommandResponse:
    """A company's admins invite a recruiter; the permissions take effect when the recruiter accepts."""
    if not (user.is_platform_admin or user.is_company_admin_of(body.company_id)):
        raise Forbidden("only the company's admins may invite recruiters to it", company_id=str(body.company_id))
    recruiter, _, _ = await load(store, recruiters.recruiter, stream_id_for(recruiters.recruiter, body.recruiter_id))
    if not recruiter.exists:
        raise HTTPException(404, f"recruiter {body.recruiter_id} not found")
    if recruiter.status != "active":
        raise RuleViolation(f"recruiter {body.recruiter_id} is {recruiter.status}: only active recruiters can be invited",
                            recruiter_id=str(body.recruiter_id))
    permissions = None if body.permissions is None else frozenset(body.permissions)
    command = rco.InviteRecruiterToCompany(recruiter_id=body.recruiter_id, company_id=body.company_id,
                                           relationship_type=body.relationship_type, permissions=permissions,
                                           message=body.message, by=meta.actor, at=now)
    return await _run(store, command.relationship_id, command, meta)


@router.post("/request", status_code=201, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def request_connection(body: RequestConnectionBody, user: CurrentUser, store: Store, db: Db,
                             meta: CommandMetadata, now: Now) -> CommandResponse:
    """The caller's (active) recruiter asks to work with a company on the platform, acknowledging the terms."""
    recruiter = await own_recruiter(store, user, active=True)
    if not await queries.company_known(db, body.company_id):
        raise HTTPException(404, f"company {body.company_id} not found")
    assert recruiter.id is not None
    command = rco.RequestCompanyConnection(recruiter_id=recruiter.id, company_id=body.company_id,
                                           relationship_type=body.relationship_type, message=body.message,
                                           terms_acknowledged=body.terms_acknowledged, by=meta.actor, at=now)
    return await _run(store, command.relationship_id, command, meta)


@router.get("", response_model=RecruiterCompanyPage, responses={401: {}})
async def list_relationships(
    _: FreshNetwork,
    user: CurrentUser,
    db: Db,
    status: RecruiterCompanyStatus | None = None,
    company_id: UUID | None = None,
    page: Page = 1,
    limit: Limit = 25,
) -> RecruiterCompanyPage:
    """Recruiters see their relationships, company users their companies', platform admins all."""
    rows, total = await queries.list_recruiter_companies(db, _scope(user), status, company_id, page, limit)
    return RecruiterCompanyPage(data=[RecruiterCompanyOut(**r) for r in rows],
                                pagination=Pagination(total=total, page=page, limit=limit,
                                                      total_pages=ceil(total / limit) if total else 0))


@router.get("/my-permissions", responses={401: {}})
async def my_permissions(user: CurrentUser) -> dict[str, dict[UUID, list[str]]]:
    """What each company lets the caller's recruiter do there now, as their access context holds it."""
    return {"data": {company: sorted(granted) for company, granted in user.company_permissions.items()}}


@router.get("/{relationship_id}", responses={401: {}, 404: {}})
async def get_relationship(relationship_id: UUID, _: FreshNetwork, user: CurrentUser,
                           db: Db) -> dict[str, RecruiterCompanyOut]:
    row = await queries.get_recruiter_company(db, relationship_id, _scope(user))
    if row is None:
        raise HTTPException(404, f"relationship {relationship_id} not found")
    return {"data": RecruiterCompanyOut(**row)}


@router.post("/{relationship_id}/accept", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def accept(relationship_id: UUID, body: AcceptRelationshipBody, user: CurrentUser, store: Store, db: Db,
                 meta: CommandMetadata, now: Now) -> CommandResponse:
    """The side that did not start it accepts: the company may set permissions, the recruiter acknowledges the terms."""
    s, sides = await _relationship(store, user, relationship_id)
    side = _responding(s, sides, "accept")
    if s.relationship_type == "sourcer" and s.company_id is not None and s.status == "pending":
        # One active sourcer per company spans pairs: a question for the read model.
        current = await queries.active_sourcer_of(db, s.company_id)
        if current is not None and current != s.id:
            raise Conflict(f"company {s.company_id} already has an active sourcer", relationship_id=str(current))
    permissions = None if body.permissions is None else frozenset(body.permissions)
    command = rco.AcceptRecruiterCompany(relationship_id=relationship_id, side=side, party_id=_party(s, side),
                                         permissions=permissions, terms_acknowledged=body.terms_acknowledged,
                                         by=meta.actor, at=now)
    return await _run(store, relationship_id, command, meta)


@router.post("/{relationship_id}/decline", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def decline(relationship_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                  now: Now, body: OptionalReasonBody | None = None) -> CommandResponse:
    s, sides = await _relationship(store, user, relationship_id)
    side = _responding(s, sides, "decline")
    command = rco.DeclineRecruiterCompany(relationship_id=relationship_id, side=side, party_id=_party(s, side),
                                          reason=body.reason if body else None, by=meta.actor, at=now)
    return await _run(store, relationship_id, command, meta)


async def _owned(store: EventStore, s: rco.RecruiterCompany) -> list[dict]:
    assert s.recruiter_id is not None and s.company_id is not None
    return await affected(store, ending_queries.jobs_owned, s.recruiter_id, s.company_id)


@router.get("/{relationship_id}/termination-impact", responses={401: {}, 404: {}, 422: {}})
async def termination_impact(relationship_id: UUID, _: FreshAts, user: CurrentUser,
                             store: Store) -> dict[str, CompanyTerminationImpact]:
    """The open jobs the recruiter owns at the company, which ending the relationship decides on (keep, pause or
    close; api/network/endings.py). Seen by whoever sees the relationship."""
    s, _sides = await _relationship(store, user, relationship_id)
    return {"data": CompanyTerminationImpact(relationship_id=relationship_id, jobs=await _owned(store, s))}


@router.post("/{relationship_id}/terminate", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def terminate(relationship_id: UUID, body: TerminateCompanyBody, user: CurrentUser, store: Store,
                    meta: CommandMetadata, now: Now) -> CommandResponse:
    """Either side ends an active relationship; while pending, the side that started it withdraws it. Each open
    job the recruiter owns at the company is kept (the default), paused or closed; a process then does it."""
    s, sides = await _relationship(store, user, relationship_id)
    if not sides:
        raise Forbidden("only the recruiter or the company's admins can end this relationship",
                        relationship_id=str(s.id))
    side: RecruiterCompanySide
    if s.status == "pending" and s.started_by in sides:
        side = s.started_by
    else:
        side = "recruiter" if "recruiter" in sides else "company"
    decisions = []
    if s.status != "terminated":  # a retried termination records nothing, whatever the process did since
        owned = [row["job_id"] for row in await _owned(store, s)]
        decisions = [JobEndingItem(job_id=job_id, decision=decision)
                     for job_id, decision in decided(owned, body.jobs, "job")]
    command = rco.TerminateRecruiterCompany(relationship_id=relationship_id, side=side, party_id=_party(s, side),
                                            reason=body.reason, jobs=decisions, by=meta.actor, at=now)
    return await _run(store, relationship_id, command, meta)


@router.put("/{relationship_id}/permissions", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def change_permissions(relationship_id: UUID, body: PermissionsBody, user: CurrentUser, store: Store,
                             meta: CommandMetadata, now: Now) -> CommandResponse:
    """The company's admins change what an active relationship lets the recruiter do."""
    s, sides = await _relationship(store, user, relationship_id)
    if "company" not in sides:
        raise Forbidden("only the company's admins set a relationship's permissions", relationship_id=str(s.id))
    assert s.company_id is not None
    command = rco.ChangeRecruiterCompanyPermissions(relationship_id=relationship_id, by_company_id=s.company_id,
                                                    permissions=frozenset(body.permissions), by=meta.actor, at=now)
    return await _run(store, relationship_id, command, meta)


