"""Sentry is off without a DSN, and with one an unexpected error reaches it (a local fake) as problem+json 500."""

from __future__ import annotations

import httpx
import sentry_sdk
from fastapi import FastAPI

from api.problems import install_problem_handlers
from adapters.sentry import init_sentry
from adapters.settings import Settings
from tests.fakes.sentry import fake_sentry


def test_without_dsn_sentry_stays_off() -> None:
    assert init_sentry(Settings(sentry_dsn=None)) is False
    assert not sentry_sdk.get_client().dsn


async def test_unexpected_error_reaches_sentry_and_the_caller_gets_a_problem() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/explode")
    async def explode() -> None:
        raise ZeroDivisionError("the provider answered nonsense")

    with fake_sentry() as sentry:
        assert init_sentry(Settings(sentry_dsn=sentry.dsn, sentry_release="splits@test", environment="test"))
        try:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://splits") as client:
                answer = await client.get("/explode")
            sentry_sdk.flush(timeout=5)
        finally:
            sentry_sdk.init(dsn=None)
        assert answer.status_code == 500 and answer.headers["content-type"] == "application/problem+json"
        errors = sentry.exceptions()
        assert errors and errors[0]["exception"]["values"][-1]["type"] == "ZeroDivisionError"
        assert errors[0]["release"] == "splits@test" and errors[0]["environment"] == "test"
