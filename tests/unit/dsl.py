"""given / when / then for any Decider: fold `evolve` over the given events, then `decide`.

    given(job, created()).when(PublishJob(...)).then(JobStatusChanged(...))
    given(job).when(EditJob(...)).then_raises(NotFound)

Besides comparing, `then` checks what every decider owes its event store: each emitted event is
one of the decider's declared types, survives a JSON round trip unchanged, and can be evolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from commands.core import Command, Decider, Event


def given(decider: Decider[Any, Any, Any], *events: Event) -> Given:
    for event in events:
        assert isinstance(event, decider.events), f"{type(event).__name__} is not an event of {decider.stream_type}"
    return Given(decider, events)


@dataclass(frozen=True)
class Given:
    decider: Decider[Any, Any, Any]
    events: Sequence[Event]

    @property
    def state(self) -> Any:
        state = self.decider.initial_state()
        for event in self.events:
            state = self.decider.evolve(state, event)
        return state

    def when(self, command: Command) -> When:
        return When(self, command)


@dataclass(frozen=True)
class When:
    given: Given
    command: Command

    def then(self, *expected: Event) -> list[Event]:
        decider = self.given.decider
        state = self.given.state
        actual = list(decider.decide(self.command, state))
        assert actual == list(expected), _mismatch(expected, actual)
        for event in actual:
            assert isinstance(event, decider.events), f"{type(event).__name__} is not declared by the decider"
            assert type(event).model_validate_json(event.model_dump_json()) == event, f"{event!r} is not JSON-stable"
            state = decider.evolve(state, event)
        return actual

    def then_raises(self, error: type[BaseException], match: str | None = None) -> BaseException:
        with pytest.raises(error, match=match) as caught:
            self.given.decider.decide(self.command, self.given.state)
        return caught.value


def _mismatch(expected: Sequence[Event], actual: Sequence[Event]) -> str:
    lines = ["decided events differ", "expected:"]
    lines += [f"  {e!r}" for e in expected] or ["  (none)"]
    lines += ["actual:"]
    lines += [f"  {e!r}" for e in actual] or ["  (none)"]
    return "\n".join(lines)
