from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.saved_item_events import CandidateSaved, CandidateUnsaved, JobSaved, JobUnsaved
from commands.ats.saved_items import (
    OnlyRecruitersSaveCandidates,
    SaveCandidate,
    SavedCandidatesLimitReached,
    SavedJobsLimitReached,
    SaveJob,
    UnsaveCandidate,
    UnsaveJob,
    saved_items,
    saver_key,
)
from commands.core import Forbidden, RuleViolation
from eventstore import stream_id_for
from tests.unit.dsl import given

RECRUITER = UUID("00000000-0000-4000-8000-0000000000a1")
CANDIDATE = UUID("00000000-0000-4000-8000-0000000000c1")
JOB = UUID("00000000-0000-4000-8000-0000000000b1")
OTHER_JOB = UUID("00000000-0000-4000-8000-0000000000b2")
PERSON = UUID("00000000-0000-4000-8000-0000000000d1")
OTHER_PERSON = UUID("00000000-0000-4000-8000-0000000000d2")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def who(kind: str = "recruiter") -> dict:
    return {"saver_kind": kind, "saver_id": RECRUITER if kind == "recruiter" else CANDIDATE, "by": "u", "at": T0}


def job_saved(job_id: UUID = JOB, kind: str = "recruiter") -> JobSaved:
    return JobSaved(job_id=job_id, **who(kind))


def candidate_saved(candidate_id: UUID = PERSON) -> CandidateSaved:
    return CandidateSaved(candidate_id=candidate_id, **who())


def jobs_saved(n: int) -> list[JobSaved]:
    return [job_saved(UUID(int=i + 1)) for i in range(n)]


def test_one_stream_per_saver():
    assert stream_id_for(saved_items, saver_key("recruiter", RECRUITER)) == f"saved_items-recruiter-{RECRUITER}"
    assert saver_key("candidate", RECRUITER) != saver_key("recruiter", RECRUITER)


# --- jobs -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["recruiter", "candidate"])
def test_a_recruiter_or_a_candidate_saves_a_job(kind):
    given(saved_items).when(SaveJob(job_id=JOB, limit=10, **who(kind))).then(job_saved(kind=kind))


def test_saving_a_saved_job_again_records_nothing():
    given(saved_items, job_saved()).when(SaveJob(job_id=JOB, limit=10, **who())).then()


def test_a_saved_job_is_not_refused_at_the_limit_when_saved_again():
    given(saved_items, *jobs_saved(1)).when(SaveJob(job_id=UUID(int=1), limit=1, **who())).then()


def test_a_save_past_the_limit_is_refused_naming_it():
    error = given(saved_items, *jobs_saved(10)).when(SaveJob(job_id=JOB, limit=10, **who())).then_raises(
        SavedJobsLimitReached)
    assert isinstance(error, RuleViolation)
    assert error.code == "max_saved_jobs_reached"
    assert error.details["entitlement"] == "max_saved_jobs" and error.details["limit"] == 10


def test_below_the_limit_a_save_is_recorded():
    given(saved_items, *jobs_saved(9)).when(SaveJob(job_id=JOB, limit=10, **who())).then(job_saved())


def test_a_limit_of_none_is_unlimited():
    given(saved_items, *jobs_saved(60)).when(SaveJob(job_id=JOB, limit=None, **who())).then(job_saved())


def test_a_limit_of_zero_refuses_every_save():
    given(saved_items).when(SaveJob(job_id=JOB, limit=0, **who())).then_raises(SavedJobsLimitReached)


def test_unsaving_frees_a_place_under_the_limit():
    history = [*jobs_saved(10), JobUnsaved(job_id=UUID(int=1), **who())]
    given(saved_items, *history).when(SaveJob(job_id=JOB, limit=10, **who())).then(job_saved())


def test_unsave_a_saved_job():
    given(saved_items, job_saved(), job_saved(OTHER_JOB)).when(UnsaveJob(job_id=JOB, **who())).then(
        JobUnsaved(job_id=JOB, **who()))


def test_unsaving_a_job_not_saved_records_nothing():
    given(saved_items, job_saved(OTHER_JOB)).when(UnsaveJob(job_id=JOB, **who())).then()
    given(saved_items, job_saved(), JobUnsaved(job_id=JOB, **who())).when(UnsaveJob(job_id=JOB, **who())).then()


def test_a_negative_limit_is_not_a_command():
    with pytest.raises(ValidationError):
        SaveJob(job_id=JOB, limit=-1, **who())


# --- candidates -----------------------------------------------------------------------------------

def test_a_recruiter_saves_a_candidate():
    given(saved_items).when(SaveCandidate(candidate_id=PERSON, limit=10, **who())).then(candidate_saved())


def test_saving_a_saved_candidate_again_records_nothing():
    given(saved_items, candidate_saved()).when(SaveCandidate(candidate_id=PERSON, limit=10, **who())).then()


def test_a_candidate_save_past_the_limit_is_refused_naming_it():
    history = [candidate_saved(UUID(int=i + 1)) for i in range(10)]
    error = given(saved_items, *history).when(SaveCandidate(candidate_id=PERSON, limit=10, **who())).then_raises(
        SavedCandidatesLimitReached)
    assert error.code == "max_saved_candidates_reached" and error.details["entitlement"] == "max_saved_candidates"


def test_saved_jobs_do_not_count_against_saved_candidates():
    given(saved_items, *jobs_saved(10)).when(SaveCandidate(candidate_id=PERSON, limit=10, **who())).then(
        candidate_saved())


def test_unsave_a_candidate_and_again_records_nothing():
    given(saved_items, candidate_saved()).when(UnsaveCandidate(candidate_id=PERSON, **who())).then(
        CandidateUnsaved(candidate_id=PERSON, **who()))
    given(saved_items, candidate_saved()).when(UnsaveCandidate(candidate_id=OTHER_PERSON, **who())).then()


@pytest.mark.parametrize("command", [
    SaveCandidate(candidate_id=PERSON, limit=None, **who("candidate")),
    UnsaveCandidate(candidate_id=PERSON, **who("candidate")),
], ids=["save", "unsave"])
def test_a_candidate_does_not_save_candidates(command):
    error = given(saved_items).when(command).then_raises(OnlyRecruitersSaveCandidates)
    assert isinstance(error, Forbidden) and error.code == "only_recruiters_save_candidates"
