"""The console's Money page (issue 21, item 5): a placement's money as its audit report shows it, its export, and a
check of an audit bundle.

- `GET /console/money`: the recent placements (the ATS read model, newest first, paginated) and a search by id.
- `GET /console/money/placements/{id}`: the fee, the splits with each firm's cut, the invoice, the payout
  transactions with their Stripe transfers and payouts, the holds, the disputes and the reconciliation checks,
  from the audit report's own fold (`money_view.py`).
- `POST /console/money/placements/{id}/export`: the signed bundle, by the same `export_placement` as
  `GET /v1/audit/placements/{id}/export` for a platform admin, so it is recorded as an `AuditBundleExported` with
  the operator as exporter, and counted against the same `AUDIT_EXPORT_PER_HOUR` (one budget per person for the
  API and the console). A form, not a link: it records an event, so it takes the console's CSRF check.
- `GET|POST /console/money/verify`: upload a bundle; the verdict of `splits audit verify` against this
  deployment's public key, problem by problem, recorded as `AuditBundleVerified` on the bundle's stream. The body
  is bounded by `api/limits.py` (`BUNDLE_CHECK_LIMIT`, a 413 page beyond it); the file part by `MAX_BUNDLE_BYTES`.
"""

from __future__ import annotations

from math import ceil
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.deps import AuditSignerDep, Db, Now, SystemDep
from api.limits import MAX_CHECKED_BUNDLE_BYTES
from api.operations.console import CsrfChecked, Operator, console_error, operator_metadata, render
from api.operations.money_view import (
    MAX_PAGE,
    PLACEMENTS_PER_PAGE,
    as_placement_id,
    check_bundle,
    placement_money,
)
from api.audit.bundles import export_placement
from commands.operations.bundle_check import (
    MAX_PROBLEM_CHARS,
    MAX_PROBLEMS,
    RecordBundleCheck,
    bundle_check,
    bundle_check_id_for,
)
from eventstore import handle, stream_id_for
from projections.ats.application_queries import PlacementFilter, PlacementVisibility, list_placements
from projections.audit.bundle import public_key_hex
from projections.audit.formatting import dollars, percent, when

router = APIRouter(prefix="/console", include_in_schema=False)

SHOWN_PROBLEMS = 200  # a hostile bundle can have thousands; the page lists these and counts the rest
_FORMAT = {"usd": dollars, "pct": percent, "when": when}


def _page_number(text: str | None) -> int | None:
    if text is None or text == "":
        return 1
    if not text.isascii() or not text.isdigit() or len(text) > 4 or not 1 <= int(text) <= MAX_PAGE:
        return None
    return int(text)


@router.get("/money")
async def money_home(request: Request, operator: Operator, db: Db, placement: str | None = None,
                     page: str | None = None) -> Response:
    """The recent placements, and a search by placement id (which goes to its money page)."""
    if placement is not None and placement.strip():
        found = as_placement_id(placement[:100])
        if found is None:
            return console_error(request, operator, 400, "Not a placement id",
                                 "a placement id is a UUID, such as 0b6f3c1e-8d2a-4c39-9f4e-2a7d5b1c0e93.")
        return RedirectResponse(f"/console/money/placements/{found}", status_code=303)
    number = _page_number(page)
    if number is None:
        return console_error(request, operator, 400, "Not a page", f"pages are numbered from 1 to {MAX_PAGE}.")
    rows, total = await list_placements(db, PlacementVisibility(everything=True), PlacementFilter(), "-created_at",
                                        number, PLACEMENTS_PER_PAGE)
    return render(request, "money.html", operator, nav="money", placements=rows, total=total, page=number,
                  pages=min(ceil(total / PLACEMENTS_PER_PAGE), MAX_PAGE), **_FORMAT)


def _placement_id(request: Request, operator: Operator, text: str) -> UUID | HTMLResponse:
    """The placement the address names, or the page saying it names none."""
    found = as_placement_id(text)
    if found is None:
        return console_error(request, operator, 400, "Not a placement id",
                             "the address names no placement: a placement id is a UUID.")
    return found


@router.get("/money/placements/{placement_id}")
async def placement_page(request: Request, operator: Operator, system: SystemDep, placement_id: str) -> Response:
    """The placement's money, as its audit report shows it."""
    found = _placement_id(request, operator, placement_id)
    if isinstance(found, HTMLResponse):
        return found
    view = await placement_money(system.store, found)
    if view is None:
        return console_error(request, operator, 404, "No such placement",
                             f"no placement {found} is recorded in this deployment.")
    return render(request, "money_placement.html", operator, nav="money", view=view, m=view.money,
                  failing=[c for c in view.money.checks if not c.ok], max_bytes=MAX_CHECKED_BUNDLE_BYTES, **_FORMAT)


async def _within_export_limit(request: Request, operator: Operator) -> Response | None:
    """The API's `AUDIT_EXPORT_PER_HOUR`, on the same counter (`audit-export:<clerk user id>`): an operator's
    exports through the API and the console are one budget. Without Redis, as for every limit, there is none."""
    gateway = request.app.state.gateway
    if gateway.limiter is None:
        return None
    per_hour = request.app.state.system.settings.audit_export_per_hour
    decision = await gateway.limiter.check(f"audit-export:{operator.clerk_user_id}", per_hour, window_s=3600)
    if decision.allowed:
        return None
    page = console_error(request, operator, 429, "Too many exports",
                         f"at most {decision.limit} audit exports an hour; try again in {max(decision.reset_s, 1)} s.")
    page.headers.update(decision.headers())
    return page


@router.post("/money/placements/{placement_id}/export", dependencies=[CsrfChecked])
async def export(request: Request, operator: Operator, system: SystemDep, signer: AuditSignerDep,
                 placement_id: str) -> Response:
    """The placement's whole bundle, exported as a platform admin by the operator (an `AuditBundleExported`)."""
    found = _placement_id(request, operator, placement_id)
    if isinstance(found, HTMLResponse):
        return found
    if (limited := await _within_export_limit(request, operator)) is not None:
        return limited
    meta = operator_metadata(request, operator)
    taken = await export_placement(system.store, found, meta.actor or operator.actor, "platform_admin",
                                   signer.private_key(), meta, clock=system.clock)
    if taken is None:
        return console_error(request, operator, 404, "No such placement",
                             f"no placement {found} is recorded in this deployment; nothing was exported.")
    return Response(taken.bundle, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{taken.filename}"', "X-Audit-Export-Id": str(taken.export_id)})


def _storable(problem: str) -> str:
    """A problem as an event can hold it: a hostile bundle's names may carry a NUL (jsonb has none) or a lone
    surrogate (UTF-8 has none), which would leave its check unrecorded; they are written as escapes."""
    return problem.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


@router.get("/money/verify")
async def verify_form(request: Request, operator: Operator) -> Response:
    return render(request, "money_verify.html", operator, nav="money", check=None, recorded=None,
                  max_bytes=MAX_CHECKED_BUNDLE_BYTES)


@router.post("/money/verify", dependencies=[CsrfChecked])
async def verify(request: Request, operator: Operator, system: SystemDep, signer: AuditSignerDep,
                 now: Now) -> Response:
    """Check an uploaded bundle as `splits audit verify` does, against this deployment's key; record the check."""
    form = await request.form()  # read (and bounded) once, by the CSRF check
    try:
        upload = form.get("bundle")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return console_error(request, operator, 400, "No bundle", "choose the bundle (.zip) to check; nothing "
                                                                      "was recorded.")
        data = await upload.read(MAX_CHECKED_BUNDLE_BYTES + 1)
    finally:
        await form.close()  # a part over 1 MB was spooled to a temporary file
    if len(data) > MAX_CHECKED_BUNDLE_BYTES:
        return console_error(request, operator, 413, "Bundle too large",
                             f"the console checks bundles of up to {MAX_CHECKED_BUNDLE_BYTES} bytes; check a larger "
                             "one with `splits audit verify`. Nothing was recorded.")
    if not data:
        return console_error(request, operator, 400, "Empty file", "the file is empty; nothing was recorded.")
    trusted = public_key_hex(signer.public_key())
    check = await check_bundle(data, trusted)
    verdict = check.verdict
    command = RecordBundleCheck(
        check_id=uuid4(), bundle_sha256=check.sha256, bundle_bytes=check.size, placement_id=check.placement_id,
        ok=verdict.intact, problem_count=len(verdict.problems),
        problems=tuple(_storable(p)[:MAX_PROBLEM_CHARS] for p in verdict.problems[:MAX_PROBLEMS]),
        public_key=trusted,
        operator=operator.clerk_user_id or operator.actor, at=now)
    entity = bundle_check_id_for(check.sha256)
    result = await handle(system.store, bundle_check, entity, command, operator_metadata(request, operator))
    return render(request, "money_verify.html", operator, nav="money", check=check,
                  problems=verdict.problems[:SHOWN_PROBLEMS], more=max(len(verdict.problems) - SHOWN_PROBLEMS, 0),
                  recorded=stream_id_for(bundle_check, entity), version=result.version, trusted=trusted,
                  max_bytes=MAX_CHECKED_BUNDLE_BYTES)
