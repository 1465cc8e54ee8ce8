"""Metrics on the public port: fee totals, payout counts and every route's traffic were anyone's to read.

Now the public app answers 404 for `/metrics`, and the exposition is served on the internal listener
(METRICS_PORT) of `splits api` and of `splits consumers`, where Prometheus scrapes it.
"""

from __future__ import annotations

import asyncio

import httpx

from infra.bootstrap import system_for
from adapters.settings import Settings
from tests.security.live import free_port, splits_api


async def test_the_public_port_has_no_metrics_and_the_internal_port_has_them(fresh_store) -> None:
    async with splits_api(fresh_store, metrics_port=free_port()) as settings:
        async with httpx.AsyncClient(timeout=10) as client:
            public = f"http://127.0.0.1:{settings.port}"
            assert (await client.get(f"{public}/health")).status_code == 200
            stranger = await client.get(f"{public}/metrics")
            scraped = await client.get(f"http://127.0.0.1:{settings.metrics_port}/metrics")
            nothing_else = await client.get(f"http://127.0.0.1:{settings.metrics_port}/v1/jobs")
    assert stranger.status_code == 404
    assert "splits_" not in stranger.text
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    assert 'splits_http_requests_total{method="GET",route="/health",status="200"}' in scraped.text
    assert "splits_marketplace_" in scraped.text
    assert nothing_else.status_code == 404  # the internal listener serves metrics and nothing else


async def test_without_a_metrics_port_no_metrics_are_served_at_all(fresh_store) -> None:
    async with splits_api(fresh_store) as settings, httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(f"http://127.0.0.1:{settings.port}/metrics")).status_code == 404


async def test_the_consumers_process_serves_its_gauges_on_the_metrics_port(fresh_store) -> None:
    from infra.cli import _serve_metrics

    settings = Settings(database_url=fresh_store.pool.conninfo, host="127.0.0.1", metrics_port=free_port())
    system = system_for(settings, fresh_store)
    stop = asyncio.Event()
    task = asyncio.create_task(_serve_metrics(system, stop))
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(250):
                try:
                    scraped = await client.get(f"http://127.0.0.1:{settings.metrics_port}/metrics")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert scraped.status_code == 200
    assert "splits_marketplace_" in scraped.text and "splits_http_requests" not in scraped.text
