"""Every event type of every context, for the event store's registry."""

from __future__ import annotations

from commands.ats import events as ats_events
from commands.identity import events as identity_events
from commands.core import Event


def all_event_classes() -> list[type[Event]]:
    found: list[type[Event]] = []
    for module in (ats_events, identity_events):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Event) and value is not Event and value.__module__ == module.__name__:
                found.append(value)
    return found
