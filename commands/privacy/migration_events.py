"""The record of sealing the personal data stored before sealing existed (issue 22, item 5): the one definition.

Stream `personaldatamigration-<migration_id>`, one event each. The migration rewrote events in place, once: this
event is its signed account — each rewritten stream's hash-chain tip before and after, and how much was sealed —
appended in the same transaction as the rewrite, so the rewrite is never without its record. It is not decided
by a decider: there is no state to decide on, only the operator's procedure (`infra/personal_migration.py`).

The event's JSON form is the record: `signature` is Ed25519 (the audit signing key) over the canonical JSON of
everything else, with `format` naming the layout. The same object is written to a file for the operator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from commands.core import Event

RECORD_FORMAT = "splits-personal-data-migration/1"


class ResealedStream(BaseModel):
    """One stream's rewrite: versions and tips are the chain's (hex SHA-256), counts what was sealed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream_id: str
    version: int
    first_version: int
    events_sealed: int
    fields_sealed: int
    links_rehashed: int
    old_tip: str
    new_tip: str


class PersonalDataSealed(Event):
    """Events stored before sealing had their declared personal fields sealed, and their streams re-chained."""

    format: Literal["splits-personal-data-migration/1"]
    migration_id: UUID
    database: str
    streams: list[ResealedStream]
    events_sealed: int
    fields_sealed: int
    links_rehashed: int
    subjects: int
    erased_subjects: int
    public_key: str
    signature: str
    by: str
    at: datetime

    # The database's name, the signing key and the signature: operational facts, nobody's personal data.
    not_personal = frozenset({"database", "public_key", "signature"})
