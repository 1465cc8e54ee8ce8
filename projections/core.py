"""What a projection is: a read schema's DDL and one handler per event type, each returning SQL.

Handlers are pure: they turn one typed event into the statements that bring the read tables up to
date, and never touch a connection. Table names are unqualified: the runtime sets the search path
to the schema being written (the live one, or a shadow one during a rebuild).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Sql:
    text: str
    params: tuple[Any, ...] | dict[str, Any] = ()


HandlerResult = Sql | Iterable[Sql] | None


@dataclass
class Projection:
    """A read schema kept from the event log. `name` is its live schema and its checkpoint's name."""

    name: str
    ddl: list[str]
    handlers: dict[str, Callable[[Any], HandlerResult]] = field(default_factory=dict)
    event_classes: dict[str, type] = field(default_factory=dict)
    also: dict[str, list[Callable[[Any], HandlerResult]]] = field(default_factory=dict)

    def handles(self, event_class: type) -> Callable[[Callable[[Any], HandlerResult]], Callable[[Any], HandlerResult]]:
        """Register the handler of one event type: `@projection.handles(JobCreated)`."""

        def register(handler: Callable[[Any], HandlerResult]) -> Callable[[Any], HandlerResult]:
            name = event_class.type_name()  # type: ignore[attr-defined]
            if self.handlers.get(name, _nothing) is not _nothing:
                raise ValueError(f"projection {self.name} already handles {name}")
            self.handlers[name] = handler
            self.event_classes[name] = event_class
            return handler

        return register

    def also_handles(
        self, event_class: type
    ) -> Callable[[Callable[[Any], HandlerResult]], Callable[[Any], HandlerResult]]:
        """Register a second reader of an event type another module of this projection already handles (or
        may handle): a log kept beside the tables, such as an activity feed. Its statements run after the main
        handler's, in the order the readers were registered; `handles` stays one per type."""

        def register(handler: Callable[[Any], HandlerResult]) -> Callable[[Any], HandlerResult]:
            name = event_class.type_name()  # type: ignore[attr-defined]
            self.also.setdefault(name, []).append(handler)
            self.handlers.setdefault(name, _nothing)
            self.event_classes[name] = event_class
            return handler

        return register

    def sql_for(self, event: Any, type_name: str) -> list[Sql]:
        handler = self.handlers.get(type_name)
        if handler is None:
            return []
        statements: list[Sql] = []
        for each in (handler, *self.also.get(type_name, ())):
            result = each(event)
            if result is not None:
                statements += [result] if isinstance(result, Sql) else list(result)
        return statements


def _nothing(_event: Any) -> HandlerResult:
    """The main handler of a type only `also_handles` reads, until (if ever) a module `handles` it."""
    return None
