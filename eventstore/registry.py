"""Event type registry: type name ↔ class, shape versions, and upcasting of old shapes on read."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self
from uuid import UUID, uuid4

from eventstore.personal import ERASED, open_fields
from eventstore.types import NewEvent, RecordedEvent

if TYPE_CHECKING:
    from eventstore.personal import Keyring


class EventClass(Protocol):
    """What the registry needs of an event class (commands.core.Event provides it)."""

    schema_version: ClassVar[int]
    upcasters: ClassVar[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]]

    @classmethod
    def type_name(cls) -> str: ...

    @classmethod
    def model_validate(cls, obj: Any) -> Self: ...

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


class UnknownEventType(LookupError):
    """A stored event's type has no registered class."""


class MissingUpcaster(LookupError):
    """A stored event's shape is older than its class and no upcaster bridges the gap."""


class EventRegistry:
    """Maps stored type names to event classes and brings old shapes up to date."""

    def __init__(self, classes: Iterable[type[EventClass]] = (), keyring: Keyring | None = None) -> None:
        self._by_name: dict[str, type[EventClass]] = {}
        # Opens sealed personal fields on decode; the event store that uses this registry sets it.
        self.keyring = keyring
        for cls in classes:
            self.register(cls)

    def register(self, cls: type[EventClass]) -> None:
        name = cls.type_name()
        known = self._by_name.get(name)
        if known is not None and known is not cls:
            raise ValueError(f"event type {name!r} is registered twice ({known.__module__}, {cls.__module__})")
        for version in range(1, cls.schema_version):
            if version not in cls.upcasters:
                raise MissingUpcaster(f"{name} v{cls.schema_version} has no upcaster from v{version}")
        self._by_name[name] = cls

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def class_of(self, name: str) -> type[EventClass]:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownEventType(name) from None

    def context_of(self, name: str, default: str) -> str:
        """The bounded context an event type belongs to (`commands.<context>.events`), else `default`."""
        cls = self._by_name.get(name)
        if cls is None:
            return default
        parts = cls.__module__.split(".")
        return parts[1] if len(parts) >= 3 and parts[0] == "commands" else default

    def encode(self, event: EventClass, event_id: UUID | None = None) -> NewEvent:
        """The event as it will be stored: type name, current shape version, JSON-native data."""
        cls = type(event)
        return NewEvent(
            type=cls.type_name(),
            data=event.model_dump(mode="json"),
            event_id=event_id or uuid4(),
            schema_version=cls.schema_version,
        )

    def upcast(self, type_name: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
        """Data of an old shape brought to the class's current shape, one version step at a time."""
        cls = self.class_of(type_name)
        if schema_version > cls.schema_version:
            raise MissingUpcaster(f"{type_name} v{schema_version} is newer than this code (v{cls.schema_version})")
        for version in range(schema_version, cls.schema_version):
            data = cls.upcasters[version](data)
        return data

    def personal_of(self, name: str) -> Any:
        """The `Personal` declaration of an event type (None when it holds no personal data)."""
        cls = self._by_name.get(name)
        return None if cls is None else getattr(cls, "personal", None)

    def open(self, recorded: RecordedEvent) -> dict[str, Any]:
        """The record's data with its sealed personal fields opened (erased ones as `erased_value`).

        The subjects' keys must have been loaded (`Keyring.load`, which the store's reads do).
        """
        cls = self.class_of(recorded.type)
        if self.keyring is None:
            from eventstore.personal import KeyNotLoaded, sealed_subjects

            if sealed_subjects(recorded.data):
                raise KeyNotLoaded(f"{recorded.type} {recorded.event_id} holds sealed fields and no keyring is set")
            return recorded.data
        return open_fields(recorded.data, recorded.event_id, self.keyring.key, lambda f: erased_value(cls, f))

    def decode(self, recorded: RecordedEvent) -> EventClass:
        """The typed event of a stored record, personal fields opened, upcast to the current shape."""
        cls = self.class_of(recorded.type)
        return cls.model_validate(self.upcast(recorded.type, recorded.schema_version, self.open(recorded)))


def erased_value(cls: type[EventClass], field: str) -> Any:
    """What an erased field reads as: None where the field allows it, else an empty value of its type."""
    info = getattr(cls, "model_fields", {}).get(field)
    annotation = getattr(info, "annotation", None)
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union else (annotation,)
    if type(None) in options:
        return None
    for option in options:
        origin = typing.get_origin(option) or option
        if origin is str or typing.get_origin(option) is typing.Literal:
            return ERASED
        if origin is bool:
            return False
        if origin is int:
            return 0
        if origin in (dict, typing.Mapping):
            return {}
        if origin in (list, tuple, set, frozenset):
            return []
    return ERASED
