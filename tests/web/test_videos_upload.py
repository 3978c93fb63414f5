"""Uploading through the videos page in Chromium on a real server: a 40 MB video with the
progress bar moving, a retry after a dropped answer that makes one video (the
Idempotency-Key), a cancelled upload that leaves nothing behind, the delete confirmation,
posters and durations in the list, and the view log."""

from __future__ import annotations

import asyncio
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.videos.media import encoded
from tests.web.axe import AXE, assert_accessible

pytestmark = pytest.mark.skipif(
    not AXE.is_file(), reason="browser tests: the npm libraries are missing (run make)"
)

BIG = 40 * 1024 * 1024


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("videos-upload")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(folder, env) as base:
        yield base


@pytest.fixture(scope="module")
def big_mp4(folder: Path) -> Path:
    """A real 2 s MP4 grown to 40 MB by a trailing `free` box, which players skip: the
    upload's checks (sniffed type, a decodable first frame) pass as for any video."""
    clip = encoded("mp4", seconds=2, size=(160, 120))
    padding = BIG - len(clip)
    path = folder / "big.mp4"
    path.write_bytes(clip + struct.pack(">I", padding) + b"free" + bytes(padding - 8))
    return path


@pytest.fixture(scope="module")
def small_mp4(folder: Path) -> Path:
    path = folder / "small.mp4"
    path.write_bytes(encoded("mp4", seconds=1))
    return path


def _objects(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("objects/data/**/*") if p.is_file()]


def _admin(base: str) -> str:
    email = unique_email("upload-admin")
    account = {"email": email, "password": PASSWORD, "corporation_name": email}
    httpx.post(f"{base}/v1/auth/register", json=account).raise_for_status()
    return email


def _member_and_video(base: str, admin: str, video: Path) -> str:
    """The admin uploads "Watched" and adds a member, by the API: the member's email."""
    member = unique_email("upload-member")
    with httpx.Client(base_url=base, timeout=60) as http:
        token = http.post("/v1/auth/login", json={"email": admin, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        with video.open("rb") as content:
            http.post(
                "/v1/videos",
                data={"name": "Watched"},
                files={"file": ("w.mp4", content, "video/mp4")},
                headers=headers,
            ).raise_for_status()
        http.post(
            "/v1/users", json={"email": member, "password": PASSWORD}, headers=headers
        ).raise_for_status()
    return member


async def _signed_in(browser: Any, base: str, email: str, locale: str = "en-US") -> Any:
    context = await browser.new_context(locale=locale)
    page = await context.new_page()
    await page.goto(f"{base}/app/videos")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#library:not([hidden])")
    await page.wait_for_load_state("networkidle")
    return page


async def _throttle(page: Any, bytes_per_second: int) -> None:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


async def _progress_seen(page: Any) -> list[float]:
    """The progress bar's values, polled until the upload ends."""
    seen: list[float] = []
    while True:
        value, visible = await page.evaluate(
            "[document.querySelector('#progress').value,"
            " !document.querySelector('#progress-row').hidden]"
        )
        if not visible and seen:
            return seen
        if visible:
            seen.append(float(value))
        await page.wait_for_timeout(50)


async def _upload(page: Any, name: str, file: Path) -> None:
    await page.fill("#upload input[name=name]", name)
    await page.set_input_files("#upload input[type=file]", str(file))
    await page.click("#upload button[type=submit]")


async def test_a_40_mb_upload_shows_progress_then_poster_and_duration(
    server: str, browser: Any, big_mp4: Path
) -> None:
    page = await _signed_in(browser, server, _admin(server))
    await _throttle(page, 16 * 1024 * 1024)  # a few seconds: the bar has time to move
    await _upload(page, "Forty megabytes", big_mp4)
    seen = await _progress_seen(page)
    moving = sorted({v for v in seen if 0 < v < 100})
    assert len(moving) >= 2, seen  # it moved, not just jumped from 0 to the end
    await page.locator("#message", has_text="Forty megabytes uploaded.").wait_for(timeout=30_000)
    row = page.locator("#videos li", has_text="Forty megabytes")
    details = await row.locator(".details").inner_text()
    assert "41.9 MB" in details and "0:02 long" in details, details
    poster = row.locator("img.poster")
    await page.wait_for_function(
        "() => { const i = document.querySelector('#videos img.poster');"
        " return i && i.complete && i.naturalWidth > 0 }"
    )
    assert await poster.get_attribute("alt") == "A frame of Forty megabytes"
    await page.context.close()


async def test_a_retry_after_a_dropped_answer_makes_one_video(
    server: str, browser: Any, small_mp4: Path
) -> None:
    page = await _signed_in(browser, server, _admin(server))
    posts: list[str | None] = []

    async def drop_first_answer(route: Any) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        posts.append(await route.request.header_value("idempotency-key"))
        if len(posts) == 1:
            await route.fetch()  # the server makes the video...
            await route.abort("connectionreset")  # ...and its answer is lost
        else:
            await route.continue_()

    await page.route("**/v1/videos", drop_first_answer)
    await _upload(page, "Retried", small_mp4)
    await page.locator("#message", has_text="Retried uploaded.").wait_for(timeout=15_000)
    assert len(posts) == 2 and posts[0] == posts[1] and posts[0], posts
    await page.locator("#videos li", has_text="Retried").wait_for()
    await page.wait_for_load_state("networkidle")
    assert await page.locator("#videos li").count() == 1  # one video, not two
    await page.context.close()


async def test_cancel_mid_upload_leaves_nothing(
    server: str, browser: Any, big_mp4: Path, folder: Path
) -> None:
    page = await _signed_in(browser, server, _admin(server))
    before = len(_objects(folder))
    await _throttle(page, 4 * 1024 * 1024)
    await _upload(page, "Cancelled", big_mp4)
    await page.wait_for_function("() => document.querySelector('#progress').value >= 5")
    await page.click("#cancel")
    await page.locator("#message", has_text="cancelled: nothing was kept").wait_for()
    assert await page.is_hidden("#progress-row")
    await page.wait_for_timeout(1000)  # the server has seen the connection go
    assert await page.locator("#videos li").count() == 0
    assert len(_objects(folder)) == before
    await page.context.close()


async def test_delete_asks_first_and_the_view_log(
    server: str, browser: Any, small_mp4: Path
) -> None:
    admin = _admin(server)
    page = await _signed_in(browser, server, admin, "ko-KR")
    await _upload(page, "Doomed", small_mp4)
    row = page.locator("#videos li", has_text="Doomed")
    await row.wait_for(timeout=15_000)
    details = await row.locator(".details").inner_text()
    assert re.search(r"\d+\s?kB", details), details  # small files in kB, not "0 MB"
    await row.locator("button.danger").click()
    dialog = page.locator("#confirm")
    await dialog.wait_for()
    assert "무료 요금제" in await dialog.inner_text()
    for width in (1280, 375):
        await page.set_viewport_size({"width": width, "height": 800})
        await assert_accessible(page, f"videos, delete confirmation, ko, {width} px")
    await page.keyboard.press("Escape")  # keeps it
    await page.wait_for_function("() => !document.querySelector('#confirm').open")
    assert await row.count() == 1
    await row.locator("button.danger").click()
    await dialog.locator("button[value=delete]").click()
    await page.locator("#deleted li", has_text="Doomed").wait_for()
    assert await page.locator("#videos li", has_text="Doomed").count() == 0

    # A member of the company watches a video: the view shows in their log, with points.
    member = await asyncio.to_thread(_member_and_video, server, admin, small_mp4)
    await page.context.close()
    page = await _signed_in(browser, server, member)
    assert await page.inner_text("#no-views") == "No views yet."
    await page.locator("#videos li", has_text="Watched").locator("button").click()
    await page.locator("#points", has_text="10 points").wait_for(timeout=15_000)
    await page.reload()
    await page.wait_for_selector("#views li")
    text = await page.inner_text("#views li")
    assert text.startswith("Watched · 10 points · "), text
    assert await page.inner_text("#views-page") == "Page 1 of 1"
    for lang in ("en", "ko"):
        await page.select_option("#lang", lang)
        for width in (1280, 375):
            await page.set_viewport_size({"width": width, "height": 800})
            await assert_accessible(page, f"videos, view log, {lang}, {width} px")
    assert (await page.inner_text("#views li")).startswith("Watched · 10포인트 · ")
    await page.context.close()
