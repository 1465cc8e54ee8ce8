"""Live updates across API processes: two `splits api` processes (as deployed, on free ports) share one Redis, and
one SSE client on each receives what concerns its user, whichever process the event was published from."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest

from adapters.redis import deployment_prefix, redis_client
from adapters.settings import Settings
from commands.notifications import notification as notifications
from eventstore import EventStore, Metadata, handle
from infra.bootstrap import system_for
from tests.api import bearer, running_consumers, seed_user
from tests.fakes.clerk import FakeClerk
from tests.helpers import wait_until
from tests.integration.live.sse import open_stream
from tests.integration.platform.test_cli import SPLITS
from tests.security.live import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

REDIS = "redis://127.0.0.1:6379/15"
SEEDER = Metadata(actor="test-seed", source="test")


@contextlib.asynccontextmanager
async def api_processes(store: EventStore, clerk: FakeClerk, logs: Path, n: int = 2) -> AsyncIterator[list[str]]:
    """`splits api` n times, on free ports, sharing the test's database and Redis; yields their base URLs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_POOL", "LIVE_"))}
    env |= {"DATABASE_URL": store.pool.conninfo, "REDIS_URL": REDIS, "ENVIRONMENT": "test",
            "SPLITS_TOKEN_SECRET": "live-test-secret", "SPLITS_CLERK_JWKS_URL": clerk.jwks_url,
            "SPLITS_CLERK_ISSUER": clerk.issuer, "CLERK_AUTHORIZED_PARTIES": clerk.azp, "HOST": "127.0.0.1",
            "LOG_LEVEL": "warning", "LOG_FORMAT": "console", "DB_POOL_MAX": "4", "LIVE_KEEPALIVE_S": "1",
            "RATE_LIMIT_PER_USER": "100000", "RATE_LIMIT_PER_IP": "100000"}
    ports = [free_port() for _ in range(n)]
    processes = []
    for i, port in enumerate(ports):
        with open(logs / f"api{i}.log", "wb") as out:
            processes.append(subprocess.Popen([SPLITS, "api"], env=env | {"PORT": str(port)}, stdout=out,
                                              stderr=subprocess.STDOUT))
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        async with httpx.AsyncClient() as probe:
            for url, process in zip(urls, processes, strict=True):
                for _ in range(600):
                    assert process.poll() is None, (logs / "api0.log").read_text() + (logs / "api1.log").read_text()
                    with contextlib.suppress(httpx.HTTPError):
                        if (await probe.get(f"{url}/health")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError(f"{url} never answered")
        yield urls
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for i, process in enumerate(processes):
            try:  # promptly: uvicorn waits for open responses, and the live streams end when asked to
                assert process.wait(timeout=10) == 0, f"api{i} did not stop cleanly"
            finally:
                if process.poll() is None:
                    process.kill()
                print(f"--- api{i}:", (logs / f"api{i}.log").read_text(errors="replace")[-3000:])


async def forget_live_keys(database_url: str) -> None:
    """Delete what the test's deployment left in Redis (its keys are under its own prefix)."""
    redis = redis_client(REDIS)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{deployment_prefix(database_url)}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


async def notify(store: EventStore, user_id: UUID, title: str) -> UUID:
    """An in-app notification for `user_id`, recorded as the notifier records one."""
    notification_id = uuid4()
    await handle(store, notifications.notification, notification_id, notifications.RecordInApp(
        notification_id=notification_id, user_id=user_id, category="messaging", template="chat_message",
        title=title, body=f"{title} (body)", action_url=None, source_event_id=uuid4(), at=datetime.now(UTC)),
        SEEDER)
    return notification_id


async def test_two_api_processes_each_deliver_their_users_events_and_resume_after_the_last_event_id(
        fresh_store, clerk, tmp_path) -> None:
    store = fresh_store
    ann = await seed_user(store, "user_live_ann", roles=[("platform_admin", None)])  # may talk to anyone
    bob = await seed_user(store, "user_live_bob")
    ann_auth = bearer(clerk.mint(user_id="user_live_ann", lifetime_s=600))
    bob_auth = bearer(clerk.mint(user_id="user_live_bob", lifetime_s=600))
    # The consumers (the notifications projection, which publishes after it commits) in this process.
    system = system_for(Settings(database_url=store.pool.conninfo, redis_url=REDIS), store)
    outer = contextlib.AsyncExitStack()  # what outlives the processes: a stream left open as they stop
    try:
        async with api_processes(store, clerk, tmp_path) as (first, second), \
                running_consumers(system, only={"notifications", "identity", "conversations"}), \
                httpx.AsyncClient(base_url=first) as one, httpx.AsyncClient(base_url=second) as two:
            # Unauthenticated: refused before anything streams, on either process.
            for client in (one, two):
                answer = await client.get("/v1/stream")
                assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated"
            answer = await one.get("/v1/stream", params={"ticket": "user_live_ann.0.0.0"})
            assert answer.status_code == 401 and answer.json()["code"] == "invalid_ticket"

            async def registered() -> bool:  # the identity projection has the two users
                answers = [await c.get("/v1/notifications/unread-count", headers=h)
                           for c, h in ((one, ann_auth), (two, bob_auth))]
                return all(a.status_code == 200 for a in answers)
            await wait_until(registered)

            async with open_stream(one, ann_auth) as ann_stream, open_stream(two, bob_auth) as bob_stream:
                assert (ann_stream.status, bob_stream.status) == (200, 200)
                await asyncio.sleep(0.3)  # both subscribed
                # Ann writes to Bob through the first process; Bob is connected to the second.
                loop = asyncio.get_running_loop()
                sent = loop.time()
                started = await one.post("/v1/conversations", headers=ann_auth, json={
                    "recipient_user_id": str(bob), "first_message": {"body": "Hello Bob", "client_message_id": "c1"}})
                assert started.status_code == 201, started.text
                message = await bob_stream.next(timeout=5)
                took = loop.time() - sent
                print(f"a message sent through one API process reached the other's client in {took * 1000:.0f} ms")
                assert took < 1.0, f"took {took:.2f} s"
                assert (message.event, message.data["body"], message.data["sender_user_id"]) == (
                    "message", "Hello Bob", str(ann))
                assert "client_message_id" not in message.data  # the sender's own id goes to the sender only
                echo = await ann_stream.next(timeout=5)  # Ann's other tabs see what she sent
                assert (echo.event, echo.data["client_message_id"]) == ("message", "c1")
                # Bob reads it through the second process: Ann, on the first, gets the receipt.
                conversation = message.data["conversation_id"]
                read = await two.post(f"/v1/conversations/{conversation}/read", headers=bob_auth,
                                      json={"up_to_message_id": message.data["message_id"]})
                assert read.status_code == 200, read.text
                for stream in (ann_stream, bob_stream):
                    receipt = await stream.next(timeout=5)
                    assert (receipt.event, receipt.data["user_id"], receipt.data["up_to_message_id"]) == (
                        "read", str(bob), message.data["message_id"])
                sent = loop.time()
                first_id = await notify(store, bob, "For Bob")
                got = await bob_stream.next(timeout=5)
                assert loop.time() - sent < 1.0
                assert (got.event, got.data["id"], got.data["title"]) == ("notification", str(first_id), "For Bob")
                await notify(store, ann, "For Ann")
                got_ann = await ann_stream.next(timeout=5)
                assert got_ann.data["title"] == "For Ann"
                # Neither saw the other's.
                await bob_stream.nothing_for(0.5)
                await ann_stream.nothing_for(0.1)
                assert "keep-alive" in bob_stream.comments or await _keeps_alive(bob_stream)
            last_seen = got.id
            # Bob away: two more for him; he comes back to the other process with the last id he saw.
            missed = [await notify(store, bob, f"While away {n}") for n in range(2)]
            await asyncio.sleep(0.5)
            async with open_stream(one, bob_auth | {"Last-Event-ID": last_seen}) as again:
                assert [(await again.next()).data["id"] for _ in missed] == [str(m) for m in missed]
                await again.nothing_for(0.3)
            # A browser: a one-time ticket, then the stream with it in the URL (and where to resume).
            ticket = (await two.post("/v1/stream/tickets", headers=ann_auth)).json()
            async with open_stream(two, params={"ticket": ticket["ticket"]}) as browser:
                assert browser.status == 200
                await notify(store, ann, "Through the ticket")
                assert (await browser.next()).data["title"] == "Through the ticket"
            answer = await one.get("/v1/stream", params={"ticket": ticket["ticket"]})  # used once
            assert answer.status_code == 401 and answer.json()["code"] == "invalid_ticket"
            own = await outer.enter_async_context(httpx.AsyncClient(base_url=first))
            lingering = await outer.enter_async_context(open_stream(own, ann_auth))
            assert lingering.status == 200 and not lingering.ended.is_set()
        # Both processes were stopped (SIGTERM; api_processes checks they exited 0) with that stream open: it ended.
        await asyncio.wait_for(lingering.ended.wait(), 5)
    finally:
        await outer.aclose()
        await forget_live_keys(store.pool.conninfo)


async def _keeps_alive(stream) -> bool:
    await asyncio.sleep(1.2)
    return "keep-alive" in stream.comments
