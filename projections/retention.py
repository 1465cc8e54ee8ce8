"""What retention does to the read models: the scrub a projection declares for an erasure
(`projections.scrub`), applied to the applications and documents a retention run names (`RetentionErased`),
and the removal of rows older than a run's cutoff (`RetentionApplied`).

Both act at the event's place in the log, on ids or on the cutoff the event records and never on what a
row holds, so that a replay leaves what the live tables hold: fields sealed under the destroyed keys decode as
erased, and the rows and columns kept from plain fields (a cover letter is the candidate's, sealed under
their key) are scrubbed again at the same point.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from commands.privacy.events import SubjectErased
from commands.privacy.retention_events import RetentionErased
from projections.core import Projection, Sql
from projections.scrub import Keep, declared, erasure_params


def retention_params(e: RetentionErased) -> dict[str, Any]:
    """The lists the erasure scrubs name, holding only what the retention run names (no person, no user)."""
    as_erasure = SubjectErased(
        erasure_id=uuid4(), person_kind="candidate", person_id=uuid4(), subjects=e.subjects, user_ids=[],
        candidate_ids=[], recruiter_ids=[], application_ids=e.application_ids, document_ids=e.document_ids,
        invitation_ids=[], documents_deleted=0, at=e.at)
    return erasure_params(as_erasure)


def scrub_on_retention(projection: Projection) -> None:
    """Handle `RetentionErased` in `projection` with the scrubs its erasure declaration holds."""

    @projection.handles(RetentionErased)
    def _(e: RetentionErased) -> list[Sql]:
        params = retention_params(e)
        tables = declared.get(projection.name, {})
        return [scrub.sql(table, params) for table, d in tables.items() if not isinstance(d, Keep)
                for scrub in (d if isinstance(d, tuple) else (d,))]
