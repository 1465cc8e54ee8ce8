"""The access export decider: each export recorded once; its id never reused for another export."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from commands.privacy.events import PersonalDataExported
from commands.privacy.export import ExportIdReused, RecordDataExport, data_export
from tests.unit.dsl import given

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EXPORT, PERSON = uuid4(), uuid4()
DIGEST = "ab" * 32


def record(**overrides) -> RecordDataExport:
    fields = {"export_id": EXPORT, "person_kind": "user", "person_id": PERSON, "requested_by": "user-1",
              "event_count": 12, "sha256": DIGEST, "at": AT, **overrides}
    return RecordDataExport(**fields)


def exported(**overrides) -> PersonalDataExported:
    return PersonalDataExported(**record(**overrides).model_dump())


def test_an_export_is_recorded_with_what_was_handed_out():
    given(data_export).when(record()).then(exported())


def test_recording_the_same_export_again_records_nothing():
    given(data_export, exported()).when(record(at=datetime(2026, 12, 2, tzinfo=UTC))).then()


def test_an_export_id_is_not_reused_for_another_person_or_bundle():
    given(data_export, exported()).when(record(person_id=uuid4())).then_raises(ExportIdReused)
    given(data_export, exported()).when(record(sha256="cd" * 32)).then_raises(ExportIdReused)


@pytest.mark.parametrize("bad", [{"sha256": "not-a-digest"}, {"event_count": -1}, {"requested_by": " "},
                                 {"person_kind": "company"}, {"at": datetime(2026, 12, 1)}])
def test_a_malformed_record_is_refused_on_construction(bad):
    with pytest.raises(ValidationError):
        record(**bad)
