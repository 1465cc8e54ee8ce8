"""The events as a public contract: an AsyncAPI 3.0 document of what the relay publishes and who listens.

Generated from the event registry and the broker topology, never written by hand, so it cannot drift from
the code: the topic exchange and each event's routing key (`<context>.<EventType>`), the log stream every
projector reads, each reactor's quorum queue with the events bound to it, the message headers, and each
event type's payload schema and shape version. Served at `/asyncapi.json`, written by `splits asyncapi`.

FastStream can describe the subscribers and publishers it declares, but ours are declared from the registry
at run time with one generic message type, so its document would say "bytes" for every event; the payloads
are the point of this contract, so the document is built here from the event classes themselves.

Personal fields travel sealed (the store seals them before the relay reads them): their schema here is the
sealed form, `{"$pii": subject, "c": ciphertext}`, and each message lists them under `x-personal-fields`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic.json_schema import models_json_schema

from commands.core import Event
from commands.registry import all_event_classes
from consumers.runtime.envelope import routing_key
from consumers.reactors import all_reactors
from consumers.runtime.topology import Topology
from eventstore import EventRegistry

ASYNCAPI_VERSION = "3.0.0"
REF = "#/components/schemas/{model}"


def _package_version() -> str:
    try:
        return version("splits")
    except PackageNotFoundError:  # a checkout that was not installed
        return "0.0.0"


_SEALED = {
    "type": "object",
    "description": "A personal field, sealed with its subject's data key (AES-256-GCM); reads as erased once"
                   " the subject is erased.",
    "required": ["$pii", "c"],
    "properties": {
        "$pii": {"type": "string", "description": "the subject, `<kind>:<id>`"},
        "c": {"type": "string", "description": "the ciphertext, base64"},
    },
}

_HEADERS = {
    "type": "object",
    "required": ["x-position", "x-prev-position", "x-stream-id", "x-version", "x-type", "x-schema-version"],
    "properties": {
        "x-position": {"type": "string", "description": "the event's feed position `<tx>.<pos>`"},
        "x-prev-position": {"type": "string", "description": "the position of the event published just before"
                            " this one: a consumer whose checkpoint is behind it has missed something"},
        "x-stream-id": {"type": "string"},
        "x-version": {"type": "integer", "description": "the event's version in its stream, from 1"},
        "x-type": {"type": "string", "description": "the event type (the message name)"},
        "x-schema-version": {"type": "integer", "description": "the version of the payload's shape"},
        "x-correlation-id": {"type": "string", "description": "the request or process this event belongs to"},
        "x-causation-id": {"type": "string", "description": "the event or command that caused this one"},
    },
}


def _envelope(data_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["event_id", "position", "stream_id", "stream_type", "version", "type", "schema_version",
                     "data", "metadata", "recorded_at", "hash"],
        "properties": {
            "event_id": {"type": "string", "format": "uuid", "description": "also the AMQP message id"},
            "position": {"type": "string"},
            "stream_id": {"type": "string"},
            "stream_type": {"type": "string"},
            "version": {"type": "integer", "minimum": 1},
            "type": {"type": "string"},
            "schema_version": {"type": "integer", "minimum": 1},
            "data": {"$ref": data_ref},
            "metadata": {"type": "object", "description": "actor, correlation and causation ids, the request's"
                         " idempotency key, the source"},
            "recorded_at": {"type": "string", "format": "date-time"},
            "hash": {"type": "string", "description": "the stream's SHA-256 hash chain at this event, hex"},
        },
    }


def _data_schemas(classes: list[type[Event]]) -> dict[str, Any]:
    """Each event's data schema, with every nested model under components/schemas; personal fields sealed."""
    _, top = models_json_schema([(cls, "serialization") for cls in classes], ref_template=REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    for cls in classes:
        schema = schemas[cls.__name__]
        schema["x-schema-version"] = cls.schema_version
        if cls.personal is not None:
            for field in cls.personal.fields:
                if field in schema.get("properties", {}):
                    schema["properties"][field] = {"$ref": REF.format(model="Sealed")}
    return schemas


def document(topology: Topology | None = None, *, server: str = "rabbitmq:5672") -> dict[str, Any]:
    """The AsyncAPI document for a broker with `topology`'s names."""
    topology = topology or Topology()
    registry = EventRegistry(all_event_classes())
    classes = sorted(all_event_classes(), key=lambda c: c.type_name())
    schemas = _data_schemas(classes)
    schemas["Sealed"] = _SEALED
    schemas["Headers"] = _HEADERS

    messages: dict[str, Any] = {}
    for cls in classes:
        name = cls.type_name()
        envelope = f"{name}Message"
        schemas[envelope] = _envelope(REF.format(model=name))
        message: dict[str, Any] = {
            "name": name,
            "title": name,
            "summary": (cls.__doc__ or name).strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": REF.format(model="Headers")},
            "payload": {"$ref": REF.format(model=envelope)},
            "correlationId": {"location": "$message.header#/x-correlation-id"},
            "bindings": {"amqp": {"messageType": name, "bindingVersion": "0.3.0"}},
            "x-routing-key": routing_key(registry.context_of(name, "unknown"), name),
            "x-schema-version": cls.schema_version,
        }
        if cls.personal is not None:
            message["x-personal-fields"] = list(cls.personal.fields)
        messages[name] = message

    def refs(names: list[str], channel: str) -> dict[str, Any]:
        return {n: {"$ref": f"#/channels/{channel}/messages/{n}"} for n in names}

    every = [c.type_name() for c in classes]
    queue = {"durable": True, "exclusive": False, "autoDelete": False, "vhost": "/"}
    channels: dict[str, Any] = {
        "events": {
            "address": topology.exchange,
            "title": "Every event, in feed order",
            "description": "The topic exchange the relay publishes each event to, persistent, with publisher"
                           " confirms, routing key `<context>.<EventType>`, AMQP message id = event id.",
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in every},
            "bindings": {"amqp": {"is": "routingKey", "bindingVersion": "0.3.0", "exchange": {
                "name": topology.exchange, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}}},
        },
        "log": {
            "address": topology.log,
            "title": "The event log",
            "description": f"A stream queue bound to every routing key (`#`), kept {topology.log_max_age}; each"
                           " projector reads it from its own offset.",
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in every},
            "bindings": {"amqp": {"is": "queue", "bindingVersion": "0.3.0",
                                  "queue": {"name": topology.log, **queue}}},
        },
    }
    operations: dict[str, Any] = {
        "publishEvent": {"action": "send", "channel": {"$ref": "#/channels/events"},
                         "title": "The relay publishes each event once it is committed",
                         "messages": [{"$ref": f"#/channels/events/messages/{n}"} for n in every]},
        "readLog": {"action": "receive", "channel": {"$ref": "#/channels/log"},
                    "title": "Projectors build the read schemas from the log",
                    "messages": [{"$ref": f"#/channels/log/messages/{n}"} for n in every]},
    }
    for reactor in sorted(all_reactors(), key=lambda r: r.name):
        names = sorted({cls.type_name() for cls in reactor.events})
        key = f"reactor.{reactor.name}"
        channels[key] = {
            "address": topology.reactor_queue(reactor.name),
            "title": f"The {reactor.name} reactor's queue",
            "description": f"A quorum queue bound to the events the {reactor.name} reactor acts on; failures are"
                           f" retried after {', '.join(str(d) for d in reactor.retry_delays_ms())} ms, then"
                           f" dead-lettered to {topology.dead_letter_queue(reactor.name)}.",
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
            "bindings": {"amqp": {"is": "queue", "bindingVersion": "0.3.0",
                                  "queue": {"name": topology.reactor_queue(reactor.name), **queue}}},
        }
        operations[f"react.{reactor.name}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{key}"},
            "title": f"The {reactor.name} reactor",
            "messages": [{"$ref": f"#/channels/{key}/messages/{n}"} for n in names],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Splits events",
            "version": _package_version(),
            "description": "The events Splits records and publishes: the contract for teams that consume them."
                           " Payloads are at-least-once; deduplicate on the event id.",
        },
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": {"host": server, "protocol": "amqp", "description": "The Splits broker"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
