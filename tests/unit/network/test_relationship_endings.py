"""Ending a recruiter relationship with a decision per item it covers (domain §4.3, §4.4): the termination
records the decisions beside it, once; a retried termination records nothing; an item decided twice is
refused when the command is built."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.network.events import (
    ApplicationEndingItem,
    JobEndingItem,
    RecruiterCandidateTerminationDecided,
    RecruiterCompanyTerminationDecided,
)
from commands.network.recruiter_candidate import MAX_ENDINGS, RecruiterCandidateNotInStatus, recruiter_candidate
from commands.network.recruiter_company import RecruiterCompanyNotInStatus, recruiter_company
from commands.network.recruiter_candidate import NotAPartyToRelationship
from tests.unit.dsl import given
from tests.unit.network import test_recruiter_candidate as rc
from tests.unit.network import test_recruiter_company as co

APP1 = UUID("00000000-0000-4000-8000-000000000a01")
APP2 = UUID("00000000-0000-4000-8000-000000000a02")
JOB1 = UUID("00000000-0000-4000-8000-000000000b01")
JOB2 = UUID("00000000-0000-4000-8000-000000000b02")
JOB3 = UUID("00000000-0000-4000-8000-000000000b03")

APPLICATIONS = [ApplicationEndingItem(application_id=APP1, decision="withdraw"),
                ApplicationEndingItem(application_id=APP2, decision="keep")]
JOBS = [JobEndingItem(job_id=JOB1, decision="pause"), JobEndingItem(job_id=JOB2, decision="close"),
        JobEndingItem(job_id=JOB3, decision="keep")]


def end_representation(side: str = "recruiter", party: UUID = rc.RECRUITER, applications=APPLICATIONS):
    return rc.terminate(side, party).model_copy(update={"applications": applications})


def applications_decided(side: str = "recruiter") -> RecruiterCandidateTerminationDecided:
    return RecruiterCandidateTerminationDecided(relationship_id=rc.REL, recruiter_id=rc.RECRUITER,
                                                candidate_id=rc.CANDIDATE, decided_by=side, applications=APPLICATIONS,
                                                by=rc.RECRUITER_ACTOR, at=rc.LATER)


def end_work(side: str, jobs=JOBS):
    return co.terminate(side).model_copy(update={"jobs": jobs})


def jobs_decided(side: str) -> RecruiterCompanyTerminationDecided:
    return RecruiterCompanyTerminationDecided(relationship_id=co.REL, recruiter_id=co.RECRUITER, company_id=co.COMPANY,
                                              decided_by=side, jobs=JOBS, by=co.ACTOR[side], at=co.T2)


# --- recruiter ↔ candidate --------------------------------------------------------------------------

@pytest.mark.parametrize("side, party", [("recruiter", rc.RECRUITER), ("candidate", rc.CANDIDATE)])
def test_ending_a_representation_records_the_decision_for_each_application(side: str, party: UUID):
    given(recruiter_candidate, *rc.HISTORY["active"]).when(end_representation(side, party)).then(
        rc.terminated(side), applications_decided(side))


def test_ending_a_representation_that_covers_nothing_records_no_decisions():
    given(recruiter_candidate, *rc.HISTORY["active"]).when(end_representation(applications=[])).then(rc.terminated())


def test_ending_a_representation_again_records_nothing_not_even_other_decisions():
    history = [*rc.HISTORY["active"], rc.terminated(), applications_decided()]
    other = [ApplicationEndingItem(application_id=APP2, decision="withdraw")]
    given(recruiter_candidate, *history).when(end_representation(applications=other)).then()


def test_decisions_change_nothing_of_the_relationship_but_its_end():
    with_decisions = given(recruiter_candidate, *rc.HISTORY["active"], rc.terminated(), applications_decided()).state
    assert with_decisions == given(recruiter_candidate, *rc.HISTORY["active"], rc.terminated()).state


@pytest.mark.parametrize("status", ["pending", "declined", "expired"])
def test_ending_a_representation_that_is_not_active_records_no_decisions(status: str):
    given(recruiter_candidate, *rc.HISTORY[status]).when(end_representation()).then_raises(
        RecruiterCandidateNotInStatus)


def test_ending_someone_elses_representation_records_no_decisions():
    given(recruiter_candidate, *rc.HISTORY["active"]).when(end_representation("recruiter", rc.OTHER_RECRUITER)
                                                            ).then_raises(NotAPartyToRelationship)


def test_an_application_decided_twice_is_refused():
    twice = [ApplicationEndingItem(application_id=APP1, decision="withdraw"),
             ApplicationEndingItem(application_id=APP1, decision="keep")]
    with pytest.raises(ValidationError, match="each application is decided once"):
        rc.TerminateRecruiterCandidate(**{**rc.terminate().model_dump(), "applications": twice})


def test_decisions_are_keep_or_withdraw_and_bounded():
    with pytest.raises(ValidationError):
        ApplicationEndingItem(application_id=APP1, decision="pause")
    many = [ApplicationEndingItem(application_id=UUID(int=i), decision="keep") for i in range(MAX_ENDINGS + 1)]
    with pytest.raises(ValidationError):
        rc.TerminateRecruiterCandidate(**{**rc.terminate().model_dump(), "applications": many})


# --- recruiter ↔ company ----------------------------------------------------------------------------

@pytest.mark.parametrize("side", ["recruiter", "company"])
def test_ending_work_with_a_company_records_the_decision_for_each_owned_job(side: str):
    given(recruiter_company, *co.ACTIVE_BY_INVITE).when(end_work(side)).then(co.terminated(side), jobs_decided(side))


def test_withdrawing_a_pending_request_records_the_decisions_too():
    given(recruiter_company, *co.REQUESTED).when(end_work("recruiter").model_copy(update={"at": co.T1})).then(
        co.terminated("recruiter", at=co.T1), jobs_decided("recruiter").model_copy(update={"at": co.T1}))


def test_ending_work_that_owns_nothing_records_no_decisions():
    given(recruiter_company, *co.ACTIVE_BY_INVITE).when(end_work("company", jobs=[])).then(co.terminated("company"))


def test_ending_work_again_records_nothing():
    history = [*co.ACTIVE_BY_INVITE, co.terminated("company"), jobs_decided("company")]
    given(recruiter_company, *history).when(end_work("recruiter")).then()


def test_ending_declined_work_records_no_decisions():
    given(recruiter_company, *co.DECLINED_INVITE).when(end_work("company")).then_raises(RecruiterCompanyNotInStatus)


def test_ending_work_for_another_company_records_no_decisions():
    command = end_work("company").model_copy(update={"party_id": co.OTHER_COMPANY})
    given(recruiter_company, *co.ACTIVE_BY_INVITE).when(command).then_raises(NotAPartyToRelationship)


def test_a_job_decided_twice_is_refused():
    twice = [JobEndingItem(job_id=JOB1, decision="pause"), JobEndingItem(job_id=JOB1, decision="close")]
    with pytest.raises(ValidationError, match="each job is decided once"):
        co.TerminateRecruiterCompany(**{**co.terminate("company").model_dump(), "jobs": twice})


def test_job_decisions_are_keep_pause_or_close():
    with pytest.raises(ValidationError):
        JobEndingItem(job_id=JOB1, decision="withdraw")
