"""A user's messaging sanctions: warn, mute, suspend and lift, every transition allowed and refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError

from commands.conversations.sanction import (
    AlreadySuspended,
    CannotSanctionYourself,
    LiftSanction,
    MessagingSuspended,
    MuteUser,
    NothingToLift,
    SuspendMessaging,
    WarnUser,
    messaging_sanctions,
)
from commands.conversations.sanction_events import (
    MessagingSanctionLifted,
    MessagingUserMuted,
    MessagingUserSuspended,
    MessagingUserWarned,
)
from tests.unit.dsl import given

T = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
USER, ADMIN, REPORT, S = uuid4(), uuid4(), uuid4(), uuid4()
DAY = timedelta(days=1)


def common(at=T, admin=ADMIN) -> dict:
    return {"user_id": USER, "sanction_id": S, "reason": "abusive messages", "admin_id": admin, "at": at}


def muted(until=T + DAY, at=T) -> MessagingUserMuted:
    return MessagingUserMuted(**common(at), report_id=REPORT, until=until)


def suspended() -> MessagingUserSuspended:
    return MessagingUserSuspended(**common(), report_id=None)


def lifted(what="mute", at=T) -> MessagingSanctionLifted:
    return MessagingSanctionLifted(**common(at), lifted=what)


def test_a_warning_is_recorded_whatever_is_in_force() -> None:
    expected = MessagingUserWarned(**common(), report_id=REPORT)
    given(messaging_sanctions).when(WarnUser(**common(), report_id=REPORT)).then(expected)
    given(messaging_sanctions, suspended()).when(WarnUser(**common(), report_id=REPORT)).then(expected)


def test_a_user_is_muted_until_a_moment() -> None:
    given(messaging_sanctions).when(MuteUser(**common(), report_id=REPORT, until=T + DAY)).then(muted())


def test_a_new_mute_replaces_the_one_in_force() -> None:
    given(messaging_sanctions, muted()).when(MuteUser(**common(), report_id=REPORT, until=T + 2 * DAY)).then(
        muted(T + 2 * DAY))


def test_a_mute_lasts_from_an_hour_to_a_year() -> None:
    MuteUser(**common(), until=T + timedelta(hours=1))
    MuteUser(**common(), until=T + timedelta(days=365))
    for until in (T + timedelta(minutes=59), T - DAY, T + timedelta(days=366)):
        with pytest.raises(ValidationError):
            MuteUser(**common(), until=until)


def test_a_suspended_user_is_not_muted() -> None:
    given(messaging_sanctions, suspended()).when(MuteUser(**common(), until=T + DAY)).then_raises(MessagingSuspended)


def test_a_user_is_suspended_and_a_mute_in_force_is_replaced() -> None:
    given(messaging_sanctions).when(SuspendMessaging(**common())).then(suspended())
    given(messaging_sanctions, muted()).when(SuspendMessaging(**common())).then(suspended())


def test_a_suspended_user_is_not_suspended_again() -> None:
    given(messaging_sanctions, suspended()).when(SuspendMessaging(**common())).then_raises(AlreadySuspended)


def test_lifting_ends_the_restriction_in_force() -> None:
    given(messaging_sanctions, muted()).when(LiftSanction(**common(T + DAY / 2))).then(lifted("mute", T + DAY / 2))
    given(messaging_sanctions, suspended()).when(LiftSanction(**common())).then(lifted("suspend_messaging"))
    given(messaging_sanctions, suspended(), lifted("suspend_messaging")).when(
        MuteUser(**common(), until=T + DAY)).then(MessagingUserMuted(**common(), report_id=None, until=T + DAY))


def test_lifting_needs_something_in_force() -> None:
    given(messaging_sanctions).when(LiftSanction(**common())).then_raises(NothingToLift)
    given(messaging_sanctions, muted(), lifted()).when(LiftSanction(**common())).then_raises(NothingToLift)
    # A mute past its end has ended without an event: nothing to lift.
    given(messaging_sanctions, muted()).when(LiftSanction(**common(T + DAY))).then_raises(NothingToLift)


def test_an_admin_does_not_sanction_themself() -> None:
    mine = common(admin=USER)
    for command in (WarnUser(**mine), MuteUser(**mine, until=T + DAY), SuspendMessaging(**mine), LiftSanction(**mine)):
        given(messaging_sanctions, suspended()).when(command).then_raises(CannotSanctionYourself)


def test_a_reason_is_required() -> None:
    with pytest.raises(ValidationError):
        WarnUser(**{**common(), "reason": "   "})
