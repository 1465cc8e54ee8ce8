"""The console's consumers page in Chromium: the same positions and states as `GET /admin/status` for the same
system, the relay's leader and standby, the lag chart drawn from recorded samples, refreshed in place; refused
to anyone but an operator."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import aio_pika
import httpx

from consumers.runtime.lag_history import LAG_SAMPLE_S, bucket_of, lag_history, record_sample
from consumers.runtime.status import ConsumerStatus, StatusReport, read_status
from eventstore import EventStore
from infra.bootstrap import system_for
from tests.api import running_consumers
from tests.conftest import RABBITMQ_URL
from tests.helpers import wait_until
from tests.integration.operations.browser import NOT_AN_OPERATOR, OPERATOR, console_browser, console_settings, console_site
from tests.integration.runtime.test_status import append_jobs

RUNNING = {"relay", "ats", "network", "billing", "placements", "notifier", "billing-snapshots"}
SAMPLED = 100  # past samples recorded before the page is opened, one per bucket


def admin(clerk_user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev:{clerk_user_id}"}


async def record_past_lag(store: EventStore, now, names: list[str]) -> None:
    """`SAMPLED` samples for the buckets before `now`'s, as the sampler would have written them: lag that rose
    and fell (a backlog worked off), different for each consumer."""
    head = (await read_status(store.pool)).head
    for k in range(SAMPLED, 0, -1):
        at = bucket_of(now) - timedelta(seconds=k * LAG_SAMPLE_S)
        consumers = []
        for i, name in enumerate(names):
            wave = max(0.0, math.sin((k + 7 * i) / 9)) * (40 + 150 * i)
            consumers.append(ConsumerStatus(name, name.partition(":")[0], "0/0", int(wave), wave / 20, "live"))
        await record_sample(store.pool, StatusReport(head, consumers), at)


def shown(status: dict[str, Any]) -> dict[str, tuple[str | None, str]]:
    """What the page must agree with: each consumer's position and state (the relay processes apart)."""
    return {c["name"]: (c["position"], c["state"]) for c in status["consumers"] if not c["name"].startswith("relay@")}


async def settled_status(client: httpx.AsyncClient) -> dict[str, Any]:
    """`GET /admin/status` once every running consumer is live and the relay has a leader and a standby."""
    answer: dict[str, Any] = {}

    async def ready() -> bool:
        nonlocal answer
        answer = (await client.get("/admin/status", headers=admin(OPERATOR))).json()
        states = {c["name"]: c["state"] for c in answer["consumers"]}
        relays = sorted(state for name, state in states.items() if name.startswith("relay@"))
        return relays == ["live", "standby"] and all(
            states.get(name) == "live" for name in ("relay", "projection:ats", "reactor:placements", "reactor:notifier"))

    await wait_until(ready, timeout=60)
    return answer


async def test_the_consumers_page_shows_the_admin_status_the_relay_and_the_lag_chart(fresh_store, topology, amqp,
                                                                                      tmp_path: Path):
    store = fresh_store
    settings = console_settings(store, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix,
                                instance_id="consumers-0")
    await append_jobs(store, 40)
    async with console_site(store, settings, consumers=RUNNING) as (base_url, client, system):
        standby = system_for(settings.model_copy(update={"instance_id": "consumers-1"}), store)
        async with running_consumers(standby, only={"relay"}):
            await settled_status(client)
            sampled = ["projection:ats", "projection:billing", "projection:identity", "reactor:notifier",
                       "reactor:placements"]
            await record_past_lag(store, system.clock.now(), sampled)
            channel = await amqp.channel()  # two messages the notifier gave up on
            for _ in range(2):
                await channel.default_exchange.publish(aio_pika.Message(b"{}"),
                                                       routing_key=topology.dead_letter_queue("notifier"))

            async with console_browser(base_url, OPERATOR, tmp_path) as browser:
                # The page and the API agree when nothing moved between them (the consumers keep working).
                for _ in range(20):
                    before = shown(await settled_status(client))
                    page = await browser.open("/console/consumers")
                    rows = {await row.get_attribute("data-consumer"): (
                        (await (await row.query_selector(".position")).inner_text()).strip(),
                        (await (await row.query_selector(".state")).inner_text()).strip())
                        for row in await page.query_selector_all("[data-consumer]:not(figure)")}
                    after = shown(await settled_status(client))
                    if before == after:
                        break
                    await page.close()
                assert before == after, "the consumers never stood still long enough to compare"
                expected = {name: (position or "-", state) for name, (position, state) in after.items()}
                assert rows == expected
                assert await page.title() == "Consumers · Splits console"

                # The relay: one leader, one standby, each by its own instance.
                assert await page.inner_text("#relay tr[data-relay='relay@consumers-0'] td:nth-child(2)") == "leader"
                assert await page.inner_text("#relay tr[data-relay='relay@consumers-1'] td:nth-child(2)") == "standby"
                assert await page.query_selector("#broker-note") is None  # RabbitMQ is there: depths and dead letters
                status = await settled_status(client)
                for name, letters in status["dead_letters"].items():
                    cell = await page.query_selector(f"#reactors tr[data-consumer='reactor:{name}'] .dead-letters")
                    assert cell is None or await cell.inner_text() == str(letters), name
                assert status["dead_letters"]["notifier"] == 2
                link = await page.query_selector("#reactors tr[data-consumer='reactor:notifier'] .dead-letters a")
                assert link is not None and await link.get_attribute("href") == "/console/dead-letters/notifier"
                assert await link.inner_text() == "2"
                assert await page.inner_text("#reactors tr[data-consumer='reactor:placements'] .dead-letters") == "0"

                # The chart: a panel per sampled consumer, drawn from the recorded samples.
                history = {s.name: s for s in await lag_history(store.pool, system.clock.now())}
                for name in sampled:
                    figure = await page.query_selector(f"figure[data-consumer='{name}']")
                    assert figure is not None, name
                    samples = int(await figure.get_attribute("data-samples") or 0)
                    lines = [await line.get_attribute("points") or "" for line in await figure.query_selector_all("polyline")]
                    drawn = sum(len(points.split()) for points in lines)
                    assert samples >= SAMPLED and drawn == samples, (name, samples, drawn)
                    assert len(history[name].points) in (samples, samples + 1)  # a sample may have come since
                    assert "events" in await figure.inner_text() and "-60 min" in await figure.inner_text()
                await browser.shot(page, "consumers")

                # The live part is fetched again in place (console.js), with nothing refused by the policy.
                as_of = await page.inner_text("#consumers-as-of")
                await page.wait_for_function(
                    "text => document.querySelector('#consumers-as-of').innerText !== text", arg=as_of, timeout=15_000)
                assert await page.query_selector("#consumers-live #reactors") is not None
                seconds = await browser.open("/console/consumers?metric=seconds")
                assert "seconds" in await seconds.inner_text("figure[data-consumer='reactor:placements']")
                browser.assert_clean()

            async with console_browser(base_url, NOT_AN_OPERATOR, tmp_path) as browser:
                page = await browser.open("/console/consumers", status=403)
                assert await page.query_selector("#reactors") is None
                browser.assert_clean()
            for path in ("/console/consumers", "/console/consumers/live"):
                refused = await client.get(path, headers={"Cookie": f"__session=dev:{NOT_AN_OPERATOR}"})
                assert refused.status_code == 403 and "reactor:" not in refused.text, path
            bad = await client.get("/console/consumers?metric=bogus", headers={"Cookie": f"__session=dev:{OPERATOR}"})
            assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]


async def test_without_rabbitmq_the_page_says_so_and_shows_the_feed_consumers(fresh_store, tmp_path: Path):
    async with console_site(fresh_store, consumers={"ats", "notifier"}) as (base_url, client, _):
        async with console_browser(base_url, OPERATOR, tmp_path) as browser:
            page = await browser.open("/console/consumers")
            assert "RabbitMQ is not configured" in await page.inner_text("#broker-note")
            assert await page.query_selector("#reactors tr[data-consumer='reactor:notifier']") is not None
            assert await page.inner_text("#reactors tr[data-consumer='reactor:notifier'] .dead-letters") == "-"
            assert await page.query_selector("#no-relay") is not None
            browser.assert_clean()
        fragment = await client.get("/console/consumers/live", headers={"Cookie": f"__session=dev:{OPERATOR}"})
        assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="projectors"' in fragment.text
