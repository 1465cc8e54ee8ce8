"""The network schedules with a clock moved by hand: a candidate invitation lapses after 7 days, a
representation ends after its year, a firm invitation lapses after 7 days; each recorded once, keyed by
the deadline reached, however often and by however many schedulers it runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

from commands.network import firm as firms
from commands.network import recruiter_candidate as rtr
from consumers.runtime.projector import Projector
from consumers.runtime.scheduler import Scheduler
from consumers.schedules import all_schedules
from eventstore import EventStore, handle
from adapters.clock import FixedClock
from projections.network import network, queries
from tests.api import SEEDER
from tests.helpers import NOW, feed_settled

NETWORK = {"recruiter-candidate-invitation-expiry", "recruiter-candidate-expiry", "firm-invitation-expiry"}
TOKEN, OTHER_TOKEN = "a" * 64, "b" * 64


def schedules():
    chosen = [s for s in all_schedules() if s.name in NETWORK]
    assert {s.name for s in chosen} == NETWORK
    return chosen


async def project(store: EventStore) -> None:
    await feed_settled(store)
    await Projector(store.pool, network, store.registry).catch_up()


async def types_on(store: EventStore, stream: str) -> list[str]:
    return [e.type for e in await store.read_stream(stream)]


async def invite(store: EventStore) -> rtr.InviteCandidate:
    command = rtr.InviteCandidate(recruiter_id=uuid4(), candidate_id=uuid4(), invitation_id=uuid4(), token=TOKEN,
                                  by="recruiter", at=NOW)
    await handle(store, rtr.recruiter_candidate, command.relationship_id, command, SEEDER)
    return command


async def test_a_candidate_invitation_lapses_once_at_its_deadline_and_again_after_a_resend(fresh_store: EventStore) -> None:
    invited = await invite(fresh_store)
    stream = f"recruiter_candidate-{invited.relationship_id}"
    await project(fresh_store)
    clock = FixedClock(NOW)
    scheduler = Scheduler(fresh_store.pool, fresh_store, schedules(), clock)

    clock.at = NOW + timedelta(days=7) - timedelta(seconds=1)
    assert (await scheduler.run_once()).sent == {}
    clock.at = NOW + timedelta(days=7)
    assert (await scheduler.run_once()).sent == {"recruiter-candidate-invitation-expiry": 1}
    clock.at = NOW + timedelta(days=8)  # not projected yet: found again, recorded once all the same
    again = await asyncio.gather(*(Scheduler(fresh_store.pool, fresh_store, schedules(), clock).run_once()
                                   for _ in range(3)))
    assert all(r.sent == {} for r in again)
    assert await types_on(fresh_store, stream) == ["RecruiterCandidateInvited", "RecruiterCandidateInvitationExpired"]

    resent_at = NOW + timedelta(days=9)
    await handle(fresh_store, rtr.recruiter_candidate, invited.relationship_id, rtr.ResendCandidateInvitation(
        relationship_id=invited.relationship_id, by_recruiter_id=invited.recruiter_id, invitation_id=uuid4(),
        token=OTHER_TOKEN, by="recruiter", at=resent_at), SEEDER)
    await project(fresh_store)
    assert (await scheduler.run_once()).sent == {}
    clock.at = resent_at + timedelta(days=7)
    assert (await scheduler.run_once()).sent == {"recruiter-candidate-invitation-expiry": 1}
    await project(fresh_store)
    assert (await scheduler.run_once()).sent == {}
    assert (await types_on(fresh_store, stream)).count("RecruiterCandidateInvitationExpired") == 2


async def test_a_representation_ends_once_a_year_after_consent(fresh_store: EventStore) -> None:
    invited = await invite(fresh_store)
    consented_at = NOW + timedelta(days=1)
    await handle(fresh_store, rtr.recruiter_candidate, invited.relationship_id, rtr.GiveConsent(
        relationship_id=invited.relationship_id, token=TOKEN, ip_address=None, user_agent=None, by="candidate",
        at=consented_at), SEEDER)
    await project(fresh_store)
    clock = FixedClock(NOW)
    scheduler = Scheduler(fresh_store.pool, fresh_store, schedules(), clock)
    end = rtr.one_year_after(consented_at)

    clock.at = NOW + timedelta(days=30)  # the invitation's deadline is long past, but it was answered
    assert (await scheduler.run_once()).sent == {}
    clock.at = end - timedelta(seconds=1)
    assert (await scheduler.run_once()).sent == {}
    clock.at = end
    assert (await scheduler.run_once()).sent == {"recruiter-candidate-expiry": 1}
    assert (await scheduler.run_once()).sent == {}
    await project(fresh_store)
    assert (await scheduler.run_once()).sent == {}
    events = await fresh_store.read_stream(f"recruiter_candidate-{invited.relationship_id}")
    assert [e.type for e in events][-1] == "RecruiterCandidateExpired"
    assert events[-1].data["relationship_end_date"].startswith(end.date().isoformat())
    async with fresh_store.pool.connection() as conn:
        cur = await conn.execute("SELECT status FROM network.recruiter_candidates WHERE id = %s",
                                 (invited.relationship_id,))
        assert (await cur.fetchone())[0] == "expired"


async def test_a_firm_invitation_lapses_once_unless_it_was_answered(fresh_store: EventStore) -> None:
    firm_id, owner, member = uuid4(), uuid4(), uuid4()
    await handle(fresh_store, firms.firm, firm_id, firms.CreateFirm(
        firm_id=firm_id, name="Firm", slug="firm", by_user_id=owner, may_create_firms=True, by="owner", at=NOW), SEEDER)
    lapsing, answered = uuid4(), uuid4()
    for invitation_id, email in ((lapsing, "late@example.com"), (answered, "quick@example.com")):
        await handle(fresh_store, firms.firm, firm_id, firms.InviteToFirm(
            firm_id=firm_id, invitation_id=invitation_id, email=email, by_user_id=owner, by="owner", at=NOW), SEEDER)
    await handle(fresh_store, firms.firm, firm_id, firms.AcceptFirmInvitation(
        firm_id=firm_id, invitation_id=answered, user_id=member, user_email="quick@example.com", by="member",
        at=NOW + timedelta(days=1)), SEEDER)
    await project(fresh_store)
    clock = FixedClock(NOW)
    scheduler = Scheduler(fresh_store.pool, fresh_store, schedules(), clock)

    clock.at = NOW + timedelta(days=7) - timedelta(microseconds=1)
    assert (await scheduler.run_once()).sent == {}
    clock.at = NOW + timedelta(days=7)
    assert (await scheduler.run_once()).sent == {"firm-invitation-expiry": 1}
    assert (await scheduler.run_once()).sent == {}
    await project(fresh_store)
    assert (await scheduler.run_once()).sent == {}
    expired = [e for e in await fresh_store.read_stream(f"firm-{firm_id}") if e.type == "FirmInvitationExpired"]
    assert [e.data["invitation_id"] for e in expired] == [str(lapsing)]


async def test_a_lapsed_invitation_reads_as_lapsed_by_the_callers_clock_before_the_schedule_records_it(
    fresh_store: EventStore,
) -> None:
    """The read applies the deadline with the clock it is given (a moved clock in staging), not the database's."""
    invited = await invite(fresh_store)
    await project(fresh_store)
    scope = queries.RecruiterCandidateScope(everything=True)
    async with fresh_store.pool.connection() as conn:
        before = await queries.get_recruiter_candidate(conn, invited.relationship_id, scope, NOW + timedelta(days=6))
        after = await queries.get_recruiter_candidate(conn, invited.relationship_id, scope, NOW + timedelta(days=7))
        listed, total = await queries.list_recruiter_candidates(conn, scope, "invitation_expired", 1, 10,
                                                                NOW + timedelta(days=7))
    assert (before["status"], after["status"]) == ("pending", "invitation_expired")
    assert ([r["id"] for r in listed], total) == ([invited.relationship_id], 1)
