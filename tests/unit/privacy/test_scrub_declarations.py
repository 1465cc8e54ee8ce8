"""Every read table declares what an erasure leaves of it (`projections.scrub`): a new table, or a new column
holding a person's data, cannot slip past the erasure unnoticed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from commands.privacy.events import SubjectErased
from projections.registry import all_projections
from projections.scrub import ERASED, NULL, Keep, Scrub, declared, erasure_params

PROJECTIONS = all_projections()


def tables_of(name: str) -> dict[str, set[str]]:
    """Each table of a projection's DDL and its columns."""
    tables: dict[str, set[str]] = {}
    for ddl in PROJECTIONS[name].ddl:
        for match in re.finditer(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\s*\);", ddl, re.S):
            lines = [line.strip() for line in match.group(2).splitlines() if line.strip()]
            tables[match.group(1)] = {line.split()[0] for line in lines if not line.startswith(("PRIMARY", "UNIQUE"))}
    return tables


@pytest.mark.parametrize("name", sorted(PROJECTIONS))
def test_every_table_of_every_projection_is_declared(name: str):
    tables = tables_of(name)
    assert tables, f"no tables found in the DDL of {name}"
    assert set(declared[name]) == set(tables), f"{name}: declare each table, as a Scrub or a Keep"


@pytest.mark.parametrize("name", sorted(PROJECTIONS))
def test_a_scrub_names_real_columns_and_the_projection_handles_the_erasure(name: str):
    tables = tables_of(name)
    scrubs = [(t, s) for t, d in declared[name].items() if not isinstance(d, Keep)
              for s in (d if isinstance(d, tuple) else (d,))]
    for table, scrub in scrubs:
        assert set(scrub.columns) <= tables[table], f"{name}.{table}: {set(scrub.columns) - tables[table]}"
    assert ("SubjectErased" in PROJECTIONS[name].handlers) == bool(scrubs)


def test_the_event_lists_become_the_parameters_a_scrub_names():
    user, notification, owner = uuid4(), uuid4(), uuid4()
    e = SubjectErased(
        erasure_id=uuid4(), person_kind="user", person_id=user, user_ids=[user], candidate_ids=[], recruiter_ids=[],
        application_ids=[], document_ids=[], invitation_ids=[], documents_deleted=0, at=datetime.now(UTC),
        subjects=[f"user:{user}", f"contact:{notification}", "stripe:cus_1", "stripe:acct_2", f"billing:{owner}",
                  "contact:not-an-id"])
    params = erasure_params(e)
    assert params["notification_ids"] == [notification] and params["billing_owner_ids"] == [owner]
    assert params["stripe_ids"] == ["acct_2", "cus_1"] and params["user_ids"] == [user]


def test_a_scrub_either_deletes_or_sets():
    with pytest.raises(ValueError):
        Scrub("id = 1")
    with pytest.raises(ValueError):
        Scrub("id = 1", {"name": NULL}, delete=True)
    assert Scrub("id = %(x)s", {"a": ERASED}).sql("t", {"x": 1}).text == "UPDATE t SET a = '[erased]' WHERE id = %(x)s"
