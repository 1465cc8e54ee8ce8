"""The event store on PostgreSQL: append, stream reads, the gap-safe ordered feed, checkpoints, handle."""

from eventstore.checkpoints import Checkpoint, CheckpointMovedBack, delete_checkpoint, load_checkpoint, save_checkpoint
from eventstore.db import advisory_key, connect, create_pool
from eventstore.handle import CommandResult, handle, load, loads_reused, new_stream, stream_id_for
from eventstore.hashing import ChainProblem, Unstorable, canonical_json, storable, verify_chain
from eventstore.personal import KeyNotLoaded, Keyring, SubjectErased, generate_kek, parse_keks
from eventstore.migrate import Migration, eventstore_migrations, migrate
from eventstore.registry import EventRegistry, MissingUpcaster, UnknownEventType
from eventstore.store import AppendContended, AppendRaced, Conflict, EventIdReused, EventStore, read_feed, read_head
from eventstore.types import (
    ANY_VERSION,
    NO_STREAM,
    START,
    AppendResult,
    Metadata,
    NewEvent,
    Position,
    RecordedEvent,
    stream_type_of,
)

__all__ = [
    "ANY_VERSION", "AppendContended", "AppendRaced", "advisory_key", "NO_STREAM", "START", "AppendResult", "ChainProblem", "Checkpoint", "CheckpointMovedBack",
    "CommandResult", "Conflict", "Unstorable", "storable", "KeyNotLoaded", "Keyring", "SubjectErased", "generate_kek", "parse_keks", "EventIdReused", "EventRegistry", "EventStore", "Metadata", "Migration",
    "MissingUpcaster", "NewEvent", "Position", "RecordedEvent", "UnknownEventType", "canonical_json", "connect",
    "create_pool", "delete_checkpoint", "eventstore_migrations", "handle", "load", "loads_reused", "new_stream", "load_checkpoint", "migrate",
    "read_feed", "read_head", "save_checkpoint", "stream_id_for", "stream_type_of", "verify_chain",
]
