"""`timeline.csv` of an audit bundle: the timeline's rows as RFC 4180 CSV, with spreadsheet formulas
neutralised (every value is untrusted text)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from projections.audit.formatting import Line
from projections.audit.narrator import TimelineRow, timeline

TIMELINE_COLUMNS = ("position", "recorded_at", "stream_id", "version", "event_type", "actor", "actor_name",
                    "actor_role", "summary")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A spreadsheet would run a cell starting with one of these as a formula (OWASP CSV injection):
    a leading apostrophe makes it text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def timeline_csv(lines: Sequence[Line], rows: Sequence[TimelineRow] | None = None) -> str:
    """`timeline.csv`: RFC 4180 (CRLF line ends, quoted as needed), a header row then one row per event.
    `rows` is `timeline(lines, parties)` when the caller has it already (the actors' names come with it)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
    writer.writerow(TIMELINE_COLUMNS)
    writer.writerows([_cell(v) for v in row] for row in (timeline(lines) if rows is None else rows))
    return out.getvalue()
