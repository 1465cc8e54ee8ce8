"""The command loop: load the stream, decide, append with the loaded version; retry on conflict."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventstore.registry import EventClass, EventRegistry
from eventstore.store import Conflict, EventStore
from eventstore.types import Metadata, Position

# Derived event ids for commands sent with an idempotency key: the same key, command and position on the
# same stream give the same ids, so a retried command finds its first result instead of acting twice, while
# the other commands of the same request (another type, or the same type again) get ids of their own.
_IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "splits:idempotency")


class DeciderLike(Protocol):
    stream_type: str
    initial_state: Callable[[], Any]
    evolve: Callable[[Any, Any], Any]
    decide: Callable[[Any, Any], Sequence[Any]]
    events: tuple[type[EventClass], ...]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a handled command did: the stream's version after it and the consistency token to wait for.

    `position` is None only when the stream has no events (a no-op on an empty stream).
    """

    stream_id: str
    version: int
    position: Position | None
    event_types: tuple[str, ...] = ()
    duplicate: bool = False

    @property
    def token(self) -> str | None:
        return None if self.position is None else str(self.position)


def stream_id_for(decider: DeciderLike, entity_id: UUID | str) -> str:
    return f"{decider.stream_type}-{entity_id}"


def command_discriminator(stream_id: str, command: Any, metadata: Metadata) -> str:
    """What tells this command apart from the others sent under the same idempotency key: its type, and its
    position among the commands of that type the request has sent on this stream (`Metadata.commands`;
    0 when nothing counts them)."""
    kind = type(command).__name__
    return f"{kind}#{metadata.commands.next(stream_id, kind) if metadata.commands is not None else 0}"


def idempotent_event_id(stream_id: str, metadata: Metadata, command: str, index: int) -> UUID:
    """The id of the `index`th event of `command` (a `command_discriminator`) sent with `metadata`'s key."""
    return uuid5(_IDEMPOTENCY_NAMESPACE,
                 f"{stream_id}\n{metadata.actor}\n{metadata.idempotency_key}\n{command}\n{index}")


Loaded = tuple[Any, int, Position | None]

# Streams loaded in this scope and not yet commanded: (decider, stream id) → what `load` folded.
_loaded: ContextVar[dict[tuple[int, str], Loaded] | None] = ContextVar("splits_loaded_streams", default=None)


@contextmanager
def loads_reused() -> Iterator[None]:
    """Within this block (one API request) a command decides on the state its route already loaded.

    A route loads the entity to check the caller's rights on it, then `handle` would read the same stream
    again to decide. Here `load` remembers what it folded, and the first attempt of the next `handle` on
    that stream decides on it and appends with its version: a write in between is a version conflict, and
    the retry reads the stream afresh. The check and the decision then see the same state, one read apart
    from none. Each remembered load serves one command.
    """
    token = _loaded.set({})
    try:
        yield
    finally:
        _loaded.reset(token)


async def load(store: EventStore, decider: DeciderLike, stream_id: str) -> Loaded:
    """Fold the stream into the decider's state: (state, version, position of its last event)."""
    registry = _registry(store, decider)
    state = decider.initial_state()
    recorded = await store.read_stream(stream_id)
    for event in recorded:
        state = decider.evolve(state, registry.decode(event))
    loaded: Loaded = (state, 0, None) if not recorded else (state, recorded[-1].version, recorded[-1].position)
    remembered = _loaded.get()
    if remembered is not None:
        remembered[(id(decider), stream_id)] = loaded
    return loaded


def _reuse(decider: DeciderLike, stream_id: str) -> Loaded | None:
    remembered = _loaded.get()
    return None if remembered is None else remembered.pop((id(decider), stream_id), None)


def new_stream(decider: DeciderLike) -> Loaded:
    """What `load` gives for a stream that does not exist: for `handle(..., loaded=)` on an id just minted."""
    return decider.initial_state(), 0, None

async def state_as_of(store: EventStore, decider: DeciderLike, entity_id: UUID, before: Position, *,
                 including: bool = False) -> Any:
    """The entity's state from the events recorded before `before` in the feed (or up to it, `including`)."""
    assert store.registry is not None
    state = decider.initial_state()
    for event in await store.read_stream(stream_id_for(decider, entity_id)):
        if event.position > before or (event.position == before and not including):
            continue
        state = decider.evolve(state, store.registry.decode(event))
    return state


async def handled_before(store: EventStore, decider: DeciderLike, entity_id: UUID | str, command_type: type,
                         metadata: Metadata, position: int = 0) -> CommandResult | None:
    """What the `position`th command of `command_type` sent with `metadata`'s idempotency key recorded on the
    entity's stream, if it recorded anything: how a route whose rules would refuse the command now (its first
    run having changed the state) tells a retried request from a new one. None without a key."""
    if metadata.idempotency_key is None:
        return None
    stream_id = stream_id_for(decider, entity_id)
    first = await store.find_append(idempotent_event_id(stream_id, metadata, f"{command_type.__name__}#{position}", 0))
    return None if first is None else CommandResult(stream_id, first.version, first.position, duplicate=True)


async def handle(
    store: EventStore,
    decider: DeciderLike,
    entity_id: UUID | str,
    command: Any,
    metadata: Metadata | None = None,
    *,
    expected_version: int | None = None,
    max_attempts: int = 5,
    loaded: Loaded | None = None,
) -> CommandResult:
    """Run `command` against the entity's stream: load → decide → append with the loaded version.

    A version conflict means another writer got in between; since `decide` is pure, deciding again
    on the fresh state is safe, up to `max_attempts` times, after which `Conflict` is raised. Domain
    errors from `decide` propagate unchanged. With `metadata.idempotency_key` set, a retried command
    returns the first run's result (`duplicate=True`) without deciding again. The key is per command, not
    per request: each command derives its event ids from the key, its type and its position among the
    request's commands of that type on the stream, so a request sending several commands under one key
    records each of them, and its retry meets every one's first result.

    `expected_version` is the version the caller based its command on (e.g. an HTTP `If-Match`): when
    the stream has moved past it, `Conflict` is raised at once instead of deciding on newer state.

    `loaded` (or, inside `loads_reused`, the route's own `load` of the stream) is the state the first attempt
    decides on instead of reading the stream; `new_stream(decider)` for an id the caller just minted.
    """
    metadata = metadata or Metadata()
    stream_id = stream_id_for(decider, entity_id)
    registry = _registry(store, decider)
    keyed = metadata.idempotency_key is not None
    which = command_discriminator(stream_id, command, metadata) if keyed else ""
    if keyed:
        first = await store.find_append(idempotent_event_id(stream_id, metadata, which, 0))
        if first is not None:
            return CommandResult(stream_id, first.version, first.position, duplicate=True)

    conflict: Conflict | None = None
    reused = _reuse(decider, stream_id)
    loaded = loaded or reused
    for _ in range(max_attempts):
        if loaded is not None:
            (state, version, position), loaded = loaded, None
        else:
            state, version, position = await load(store, decider, stream_id)
            _reuse(decider, stream_id)  # this load is the command's own
        if expected_version is not None and version != expected_version:
            raise Conflict(stream_id, expected_version, version)
        events = list(decider.decide(command, state))
        if not events:
            return CommandResult(stream_id, version, position)
        new = [
            registry.encode(e, idempotent_event_id(stream_id, metadata, which, i) if keyed else None)
            for i, e in enumerate(events)
        ]
        try:
            appended = await store.append(stream_id, new, version, metadata)
        except Conflict as exc:
            conflict = exc
            continue
        return CommandResult(
            stream_id,
            appended.version,
            appended.position,
            tuple(e.type for e in new),
            duplicate=appended.duplicate,
        )
    assert conflict is not None
    raise conflict


def _registry(store: EventStore, decider: DeciderLike) -> EventRegistry:
    if store.registry is None:
        store.registry = EventRegistry(keyring=store.keyring)
    for cls in decider.events:
        if cls.type_name() not in store.registry:
            store.registry.register(cls)
    return store.registry
