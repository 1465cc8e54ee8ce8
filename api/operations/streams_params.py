"""What the Streams pages take from a query string or a form, read by hand so that bad input is a 400 page saying
what was wrong (the console's rule) rather than a validation error: every text bounded, every number in range.

What we decided where nothing else says: a time without an offset (what a browser's datetime-local field sends)
is UTC, as the pages show every time in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from eventstore.browse import MAX_PAGE, MAX_TEXT, EventSearch

PAGE = 50
_MAX_POSITION = 2**63 - 1


class BadInput(ValueError):
    """A parameter the page cannot take; `title` and `detail` make its 400 page."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title, self.detail = title, detail


def text(name: str, value: str | None) -> str | None:
    """A trimmed text of 1 to `MAX_TEXT` characters without control characters; None when absent or blank."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > MAX_TEXT or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BadInput(f"Not a {name}", f"a {name} is 1 to {MAX_TEXT} printable characters.")
    return value


def whole(name: str, value: str | None, *, low: int, high: int = _MAX_POSITION) -> int | None:
    """A whole number in `low`..`high`, written in ASCII digits; None when absent or blank."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19 or not low <= int(value) <= high:
        raise BadInput(f"Not a {name}", f"the {name} is a whole number from {low} to {high}.")
    return int(value)


def limit(value: str | None) -> int:
    found = whole("page size", value, low=1, high=MAX_PAGE)
    return PAGE if found is None else found


def moment(name: str, value: str | None) -> datetime | None:
    """An ISO 8601 date and time (UTC when it has no offset); None when absent or blank."""
    if value is None or not value.strip():
        return None
    try:
        if len(value) > 40:
            raise ValueError
        found = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"Not a time: {name}", f"the {name} is a date and time such as 2026-12-07T14:30 (UTC) or "
                                             "2026-12-07T14:30:00+01:00.") from None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def event_id(value: str) -> UUID:
    try:
        if len(value) > 40:
            raise ValueError
        return UUID(value)
    except ValueError:
        raise BadInput("Not an event id", "an event id is a UUID, such as 0b6f3c1e-8d2a-4c39-9f4e-2a7d5b1c0e93.") from None


def as_uuid(value: object) -> UUID | None:
    """`value` as a UUID when it is one (a causation id may be an event's id, or a webhook delivery's)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class StreamQuery:
    """The stream search: `q` an exact stream id or a prefix (`match`), and/or a stream type."""

    q: str | None
    exact: bool
    stream_type: str | None
    after: str | None
    limit: int


def stream_query(q: str | None, match: str | None, stream_type: str | None, after: str | None,
                 size: str | None) -> StreamQuery:
    if match not in (None, "", "prefix", "exact"):
        raise BadInput("Not a kind of match", "a stream id is matched exactly or as a prefix.")
    found_type = text("stream type", stream_type)
    if found_type is not None and "-" in found_type:
        raise BadInput("Not a stream type", "a stream type is the part of a stream id before its first '-' "
                                            "(placement, job, user …).")
    return StreamQuery(text("stream id", q), match == "exact", found_type, text("stream id", after), limit(size))


def event_query(event_type: str | None, stream_id: str | None, correlation: str | None, causation: str | None,
                recorded_from: str | None, recorded_to: str | None) -> EventSearch:
    search = EventSearch(
        type=text("event type", event_type), stream_id=text("stream id", stream_id),
        correlation_id=text("correlation id", correlation), causation_id=text("causation id", causation),
        recorded_from=moment("start of the time range", recorded_from),
        recorded_to=moment("end of the time range", recorded_to),
    )
    if search.recorded_from and search.recorded_to and search.recorded_from >= search.recorded_to:
        raise BadInput("Not a time range", "the time range's start must be before its end.")
    return search
