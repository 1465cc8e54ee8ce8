"""Who sees an early-access job (domain §3, §13 `early_access_roles`), as `may_see` judges one job from its
stream: the rule the routes that load a job (applying, saving) apply, and the list's SQL mirrors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from api.ats.policy import job_visibility, may_see
from commands.ats.job import Job
from projections.identity.access import Access

COMPANY = UUID("00000000-0000-4000-8000-0000000000a1")
OTHER_COMPANY = UUID("00000000-0000-4000-8000-0000000000a2")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
EARLY = Job(exists=True, id=UUID(int=7), company_id=COMPANY, status="active", is_early_access=True,
            activates_at=NOW + timedelta(days=1))

RECRUITER = Access(user_id=UUID(int=1), roles=frozenset({"recruiter"}), recruiter_id=UUID(int=2))
CANDIDATE = Access(user_id=UUID(int=3), roles=frozenset({"candidate"}), candidate_id=UUID(int=4))
ANONYMOUS = Access()
STAFF = Access(user_id=UUID(int=5), roles=frozenset({"company_admin"}), company_ids=frozenset({COMPANY}))
OTHER_STAFF = Access(user_id=UUID(int=6), roles=frozenset({"company_admin"}), company_ids=frozenset({OTHER_COMPANY}))


def test_an_entitled_recruiter_sees_an_early_access_job_before_it_activates():
    assert may_see(RECRUITER, EARLY, early_access=True, now=NOW)
    assert job_visibility(RECRUITER, early_access=True, now=NOW).clause()[0].count("is_early_access") == 0


@pytest.mark.parametrize("who", [RECRUITER, CANDIDATE, ANONYMOUS, OTHER_STAFF], ids=["starter", "candidate",
                                                                                      "anonymous", "other-company"])
def test_others_do_not_until_it_activates(who):
    assert not may_see(who, EARLY, now=NOW)
    assert not may_see(who, EARLY)  # without a moment, the flag alone decides


@pytest.mark.parametrize("who", [RECRUITER, CANDIDATE, ANONYMOUS], ids=["starter", "candidate", "anonymous"])
def test_from_activates_at_everyone_on_the_marketplace_sees_it(who):
    assert may_see(who, EARLY, now=EARLY.activates_at)


def test_the_job_s_own_company_sees_it_and_no_plan_lets_a_candidate_see_it_early():
    assert may_see(STAFF, EARLY, now=NOW)
    assert not may_see(CANDIDATE, EARLY, early_access=True, now=NOW)  # only recruiters hold the entitlement
    assert not may_see(OTHER_STAFF, EARLY, early_access=True, now=NOW + timedelta(days=2))


def test_an_early_access_job_not_active_is_not_on_the_marketplace_for_anyone():
    assert not may_see(RECRUITER, replace(EARLY, status="draft"), early_access=True, now=NOW)
