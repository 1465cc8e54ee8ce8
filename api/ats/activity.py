"""Activity routes: who did what to a job or an application, and when, oldest first, from the activity the
projector keeps from their events (projections/ats/job_activity.py, application_activity.py).

Who reads what, decided where the domain is silent:
- An application's activity: whoever reads the application (404 otherwise, as `GET /v1/applications/{id}`);
  every party sees the application's own steps (as its stage history shows them), and a note's steps only
  when they read the note (its visibility, domain §2.3). The actor's role for every party; the actor's user
  id for platform admins only.
- A job's activity: whoever reads the job (404 otherwise, as `GET /v1/jobs/{id}`). Its parties (the company's
  users, the recruiters working it, platform admins: commands/ats/job_note.py) see every step with who did it,
  and its notes' steps as they read the notes. Anyone else signed in sees what the marketplace shows of the
  job — its creation, its status, its content replaced, edits narrowed to the fields they see of a job —
  and recruiters also the steps on its terms and its owner; never who did it, never its notes.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends

from api.ats.activity_models import (
    ApplicationActivityList,
    ApplicationActivityOut,
    JobActivityList,
    JobActivityOut,
)
from api.ats.application_policy import Parties, application_visibility, viewer_kind
from api.ats.entitlements import visible_jobs
from api.ats.job_note_policy import job_viewer_kind_of_row
from api.consistency import read_after
from api.deps import CurrentUser, Db, Now, Store
from api.responses import PageNumber, PageSize, Pagination
from api.visibility import APPLICATION_ACTIVITY, JOB, JOB_ACTIVITY
from commands.ats.job_note import visible_job_note_visibilities
from commands.ats.note import visible_note_visibilities
from commands.core import NotFound
from eventstore import Position
from projections.ats.activity_queries import list_application_activity, list_job_activity
from projections.ats.application_queries import get_application
from projections.ats.queries import get_job
from projections.identity.access import Access

router = APIRouter(tags=["activity"])
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]

# A job's read field for each editable field an edit names, where they differ.
_READ_NAME = {"fee_bps": "fee_percentage"}
_AUDIENCES = {"public": ("public",), "recruiter": ("public", "recruiter"),
              "party": ("public", "recruiter", "company"), "platform_admin": ("public", "recruiter", "company")}


def _narrowed(entry: dict[str, Any], seen_fields: frozenset[str] | None) -> dict[str, Any]:
    """An edit's fields by the names a job's read gives them, only those the reader sees of a job (None: all)."""
    fields = entry["summary"].get("fields")
    if fields is None:
        return entry
    named = [_READ_NAME.get(f, f) for f in fields]
    kept = named if seen_fields is None else [f for f in named if f in seen_fields]
    return entry | {"summary": entry["summary"] | {"fields": kept}}


def _row_viewer(viewer: str, user: Access, row: dict[str, Any]) -> str:
    """A note's rows name who acted only to that user and platform admins, as the note names its author
    (api/visibility.py `JOB_NOTE`); the job's other parties read them as a note's reader."""
    if viewer == "party" and row["note_id"] is not None and row["actor"] != user.actor:
        return "note_reader"
    return viewer


@router.get("/v1/jobs/{job_id}/activity", response_model=JobActivityList, response_model_exclude_unset=True,
            responses={401: {}, 404: {}, 422: {}})
async def job_activity(job_id: UUID, _: FreshAts, user: CurrentUser, store: Store, db: Db, now: Now,
                       page: PageNumber = 1, limit: PageSize = 25) -> JobActivityList:
    """What was done to the job, oldest first, as the caller may see it."""
    row = await get_job(db, job_id, await visible_jobs(store, user, now))
    if row is None:
        raise NotFound(f"job {job_id} not found", job_id=str(job_id))
    kind = job_viewer_kind_of_row(user, row)
    if kind == "platform_admin":
        viewer, seen_fields = "platform_admin", None
    elif kind != "other":
        viewer, seen_fields = "party", None
    else:
        viewer = "recruiter" if user.is_recruiter else "public"
        job_viewer = "recruiter" if user.is_recruiter else "candidate"
        seen_fields = JOB.sees(job_viewer) - JOB.refine(job_viewer, row)
    rows, total = await list_job_activity(db, job_id, _AUDIENCES[viewer], visible_job_note_visibilities(kind),
                                          page, limit)
    shown = [JobActivityOut.model_validate(JOB_ACTIVITY.project(_row_viewer(viewer, user, r),
                                                                _narrowed(r, seen_fields))) for r in rows]
    return JobActivityList(data=shown, pagination=Pagination.of(total, page, limit))


@router.get("/v1/applications/{application_id}/activity", response_model=ApplicationActivityList,
            response_model_exclude_unset=True, responses={401: {}, 404: {}, 422: {}})
async def application_activity(application_id: UUID, _: FreshAts, user: CurrentUser, db: Db,
                               page: PageNumber = 1, limit: PageSize = 25) -> ApplicationActivityList:
    """What was done to the application, oldest first, as the caller's side may see it."""
    row = await get_application(db, application_id, application_visibility(user))
    if row is None:
        raise NotFound(f"application {application_id} not found", application_id=str(application_id))
    kind = viewer_kind(user, Parties.from_row(row))
    viewer = "platform_admin" if kind == "platform_admin" else "party"
    rows, total = await list_application_activity(db, application_id, visible_note_visibilities(kind), page, limit)
    shown = [ApplicationActivityOut.model_validate(APPLICATION_ACTIVITY.project(viewer, r)) for r in rows]
    return ApplicationActivityList(data=shown, pagination=Pagination.of(total, page, limit))
