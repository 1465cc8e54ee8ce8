"""The retention events the read models act on, beside `RetentionApplied` (commands/privacy/events.py).

`RetentionApplied` says that a rule ran and how much it removed; when the run destroyed data keys, the same
append carries `RetentionErased`, naming the subjects whose keys are gone and the records each read model
scrubs (rows matched by these ids, exactly as for a person's erasure, see `projections.scrub`), so that a
replay of the log rebuilds the scrubbed state.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.core import Event


class RetentionErased(Event):
    """A retention rule destroyed the keys of `subjects`; read models scrub these applications and documents."""

    rule: str
    cutoff: datetime
    subjects: list[str]
    application_ids: list[UUID]
    document_ids: list[UUID]
    at: datetime
