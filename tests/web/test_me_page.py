"""Your own account in Chromium on a real server: the header's name leads there; you
rename yourself (the header follows) and change your password, which signs you out
everywhere until you sign in with the new one; mistakes are said in words, in English and
Korean; axe at desktop and phone width."""

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
NEW_PASSWORD = "plum orchard lantern 58"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("me"), env) as base:
        yield base


def _account(base: str) -> str:
    email = unique_email("me")
    body = {
        "email": email,
        "password": PASSWORD,
        "display_name": "Grace",
        "corporation_name": email,
    }
    httpx.post(f"{base}/v1/auth/register", json=body).raise_for_status()
    return email


async def _sign_in(page: Any, email: str, password: str) -> None:
    await page.fill("#login input[name=email]", email)
    await page.fill("#login input[name=password]", password)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#account:not([hidden])")


async def test_rename_yourself_and_change_your_password(server: str, browser: Any) -> None:
    email = _account(server)
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(f"{server}/app/videos")
    await page.fill("#login input[name=email]", email)
    await page.fill("#login input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.click("header#shell a#me")  # the header's name leads to your account
    await page.wait_for_selector("#account:not([hidden])")
    assert await page.text_content("#email") == email

    await page.fill("#profile input[name=display_name]", "Grace Hopper")
    await page.click("#profile button[type=submit]")
    await page.wait_for_selector("#message[data-tone=success]")
    assert await page.text_content("#message") == "Your name is saved."
    assert await page.text_content("header#shell #me") == "Grace Hopper"

    form = "#password"
    await page.fill(f"{form} input[name=current]", "not my password at all")
    await page.fill(f"{form} input[name=password]", NEW_PASSWORD)
    await page.fill(f"{form} input[name=again]", NEW_PASSWORD + "x")
    await page.click(f"{form} button[type=submit]")
    assert await page.text_content("#message") == (
        "The two new passwords differ. Type the same password twice."
    )
    await page.fill(f"{form} input[name=again]", NEW_PASSWORD)
    await page.select_option("#lang", "ko")
    await page.click(f"{form} button[type=submit]")
    await page.wait_for_function(
        "() => document.querySelector('#message').textContent.includes('현재 비밀번호')"
    )
    assert await page.get_attribute("#message", "data-tone") == "error"
    await page.select_option("#lang", "en")

    await page.fill(f"{form} input[name=current]", PASSWORD)
    await page.fill(f"{form} input[name=password]", NEW_PASSWORD)
    await page.fill(f"{form} input[name=again]", NEW_PASSWORD)
    await page.click(f"{form} button[type=submit]")
    await page.wait_for_selector("#login:not([hidden])")
    assert await page.text_content("#message") == (
        "Your password is changed and you were signed out everywhere. "
        "Sign in with the new password."
    )
    async with httpx.AsyncClient(base_url=server) as http:
        old = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    await _sign_in(page, email, NEW_PASSWORD)
    await context.close()


async def test_the_account_page_passes_axe(server: str, browser: Any) -> None:
    email = _account(server)
    for locale, width in (("en-US", 1280), ("ko-KR", 375)):
        context = await browser.new_context(locale=locale, viewport={"width": width, "height": 800})
        page = await context.new_page()
        await page.goto(f"{server}/app/me")
        await page.wait_for_selector("#login:not([hidden])")
        await assert_accessible(page, f"/app/me signed out, {locale}, {width} px")
        await _sign_in(page, email, PASSWORD)
        await assert_accessible(page, f"/app/me signed in, {locale}, {width} px")
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        await context.close()
