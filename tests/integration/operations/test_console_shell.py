"""The console's shell: who gets in, the headers every answer carries, forms that only this session can send,
and errors as pages. Checked over HTTP and, for what a person sees, in Chromium."""

from __future__ import annotations

from pathlib import Path

from adapters.settings import Settings
from api.operations.console import CONTENT_SECURITY_POLICY
from tests.api import serving_http
from tests.integration.operations.browser import NOT_AN_OPERATOR, OPERATOR, console_browser, console_site

SESSION = "__session"


def signed_in(clerk_user_id: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION}=dev:{clerk_user_id}"}


async def test_the_home_page_loads_clean_for_an_operator_and_is_refused_to_anyone_else(fresh_store, tmp_path: Path):
    async with console_site(fresh_store) as (base_url, _, _):
        async with console_browser(base_url, OPERATOR, tmp_path) as browser:
            page = await browser.open("/console")
            assert await page.title() == "Home · Splits console"
            assert [await a.inner_text() for a in await page.query_selector_all("header nav a")] == [
                "Streams", "Consumers", "Dead letters", "Replays", "Money"]
            assert OPERATOR in await page.inner_text("header")
            await browser.shot(page, "home")
            browser.assert_clean()
        async with console_browser(base_url, NOT_AN_OPERATOR, tmp_path) as browser:
            page = await browser.open("/console", status=403)
            assert "platform admins only" in await page.inner_text("main")
            assert await page.query_selector("header nav") is None  # nothing of the console is shown
            await browser.shot(page, "refused")
            browser.assert_clean()
        async with console_browser(base_url, None, tmp_path) as browser:
            page = await browser.open("/console", status=401)
            assert await page.query_selector("form[action='/console/sign-in']") is not None
            browser.assert_clean()


async def test_development_sign_in_sets_the_session_cookie_and_sign_out_removes_it(fresh_store, tmp_path: Path):
    async with console_site(fresh_store) as (base_url, _, _):
        async with console_browser(base_url, None, tmp_path) as browser:
            page = await browser.open("/console/sign-in")
            await page.fill("input[name=clerk_user_id]", OPERATOR)
            async with page.expect_navigation():
                await page.click("form[action='/console/sign-in'] button")
            assert page.url == f"{base_url}/console"
            assert await page.title() == "Home · Splits console"
            async with page.expect_navigation():
                await page.click("form[action='/console/sign-out'] button")
            assert page.url == f"{base_url}/console/sign-in"
            assert await browser.context.cookies() == []
            browser.assert_clean()


async def test_every_console_answer_carries_the_policy_and_errors_are_pages(fresh_store):
    async with console_site(fresh_store) as (_, client, _):
        for path, status, kind in (("/console", 200, "text/html"), ("/console/static/console.js", 200, "javascript"),
                                   ("/console/static/console.css", 200, "text/css"),
                                   ("/console/no-such-page", 404, "text/html"), ("/console/sign-in", 200, "text/html")):
            answer = await client.get(path, headers=signed_in(OPERATOR))
            assert answer.status_code == status, (path, answer.text)
            assert kind in answer.headers["content-type"], path
            assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
            assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        # An API answer is not a page, and has no console policy.
        api = await client.get("/v1/users/me", headers={"Authorization": f"Bearer dev:{OPERATOR}"})
        assert api.status_code == 200 and "content-security-policy" not in api.headers


async def test_the_session_cookie_signs_in_to_the_console_only(fresh_store):
    async with console_site(fresh_store) as (_, client, _):
        assert (await client.get("/console", headers=signed_in(OPERATOR))).status_code == 200
        # The same cookie on an API route is not a session: a cross-site request could carry it.
        answer = await client.get("/v1/users/me", headers=signed_in(OPERATOR))
        assert answer.status_code == 401, answer.text
        # A forged cookie is refused, as a page.
        forged = await client.get("/console", headers={"Cookie": f"{SESSION}=eyJhbGciOiJIUzI1NiJ9.e30.x"})
        assert forged.status_code == 401 and "text/html" in forged.headers["content-type"]


async def test_a_console_form_needs_this_sessions_token_and_this_origin(fresh_store):
    async with console_site(fresh_store) as (base_url, client, _):
        home = (await client.get("/console", headers=signed_in(OPERATOR))).text
        token = home.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        assert len(token) == 64

        refused = [
            ({}, {}),  # no token
            ({"csrf": "0" * 64}, {}),  # a wrong one
            ({"csrf": token}, {"Sec-Fetch-Site": "cross-site"}),  # the right one, sent from another site
            ({"csrf": token}, {"Origin": "https://evil.example"}),
        ]
        for form, headers in refused:
            answer = await client.post("/console/sign-out", data=form, headers=signed_in(OPERATOR) | headers)
            assert answer.status_code == 403, (form, headers, answer.text)
            assert "Nothing was changed" in answer.text and "set-cookie" not in answer.headers
        # Another operator's token is not this one's.
        other = (await client.get("/console", headers=signed_in(NOT_AN_OPERATOR))).status_code
        assert other == 403

        ok = await client.post("/console/sign-out", data={"csrf": token},
                               headers=signed_in(OPERATOR) | {"Sec-Fetch-Site": "same-origin", "Origin": base_url})
        assert ok.status_code == 303 and ok.headers["location"] == "/console/sign-in"
        assert f'{SESSION}=""' in ok.headers["set-cookie"]


async def test_development_sign_in_is_refused_where_development_sign_in_is_off(fresh_store):
    settings = Settings(database_url=fresh_store.pool.conninfo)  # as a deployment signing in with Clerk
    async with serving_http(fresh_store, settings) as (_, client, _):
        page = await client.get("/console/sign-in")
        assert page.status_code == 200 and "clerk_user_id" not in page.text
        answer = await client.post("/console/sign-in", data={"clerk_user_id": OPERATOR})
        assert answer.status_code == 403 and "set-cookie" not in answer.headers
        bad = await client.post("/console/sign-in", data={"clerk_user_id": "x" * 101})
        assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
        assert (await client.get("/console", headers=signed_in(OPERATOR))).status_code == 401
