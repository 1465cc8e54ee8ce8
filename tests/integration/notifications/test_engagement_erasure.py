"""The engagement mail names other people: a weekly digest lists the candidates of the recipient's applications,
an aftercare check-in names the candidate placed. Those emails are told from the recipient's own engagement
stream, not from the candidate's, so erasing the candidate must find them another way: the digests of the weeks
their applications were made or moved in, to the people who follow those applications, and the check-ins of
their placements."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from commands.ats import placement as placements
from commands.notifications.notification import notification_id_for
from consumers.privacy.process import resolve
from eventstore import handle
from tests.api import SEEDER
from tests.fakes.resend import resend_fake as resend_fake  # noqa: F401  (the fixture)
from tests.integration.notifications.test_engagement_mail import DIGEST_AT, World
from tests.integration.notifications.test_engagement_mail import world as world  # noqa: F401  (the fixture)
from tests.integration.runtime.test_scheduler import project


async def _told(w: World, name: str, kind: str) -> set:
    """The notifications of the person's engagement mail of that kind (the template is named as the kind)."""
    return {notification_id_for(e.event_id, str(w.users[name]), kind) for e in await w.due(name)
            if e.data["kind"] == kind}


async def test_erasing_a_candidate_reaches_the_digests_and_check_ins_that_named_them(world: World) -> None:
    w = world
    application_id = await w.application(DIGEST_AT - timedelta(days=5))
    await w.schedule(DIGEST_AT)
    for name in ("rex", "cora"):
        await w.deliver(name)
    assert "Cami Candidate" in w.resend.sent_to(w.email("rex"))[0]["text"]
    placement_id, hired = uuid4(), datetime(DIGEST_AT.year, DIGEST_AT.month, DIGEST_AT.day, 15, tzinfo=UTC)
    await handle(w.store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=application_id, job_id=w.job_id, candidate_id=w.candidate_id,
        company_id=w.company_id, salary_cents=10_000_000, fee_bps=2000, guarantee_days=90, hired_at=hired,
        start_date=date(hired.year, hired.month, hired.day), candidate_recruiter_id=w.recruiter("rex"),
        by="cora", at=hired), SEEDER)
    await w.schedule(datetime(hired.year, hired.month, hired.day, 8, tzinfo=UTC) + timedelta(days=3))
    for name in ("rex", "cora"):
        await w.deliver(name, kind="aftercare")
    assert "Cami Candidate" in w.resend.sent_to(w.email("cora"))[-1]["text"]
    await project(w.store)

    erasable = await resolve(w.store.pool, "candidate", w.candidate_id)
    found = set(erasable.notification_ids)
    for name in ("rex", "cora"):  # (Sam, on Starter, was emailed neither)
        digests, check_ins = await _told(w, name, "weekly_digest"), await _told(w, name, "aftercare")
        assert digests and check_ins, name
        assert digests | check_ins <= found, name
