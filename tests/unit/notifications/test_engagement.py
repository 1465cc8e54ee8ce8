"""The engagement decider (once per person, kind and period), the engagement schedules' periods, and the
unsubscribe token (names the user and the category; tampered, re-signed or expired is refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from adapters.tokens import ConfirmationRefused, check_unsubscribe, unsubscribe_token
from commands.notifications import engagement as g
from commands.notifications.engagement_events import EngagementMailDue
from consumers.notifications.schedules import (
    MONDAY,
    WEDNESDAY,
    digest_week,
    last_monthly,
    last_weekly,
    period_window,
    report_month,
)
from tests.unit.dsl import given

AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a Monday
USER = UUID("00000000-0000-4000-8000-0000000000a1")
SECRET = b"s" * 32


def due(kind: str = "weekly_digest", period: str = "2026-W49") -> EngagementMailDue:
    return EngagementMailDue(user_id=USER, kind=kind, period=period, at=AT)


def record(kind: str = "weekly_digest", period: str = "2026-W49") -> g.RecordEngagementMailDue:
    return g.RecordEngagementMailDue(user_id=USER, kind=kind, period=period, at=AT + timedelta(hours=3))


def test_an_engagement_mail_is_recorded_due_once_per_kind_and_period() -> None:
    given(g.engagement).when(record()).then(EngagementMailDue(user_id=USER, kind="weekly_digest", period="2026-W49",
                                                              at=AT + timedelta(hours=3)))
    given(g.engagement, due()).when(record()).then()


def test_another_period_or_another_kind_is_due_again() -> None:
    given(g.engagement, due()).when(record(period="2026-W50")).then(
        EngagementMailDue(user_id=USER, kind="weekly_digest", period="2026-W50", at=AT + timedelta(hours=3)))
    given(g.engagement, due()).when(record(kind="candidate_reminder")).then(
        EngagementMailDue(user_id=USER, kind="candidate_reminder", period="2026-W49", at=AT + timedelta(hours=3)))


def test_the_digest_covers_the_week_before_its_monday_and_changes_at_eight() -> None:
    assert digest_week(AT) == ("2026-W49", datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC))
    assert digest_week(AT - timedelta(minutes=1))[0] == "2026-W48"
    assert digest_week(AT + timedelta(days=6, hours=23))[0] == "2026-W49"
    assert period_window("weekly_digest", "2026-W49") == digest_week(AT)[1:]


def test_the_report_covers_the_month_before_its_first_and_changes_at_nine() -> None:
    first = datetime(2027, 1, 1, 9, tzinfo=UTC)
    assert report_month(first) == ("2026-12", datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert report_month(first - timedelta(seconds=1))[0] == "2026-11"
    assert last_monthly(datetime(2027, 1, 1, 8, tzinfo=UTC), 9) == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert period_window("monthly_hiring_report", "2026-12") == report_month(first)[1:]


def test_the_latest_weekday_moment_is_at_or_before_now() -> None:
    assert last_weekly(AT, MONDAY, 8) == AT
    assert last_weekly(AT, WEDNESDAY, 10) == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert last_weekly(datetime(2026, 12, 9, 10, tzinfo=UTC), WEDNESDAY, 10) == datetime(2026, 12, 9, 10, tzinfo=UTC)


def test_an_unsubscribe_token_names_its_user_and_category_until_it_expires() -> None:
    token = unsubscribe_token(SECRET, USER, "engagement", 2_000)
    assert check_unsubscribe(SECRET, token, 1_999) == (USER, "engagement")
    with pytest.raises(ConfirmationRefused, match="expired"):
        check_unsubscribe(SECRET, token, 2_000)


@pytest.mark.parametrize("change", [
    lambda t: t.replace("engagement", "billing"),  # another category
    lambda t: "00000000-0000-4000-8000-0000000000b2" + t[36:],  # another user
    lambda t: t.replace(".2000.", ".9000."),  # a later expiry
    lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # the signature
])
def test_a_tampered_unsubscribe_token_is_invalid(change) -> None:
    token = unsubscribe_token(SECRET, USER, "engagement", 2_000)
    with pytest.raises(ConfirmationRefused, match="invalid"):
        check_unsubscribe(SECRET, change(token), 1_000)
    with pytest.raises(ConfirmationRefused, match="invalid"):
        check_unsubscribe(b"another secret", token, 1_000)


@pytest.mark.parametrize("token", ["", "x", "not-a-uuid.engagement.1.ab", f"{USER}..1.{'a' * 64}",
                                   f"{USER}.engage ment.1.{'a' * 64}", f"{USER}.engagement.x.{'a' * 64}",
                                   # digits and letters outside ASCII: int() or compare_digest would raise
                                   f"{USER}.engagement.\u00b2." + "a" * 64, f"{USER}.engagement.9." + "\u00e9" * 64,
                                   f"{USER}.engagement.9." + "\u0661" * 64])
def test_a_malformed_unsubscribe_token_is_refused(token: str) -> None:
    with pytest.raises(ConfirmationRefused, match="malformed"):
        check_unsubscribe(SECRET, token, 1_000)
