"""Consumer status on the real PostgreSQL: lag, state and the Prometheus gauges, in hand-built situations."""

from __future__ import annotations

import json
from uuid import uuid4

from prometheus_client import CollectorRegistry
from rich.console import Console

from consumers.runtime.status import LAG_CAP, export_metrics, forget_stopped_relays, read_status, render_table, report
from eventstore import NO_STREAM, START, EventStore, RecordedEvent, save_checkpoint
from tests.helpers import feed_settled, job_created


async def append_jobs(store: EventStore, n: int) -> list[RecordedEvent]:
    """`n` JobCreated events, one append each; returns the whole feed in order."""
    for _ in range(n):
        job_id = uuid4()
        await store.append(f"job-{job_id}", [store.registry.encode(job_created(job_id))], NO_STREAM)
    await feed_settled(store)  # lag counts only what the feed can hand out: wait for the whole of it
    return await store.feed(START, 10_000)


async def checkpoint(store: EventStore, name: str, event: RecordedEvent, stream_offset: int | None = None) -> None:
    async with store.pool.connection() as conn:
        await save_checkpoint(conn, name, event.position, stream_offset)


async def backdate_events(store: EventStore, events: list[RecordedEvent], seconds: float) -> None:
    async with store.pool.connection() as conn:
        await conn.execute(
            "UPDATE eventstore.events SET recorded_at = now() - make_interval(secs => %s) WHERE event_id = ANY(%s)",
            (seconds, [e.event_id for e in events]),
        )


async def backdate_report(store: EventStore, name: str, seconds: float) -> None:
    async with store.pool.connection() as conn:
        await conn.execute(
            "UPDATE eventstore.consumer_status SET updated_at = now() - make_interval(secs => %s) WHERE name = %s",
            (seconds, name),
        )


async def test_consumer_behind_the_head_shows_lag_in_events_and_seconds(fresh_store) -> None:
    store = fresh_store
    feed = await append_jobs(store, 10)
    await backdate_events(store, feed[:4], 600)  # handled already: must not count towards the lag's age
    await backdate_events(store, feed[4:5], 300)  # the oldest event still to handle
    await backdate_events(store, feed[5:], 100)
    await checkpoint(store, "projection:ats", feed[3])
    await report(store.pool, "projection:ats", "projection", "live", "applied 4")

    status = await read_status(store.pool)

    ats = status.consumer("projection:ats")
    assert ats is not None
    assert (ats.kind, ats.state, ats.detail, ats.up) == ("projection", "live", "applied 4", True)
    assert ats.position == str(feed[3].position)
    assert ats.lag_events == 6 and not ats.lag_capped
    assert 299 <= ats.lag_seconds < 330
    assert status.head == feed[-1].position


async def test_caught_up_consumer_shows_no_lag(fresh_store) -> None:
    store = fresh_store
    feed = await append_jobs(store, 5)
    await backdate_events(store, feed, 500)
    await checkpoint(store, "relay", feed[-1])
    await report(store.pool, "relay", "relay", "live")

    relay = (await read_status(store.pool)).consumer("relay")

    assert relay is not None
    assert (relay.lag_events, relay.lag_seconds, relay.state) == (0, 0.0, "live")


async def test_stale_report_shows_stopped(fresh_store) -> None:
    store = fresh_store
    feed = await append_jobs(store, 3)
    await checkpoint(store, "reactor:mailer", feed[0])
    await report(store.pool, "reactor:mailer", "reactor", "live", "handled 1")
    await backdate_report(store, "reactor:mailer", 60)

    stale = (await read_status(store.pool, stale_after_s=15)).consumer("reactor:mailer")
    lenient = (await read_status(store.pool, stale_after_s=120)).consumer("reactor:mailer")

    assert stale is not None and lenient is not None
    assert (stale.state, stale.reported_state, stale.up) == ("stopped", "live", False)
    assert 59 <= stale.reported_age_s < 90
    assert stale.lag_events == 2  # a stopped consumer still shows how far behind it is
    assert lenient.state == "live"


async def test_failed_consumer_shows_error_with_its_detail(fresh_store) -> None:
    store = fresh_store
    feed = await append_jobs(store, 2)
    await checkpoint(store, "projection:ats", feed[0])
    await report(store.pool, "projection:ats", "projection", "live")
    await report(store.pool, "projection:ats", "projection", "error", "OperationalError('[Errno 111] refused')")

    status = await read_status(store.pool)

    assert [c.name for c in status.consumers] == ["projection:ats"]  # the second report replaced the first
    ats = status.consumers[0]
    assert (ats.state, ats.detail, ats.up) == ("error", "OperationalError('[Errno 111] refused')", False)


async def test_checkpoint_without_report_shows_never_reported_and_report_without_checkpoint_has_no_lag(fresh_store) -> None:
    store = fresh_store
    feed = await append_jobs(store, 4)
    await checkpoint(store, "relay", feed[1])
    await report(store.pool, "reactor:ai_review", "reactor", "live")

    status = await read_status(store.pool)

    relay, reactor = status.consumer("relay"), status.consumer("reactor:ai_review")
    assert relay is not None and reactor is not None
    assert (relay.kind, relay.state, relay.lag_events) == ("relay", "never reported", 2)
    assert (reactor.kind, reactor.state, reactor.position, reactor.lag_events, reactor.lag_seconds) == (
        "reactor", "live", None, None, None
    )


async def test_lag_count_stops_at_the_cap(fresh_store) -> None:
    store = fresh_store
    feed = await append_jobs(store, 10)
    await checkpoint(store, "projection:ats", feed[0])

    capped = (await read_status(store.pool, lag_cap=3)).consumer("projection:ats")
    full = (await read_status(store.pool)).consumer("projection:ats")

    assert capped is not None and full is not None
    assert (capped.lag_events, capped.lag_capped) == (3, True)
    assert (full.lag_events, full.lag_capped) == (9, False)
    assert LAG_CAP == 1_000_000


async def test_export_metrics_sets_gauges_and_drops_consumers_that_are_gone(fresh_store) -> None:
    store = fresh_store
    feed = await append_jobs(store, 8)
    await checkpoint(store, "projection:ats", feed[4])
    await checkpoint(store, "relay", feed[-1])
    await report(store.pool, "projection:ats", "projection", "catching up")
    await report(store.pool, "relay", "relay", "live")
    await report(store.pool, "reactor:mailer", "reactor", "error", "boom")
    registry = CollectorRegistry()

    export_metrics(await read_status(store.pool), registry)

    def sample(metric: str, consumer: str | None = None) -> float | None:
        return registry.get_sample_value(metric, {"consumer": consumer} if consumer else {})

    assert sample("splits_consumer_lag_events", "projection:ats") == 3
    assert sample("splits_consumer_lag_seconds", "projection:ats") >= 0
    assert sample("splits_consumer_lag_events", "relay") == 0
    assert sample("splits_consumer_up", "projection:ats") == 1
    assert sample("splits_consumer_up", "relay") == 1
    assert sample("splits_consumer_up", "reactor:mailer") == 0
    assert sample("splits_consumer_lag_events", "reactor:mailer") is None  # no checkpoint, no lag series
    assert sample("splits_feed_head_position") == feed[-1].position.pos

    # A second export on the same registry updates in place; a consumer gone from the report goes too.
    async with store.pool.connection() as conn:
        await conn.execute("DELETE FROM eventstore.consumer_status WHERE name = 'reactor:mailer'")
    await checkpoint(store, "projection:ats", feed[-1])
    export_metrics(await read_status(store.pool), registry)

    assert sample("splits_consumer_lag_events", "projection:ats") == 0
    assert sample("splits_consumer_up", "reactor:mailer") is None
    other = CollectorRegistry()
    export_metrics(await read_status(store.pool), other)  # registries are independent: no duplicate error
    assert other.get_sample_value("splits_consumer_up", {"consumer": "relay"}) == 1


async def test_report_with_dead_letters_is_json_ready_and_rendered(fresh_store) -> None:
    store = fresh_store
    feed = await append_jobs(store, 3)
    await checkpoint(store, "reactor:mailer", feed[0])
    await report(store.pool, "reactor:mailer", "reactor", "live", "[Errno 111] kept as text")
    status = await read_status(store.pool)
    status.dead_letters = {"mailer": 2, "payouts": 1}

    data = json.loads(json.dumps(status.as_dict()))
    console = Console(record=True, width=250)
    console.print(render_table(status))
    text = console.export_text()

    assert data["head"] == str(feed[-1].position)
    assert data["dead_letters"] == {"mailer": 2, "payouts": 1}
    assert data["consumers"][0] | {"reported_age_s": None} == {
        "name": "reactor:mailer", "kind": "reactor", "position": str(feed[0].position), "lag_events": 2,
        "lag_events_capped": False, "lag_seconds": data["consumers"][0]["lag_seconds"], "state": "live", "up": True,
        "detail": "[Errno 111] kept as text", "reported_state": "live", "reported_age_s": None,
        "queue_depth": None, "oldest_message_age_s": 0.0,
    }
    mailer_line = next(line for line in text.splitlines() if "reactor:mailer" in line)
    assert "live" in mailer_line and " 2 " in mailer_line and "[Errno 111] kept as text" in mailer_line
    assert any("reactor:payouts" in line and " 1 " in line for line in text.splitlines())
    assert f"feed head {feed[-1].position}" in text


async def test_each_relay_process_has_its_own_row_and_the_checkpoint_names_the_leader(fresh_store) -> None:
    store = fresh_store
    feed = await append_jobs(store, 3)
    await checkpoint(store, "relay", feed[-1])
    await report(store.pool, "relay@host-a:11", "relay", "live", "published 3")
    await report(store.pool, "relay@host-b:22", "relay", "standby", "published 0")

    status = await read_status(store.pool)
    assert [(c.name, c.state) for c in status.consumers if c.kind == "relay"] == [
        ("relay", "live"), ("relay@host-a:11", "live"), ("relay@host-b:22", "standby")]
    relay = status.consumer("relay")
    assert relay is not None and relay.detail == "leader host-a:11" and relay.lag_events == 0 and relay.up

    await backdate_report(store, "relay@host-a:11", 60)  # the leader died; the standby has not taken over yet
    status = await read_status(store.pool)
    assert status.consumer("relay@host-a:11").state == "stopped"
    relay = status.consumer("relay")
    assert (relay.state, relay.detail, relay.up) == ("no leader", "1 standby, no leader", False)

    await backdate_report(store, "relay@host-a:11", 3600)
    await forget_stopped_relays(store.pool)  # long gone: its row goes, the standby's stays
    assert [c.name for c in (await read_status(store.pool)).consumers if c.kind == "relay"] == [
        "relay", "relay@host-b:22"]
