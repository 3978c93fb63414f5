"""A newcomer's first minutes, in Chromium: `backlot demo` fills a fresh install, then its
admin signs in at `/` and opens every app from the launcher, each showing the demo's data;
every page passes axe with the data on it. The screenshots are the README's: with
BACKLOT_SCREENSHOTS=<folder> (`make screenshots` sets docs/screenshots) they are kept."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backlot.demo import DEMO_PASSWORD
from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import running_server
from tests.web.axe import AXE, assert_accessible

pytestmark = pytest.mark.skipif(
    not (VENDOR["blockly.min.js"].is_file() and AXE.is_file()),
    reason="browser tests: the npm libraries are missing (run make)",
)

ADMIN = "demo-admin@example.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("tour")
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOT_")}
    demo = subprocess.run(
        [sys.executable, "-m", "backlot", "demo"],
        cwd=home,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    assert ADMIN in demo.stdout and DEMO_PASSWORD in demo.stdout
    with running_server(home, env) as base:
        yield base


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BACKLOT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def _room_path(page: Any) -> str:
    href = await page.get_attribute("#room-list a", "href")
    assert href and href.startswith("/app/workspace/"), href
    return str(href)


@pytest.mark.parametrize(("locale", "suffix"), [("en-US", ""), ("ko-KR", "-ko")])
async def test_the_demo_reaches_every_app_with_data(
    server: str, browser: Any, tmp_path: Path, locale: str, suffix: str
) -> None:
    shots = _shots(tmp_path)
    context = await browser.new_context(locale=locale, viewport={"width": 1280, "height": 860})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    leaving: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((server, f"blob:{server}", "data:"))
            else leaving.append(request.url)
        ),
    )

    await page.goto(f"{server}/")
    await page.wait_for_selector("#login:not([hidden])")
    await page.screenshot(path=shots / f"landing{suffix}.png")
    await page.fill("#login input[name=email]", ADMIN)
    await page.fill("#login input[name=password]", DEMO_PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#launcher:not([hidden])")
    await assert_accessible(page, f"launcher {locale}")
    await page.screenshot(path=shots / f"launcher{suffix}.png")

    await page.click("#launcher a[href='/app/labeling']")
    await page.wait_for_selector("#connection.online")
    tiles = page.locator("#files [data-file]")
    await tiles.first.wait_for()
    assert await tiles.count() >= 6
    await page.wait_for_load_state("networkidle")
    await assert_accessible(page, f"labeling with the demo project, {locale}")
    await page.screenshot(path=shots / f"labeling{suffix}.png")

    await page.click("header#shell nav a[href='/app/videos']")
    await page.locator("#videos li").first.wait_for()
    await page.wait_for_load_state("networkidle")
    await assert_accessible(page, f"videos with the demo video, {locale}")
    await page.screenshot(path=shots / f"videos{suffix}.png")

    await page.click("header#shell nav a[href='/app/workspace']")
    await page.locator("#room-list a").first.wait_for()
    await page.goto(server + await _room_path(page))
    await page.wait_for_selector("#join:not([hidden])")  # offered under the user's own name
    assert await page.input_value("#join input[name=nickname]") == "Demo Admin"
    await page.click("#join button[type=submit]")
    try:
        await page.wait_for_selector("#connection.online", timeout=15000)
    except Exception:
        await page.screenshot(path=shots / f"workspace-failed{suffix}.png")
        raise
    await page.locator("#blockly .blocklyDraggable").first.wait_for()  # the demo program
    await page.screenshot(path=shots / f"workspace{suffix}.png")

    await page.click("header#shell nav a[href='/app/dubbing']")
    await page.locator("#scripts li button, #scripts li a").first.click()
    await page.locator("#lines li button, #lines li a").first.click()
    await page.wait_for_selector("#practice:not([hidden])")
    assert (await page.text_content("#line-text") or "").strip()
    await page.wait_for_load_state("networkidle")
    await assert_accessible(page, f"dubbing with the demo script, {locale}")
    await page.screenshot(path=shots / f"dubbing{suffix}.png")

    assert not errors, errors
    assert not leaving, leaving
    await context.close()
