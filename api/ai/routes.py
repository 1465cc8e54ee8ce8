"""AI review routes (domain §9): the history of an application's AI fit reviews, newest first.

Whoever may see the application reads its reviews (the application policy's visibility, read from the ats
schema); for anyone else the application does not exist (404).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends

from api.ai.models import AIReviewList, AIReviewOut
from api.ats.application_policy import application_visibility
from api.consistency import read_after
from api.deps import CurrentUser, Db
from api.responses import PageNumber, PageSize
from commands.core import NotFound
from eventstore import Position
from projections.ai.queries import list_reviews
from projections.ats.application_queries import get_application
from projections.identity.access import Access

router = APIRouter(prefix="/v1/applications/{application_id}/ai-reviews", tags=["ai-reviews"])
FreshAi = Annotated[Position | None, Depends(read_after("ai"))]


def _shown(row: dict[str, Any], user: Access) -> AIReviewOut:
    fields = {**row, "id": row["review_id"]}
    if not user.is_platform_admin:
        fields["last_error"] = None  # an internal error message: for the platform's operators
    return AIReviewOut(**{name: fields.get(name) for name in AIReviewOut.model_fields})


@router.get("", response_model=AIReviewList, responses={401: {}, 404: {}})
async def list_ai_reviews(application_id: UUID, token: FreshAi, user: CurrentUser, db: Db, page: PageNumber = 1,
                          limit: PageSize = 25) -> AIReviewList:
    """The application's AI reviews, newest first, with every output of the completed ones."""
    if await get_application(db, application_id, application_visibility(user)) is None:
        raise NotFound(f"application {application_id} not found", application_id=str(application_id))
    return AIReviewList.sliced([_shown(row, user) for row in await list_reviews(db, application_id)], page, limit)
