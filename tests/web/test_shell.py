"""The shell every page shares, in Chromium on a real server: the header names the
signed-in user, their company, role and points and links the apps (the current one
marked); the language follows the browser and the switch, is remembered across pages
and reloads; the pages pass axe-core at desktop width and at 375 px, in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.web.axe import AXE, assert_accessible

pytestmark = pytest.mark.skipif(
    not (VENDOR["socket.io.min.js"].is_file() and AXE.is_file()),
    reason="browser tests: the npm libraries are missing (run make)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("shell"), env) as base:
        yield base


def _admin(base: str) -> str:
    email = unique_email("shell")
    account = {
        "email": email,
        "password": PASSWORD,
        "display_name": "Ada Lovelace",
        "corporation_name": "Analytical Engines",
    }
    httpx.post(f"{base}/v1/auth/register", json=account).raise_for_status()
    return email


async def _sign_in(page: Any, base: str, path: str, email: str) -> None:
    await page.goto(f"{base}{path}")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#who:not([hidden])")


async def test_the_header_names_the_user_and_links_the_apps(server: str, browser: Any) -> None:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await _sign_in(page, server, "/app/videos", _admin(server))
    assert await page.text_content("#me") == "Ada Lovelace"
    standing = await page.text_content("#standing")
    assert standing == "Analytical Engines · free plan · admin"
    assert await page.text_content("#points") == "0 points"
    current = page.locator("header#shell nav a[aria-current=page]")
    assert await current.text_content() == "Videos"
    assert await page.is_visible("#admin-link")
    links = await page.eval_on_selector_all(
        "header#shell nav a", "(links) => links.map((a) => a.getAttribute('href'))"
    )
    assert links == [
        "/app/labeling",
        "/app/workspace",
        "/app/videos",
        "/app/dubbing",
        "/app/admin",
        "/docs",
    ]
    await page.click("header#shell nav a[href='/app/labeling']")
    await page.wait_for_selector("#who:not([hidden])")  # same session on the next page
    assert await page.text_content("header#shell nav a[aria-current=page]") == "Labeling"
    await context.close()


async def test_language_follows_the_browser_and_the_switch_is_remembered(
    server: str, browser: Any
) -> None:
    context = await browser.new_context(locale="ko-KR")
    page = await context.new_page()
    await page.goto(f"{server}/app/dubbing")
    await page.wait_for_selector("#login:not([hidden])")
    assert await page.get_attribute("html", "lang") == "ko"
    assert await page.text_content("#login h2") == "로그인"
    assert await page.text_content("header#shell nav a[href='/app/dubbing']") == "더빙"

    await page.select_option("#lang", "en")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.text_content("#login h2") == "Sign in"
    assert await page.text_content("header#shell nav a[href='/app/dubbing']") == "Dubbing"
    await page.goto(f"{server}/app/labeling")  # another page, same choice
    await page.wait_for_selector("#login:not([hidden])")
    assert await page.text_content("#login h2") == "Sign in"

    await page.fill("input[name=email]", "nobody@example.com")
    await page.fill("input[name=password]", "not-the-password")
    await page.select_option("#lang", "ko")
    await page.click("#login button[type=submit]")
    await page.wait_for_function("() => document.querySelector('#login-error').textContent !== ''")
    # A sentence in the chosen language, never the API's English detail.
    assert await page.text_content("#login-error") == "이메일과 비밀번호가 맞는 계정이 없습니다."
    await context.close()


@pytest.mark.parametrize("path", ["/app/labeling", "/app/videos", "/app/dubbing"])
async def test_signed_in_pages_pass_axe_at_desktop_and_phone_width(
    server: str, browser: Any, path: str
) -> None:
    email = _admin(server)
    for locale, width in (("en-US", 1280), ("ko-KR", 375)):
        context = await browser.new_context(locale=locale, viewport={"width": width, "height": 800})
        page = await context.new_page()
        await page.goto(f"{server}{path}")
        await page.wait_for_selector("#login:not([hidden])")
        await assert_accessible(page, f"{path} signed out, {locale}, {width} px")
        await _sign_in(page, server, path, email)
        await page.wait_for_load_state("networkidle")
        await assert_accessible(page, f"{path} signed in, {locale}, {width} px")
        # Nothing wider than the screen: no sideways scrolling on a phone.
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} at {width} px scrolls sideways by {overflow} px"
        await context.close()
