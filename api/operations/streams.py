"""The console's Streams pages (issue 21, item 1): the event store as it is stored, and a check of a stream's chain.

- `GET /console/streams`: streams by exact id, id prefix (text, no wildcards) or type; a form for events.
- `GET /console/events`: events by type, stream, correlation id, causation id and time range, newest first.
- `GET /console/stream?id=…`: a stream's events in version order with their data, metadata, versions, positions,
  transactions and hashes; the "Verify chain" form and the last checks of this stream.
- `GET /console/events/{event_id}`: one event, with links to its stream, its causation event, the events it caused
  and its correlation's events.
- `POST /console/stream/verify`: the server recomputes the stream's hash chain (eventstore/chain_check.py,
  bounded in events and time, and says when it stopped early) and records the check as `StreamChainVerified`
  with the operator as actor.

Everything is shown as stored: a sealed personal field is shown sealed, never opened (no key is loaded here).
Pages are keyset-paged (eventstore/browse.py); bad input is a 400 page and changes nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import uuid4

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Db, Now, Store
from api.operations.console import CsrfChecked, Operator, console_error, operator_metadata, render
from api.operations import streams_params as params
from commands.operations.chain_check import MAX_PROBLEM_CHARS, RecordChainCheck, chain_check, chain_check_id_for
from eventstore import handle, stream_id_for
from eventstore.browse import (
    MAX_TEXT,
    EventSearch,
    SearchTooSlow,
    events_caused_by,
    get_event,
    get_stream,
    search_events,
    search_streams,
    stream_events,
)
from eventstore.chain_check import MAX_EVENTS, MAX_SECONDS, verify_stream

router = APIRouter(prefix="/console", include_in_schema=False)

RELATED = 20  # the events caused by an event, and its correlation's, shown on its page (the rest: a search away)
CHECKS_SHOWN = 5


def _bad(request: Request, operator: Operator, exc: params.BadInput) -> HTMLResponse:
    return console_error(request, operator, 400, exc.title, f"{exc.detail} Nothing was changed.")


def _too_slow(request: Request, operator: Operator) -> HTMLResponse:
    return console_error(request, operator, 503, "The search took too long",
                         "it was stopped after 5 s; narrow it with a time range, an event type or a stream.")


@router.get("/streams")
async def streams_home(request: Request, operator: Operator, db: Db, q: str | None = None, match: str | None = None,
                       type: str | None = None, after: str | None = None, limit: str | None = None) -> Response:
    """The stream search (and the event search's form)."""
    try:
        query = params.stream_query(q, match, type, after, limit)
    except params.BadInput as exc:
        return _bad(request, operator, exc)
    if query.exact and query.q is not None:
        if await get_stream(db, query.q) is not None:
            return RedirectResponse(f"/console/stream?{urlencode({'id': query.q})}", status_code=303)
        found = None
    elif query.q is not None or query.stream_type is not None or query.after is not None:
        try:
            found = await search_streams(db, prefix=query.q, stream_type=query.stream_type, after=query.after,
                                         limit=query.limit)
        except SearchTooSlow:
            return _too_slow(request, operator)
    else:
        found = None
    return render(request, "streams.html", operator, nav="streams", query=query, found=found,
                  searched=query.q is not None or query.stream_type is not None)


@router.get("/events")
async def events_search(request: Request, operator: Operator, db: Db, type: str | None = None,
                        stream: str | None = None, correlation: str | None = None, causation: str | None = None,
                        start: str | None = None, end: str | None = None, before: str | None = None,
                        limit: str | None = None) -> Response:
    """Events matching every criterion given, newest first."""
    try:
        search = params.event_query(type, stream, correlation, causation, start, end)
        cursor = params.whole("position", before, low=1)
        size = params.limit(limit)
    except params.BadInput as exc:
        return _bad(request, operator, exc)
    except ValueError as exc:  # a bound of the store's own (eventstore/browse.py)
        return console_error(request, operator, 400, "Not a search", f"{exc}. Nothing was changed.")
    try:
        found = await search_events(db, search, before=cursor, limit=size)
    except SearchTooSlow:
        return _too_slow(request, operator)
    criteria = {"type": type, "stream": stream, "correlation": correlation, "causation": causation, "start": start,
                "end": end, "limit": limit}
    return render(request, "streams_events.html", operator, nav="streams", search=search, found=found,
                  criteria={k: v for k, v in criteria.items() if v}, start=start or "", end=end or "")


@router.get("/stream")
async def stream_page(request: Request, operator: Operator, db: Db, store: Store, id: str | None = None,
                      after: str | None = None, limit: str | None = None) -> Response:
    """One stream's events in version order, from a version on."""
    try:
        stream_id = params.text("stream id", id)
        after_version = params.whole("version", after, low=0) or 0
        size = params.limit(limit)
    except params.BadInput as exc:
        return _bad(request, operator, exc)
    if stream_id is None:
        return console_error(request, operator, 400, "Which stream?", "name a stream id (?id=…). Nothing was changed.")
    summary = await get_stream(db, stream_id)
    if summary is None:
        return console_error(request, operator, 404, "No such stream", f"no stream {stream_id!r} is recorded here.")
    events = await stream_events(db, stream_id, after_version=after_version, limit=size)
    return render(request, "streams_stream.html", operator, nav="streams", stream=summary, events=events,
                  after=after_version, limit=size, checks=await _last_checks(db, stream_id),
                  more=bool(events) and events[-1].version < summary.version, max_events=MAX_EVENTS,
                  max_seconds=MAX_SECONDS)


async def _last_checks(db: Db, stream_id: str) -> list:
    checks_of = stream_id_for(chain_check, chain_check_id_for(stream_id))
    checks = await get_stream(db, checks_of)
    if checks is None:
        return []
    recorded = await stream_events(db, checks_of, after_version=max(checks.version - CHECKS_SHOWN, 0),
                                   limit=CHECKS_SHOWN)
    return list(reversed(recorded))


@router.get("/events/{event_id}")
async def event_page(request: Request, operator: Operator, db: Db, event_id: str) -> Response:
    """One event and the events it is linked with."""
    try:
        found_id = params.event_id(event_id)
    except params.BadInput as exc:
        return _bad(request, operator, exc)
    event = await get_event(db, found_id)
    if event is None:
        return console_error(request, operator, 404, "No such event", f"no event {found_id} is recorded here.")
    causation_id = params.as_uuid(event.metadata.get("causation_id"))
    cause = None if causation_id is None else await get_event(db, causation_id)
    correlation = event.metadata.get("correlation_id")
    related = None
    try:
        caused = await events_caused_by(db, event.event_id, limit=RELATED)
        if isinstance(correlation, str) and correlation:
            related = await search_events(db, EventSearch(correlation_id=correlation[:MAX_TEXT]), limit=RELATED)
    except SearchTooSlow:
        return _too_slow(request, operator)
    return render(request, "streams_event.html", operator, nav="streams", event=event, cause=cause,
                  caused=caused, correlation=correlation, related=related)


@router.post("/stream/verify", dependencies=[CsrfChecked])
async def verify_chain(request: Request, operator: Operator, store: Store, now: Now) -> Response:
    """Recompute the stream's hash chain on the server and record the check with the operator as actor."""
    form = await request.form()  # read (and bounded) once, by the CSRF check
    sent = form.get("stream_id")
    try:
        stream_id = params.text("stream id", sent if isinstance(sent, str) else None)
    except params.BadInput as exc:
        return _bad(request, operator, exc)
    if stream_id is None:
        return console_error(request, operator, 400, "Which stream?", "name the stream to verify. Nothing was "
                                                                      "recorded.")
    verdict = await verify_stream(store.pool, stream_id)
    if not verdict.exists:
        return console_error(request, operator, 404, "No such stream",
                             f"no stream {stream_id!r} is recorded here; nothing was verified or recorded.")
    first = verdict.problems[0] if verdict.problems else None
    command = RecordChainCheck(
        check_id=uuid4(), stream_id=stream_id, stream_version=verdict.version, events_checked=verdict.events_checked,
        ok=verdict.ok, problem_count=verdict.problem_count,
        first_problem_version=None if first is None else max(first.version, 0),
        first_problem=None if first is None else first.reason[:MAX_PROBLEM_CHARS],
        capped=verdict.capped, operator=operator.clerk_user_id, at=now,
    )
    entity = chain_check_id_for(stream_id)
    result = await handle(store, chain_check, entity, command, operator_metadata(request, operator))
    return render(request, "streams_verify.html", operator, nav="streams", verdict=verdict,
                  recorded=stream_id_for(chain_check, entity), version=result.version)
