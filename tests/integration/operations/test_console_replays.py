"""The console's Replays pages in Chromium and over HTTP: a replay of a projection started from the page, through
its confirmation, runs in the background; its page shows the progress live and then the swap; the projection's
rows after the swap are what they were (and what a from-scratch build makes); the run is recorded as events with
the operator as actor; a second start while it runs is a 409 page; another API process shows the same run;
non-admins get 403; bad input is a page that changes nothing."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from uuid import uuid4


from commands.identity.user import user_id_for
from consumers.runtime import replay_runs
from consumers.runtime.status import read_status
from eventstore import EventStore, advisory_key
from tests.api import serving_http
from tests.helpers import create_jobs, holding, release, wait_until
from tests.integration.operations.browser import NOT_AN_OPERATOR, OPERATOR, console_browser, console_settings, console_site
from tests.integration.runtime.test_replay import from_scratch, table

SESSION = "__session"


def signed_in(clerk_user_id: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION}=dev:{clerk_user_id}"}


async def _live_caught_up(store: EventStore) -> None:
    async def caught_up() -> bool:
        status = (await read_status(store.pool)).consumer("projection:ats")
        return status is not None and status.lag_events == 0 and len(await table(store)) == 30
    await wait_until(caught_up, timeout=60)


async def _form(client, path: str) -> dict[str, str]:
    page = (await client.get(path, headers=signed_in(OPERATOR))).text
    form = page.split('id="confirm"', 1)[1]
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


async def _runs(store: EventStore) -> list[tuple]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT run_id, projection, state FROM eventstore.replay_runs ORDER BY started_at")
        return await cur.fetchall()


async def test_a_replay_started_from_the_page_shows_its_progress_then_its_swap(fresh_store, tmp_path: Path) -> None:
    store = fresh_store
    await create_jobs(store, 30)
    async with console_site(store, consumers={"ats"}) as (base_url, client, _):
        await _live_caught_up(store)
        before = await table(store)
        status = (await read_status(store.pool)).consumer("projection:ats")
        async with console_browser(base_url, OPERATOR, tmp_path) as browser:
            page = await browser.open("/console/replays")
            row = "#projections tr[data-projection='ats']"
            assert await page.inner_text(f"{row} .position") == status.position
            assert await page.inner_text(f"{row} .lag") == "0"
            assert await page.inner_text(f"{row} .last-replay") == "never from the console"
            await browser.shot(page, "replays")

            async with page.expect_navigation():
                await page.click(f"{row} a.start")
            assert page.url == f"{base_url}/console/replays/ats/start"
            assert await _runs(store) == []  # the confirmation starts nothing
            await browser.shot(page, "replays-confirm")
            # A live batch holds the projector's lock: the replay builds, then waits at its swap meanwhile.
            holder = await holding(store, advisory_key("projection:ats"))
            try:
                page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
                async with page.expect_navigation():
                    await page.click("#confirm button")
                match = re.fullmatch(rf"{base_url}/console/replays/runs/([0-9a-f-]{{36}})", page.url)
                assert match, page.url
                run_id = match.group(1)
                assert await page.get_attribute("#refresh", "href") == f"/console/replays/runs/{run_id}"
                assert await page.get_attribute("#run-progress", "data-refresh") == (
                    f"/console/replays/runs/{run_id}/progress")

                # The fragment refreshes in place until the whole store is built into the shadow.
                async def built() -> bool:  # (the page's policy allows no evaluated script: read it from here)
                    shown = await page.query_selector("#run-done")
                    return shown is not None and int((await shown.inner_text()).replace(",", "")) >= 30
                await wait_until(built, timeout=30)
                assert await page.inner_text("#run-state") == "running"
                done = int((await page.inner_text("#run-done")).replace(",", ""))
                assert await page.get_attribute("#run-bar", "value") == str(done)
                assert int(await page.get_attribute("#run-bar", "max")) >= done
                assert re.fullmatch(r"[\d,]+", await page.inner_text("#run-rate"))
                await browser.shot(page, "replays-running")

                # A second start while it runs: a 409 page, and nothing more started or recorded.
                form = await _form(client, "/console/replays/ats/start")
                busy = await client.post("/console/replays/ats/start", data=form, headers=signed_in(OPERATOR))
                assert busy.status_code == 409 and "text/html" in busy.headers["content-type"]
                assert f'href="/console/replays/runs/{run_id}"' in busy.text
                busy_page = await browser.open("/console/replays")
                assert await busy_page.inner_text(f"{row} .last-replay a") == "running"
            finally:
                await release(holder)

            await page.wait_for_selector("#swap", timeout=60_000)
            swap = await page.inner_text("#swap")
            run = await replay_runs.get_run(store.pool, run_id)
            assert run.state == "completed"
            assert swap.startswith(f"Swapped in: {run.events:,} events in {run.seconds:.1f} s")
            assert await page.inner_text("#run-state") == "completed"
            assert await page.inner_text("#run-position") == run.position
            assert await page.inner_text("#operator") == OPERATOR
            await browser.shot(page, "replays-swapped")

            recorded_on = await page.get_attribute("#recorded", "href")
            assert recorded_on == f"/console/stream?id=replayrun-{run_id}"
            events_page = await browser.open(recorded_on)
            assert "ReplayCompleted" in await events_page.inner_text("main")
            page = await browser.open("/console/replays")
            assert (await page.inner_text(f"{row} .last-replay")).startswith(f"completed {run.events:,} events in")
            browser.assert_clean()

        # The swapped-in rows are the rows it had, and what a from-scratch build makes.
        assert await table(store) == before == await from_scratch(store)
        assert [(str(r[0]), r[1], r[2]) for r in await _runs(store)] == [(run_id, "ats", "completed")]
        recorded = await store.read_stream(f"replayrun-{run_id}")
        assert [(e.type, e.data["operator"], e.data["projection"]) for e in recorded] == [
            ("ReplayRequested", OPERATOR, "ats"), ("ReplayCompleted", OPERATOR, "ats")]
        assert all(e.metadata["actor"] == str(user_id_for(OPERATOR)) for e in recorded)
        assert recorded[1].data["events"] == run.events and recorded[1].data["position"] == run.position

        async with console_browser(base_url, NOT_AN_OPERATOR, tmp_path) as browser:
            for path in ("/console/replays", "/console/replays/ats/start", f"/console/replays/runs/{run_id}",
                         f"/console/replays/runs/{run_id}/progress"):
                page = await browser.open(path, status=403)
                assert "platform admins only" in await page.inner_text("main")
            browser.assert_clean()
        refused = await client.post("/console/replays/ats/start", data=form, headers=signed_in(NOT_AN_OPERATOR))
        assert refused.status_code == 403
        assert len(await _runs(store)) == 1


async def test_another_api_process_shows_the_run_and_refuses_a_second_start(fresh_store) -> None:
    store = fresh_store
    await create_jobs(store, 30)
    async with console_site(store, consumers={"ats"}) as (_, client, _), \
            serving_http(store, console_settings(store)) as (_, other, _):
        holder = await holding(store, advisory_key("projection:ats"))
        try:
            form = await _form(client, "/console/replays/ats/start")
            started = await client.post("/console/replays/ats/start", data=form, headers=signed_in(OPERATOR))
            assert started.status_code == 303
            run_path = started.headers["location"]
            run_id = run_path.rsplit("/", 1)[1]

            async def built() -> bool:
                return (await replay_runs.get_run(store.pool, run_id)).done >= 30
            await wait_until(built)
            elsewhere = await other.get(f"{run_path}/progress", headers=signed_in(OPERATOR))
            assert elsewhere.status_code == 200 and 'id="run-state">running' in elsewhere.text
            assert re.search(r'<progress id="run-bar" max="\d+" value="(\d+)">', elsewhere.text)
            second = await _form(other, "/console/replays/ats/start")
            assert "is running" in (await other.get("/console/replays/ats/start", headers=signed_in(OPERATOR))).text
            busy = await other.post("/console/replays/ats/start", data=second, headers=signed_in(OPERATOR))
            assert busy.status_code == 409
            # The same form posted again goes to its run and starts nothing.
            again = await client.post("/console/replays/ats/start", data=form, headers=signed_in(OPERATOR))
            assert (again.status_code, again.headers["location"]) == (303, run_path)
        finally:
            await release(holder)

        async def swapped() -> bool:
            answer = await other.get(run_path, headers=signed_in(OPERATOR))
            return 'id="swap"' in answer.text and "data-refresh" not in answer.text
        await wait_until(swapped, timeout=60)
        assert [r[2] for r in await _runs(store)] == ["completed"]
        assert len(await store.read_stream(f"replayrun-{run_id}")) == 2


async def test_bad_input_is_a_page_that_changes_nothing(fresh_store) -> None:
    store = fresh_store
    async with console_site(store) as (_, client, _):
        path = "/console/replays/ats/start"
        form = await _form(client, path)
        assert set(form) == {"csrf", "run_id", "confirmed"} and form["confirmed"] == "yes"
        refused = [
            (path, {**form, "confirmed": "no"}, 400), (path, {k: v for k, v in form.items() if k != "run_id"}, 400),
            (path, {**form, "run_id": "not-a-uuid"}, 400), ("/console/replays/nope/start", form, 404),
            (f"/console/replays/{'x' * 5000}/start", form, 404),
            (path, {k: v for k, v in form.items() if k != "csrf"}, 403),
        ]
        for url, data, status in refused:
            answer = await client.post(url, data=data, headers=signed_in(OPERATOR))
            assert answer.status_code == status and "text/html" in answer.headers["content-type"], (url, data)
        for url, status in (("/console/replays/nope/start", 404), (f"/console/replays/runs/{uuid4()}", 404),
                            ("/console/replays/runs/not-a-run", 404), (f"/console/replays/runs/{uuid4()}/progress", 404),
                            (f"/console/replays/runs/{'9' * 5000}", 404)):
            answer = await client.get(url, headers=signed_in(OPERATOR))
            assert answer.status_code == status and "text/html" in answer.headers["content-type"], url
        assert await _runs(store) == []
        async with store.pool.connection() as conn:
            cur = await conn.execute("SELECT count(*) FROM eventstore.events WHERE stream_id LIKE 'replayrun-%%'")
            assert (await cur.fetchone())[0] == 0


async def test_a_failed_run_and_an_abandoned_run_are_shown_as_ended(fresh_store) -> None:
    store = fresh_store
    failed, abandoned = uuid4(), uuid4()
    async with console_site(store) as (_, client, _):
        assert await replay_runs.begin_run(store.pool, failed, "network")
        await replay_runs.record_progress(store.pool, failed, 12, 40)
        await replay_runs.fail_run(store.pool, failed, "UndefinedTable: relation \"network.x\" does not exist")
        assert await replay_runs.begin_run(store.pool, abandoned, "ats")
        await replay_runs.record_progress(store.pool, abandoned, 5, 40)
        async with store.pool.connection() as conn:  # its process died a minute ago
            await conn.execute("UPDATE eventstore.replay_runs SET updated_at = now() - interval '1 minute'"
                               " WHERE run_id = %s", (abandoned,))

        page = (await client.get(f"/console/replays/runs/{failed}", headers=signed_in(OPERATOR))).text
        assert 'id="run-state">failed' in page and "data-refresh" not in page and "data-final" in page
        assert "UndefinedTable: relation &#34;network.x&#34; does not exist" in page
        assert "12 events had been replayed" in page
        page = (await client.get(f"/console/replays/runs/{abandoned}", headers=signed_in(OPERATOR))).text
        assert 'id="run-state">abandoned' in page and "data-refresh" not in page
        assert f"more than {int(replay_runs.ABANDONED_AFTER_S)} s" in page
        listing = (await client.get("/console/replays", headers=signed_in(OPERATOR))).text
        assert re.search(r'run-abandoned">abandoned</span></a>\s*<span class="muted">', listing)
        assert re.search(r'run-failed">failed</span></a>', listing)
        # An abandoned run blocks no new start.
        form = await _form(client, "/console/replays/ats/start")
        assert 'id="running"' not in (await client.get("/console/replays/ats/start", headers=signed_in(OPERATOR))).text
        started = await client.post("/console/replays/ats/start", data=form, headers=signed_in(OPERATOR))
        assert started.status_code == 303
        assert (await replay_runs.get_run(store.pool, abandoned)).state == "abandoned"
