"""Retention rules and their decider: each rule's cutoff, and each run recorded once per cutoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError

from commands.privacy.events import RetentionApplied
from commands.privacy.retention import RULES, ApplyRetention, cutoff, months_before, retention
from commands.privacy.retention_events import RetentionErased
from tests.unit.dsl import given

AT = datetime(2026, 12, 6, 17, 30, tzinfo=UTC)
DAY = datetime(2026, 12, 6, tzinfo=UTC)
RULE = {r.name: r for r in RULES}
APPLICATION, DOCUMENT = uuid4(), uuid4()


def run(rule: str = "notifications", before: datetime = DAY - timedelta(days=30), removed: int = 3, **more):
    return ApplyRetention(rule=rule, cutoff=before, removed=removed, at=AT, **more)


def applied(rule: str = "notifications", before: datetime = DAY - timedelta(days=30), removed: int = 3):
    return RetentionApplied(rule=rule, cutoff=before, removed=removed, at=AT)


def test_every_rule_is_declared_once_with_its_setting():
    assert sorted(r.name for r in RULES) == ["applications", "dead-letters", "mailbox", "notifications"]
    assert all(r.setting.startswith("RETENTION_") and r.setting.endswith(r.unit.upper()) for r in RULES)


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2026, 12, 6, tzinfo=UTC), 6, datetime(2026, 6, 6, tzinfo=UTC)),
    (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
    (datetime(2028, 3, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), 1, datetime(2025, 12, 15, tzinfo=UTC)),
    (datetime(2026, 12, 31, tzinfo=UTC), 24, datetime(2024, 12, 31, tzinfo=UTC)),
    (datetime(2026, 5, 31, tzinfo=UTC), 3, datetime(2026, 2, 28, tzinfo=UTC)),
])
def test_months_are_calendar_months_with_the_day_clamped(moment, months, expected):
    assert months_before(moment, months) == expected


def test_a_cutoff_counts_from_the_start_of_the_day_so_a_day_s_passes_share_it():
    assert cutoff(RULE["mailbox"], 14, AT) == DAY - timedelta(days=14)
    assert cutoff(RULE["mailbox"], 14, AT + timedelta(hours=6)) == cutoff(RULE["mailbox"], 14, AT)
    assert cutoff(RULE["applications"], 12, AT) == datetime(2025, 12, 6, tzinfo=UTC)
    assert cutoff(RULE["dead-letters"], 0, AT) is None


def test_a_run_is_recorded_with_its_cutoff_and_what_it_removed():
    given(retention).when(run()).then(applied())


def test_a_run_that_destroyed_keys_names_what_the_read_models_scrub():
    subjects = [f"document:{DOCUMENT}", f"application:{APPLICATION}"]
    given(retention).when(run("applications", removed=1, subjects=subjects, application_ids=[APPLICATION],
                              document_ids=[DOCUMENT])).then(
        applied("applications", removed=1),
        RetentionErased(rule="applications", cutoff=DAY - timedelta(days=30), subjects=sorted(subjects),
                        application_ids=[APPLICATION], document_ids=[DOCUMENT], at=AT))


def test_a_run_with_the_same_or_an_earlier_cutoff_records_nothing():
    given(retention, applied()).when(run()).then()
    given(retention, applied()).when(run(before=DAY - timedelta(days=31))).then()


def test_the_next_day_s_run_is_recorded():
    given(retention, applied()).when(run(before=DAY - timedelta(days=29), removed=1)).then(
        applied(before=DAY - timedelta(days=29), removed=1))


@pytest.mark.parametrize("bad", [{"rule": "logs"}, {"removed": -1}, {"subjects": ["no-colon"]},
                                 {"cutoff": datetime(2026, 1, 1)}])
def test_a_malformed_run_is_refused_on_construction(bad):
    fields = {"rule": "mailbox", "cutoff": DAY, "removed": 0, "at": AT, **bad}
    with pytest.raises(ValidationError):
        ApplyRetention(**fields)
