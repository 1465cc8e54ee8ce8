"""What an erasure leaves of each read table, declared once per projection.

When a person is erased (`SubjectErased`), their data keys are destroyed: from then on a replay decodes every
field sealed for them as erased (None where the field is optional, else "[erased]", 0, {} or [], see
`eventstore.registry.erased_value`). The live tables were built from the plain values, so each projection
scrubs them at the same point of the log, and the scrub must leave exactly what the replay builds. That holds
when, for the rows it matches, the scrub sets every column a sealed field of theirs reaches, directly or not
(a sealed `changes` dict decodes to {} and its handler then writes nothing, not even `updated_at`), to one
value that does not depend on what the row held. Rows are matched by the ids the event lists, never by
personal values: a replay's rows hold the erased values, the live ones the plain ones.

Each projection declares every one of its tables, either a `Scrub` (which rows, what each column becomes,
or the rows go) or `Keep` (why the table holds no one's personal data), so that a reader sees what each read
model keeps after an erasure and a test holds every table to a declaration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from commands.privacy.events import SubjectErased
from projections.core import Projection, Sql

ERASED = "'[erased]'"
"""A text column that is never empty: the text an erased `str` field decodes to."""

NULL = "NULL"
"""A column an optional field fills (it decodes to None), or one a sealed change may have set."""

FALSE = "false"
ZERO = "0"
EMPTY_ARRAY = "'{}'::text[]"
"""A text[] column: what an erased list decodes to."""
EMPTY_JSON = "'{}'::jsonb"
AT = "%(at)s"
"""The erasure's time: for `updated_at`, which a handler that found nothing to change leaves as it was."""


def if_set(value: str) -> str:
    """`value` where the column holds something, NULL where it holds nothing.

    For a nullable column filled only by a non-optional field (an AI review's summary, filled once the review
    completes): it is NULL exactly when no event filled it, live and replayed alike.
    """
    return f"CASE WHEN {{column}} IS NULL THEN NULL ELSE {value} END"


@dataclass(frozen=True)
class Scrub:
    """The rows of one table an erasure matches (`where`, over the event's lists) and what is left of them.

    `where` may use `%(user_ids)s`, `%(candidate_ids)s`, `%(recruiter_ids)s`, `%(application_ids)s`,
    `%(document_ids)s`, `%(invitation_ids)s`, `%(notification_ids)s` (from `contact:` and `notification:`
    subjects), `%(stripe_ids)s` and `%(billing_owner_ids)s` (from `stripe:` and `billing:` subjects).
    """

    where: str
    columns: Mapping[str, str] = field(default_factory=dict)
    delete: bool = False

    def __post_init__(self) -> None:
        if self.delete == bool(self.columns):
            raise ValueError("a scrub either deletes the rows or sets columns, one of the two")

    def sql(self, table: str, params: Mapping[str, Any]) -> Sql:
        if self.delete:
            return Sql(f"DELETE FROM {table} WHERE {self.where}", dict(params))
        assignments = ", ".join(f"{c} = {v.replace('{column}', c)}" for c, v in self.columns.items())
        return Sql(f"UPDATE {table} SET {assignments} WHERE {self.where}", dict(params))


@dataclass(frozen=True)
class Keep:
    """A table an erasure leaves as it is, and why: it holds no person's data (ids, amounts, a business's text)."""

    why: str


Declaration = Scrub | Keep | tuple[Scrub, ...]

declared: dict[str, Mapping[str, Declaration]] = {}
"""Every projection's declaration, by projection name (for the test that holds each table to one)."""


def erasure_params(e: SubjectErased) -> dict[str, Any]:
    """The lists a scrub's `where` may name, from the event."""

    def of_kind(kind: str) -> list[str]:
        prefix = f"{kind}:"
        return sorted({s[len(prefix):] for s in e.subjects if s.startswith(prefix)})

    def ids_of(*kinds: str) -> list[UUID]:
        found: set[UUID] = set()
        for kind in kinds:
            for text in of_kind(kind):
                try:
                    found.add(UUID(text))
                except ValueError:
                    continue  # not one of our ids: no row of ours is keyed by it
        return sorted(found)

    return {
        "user_ids": list(e.user_ids), "candidate_ids": list(e.candidate_ids), "recruiter_ids": list(e.recruiter_ids),
        "application_ids": list(e.application_ids), "document_ids": list(e.document_ids),
        "invitation_ids": list(e.invitation_ids),
        "notification_ids": ids_of("contact", "notification"),
        "stripe_ids": of_kind("stripe"), "billing_owner_ids": ids_of("billing"), "at": e.at,
    }


def declare_erasure(projection: Projection, tables: Mapping[str, Declaration]) -> None:
    """Record what an erasure leaves of each table of `projection`, and handle `SubjectErased` with it."""
    if projection.name in declared:
        raise ValueError(f"the erasure of projection {projection.name} is already declared")
    declared[projection.name] = tables
    scrubs = [(table, s) for table, d in tables.items() if not isinstance(d, Keep)
              for s in (d if isinstance(d, tuple) else (d,))]
    if not scrubs:
        return

    @projection.handles(SubjectErased)
    def _(e: SubjectErased) -> list[Sql]:
        params = erasure_params(e)
        return [scrub.sql(table, params) for table, scrub in scrubs]
