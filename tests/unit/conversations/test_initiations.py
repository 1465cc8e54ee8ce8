"""Monthly initiation caps, decided on the initiator's own stream."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from commands.conversations.conversation_rules import InitiationLimitReached
from commands.conversations.initiation_events import ConversationInitiationCounted
from commands.conversations.initiations import CountInitiation, initiations, period_of
from tests.unit.dsl import given

ADA = UUID("00000000-0000-4000-8000-0000000000a1")
C1 = UUID("00000000-0000-4000-8000-0000000000c1")
C2 = UUID("00000000-0000-4000-8000-0000000000c2")
MARCH = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)


def count(conversation: UUID, limit: int | None, at: datetime = MARCH) -> CountInitiation:
    return CountInitiation(user_id=ADA, conversation_id=conversation, limit=limit, by="a", at=at)


def counted(conversation: UUID, at: datetime = MARCH) -> ConversationInitiationCounted:
    return ConversationInitiationCounted(user_id=ADA, conversation_id=conversation, period=period_of(at), at=at)


def test_an_initiation_under_the_limit_is_counted() -> None:
    given(initiations).when(count(C1, 1)).then(counted(C1))


def test_past_the_limit_a_new_conversation_is_refused() -> None:
    given(initiations, counted(C1)).when(count(C2, 1)).then_raises(InitiationLimitReached)
    given(initiations).when(count(C1, 0)).then_raises(InitiationLimitReached)


def test_a_conversation_is_counted_once_even_at_the_limit() -> None:
    given(initiations, counted(C1)).when(count(C1, 1)).then()


def test_the_limit_is_per_calendar_month_in_utc() -> None:
    assert period_of(MARCH) == "2026-03" and period_of(APRIL) == "2026-04"
    given(initiations, counted(C1)).when(count(C2, 1, APRIL)).then(counted(C2, APRIL))


def test_no_limit_is_unlimited() -> None:
    given(initiations, counted(C1)).when(count(C2, None)).then(counted(C2))
