"""The console's dead letters: per reactor, what it gave up on, with the error and attempts it noted; requeue one
letter or all of them, after a confirmation, as `splits dlq requeue` does.

- `GET /console/dead-letters`: every reactor with its count of dead letters.
- `GET /console/dead-letters/{reactor}`: its letters (event, type, stream, position, error, attempts, when), the
  same letters and in the same order as `list_dead_letters` (`splits dlq list`).
- `GET /console/dead-letters/{reactor}/requeue[?event_id=]`: the confirmation page, whose form carries a fresh
  requeue id; `POST` the same path with `confirmed=yes` sends the letters back with a fresh retry budget and records
  `DeadLettersRequeued` with the operator as actor. The same form posted again (its requeue id already recorded)
  moves nothing.

Without RabbitMQ (`splits dev` on the feed) there is no dead-letter queue: the pages show what the reactors
recorded as dead-lettered in their inbox, and say that a requeue needs RabbitMQ. A reactor not among the
deployment's reactors is a 404 page; an event id that is not a UUID a 400 page; neither changes anything.
"""

from __future__ import annotations

from uuid import UUID, uuid4

import aio_pika
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Now, Store, SystemDep
from api.operations.console import CsrfChecked, Operator, console_error, operator_metadata, render
from adapters.system import System
from commands.operations.dead_letters import RecordDeadLettersRequeue, dead_letters
from consumers.runtime.dead_letter_errors import feed_dead_letter_counts, feed_dead_letters
from consumers.runtime.dlq import (
    RequeueCutShort,
    RequeueUnderWay,
    dead_letter_counts,
    dead_letters_with_errors,
    requeue_and_forget,
    requeue_turn,
)
from consumers.runtime.topology import topology_of
from eventstore import handle, stream_id_for

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/console", include_in_schema=False)

SHOWN = 500  # letters listed on one page; the count says how many there are
NEEDS_RABBITMQ = ("Without RabbitMQ the reactors read the feed directly and have no dead-letter queue: these are the "
                  "events they recorded as dead-lettered. A requeue needs RabbitMQ (as `splits dlq` says).")
UNREACHABLE = "RabbitMQ could not be reached; try again in a moment. Nothing was changed."
_BROKER_DOWN = (OSError, aio_pika.exceptions.AMQPException)


class Bad(Exception):
    """Input the console refuses, as a page; nothing was changed."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def _reactor(request: Request, name: str) -> str:
    if name not in request.app.state.reactor_names:
        raise Bad(404, "No such reactor", "no reactor of that name runs here; nothing was changed.")
    return name


def _event_id(sent: object) -> UUID | None:
    if sent is None or sent == "":
        return None
    try:
        if not isinstance(sent, str) or len(sent) > 36:
            raise ValueError
        return UUID(sent)
    except ValueError:
        raise Bad(400, "Not an event id", "an event id is a UUID; nothing was changed.") from None


def _refused(request: Request, operator: Operator, bad: Bad) -> HTMLResponse:
    return console_error(request, operator, bad.status, bad.title, bad.detail)


@router.get("/dead-letters")
async def dead_letters_home(request: Request, operator: Operator, system: SystemDep) -> HTMLResponse:
    names: list[str] = list(request.app.state.reactor_names)
    note, counts = None, None
    if system.settings.rabbitmq_url:
        try:
            counts = await dead_letter_counts(system.settings.rabbitmq_url, topology_of(system), names)
        except _BROKER_DOWN as exc:
            log.warning("the console could not reach RabbitMQ", error=type(exc).__name__)
            note = "RabbitMQ could not be reached: the counts are not known."
    else:
        counts, note = await feed_dead_letter_counts(system.pool, names), NEEDS_RABBITMQ
    rows = [(name, None if counts is None else counts.get(name, 0)) for name in names]
    return render(request, "dead_letters.html", operator, nav="dead_letters", rows=rows, note=note,
                  total=sum(n or 0 for _, n in rows))


@router.get("/dead-letters/{reactor}")
async def reactor_dead_letters(request: Request, operator: Operator, system: SystemDep, reactor: str) -> Response:
    try:
        name = _reactor(request, reactor)
        letters, with_broker, count = await _letters(system, name)
    except Bad as bad:
        return _refused(request, operator, bad)
    return render(request, "dead_letters_reactor.html", operator, nav="dead_letters", reactor=name,
                  letters=letters[:SHOWN], count=count, shown=SHOWN, with_broker=with_broker,
                  note=None if with_broker else NEEDS_RABBITMQ)


async def _letters(system: System, reactor: str) -> tuple[list, bool, int]:
    """The oldest `SHOWN` letters (no more are taken off the queue, or read), whether from RabbitMQ, and the count."""
    url = system.settings.rabbitmq_url
    if not url:
        counted = (await feed_dead_letter_counts(system.pool, [reactor])).get(reactor, 0)
        letters = await feed_dead_letters(system.pool, reactor, SHOWN)
        return letters, False, max(counted, len(letters))
    try:  # counted before the listing takes its letters off the queue (the broker's count lags their return)
        counted = (await dead_letter_counts(url, topology_of(system), [reactor])).get(reactor, 0)
        letters = await dead_letters_with_errors(url, topology_of(system), system.pool, reactor, SHOWN)
        return letters, True, max(counted, len(letters))
    except _BROKER_DOWN as exc:
        log.warning("the console could not reach RabbitMQ", error=type(exc).__name__)
        raise Bad(503, "RabbitMQ unreachable", UNREACHABLE) from None


def _requeue_refusal(system: System) -> Bad | None:
    if not system.settings.rabbitmq_url:
        return Bad(409, "Requeue needs RabbitMQ", "without RabbitMQ the reactors have no dead-letter queue to send "
                                                  "back from; nothing was changed.")
    return None


@router.get("/dead-letters/{reactor}/requeue")
async def confirm_requeue(request: Request, operator: Operator, system: SystemDep, reactor: str,
                          event_id: str | None = None) -> Response:
    """The confirmation: what would be sent back, and the form that does it."""
    try:
        name, wanted = _reactor(request, reactor), _event_id(event_id)
        if (refusal := _requeue_refusal(system)) is not None:
            raise refusal
        letters, _, count = await _letters(system, name)
    except Bad as bad:
        return _refused(request, operator, bad)
    chosen = [letter for letter in letters if wanted is None or letter.event_id == str(wanted)]
    return render(request, "dead_letters_confirm.html", operator, nav="dead_letters", reactor=name,
                  event_id=None if wanted is None else str(wanted), letters=chosen[:SHOWN],
                  count=len(chosen) if wanted else count,
                  requeue_id=str(uuid4()))


@router.post("/dead-letters/{reactor}/requeue", dependencies=[CsrfChecked])
async def requeue(request: Request, operator: Operator, system: SystemDep, store: Store, now: Now,
                  reactor: str) -> Response:
    """Send the letters back (after the confirmation) and record the requeue with the operator as actor."""
    form = await request.form()  # read (and bounded) once, by the CSRF check
    try:
        name, wanted = _reactor(request, reactor), _event_id(form.get("event_id"))
        requeue_id = _event_id(form.get("requeue_id"))
        if requeue_id is None:
            raise Bad(400, "Confirm first", "open the confirmation page and confirm there; nothing was changed.")
        if form.get("confirmed") != "yes":
            raise Bad(400, "Not confirmed", "a requeue needs its confirmation (confirmed=yes); nothing was changed.")
        if (refusal := _requeue_refusal(system)) is not None:
            raise refusal
    except Bad as bad:
        return _refused(request, operator, bad)
    try:
        async with requeue_turn(system.pool, name):  # the same form posted twice at once: moved and recorded once
            return await _requeue_in_turn(request, operator, system, store, now, name, wanted, requeue_id)
    except RequeueUnderWay:
        return _refused(request, operator, Bad(409, "A requeue is under way", "another requeue of these dead "
                                                   "letters has not ended yet; try again in a moment. Nothing was "
                                                   "changed."))


async def _requeue_in_turn(request: Request, operator: Operator, system: System, store: Store, now: Now, name: str,
                           wanted: UUID | None, requeue_id: UUID) -> Response:
    stream_id = stream_id_for(dead_letters, name)
    done = [e for e in await store.read_stream(stream_id) if e.data.get("requeue_id") == str(requeue_id)]
    if done:  # this form was posted before: show what it did, move nothing again
        return render(request, "dead_letters_requeued.html", operator, nav="dead_letters", reactor=name,
                      event_id=done[0].data["event_id"], moved=done[0].data["moved"], again=True,
                      recorded=stream_id)
    cut_short = None
    try:
        moved = await requeue_and_forget(system.settings.rabbitmq_url or "", topology_of(system), system.pool, name,
                                         None if wanted is None else str(wanted))
    except RequeueCutShort as cut:  # some went back: recorded as what was done
        log.warning("RabbitMQ failed part-way through a console requeue", error=type(cut.__cause__).__name__)
        moved, cut_short = len(cut.moved), cut
    except _BROKER_DOWN as exc:
        log.warning("the console could not reach RabbitMQ", error=type(exc).__name__)
        return _refused(request, operator, Bad(503, "RabbitMQ unreachable", UNREACHABLE))
    command = RecordDeadLettersRequeue(requeue_id=requeue_id, reactor=name, event_id=wanted, moved=moved,
                                       operator=operator.clerk_user_id, at=now)
    await handle(store, dead_letters, name, command, operator_metadata(request, operator))
    if cut_short is not None:
        return _refused(request, operator, Bad(503, "Requeue cut short", f"RabbitMQ failed part-way: {moved} dead "
                                                   "letters went back and are recorded as this requeue; the rest "
                                                   "stay dead-lettered. Open the confirmation again to send them."))
    return render(request, "dead_letters_requeued.html", operator, nav="dead_letters", reactor=name,
                  event_id=None if wanted is None else str(wanted), moved=moved, again=False, recorded=stream_id)
