"""The OpenAPI document and the event catalogue are what clients and the stored history hold us to: a change of
code that is not meant to change behaviour (a restructuring) leaves both exactly as they were frozen. A change
that is meant is frozen again in the same commit (`python -m tests.contract.frozen --write`)."""

from __future__ import annotations

import json

from tests.contract.frozen import EVENTS, OPENAPI, dumps, events_now, openapi_now

HOW = "if the change is meant, freeze it again: .venv/bin/python -m tests.contract.frozen --write"


def _differences(frozen: dict, now: dict) -> list[str]:
    gone = sorted(set(frozen) - set(now))
    added = sorted(set(now) - set(frozen))
    changed = sorted(k for k in set(frozen) & set(now) if dumps(frozen[k]) != dumps(now[k]))
    return [f"gone: {gone}", f"added: {added}", f"changed: {changed}"]


def test_the_openapi_document_is_the_frozen_one() -> None:
    frozen, now = json.loads(OPENAPI.read_text()), json.loads(dumps(openapi_now()))
    assert now == frozen, f"paths {_differences(frozen['paths'], now['paths'])}, schemas " \
                          f"{_differences(frozen['components']['schemas'], now['components']['schemas'])}; {HOW}"


def test_the_event_types_are_the_frozen_ones() -> None:
    frozen, now = json.loads(EVENTS.read_text()), json.loads(dumps(events_now()))
    assert now == frozen, f"{_differences(frozen, now)}; {HOW}"
