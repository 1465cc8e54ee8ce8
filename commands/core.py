"""The shared vocabulary of the write side: events, commands, deciders and domain errors.

Nothing here does I/O. A decider is three pure functions; time, prices and anything else that
would need a lookup arrive inside the command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class Personal:
    """Which fields of an event hold personal data, and whose they are (the subject).

    The subject is ``<kind>:<id>``: `kind` names what the person is to us (user, candidate, recruiter,
    contact, application, document …) and `key` the field holding the id. Where the id depends on the
    data, `subject_of` computes the whole subject instead. The event store seals these fields with the
    subject's data key; erasing the subject makes them read as erased (see `eventstore.personal`).
    """

    fields: tuple[str, ...]
    kind: str = ""
    key: str = ""
    subject_of_data: Callable[[Mapping[str, Any]], str | None] | None = None
    # A second subject whose erasure also makes these fields unreadable, as `(kind, key)`: a notification's
    # words are its recipient's and, through `notification:<id>`, the person it tells about's.
    also: tuple[str, str] | None = None

    def subject_of(self, data: Mapping[str, Any]) -> str | None:
        if self.subject_of_data is not None:
            return self.subject_of_data(data)
        ident = data.get(self.key)
        return None if ident is None else f"{self.kind}:{ident}"

    def also_of(self, data: Mapping[str, Any]) -> str | None:
        if self.also is None:
            return None
        ident = data.get(self.also[1])
        return None if ident is None else f"{self.also[0]}:{ident}"


class Event(BaseModel):
    """A fact that happened. Its type name is the class name; its shape is versioned.

    `schema_version` is the version of the shape this class describes. When the shape changes,
    bump it and add an upcaster from the previous version: `upcasters[n]` turns the data of
    version n into the data of version n + 1. Stored events are never rewritten.

    `personal` declares the fields that hold a person's data and whose they are; `not_personal`
    names the fields that look personal (a name, a text) but are not (a company's name, a job title),
    so that a test can hold every event type to a declaration.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: ClassVar[int] = 1
    upcasters: ClassVar[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {}
    personal: ClassVar[Personal | None] = None
    not_personal: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


class Command(BaseModel):
    """An intention, in the imperative. Validated on construction; immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class DomainError(Exception):
    """Base of every error a decider raises. `code` is stable and machine-readable."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class NotYetRecorded(NotFound):
    """The command names something a record of ours will hold but does not yet (an outside system answered
    before we recorded what it made): whoever sent it should send it again later."""

    code = "not_yet_recorded"


class RuleViolation(DomainError):
    code = "rule_violation"


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class Invalid(DomainError):
    code = "invalid"


S = TypeVar("S")
C = TypeVar("C", bound=Command)
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Decider(Generic[C, E, S]):
    """An aggregate as three pure functions (initial_state, evolve, decide) and the events it emits."""

    stream_type: str
    initial_state: Callable[[], S]
    evolve: Callable[[S, E], S]
    decide: Callable[[C, S], Sequence[E]]
    events: tuple[type[E], ...]
