"""The videos page in Chromium on a real server: an admin uploads a video through the
page, plays it, seeks to the middle and playback goes on; the uploader's own views pay
nothing; delete and restore (402 on a free plan) from the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.videos.conftest import DURATION, sample_webm  # noqa: F401 - a fixture


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("videos-page"), env) as base:
        yield base


def _admin(base: str) -> str:
    email = unique_email("video-admin")
    account = {
        "email": email,
        "password": PASSWORD,
        "display_name": "Ada",
        "corporation_name": email,
    }
    httpx.post(f"{base}/v1/auth/register", json=account).raise_for_status()
    return email


async def _current_time(page: object) -> float:
    return float(await page.evaluate("document.querySelector('#player').currentTime"))  # type: ignore[attr-defined]


async def test_play_seek_and_earn_nothing_on_ones_own_video(
    server: str,
    browser: object,
    sample_webm: Path,  # noqa: F811 - the fixture imported above
) -> None:
    context = await browser.new_context()  # type: ignore[attr-defined]
    page = await context.new_page()
    await page.goto(f"{server}/app/videos")
    await page.fill("input[name=email]", _admin(server))
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#library:not([hidden])")
    assert await page.inner_text("#points") == "0 points"

    await page.fill("#upload input[name=name]", "Test pattern")
    await page.set_input_files("#upload input[type=file]", str(sample_webm))
    await page.click("#upload button")
    item = page.locator("#videos li", has_text="Test pattern")
    await item.wait_for(timeout=10_000)

    await item.locator("button", has_text="Play").click()
    await page.wait_for_function(  # a function: the page CSP forbids eval of expressions
        "() => document.querySelector('#player').currentTime > 0.5", timeout=15_000
    )

    middle = DURATION / 2
    await page.evaluate(f"document.querySelector('#player').currentTime = {middle}")
    await page.wait_for_function(
        f"() => document.querySelector('#player').currentTime > {middle + 0.5}", timeout=15_000
    )
    assert not await page.evaluate("document.querySelector('#player').paused")
    assert await _current_time(page) > middle

    # Playing it again (more range requests, a new stream URL) pays nothing more.
    await item.locator("button", has_text="Play").click()
    await page.wait_for_function(  # a function: the page CSP forbids eval of expressions
        "() => document.querySelector('#player').currentTime > 0.5", timeout=15_000
    )
    await page.reload()
    await page.wait_for_selector("#library:not([hidden])")
    assert await page.inner_text("#points") == "0 points"  # one's own video pays nothing

    # Admins delete and try to restore: a free plan cannot.
    await (
        page.locator("#videos li", has_text="Test pattern")
        .locator("button", has_text="Delete")
        .click()
    )
    await page.locator("#confirm button[value=delete]").click()  # asked first, in the page
    deleted = page.locator("#deleted li", has_text="Test pattern")
    await deleted.wait_for(timeout=5000)
    await deleted.locator("button", has_text="Restore").click()
    await page.locator("#message", has_text="paid plan").wait_for(timeout=5000)
    await context.close()
