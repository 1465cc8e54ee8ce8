"""The access export decider: each copy of a person's data handed out is recorded once, on
`dataexport-<export id>` (a retried command with the same export id records nothing more)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.core import Command, Decider, RuleViolation
from commands.privacy.events import PersonalDataExported, PersonKind


class RecordDataExport(Command):
    export_id: UUID
    person_kind: PersonKind
    person_id: UUID
    requested_by: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    event_count: Annotated[int, Field(ge=0)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    at: AwareDatetime


class ExportIdReused(RuleViolation):
    code = "export_id_reused"


def initial_state() -> PersonalDataExported | None:
    return None


def evolve(_: PersonalDataExported | None, e: PersonalDataExported) -> PersonalDataExported:
    return e


def decide(cmd: RecordDataExport, s: PersonalDataExported | None) -> list[PersonalDataExported]:
    if s is None:
        return [PersonalDataExported(**cmd.model_dump())]
    if (s.person_kind, s.person_id, s.sha256) == (cmd.person_kind, cmd.person_id, cmd.sha256):
        return []
    raise ExportIdReused("this export id already records another export")


data_export: Decider[RecordDataExport, PersonalDataExported, PersonalDataExported | None] = Decider(
    "dataexport", initial_state, evolve, decide, events=(PersonalDataExported,),
)
