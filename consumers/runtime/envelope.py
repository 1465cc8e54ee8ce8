"""The broker message of an event: one JSON body and the headers consumers route and check on."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from eventstore import Position, RecordedEvent


def routing_key(context: str, event_type: str) -> str:
    return f"{context}.{event_type}"


def encode(event: RecordedEvent, previous: Position) -> tuple[bytes, dict[str, Any]]:
    """Body and headers of an event's message.

    `x-prev-position` is the feed position of the event published just before this one: a consumer
    whose checkpoint is behind it knows that something between them is missing from its log.
    """
    body = orjson.dumps(
        {
            "event_id": str(event.event_id),
            "position": str(event.position),
            "stream_id": event.stream_id,
            "stream_type": event.stream_type,
            "version": event.version,
            "type": event.type,
            "schema_version": event.schema_version,
            "data": event.data,
            "metadata": event.metadata,
            "recorded_at": event.recorded_at.isoformat(),
            "hash": event.hash.hex(),
        }
    )
    headers: dict[str, Any] = {
        "x-position": str(event.position),
        "x-prev-position": str(previous),
        "x-stream-id": event.stream_id,
        "x-version": event.version,
        "x-type": event.type,
        "x-schema-version": event.schema_version,
    }
    for key in ("correlation_id", "causation_id"):
        if value := event.metadata.get(key):
            headers[f"x-{key.replace('_', '-')}"] = value
    if traceparent := event.metadata.get("traceparent"):
        headers["traceparent"] = traceparent  # W3C Trace Context, for consumers outside Splits
    return body, headers


def decode(body: bytes) -> RecordedEvent:
    raw = orjson.loads(body)
    return RecordedEvent(
        position=Position.parse(raw["position"]),
        event_id=UUID(raw["event_id"]),
        stream_id=raw["stream_id"],
        stream_type=raw["stream_type"],
        version=raw["version"],
        type=raw["type"],
        schema_version=raw["schema_version"],
        data=raw["data"],
        metadata=raw["metadata"],
        recorded_at=datetime.fromisoformat(raw["recorded_at"]),
        hash=bytes.fromhex(raw["hash"]),
    )
