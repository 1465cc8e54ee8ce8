"""Sentry, switched on only when SENTRY_DSN is set."""

from __future__ import annotations

import sentry_sdk

from adapters.settings import Settings


def init_sentry(settings: Settings) -> bool:
    """Initialise the Sentry SDK from the settings; False (and nothing sent, ever) without a DSN.

    The FastAPI, logging and httpx integrations switch themselves on. Personal data is not sent, and
    tracing is off: Prometheus covers latency.
    """
    if not settings.sentry_dsn:
        return False
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        release=settings.sentry_release,
        environment=settings.environment,
        traces_sample_rate=0.0,
    )
    return True
