"""Canonical JSON and the per-stream SHA-256 hash chain.

An event's hash is ``sha256(previous hash ‖ version ‖ recorded-at ‖ content digest)``, where the
version and the recording time (microseconds since the epoch) are 8-byte big-endian integers and the
content digest is the SHA-256 of the canonical JSON array
``[event_id, stream_id, stream_type, type, schema_version, data, metadata]``. The first event of a
stream chains from the empty string. The content digest is computed here; the chain is extended inside
the append function, where the previous hash is read under the stream's row lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from eventstore.types import RecordedEvent

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Unstorable(ValueError):
    """A value the event store cannot keep exactly: a NUL character, a number out of range, NaN or infinity."""


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: one byte string per JSON value."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as exc:
        raise Unstorable(f"not storable as JSON: {exc}") from None


# The integers orjson reads back as integers; PostgreSQL's jsonb prints a whole number in full, so a float that is
# a whole number in this range comes back as an integer, and one outside it as a float again.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_EXPONENT_FROM = 1e16  # orjson writes whole floats from here on with an exponent, which jsonb drops


def storable(value: Any) -> Any:
    """`value` with its numbers written the way PostgreSQL's jsonb gives them back, so that what is hashed is
    what is read: a whole float of 1e16 or more (within the integer range) becomes that integer, -0.0 becomes
    0.0. Raises `Unstorable` for a NUL character (jsonb cannot hold one), NaN and infinity (JSON has none), and
    integers outside the 64-bit range."""
    if isinstance(value, str):
        if "\x00" in value:
            raise Unstorable("a text holds a NUL character (\\u0000), which cannot be stored")
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise Unstorable("an integer is outside the 64-bit range")
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Unstorable("NaN and infinity are not JSON numbers")
        if value == 0.0:
            return 0.0  # jsonb has no negative zero
        if abs(value) >= _EXPONENT_FROM and value.is_integer() and _INT_MIN <= value <= _INT_MAX:
            return int(value)
        return value
    if isinstance(value, dict):
        return _storable_object(value)
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def _storable_object(value: dict[str, Any]) -> dict[str, Any]:
    """`storable` of a JSON object, its plain members (exactly str, int, bool, None) checked here instead of by a
    call each: an event's data is mostly those, and the call per member was most of an append's encoding."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if "\x00" in key:
            raise Unstorable("a key holds a NUL character (\\u0000), which cannot be stored")
        kind = type(item)
        if kind is str:
            if "\x00" in item:
                raise Unstorable("a text holds a NUL character (\\u0000), which cannot be stored")
            out[key] = item
        elif item is None or kind is bool or (kind is int and _INT_MIN <= item <= _INT_MAX):
            out[key] = item
        else:
            out[key] = storable(item)
    return out


def content_digest(
    event_id: UUID,
    stream_id: str,
    stream_type: str,
    type: str,
    schema_version: int,
    data_json: bytes,
    metadata_json: bytes,
) -> bytes:
    """SHA-256 of an event's content; `data_json` and `metadata_json` are already canonical."""
    head = canonical_json([str(event_id), stream_id, stream_type, type, schema_version])
    # Splice the pre-encoded canonical documents into the array instead of decoding and re-encoding.
    body = head[:-1] + b"," + data_json + b"," + metadata_json + b"]"
    return hashlib.sha256(body).digest()


def chain(previous: bytes, version: int, recorded_at: datetime, digest: bytes) -> bytes:
    """The next link: what the append function computes in SQL, recomputed here for verification."""
    micros = (recorded_at - _EPOCH) // _MICROSECOND
    return hashlib.sha256(
        previous + version.to_bytes(8, "big", signed=True) + micros.to_bytes(8, "big", signed=True) + digest
    ).digest()


def recorded_digest(event: RecordedEvent) -> bytes:
    return content_digest(
        event.event_id,
        event.stream_id,
        event.stream_type,
        event.type,
        event.schema_version,
        canonical_json(event.data),
        canonical_json(event.metadata),
    )


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """Why a stream's history does not verify, at which version."""

    stream_id: str
    version: int
    reason: str


def verify_chain(
    events: Iterable[RecordedEvent], *, expected_tip: bytes | None = None, previous: bytes = b"", from_version: int = 1
) -> list[ChainProblem]:
    """Check one stream's events, in version order from version 1.

    Reports a gap or reordering in versions, any event whose stored hash does not match its content
    and predecessor, and a tip that differs from `expected_tip` (the stream row's `last_hash`, or the
    tip recorded in an audit manifest). An empty list means the history is intact.

    A long stream is checked a part at a time: `from_version` is the first version of `events` and `previous`
    the stored hash of the version before it (as the previous part ended).
    """
    problems: list[ChainProblem] = []
    stream_id = ""
    expected_version = from_version
    for event in events:
        stream_id = stream_id or event.stream_id
        if event.stream_id != stream_id:
            problems.append(ChainProblem(event.stream_id, event.version, "event belongs to another stream"))
            continue
        if event.version != expected_version:
            problems.append(
                ChainProblem(stream_id, event.version, f"expected version {expected_version}, found {event.version}")
            )
        link = chain(previous, event.version, event.recorded_at, recorded_digest(event))
        if link != event.hash:
            problems.append(ChainProblem(stream_id, event.version, "hash does not match content and predecessor"))
        previous = event.hash
        expected_version = event.version + 1
    if expected_tip is not None and previous != expected_tip:
        problems.append(ChainProblem(stream_id, expected_version - 1, "stream tip differs from the recorded tip"))
    return problems
