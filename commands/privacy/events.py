"""The events of the privacy context: the one definition of each.

Streams: `erasure-<erasure_id>` (one request to erase a person, and its completion), `dataexport-<export_id>`
(a copy of a person's data handed out), `retention-<rule>` (each run of a retention rule).

A person is named by what they are to us (`PersonKind`) and that record's id. Their personal data is held
under one or more *subjects* (`<kind>:<id>`, see `eventstore.personal`); erasing the person destroys the
data keys of every subject `SubjectErased` lists, and the read models scrub the ids it lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event

PersonKind = Literal["user", "candidate", "recruiter"]


class SubjectErasureRequested(Event):
    """Someone asked for a person's data to be erased: a platform admin, or the person themself."""

    erasure_id: UUID
    person_kind: PersonKind
    person_id: UUID
    self_service: bool
    reason: str | None
    requested_by: str
    at: datetime

    not_personal = frozenset({"reason"})  # the requester's note on the request (bounded; no one's data)


class SubjectErased(Event):
    """The person's data keys are destroyed and their documents deleted; read models scrub these ids.

    Money facts (amounts, placements, transfers) stay, attributed to an erased party.
    """

    erasure_id: UUID
    person_kind: PersonKind
    person_id: UUID
    subjects: list[str]
    user_ids: list[UUID]
    candidate_ids: list[UUID]
    recruiter_ids: list[UUID]
    application_ids: list[UUID]
    document_ids: list[UUID]
    invitation_ids: list[UUID]
    documents_deleted: int
    at: datetime


class PersonalDataExported(Event):
    """A copy of everything held about a person was produced (an access request)."""

    export_id: UUID
    person_kind: PersonKind
    person_id: UUID
    requested_by: str
    event_count: int
    sha256: str
    at: datetime


class RetentionApplied(Event):
    """One run of a retention rule: what was older than `cutoff` and is now gone."""

    rule: str
    cutoff: datetime
    removed: int
    at: datetime
