"""The append and replay suites measure personal data sealed beside the same work without it: the sealed store
really stores its fields sealed, the sealed replay rebuilds the very rows of the plain one, and each figure
comes with its baseline."""

from __future__ import annotations

import argparse

import psycopg
import pytest

from bench import append, replay


async def test_the_append_suite_appends_sealed_beside_ours(fresh_database_url: str) -> None:
    progress: list[str] = []
    report = await append.run(fresh_database_url, seconds=0.3, warmup=0, rounds=1, only=["existing/100ev/w1"],
                              say=progress.append)
    [case] = report["cases"]
    assert "errors" not in case, case.get("errors")
    assert case["sealed_events_per_s"] > 0 and case["events_per_s"] > 0
    assert case["ratio_sealed_vs_ours"] == pytest.approx(case["sealed_events_per_s"] / case["events_per_s"])
    assert case["appends"]["sealed"] > 0 and report["sealed_fields"] == ["title", "location", "salary"]
    assert "sealed" in progress[-1]
    async with await psycopg.AsyncConnection.connect(fresh_database_url) as conn:
        cur = await conn.execute(
            "SELECT count(*) FILTER (WHERE data->'title' ? '$pii' AND data->'salary' ? '$pii'),"
            " count(*) FILTER (WHERE jsonb_typeof(data->'title') = 'string') FROM eventstore.events")
        sealed, plain = await cur.fetchone()
    assert sealed >= case["appends"]["sealed"] and plain >= case["appends"]["ours"]


async def test_the_replay_suite_seals_the_events_and_replays_them_to_the_same_rows(fresh_database_url: str) -> None:
    parser = argparse.ArgumentParser()
    replay.add_arguments(parser)
    opts = parser.parse_args(["--events", "600", "--per-append", "100", "--batch-size", "250", "--profile-events", "0",
                              "--skip-unnest"])
    report = await replay.run(fresh_database_url, seconds=0, warmup=0, rounds=1, only=None, say=lambda _: None,
                              options=opts)
    plain, sealed = report["cases"]
    assert plain["rows_match"] and sealed["rows_match"], (plain["rows"], sealed["rows"])
    assert sealed["name"] == "replay_sealed" and sealed["baseline"]["name"] == "replay"
    assert sealed["ratio_vs_replay"] == pytest.approx(sealed["events_per_s"] / plain["events_per_s"])
    migration = sealed["seal_existing"]
    assert (migration["events_sealed"], migration["fields_sealed"], migration["streams"]) == (600, 600 * 3 - _no_location(600), 6)
    assert sealed["subjects"] == min(600, len(replay.COMPANIES)) and sealed["subject_per"] == "company"
    assert set(sealed["decode_us_per_event"]) == {"keyring.load (µs/event, one query per chunk)",
                                                  "registry.decode of a sealed event (open + model_validate)"}


def _no_location(n: int) -> int:
    """Events whose location is None (nothing to seal there), as `replay.rows` makes them."""
    return sum(1 for i in range(n) if replay.LOCATIONS[i % len(replay.LOCATIONS)] is None)
