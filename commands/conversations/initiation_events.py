"""The events of one user's conversation initiations (stream type `messaging_initiations`, keyed by user id):
the one definition of each. Counted per calendar month (UTC) against the plan entitlement
`messaging_initiations_per_month` (domain §11, §13)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.core import Event


class ConversationInitiationCounted(Event):
    """`user_id` started conversation `conversation_id` in `period` (`YYYY-MM`): one of their initiations."""

    user_id: UUID
    conversation_id: UUID
    period: str
    at: datetime
