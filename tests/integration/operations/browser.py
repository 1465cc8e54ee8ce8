"""The operator console in a real browser: Debian's Chromium, driven by Playwright.

`console_browser(base_url, clerk_user_id, folder)` signs in with the cookie a Clerk frontend would set (a
development token here: the tests' settings have `splits_dev_auth`), opens pages, and keeps every problem the
browser reports on them: console errors, uncaught script errors, Content-Security-Policy violations (Chromium
reports them as console errors), failed subresources. `shot` writes a full-page screenshot under the test's
folder for a person to look at; with `SPLITS_CONSOLE_SCREENSHOTS=<dir>` it is copied there too.

`console_site(store)` serves the app on a real socket with development sign-in and the identity projector
running, and seeds a platform admin (`OPERATOR`) and a plain user (`NOT_AN_OPERATOR`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import ConsoleMessage, Page, Request, Response, async_playwright

from adapters.settings import Settings
from adapters.system import System
from eventstore import EventStore
from tests.api import running_consumers, seed_user, serving_http
from tests.helpers import chromium, wait_until

OPERATOR = "user_console_operator"
NOT_AN_OPERATOR = "user_console_visitor"
SCREENSHOTS = "SPLITS_CONSOLE_SCREENSHOTS"


@dataclass
class ConsoleBrowser:
    context: Any
    base_url: str
    folder: Path
    problems: list[str] = field(default_factory=list)
    refused_documents: set[str] = field(default_factory=set)  # pages opened expecting a 4xx

    async def open(self, path: str, status: int = 200) -> Page:
        """A new tab on `path`, loaded, its answer's status checked."""
        page = await self.context.new_page()
        self.watch(page)
        if status >= 400:
            self.refused_documents.add(f"{self.base_url}{path}")
        answer = await page.goto(path)
        assert answer is not None and answer.status == status, (
            f"{path}: {answer.status if answer else 'no answer'}\n{await page.content() if answer else ''}")
        await page.wait_for_load_state("load")
        return page

    def watch(self, page: Page) -> None:
        def console(message: ConsoleMessage) -> None:
            # Chromium logs an error page's own status; that page was asked for expecting it.
            if message.text.startswith("Failed to load resource") and (
                    message.location.get("url") in self.refused_documents):
                return
            if message.type in ("error", "warning"):
                self.problems.append(f"console {message.type} on {page.url}: {message.text}")

        def failed(request: Request) -> None:
            self.problems.append(f"request failed on {page.url}: {request.url} ({request.failure})")

        async def answered(response: Response) -> None:
            # The page's own document may be an error page on purpose; what it loads must not be.
            if response.request.resource_type != "document" and response.status >= 400:
                self.problems.append(f"{response.status} for {response.url} on {page.url}")

        page.on("console", console)
        page.on("pageerror", lambda error: self.problems.append(f"script error on {page.url}: {error}"))
        page.on("requestfailed", failed)
        page.on("response", answered)

    async def shot(self, page: Page, name: str) -> Path:
        """A full-page screenshot, `<folder>/<name>.png` (and in $SPLITS_CONSOLE_SCREENSHOTS when set)."""
        path = self.folder / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000, f"the screenshot of {name} is empty"
        if extra := os.environ.get(SCREENSHOTS):
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path

    def assert_clean(self) -> None:
        assert not self.problems, "the browser reported problems:\n" + "\n".join(self.problems)


@contextlib.asynccontextmanager
async def console_browser(base_url: str, clerk_user_id: str | None, folder: Path) -> AsyncIterator[ConsoleBrowser]:
    """A headless Chromium signed in as `clerk_user_id` (no cookie when None)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        try:
            context = await browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 900})
            if clerk_user_id is not None:
                await context.add_cookies([{"name": "__session", "value": f"dev:{clerk_user_id}",
                                            "url": f"{base_url}/console", "httpOnly": True, "sameSite": "Strict"}])
            yield ConsoleBrowser(context, base_url, folder)
        finally:
            await browser.close()


def console_settings(store: EventStore, **overrides: Any) -> Settings:
    return Settings(database_url=store.pool.conninfo, consistency_wait_s=10, splits_dev_auth=True, **overrides)


async def operators_known(client: httpx.AsyncClient) -> None:
    """Until the identity projection has the seeded users, the console knows them as nobody: wait for it."""

    async def known() -> bool:
        me = await client.get("/v1/users/me", headers={"Authorization": f"Bearer dev:{OPERATOR}"})
        other = await client.get("/v1/users/me", headers={"Authorization": f"Bearer dev:{NOT_AN_OPERATOR}"})
        return (me.status_code == 200 and "platform_admin" in me.json()["data"]["roles"]
                and other.status_code == 200)

    await wait_until(known, timeout=60)


@contextlib.asynccontextmanager
async def console_site(store: EventStore, settings: Settings | None = None, *, consumers: set[str] | None = None,
                       ) -> AsyncIterator[tuple[str, httpx.AsyncClient, System]]:
    """The app on a real socket with the consumers running (`consumers`: only these; the identity projector
    always), the operator and a plain user seeded and known. Yields the base URL, a client, the system."""
    settings = settings or console_settings(store)
    await seed_user(store, OPERATOR, roles=[("platform_admin", None)])
    await seed_user(store, NOT_AN_OPERATOR)
    only = None if consumers is None else {"identity", *consumers}
    async with serving_http(store, settings) as (base_url, client, system), running_consumers(system, only=only):
        await operators_known(client)
        yield base_url, client, system
