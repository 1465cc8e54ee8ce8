"""Faults injected below our code, in PostgreSQL itself: a test that needs a run to stop between two of its
writes makes the database refuse the second one, once, and runs the same code again."""

from __future__ import annotations

import re

from eventstore import EventStore


async def crash_once_at(store: EventStore, event_type: str) -> None:
    """The first append of an event of `event_type` in the test's database fails (the rest are stored).

    A trigger refuses the insert while a sequence, which a rollback does not undo, counts its first use:
    the append's transaction fails as if the process had died there, and the next attempt goes through."""
    if not re.fullmatch(r"[A-Za-z]+", event_type):
        raise ValueError(f"not an event type name: {event_type!r}")
    name = f"test_crash_{event_type.lower()}"
    async with store.pool.connection() as conn:
        await conn.execute(f"""
            CREATE SEQUENCE {name};
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('{name}') = 1 THEN
                    RAISE EXCEPTION 'injected crash before storing {event_type}';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {name} BEFORE INSERT ON eventstore.events
                FOR EACH ROW WHEN (NEW.type = '{event_type}') EXECUTE FUNCTION {name}();
        """)
