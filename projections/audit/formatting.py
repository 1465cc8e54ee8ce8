"""How the files a person reads in an audit bundle write values, and what they read them from.

Money stays integer cents until it is written here as dollars; a rate stays basis points until it is written
as a percentage. `Line` is one parsed line of `events.jsonl`, the input of the money table, the timeline and
the report alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

Line = Mapping[str, Any]
"""One parsed line of `events.jsonl`: position, stream_id, stream_type, version, event_id, type,
schema_version, recorded_at, data, metadata, hash."""


def dollars(cents: int) -> str:
    """Integer cents as US dollars, `$1,234.56` (`-$0.05` when negative): exact, no floats."""
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}${whole:,}.{part:02d}"


def percent(bps: int | None) -> str:
    """Basis points as a percentage: 4000 → `40%`, 1250 → `12.5%`; nothing for no rate."""
    if bps is None:
        return ""
    whole, part = divmod(bps, 100)
    return f"{whole}%" if part == 0 else f"{whole}.{part:02d}".rstrip("0") + "%"


def when(value: datetime | date | None) -> str:
    """A time to the second for reading (the events keep the microseconds)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return "" if value is None else value.isoformat()
