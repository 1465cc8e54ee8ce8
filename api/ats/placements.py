"""Placement routes (domain §4.2, §7.3): the role-scoped list and detail, the two state changes a company
makes (the candidate started; the hire did not hold) and the link from a failed placement to the one that
replaces it. Placements are created by the hire (consumers/ats/process.py) and completed by the guarantee
scheduler; none is ever deleted.

What we decided for replacements where the domain is silent: the company's admins or a platform admin link
them (as for the other changes); the replacement must be a placement the caller sees, for the same job (so the
same company), not failed itself, not the failed one, and replacing no other placement; the failed one names
one replacement. The route marks the replacement on its own stream, then records the link on the failed
placement (the placement-replacements process marks it again, which records nothing): the reads show
`replacement_placement_id` on the one and `replaces_placement_id` on the other.
"""

from __future__ import annotations

from math import ceil
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.ats.application_models import (
    FailPlacementBody,
    PlacementEnvelope,
    PlacementOut,
    PlacementPage,
    ReplacementBody,
)
from api.ats.application_policy import check_may_manage_placement, may_see_placement, placement_visibility
from api.ats.models import Pagination
from api.bounds import Limit, Page
from api.visibility import PLACEMENT, viewer_of_placement
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, ExpectedVersion, Now, Store
from api.responses import CommandResponse
from commands.ats import placement as placements
from commands.ats.placement_events import PlacementState
from commands.core import NotFound
from eventstore import Conflict, EventStore, Position, handle, load, stream_id_for
from projections.ats.application_queries import PlacementFilter, PlacementSort, get_placement, list_placements
from projections.identity.access import Access

router = APIRouter(prefix="/v1/placements", tags=["placements"])
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]


async def _manageable(store: EventStore, user: Access, placement_id: UUID) -> placements.Placement:
    """404 if the caller may not see the placement, 403 if they see it but may not change it."""
    state, _, _ = await load(store, placements.placement, stream_id_for(placements.placement, placement_id))
    if not may_see_placement(user, state):
        raise NotFound(f"placement {placement_id} not found", placement_id=str(placement_id))
    check_may_manage_placement(user, state)
    return state


def _shown(user: Access, row: dict) -> PlacementOut:
    """The placement as this caller sees it (api/visibility.py); the fields left out stay unset, so unsent."""
    return PlacementOut.model_validate(PLACEMENT.project(viewer_of_placement(user, row), row))


@router.post("/{placement_id}/activate", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def activate(placement_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                   if_match: ExpectedVersion, now: Now) -> CommandResponse:
    """The candidate has started."""
    await _manageable(store, user, placement_id)
    command = placements.ActivatePlacement(placement_id=placement_id, by=meta.actor, at=now)
    result = await handle(store, placements.placement, placement_id, command, meta, expected_version=if_match)
    return CommandResponse.of(placement_id, result)


@router.post("/{placement_id}/fail", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def fail(placement_id: UUID, body: FailPlacementBody, store: Store, meta: CommandMetadata, user: CurrentUser,
               if_match: ExpectedVersion, now: Now) -> CommandResponse:
    """The hire did not hold within the guarantee."""
    await _manageable(store, user, placement_id)
    command = placements.FailPlacement(placement_id=placement_id, reason=body.reason, by=meta.actor,
                                       at=now)
    result = await handle(store, placements.placement, placement_id, command, meta, expected_version=if_match)
    return CommandResponse.of(placement_id, result)


@router.post("/{placement_id}/replacement", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def link_replacement(placement_id: UUID, body: ReplacementBody, store: Store, meta: CommandMetadata,
                           user: CurrentUser, if_match: ExpectedVersion, now: Now) -> CommandResponse:
    """A failed placement names the placement that replaces it (a hire for the same job). The replacement is
    marked first, on its own stream, so that two failed placements never both name it (the second is refused
    409 `replacement_already_linked`); the link is checked before, so a refused one marks nothing."""
    original = await _manageable(store, user, placement_id)
    replacement_id = body.replacement_placement_id
    replacement, _, _ = await load(store, placements.placement, stream_id_for(placements.placement, replacement_id))
    if not may_see_placement(user, replacement):
        raise placements.ReplacementNotFound(replacement_id)
    placements.check_replacement(original, replacement)
    command = placements.LinkReplacement(placement_id=placement_id, replacement_placement_id=replacement_id,
                                         by=meta.actor, at=now)
    _, version, _ = await load(store, placements.placement, stream_id_for(placements.placement, placement_id))
    if if_match is not None and version != if_match:
        raise Conflict(stream_id_for(placements.placement, placement_id), if_match, version)
    placements.decide(command, original)  # refused here, before the replacement is marked
    await handle(store, placements.placement, replacement_id, placements.MarkAsReplacement(
        placement_id=replacement_id, replaces_placement_id=placement_id, by=meta.actor, at=now), meta)
    result = await handle(store, placements.placement, placement_id, command, meta, expected_version=if_match)
    return CommandResponse.of(placement_id, result)


@router.get("", response_model=PlacementPage, response_model_exclude_unset=True, responses={401: {}})
async def list_all(
    token: FreshAts,
    user: CurrentUser,
    db: Db,
    state: Annotated[list[PlacementState] | None, Query(max_length=4)] = None,
    job_id: UUID | None = None,
    candidate_id: UUID | None = None,
    company_id: UUID | None = None,
    sort: PlacementSort = "-created_at",
    page: Page = 1,
    limit: Limit = 25,
) -> PlacementPage:
    """The placements the caller may see (domain §2.3), filtered, sorted and paginated."""
    where = PlacementFilter(state=state, job_id=job_id, candidate_id=candidate_id, company_id=company_id)
    rows, total = await list_placements(db, placement_visibility(user), where, sort, page, limit)
    return PlacementPage(
        data=[_shown(user, r) for r in rows],
        pagination=Pagination(total=total, page=page, limit=limit, total_pages=ceil(total / limit) if total else 0),
    )


@router.get("/{placement_id}", response_model=PlacementEnvelope, response_model_exclude_unset=True,
            responses={401: {}, 404: {}})
async def get_one(placement_id: UUID, token: FreshAts, user: CurrentUser, db: Db) -> PlacementEnvelope:
    row = await get_placement(db, placement_id, placement_visibility(user))
    if row is None:
        raise NotFound(f"placement {placement_id} not found", placement_id=str(placement_id))
    return PlacementEnvelope(data=_shown(user, row))
