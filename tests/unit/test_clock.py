"""The one clock (adapters/clock.py): moved by SPLITS_CLOCK_OFFSET outside production only, and only forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import FixedClock, SystemClock, today
from adapters.settings import Settings
from adapters.startup import refusal

P90D = timedelta(days=90)


def settings(**overrides: object) -> Settings:
    """Settings a production process starts with (every provider simulated by name), changed by `overrides`."""
    complete: dict[str, object] = {
        "environment": "production", "splits_clerk_jwks_url": "https://clerk.example/.well-known/jwks.json",
        "splits_clerk_issuer": "https://clerk.example", "splits_clerk_secret_key": "sk_test_clerk",
        "app_clerk_jwks_url": None, "app_clerk_issuer": None, "splits_token_secret": "token-secret",
        "audit_signing_key": "audit-key", "splits_data_key": "data-key", "splits_payments": "simulated",
        "splits_email": "mailbox", "splits_ai": "local", "splits_dev_auth": False,
        "splits_clock_offset": timedelta(0),
    }
    return Settings(**(complete | overrides))  # type: ignore[arg-type]


def test_production_starts_with_its_clock_unmoved() -> None:
    assert refusal(settings()) is None


def test_production_refuses_a_clock_offset() -> None:
    refused = refusal(settings(splits_clock_offset=P90D))
    assert refused is not None
    assert "SPLITS_CLOCK_OFFSET moves the clock, which production never does" in refused
    assert refused.startswith("refusing to start (ENVIRONMENT=production)")


@pytest.mark.parametrize("environment", ["development", "test"])
def test_a_clock_moved_forward_is_accepted_outside_production(environment: str) -> None:
    assert refusal(settings(environment=environment, splits_clock_offset=P90D)) is None


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_a_negative_offset_is_refused_everywhere(environment: str) -> None:
    refused = refusal(settings(environment=environment, splits_clock_offset=-timedelta(days=1)))
    assert refused is not None and "SPLITS_CLOCK_OFFSET is negative: the clock only moves forward" in refused


def test_the_system_clock_runs_ahead_by_its_offset() -> None:
    before = datetime.now(UTC)
    moved = SystemClock(P90D).now()
    after = datetime.now(UTC)
    assert moved.tzinfo is not None and moved.utcoffset() == timedelta(0)
    assert before + P90D <= moved <= after + P90D
    assert after - before < timedelta(seconds=1)


def test_the_unmoved_system_clock_reads_the_machines_time() -> None:
    before = datetime.now(UTC)
    read = SystemClock().now()
    assert before <= read <= datetime.now(UTC)


def test_settings_read_the_offset_as_an_iso_8601_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPLITS_CLOCK_OFFSET", "P90D")
    assert Settings().splits_clock_offset == P90D
    monkeypatch.setenv("SPLITS_CLOCK_OFFSET", "PT36H")
    assert Settings().splits_clock_offset == timedelta(days=1, hours=12)
    monkeypatch.delenv("SPLITS_CLOCK_OFFSET")
    assert Settings().splits_clock_offset == timedelta(0)


def test_a_fixed_clock_stands_still_until_advanced() -> None:
    clock = FixedClock(datetime(2031, 12, 31, 23, 30, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2031, 12, 31, 23, 30, tzinfo=UTC)
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2032, 1, 1, 0, 30, tzinfo=UTC)
    assert today(clock).isoformat() == "2032-01-01"
