"""A recruiter relationship ending is told to the party that did not end it, and so is what the termination
decided other than keeping (applications withdrawn, jobs paused or closed), once however often the event
comes (consumers/notifications/endings.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from commands.network.events import (
    ApplicationEndingItem,
    JobEndingItem,
    RecruiterCandidateTerminated,
    RecruiterCandidateTerminationDecided,
    RecruiterCompanyTerminated,
    RecruiterCompanyTerminationDecided,
)
from tests.fakes.resend import resend_fake as resend_fake  # noqa: F401  (the fixture)
from tests.integration.notifications.test_notifications import World, _application, _inbox
from tests.integration.notifications.test_notifications import world as world  # noqa: F401  (the fixture)
from tests.integration.notifications.test_recorded_notices import _name, _react, _recorded, _subjects


def _cami(w: World) -> list[dict]:
    return w.resend.sent_to(f"cami_{w.run}@example.com")


async def test_a_candidate_ending_a_representation_tells_the_recruiter_and_what_was_withdrawn(world: World) -> None:
    w = world
    now, relationship_id, rex = datetime.now(UTC), uuid4(), world.recruiters["rex"]
    withdrawn, kept = await _application(w), await _application(w)
    ended = RecruiterCandidateTerminated(relationship_id=relationship_id, recruiter_id=rex, candidate_id=w.candidate_id,
                                         terminated_by="candidate", reason="found a job", by="cami", at=now)
    decided = RecruiterCandidateTerminationDecided(
        relationship_id=relationship_id, recruiter_id=rex, candidate_id=w.candidate_id, decided_by="candidate",
        applications=[ApplicationEndingItem(application_id=withdrawn, decision="withdraw"),
                      ApplicationEndingItem(application_id=kept, decision="keep")], by="cami", at=now)
    await _react(w, await _recorded(w, f"rtr-{relationship_id}", ended))
    await _react(w, await _recorded(w, f"rtr-{relationship_id}", decided))
    assert _subjects(w, "rex") == ["Cami Candidate ended your relationship on Splits",
                                   "What changes now that the representation ended"]
    sent = w.resend.sent_to(w.email("rex"))
    assert "Reason: found a job" in sent[0]["text"]
    assert "Applications withdrawn: Staff Engineer." in sent[1]["text"]
    assert {n["template"] for n in await _inbox(w, "rex")} >= {"relationship_ended", "relationship_ending_decided"}
    assert _cami(w) == []  # who ended it is not told


async def test_a_recruiter_ending_a_representation_tells_the_candidate_and_keeping_all_tells_nothing_more(
        world: World) -> None:
    w = world
    now, relationship_id, rex = datetime.now(UTC), uuid4(), world.recruiters["rex"]
    ended = RecruiterCandidateTerminated(relationship_id=relationship_id, recruiter_id=rex, candidate_id=w.candidate_id,
                                         terminated_by="recruiter", reason="retiring", by="rex", at=now)
    decided = RecruiterCandidateTerminationDecided(
        relationship_id=relationship_id, recruiter_id=rex, candidate_id=w.candidate_id, decided_by="recruiter",
        applications=[ApplicationEndingItem(application_id=await _application(w), decision="keep")], by="rex",
        at=now)
    await _react(w, await _recorded(w, f"rtr-{relationship_id}", ended))
    await _react(w, await _recorded(w, f"rtr-{relationship_id}", decided))
    assert [sent["subject"] for sent in _cami(w)] == [f"{_name(w)} ended your relationship on Splits"]
    assert "no longer represents you" in _cami(w)[0]["text"]
    assert w.resend.sent_to(w.email("rex")) == []


async def test_ending_work_with_a_company_tells_the_other_side_and_which_jobs_were_paused_or_closed(
        world: World) -> None:
    w = world
    now, rex = datetime.now(UTC), world.recruiters["rex"]
    by_recruiter, by_company = uuid4(), uuid4()
    await _react(w, await _recorded(w, f"rc-{by_recruiter}", RecruiterCompanyTerminated(
        relationship_id=by_recruiter, recruiter_id=rex, company_id=w.company_id, terminated_by="recruiter",
        reason="moving on", by="rex", at=now)))
    assert _subjects(w, "cora") == [f"{_name(w)} ended your relationship on Splits"]
    assert "no longer works with your company" in w.resend.sent_to(w.email("cora"))[0]["text"]
    assert w.resend.sent_to(w.email("rex")) == []

    await _react(w, await _recorded(w, f"rc-{by_company}", RecruiterCompanyTerminated(
        relationship_id=by_company, recruiter_id=rex, company_id=w.company_id, terminated_by="company",
        reason="hiring freeze", by="cora", at=now)))
    await _react(w, await _recorded(w, f"rc-{by_company}", RecruiterCompanyTerminationDecided(
        relationship_id=by_company, recruiter_id=rex, company_id=w.company_id, decided_by="company",
        jobs=[JobEndingItem(job_id=w.job_id, decision="close")], by="cora", at=now)))
    assert _subjects(w, "rex") == ["Acme ended your relationship on Splits",
                                   "What changes now that the work with Acme ended"]
    assert "Jobs closed: Staff Engineer." in w.resend.sent_to(w.email("rex"))[1]["text"]
    assert len(w.resend.sent_to(w.email("cora"))) == 1  # who ended it is not told
