"""Dead letters sent back to their reactor from the operator console, on `deadletters-<reactor>`: every requeue of
one reactor's letters reads together, whoever made it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.core import Event


class DeadLettersRequeued(Event):
    """An operator sent `reactor`'s dead letters back to it with a fresh retry budget (consumers/runtime/dlq.py, as
    `splits dlq requeue` does): the one of `event_id`, or every letter when it is None. `moved` is how many were
    in the dead-letter queue and went back (0 when the letter was already gone)."""

    requeue_id: UUID
    reactor: str
    event_id: UUID | None
    moved: int
    operator: str
    at: datetime
