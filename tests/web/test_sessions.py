"""Browser sessions as a user lives them, in Chromium on a real server: a reload and a
new tab stay signed in, the page renews its access token before it expires (30 s here)
and keeps working after the first token has lapsed, signing out in one tab signs out
the others, and a session ended on the server is said so in plain words. No token is
ever kept where scripts of the page could read it later (web storage)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email

TTL = 30  # the shortest access-token lifetime the settings allow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_ACCESS_TOKEN_TTL_SECONDS": str(TTL),
    }
    with running_server(tmp_path_factory.mktemp("sessions"), env) as base:
        yield base


def _account(base: str) -> str:
    email = unique_email("session")
    account = {"email": email, "password": PASSWORD, "corporation_name": email}
    httpx.post(f"{base}/v1/auth/register", json=account).raise_for_status()
    return email


async def _signed_in_page(context: Any, base: str, email: str) -> Any:
    page = await context.new_page()
    await page.goto(f"{base}/app/videos")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#library:not([hidden])")
    return page


async def _web_storage(page: Any) -> str:
    return str(await page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}])"))


async def test_reload_and_new_tabs_stay_signed_in_and_signing_out_ends_every_tab(
    server: str, browser: Any
) -> None:
    context = await browser.new_context()
    first = await _signed_in_page(context, server, _account(server))
    await first.reload()
    await first.wait_for_selector("#library:not([hidden])")
    assert await first.is_hidden("#login")
    second = await context.new_page()
    await second.goto(f"{server}/app/videos")
    await second.wait_for_selector("#library:not([hidden])")
    for page in (first, second):
        assert "eyJ" not in await _web_storage(page)  # no JWT in web storage

    await second.click("#logout")
    for page in (second, first):  # the other tab hears it at once
        await page.wait_for_selector("#login:not([hidden])", timeout=5000)
        assert await page.is_hidden("#library")
        assert await page.input_value("#login input[name=password]") == ""
    await first.reload()
    await first.wait_for_selector("#login:not([hidden])")
    await context.close()


async def test_the_page_renews_its_token_and_works_after_the_first_one_lapsed(
    server: str, browser: Any
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    tokens: list[str] = []

    async def remember(response: Any) -> None:
        if response.url.endswith("/v1/auth/browser/login"):
            tokens.append((await response.json())["access_token"])

    page.on("response", remember)
    refreshes: list[str] = []
    page.on("request", lambda r: r.url.endswith("/browser/refresh") and refreshes.append(r.url))
    await page.goto(f"{server}/app/videos")
    await page.fill("input[name=email]", _account(server))
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#library:not([hidden])")
    assert len(tokens) == 1

    await asyncio.sleep(TTL + 2)
    async with httpx.AsyncClient(base_url=server) as http:
        lapsed = await http.get("/v1/users/me", headers={"Authorization": f"Bearer {tokens[0]}"})
    assert lapsed.status_code == 401  # the first token is dead by now
    assert refreshes  # renewed before it lapsed, without a sign-in
    me = await page.evaluate("api('GET', '/v1/users/me').then((user) => user.email)")
    assert me and await page.is_hidden("#login")
    await context.close()


async def test_a_session_ended_on_the_server_is_said_in_words(server: str, browser: Any) -> None:
    email = _account(server)
    context = await browser.new_context()
    page = await _signed_in_page(context, server, email)
    # The password changes elsewhere: every other session of the user ends.
    async with httpx.AsyncClient(base_url=server) as http:
        login = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        change = {"password": PASSWORD + " and more", "current_password": PASSWORD}
        (await http.patch("/v1/users/me", json=change, headers=headers)).raise_for_status()

    await page.evaluate("api('GET', '/v1/users/me').catch(() => null)")
    await page.wait_for_selector("#login:not([hidden])", timeout=5000)
    assert "session has ended" in await page.inner_text("#message")
    await context.close()
