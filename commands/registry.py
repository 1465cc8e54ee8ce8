"""Every event type of every context, for the event store's registry.

Found by walking the `commands` package: each module named `events` or `*_events` holds the events
of its context (the package it sits in), defined there and nowhere else.
"""

from __future__ import annotations

import importlib
import pkgutil

import commands
from commands.core import Event


def event_modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.walk_packages(commands.__path__, prefix="commands.")
        if info.name.rsplit(".", 1)[-1] == "events" or info.name.endswith("_events")
    )


def all_event_classes() -> list[type[Event]]:
    found: list[type[Event]] = []
    for name in event_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Event) and value is not Event and value.__module__ == name:
                found.append(value)
    names = [cls.type_name() for cls in found]
    if duplicates := sorted({n for n in names if names.count(n) > 1}):
        raise RuntimeError(f"event type names must be unique across contexts: {duplicates}")
    return found
