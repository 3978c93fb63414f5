"""The videos page as each kind of user meets it, in Chromium on a real server: an admin
in Korean deletes a video and is told in Korean why a free plan cannot restore it; a
member plays a teammate's video and sees the points it earned; a personal account is
told why it has no videos; each state passes axe at 1280 and 375 px in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.videos.conftest import sample_webm  # noqa: F401 - a fixture
from tests.web.axe import AXE, assert_accessible

pytestmark = pytest.mark.skipif(
    not AXE.is_file(), reason="browser tests: the npm libraries are missing (run make)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("videos-states"), env) as base:
        yield base


def _team_with_video(base: str, video: Path) -> tuple[str, str]:
    """An admin who uploaded one video, and a member of their company."""
    admin, member = unique_email("videos-admin"), unique_email("videos-member")
    with httpx.Client(base_url=base, timeout=60) as http:
        account = {"email": admin, "password": PASSWORD, "corporation_name": admin}
        http.post("/v1/auth/register", json=account).raise_for_status()
        token = http.post("/v1/auth/login", json={"email": admin, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        with video.open("rb") as content:
            http.post(
                "/v1/videos",
                data={"name": "Test pattern"},
                files={"file": ("pattern.webm", content, "video/webm")},
                headers=headers,
            ).raise_for_status()
        http.post(
            "/v1/users",
            json={"email": member, "password": PASSWORD, "display_name": "Grace"},
            headers=headers,
        ).raise_for_status()
    return admin, member


def _personal(base: str) -> str:
    email = unique_email("videos-personal")
    account = {"email": email, "password": PASSWORD}  # no company
    httpx.post(f"{base}/v1/auth/register", json=account).raise_for_status()
    return email


async def _signed_in(browser: Any, base: str, email: str, locale: str = "en-US") -> Any:
    context = await browser.new_context(locale=locale)
    page = await context.new_page()
    await page.goto(f"{base}/app/videos")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#who:not([hidden])")
    await page.wait_for_load_state("networkidle")
    return page


async def _accessible_everywhere(page: Any, what: str) -> None:
    """axe in both languages at desktop and phone width, and no sideways scroll."""
    for lang in ("en", "ko"):
        await page.select_option("#lang", lang)
        for width in (1280, 375):
            await page.set_viewport_size({"width": width, "height": 800})
            await assert_accessible(page, f"{what}, {lang}, {width} px")
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{what} at {width} px scrolls sideways by {overflow} px"
    await page.set_viewport_size({"width": 1280, "height": 800})


async def test_an_admin_in_korean_is_told_why_a_free_plan_cannot_restore(
    server: str,
    browser: Any,
    sample_webm: Path,  # noqa: F811 - the fixture imported above
) -> None:
    admin, _member = _team_with_video(server, sample_webm)
    page = await _signed_in(browser, server, admin, "ko-KR")
    await page.wait_for_selector("#videos li")
    assert await page.text_content("main h1") == "동영상"
    assert await page.text_content("#upload-title") == "동영상 올리기"
    assert await page.text_content("#library-title") == "동영상 목록"
    row = page.locator("#videos li", has_text="Test pattern")
    assert "추가" in await row.locator(".details").inner_text()  # "added <date>" in Korean
    await _accessible_everywhere(page, "videos, admin")

    await page.select_option("#lang", "ko")
    await row.locator("button", has_text="삭제").click()
    assert "완전히 잃게 됩니다" in await page.inner_text("#confirm")  # free plan: said first
    await page.locator("#confirm button[value=delete]").click()
    await page.locator("#message", has_text="Test pattern 동영상을 삭제했습니다.").wait_for()
    deleted = page.locator("#deleted li", has_text="Test pattern")
    await deleted.locator("button", has_text="복구").click()
    await page.locator("#message", has_text="유료 요금제가 필요합니다").wait_for(timeout=5000)
    await _accessible_everywhere(page, "videos, admin, after a refused restore")
    await page.select_option("#lang", "en")  # the sentence follows the switch
    assert "needs the paid plan" in await page.inner_text("#message")
    await page.context.close()


async def test_a_member_plays_a_teammates_video_and_sees_the_points(
    server: str,
    browser: Any,
    sample_webm: Path,  # noqa: F811 - the fixture imported above
) -> None:
    _admin, member = _team_with_video(server, sample_webm)
    page = await _signed_in(browser, server, member)
    await page.wait_for_selector("#videos li")
    assert await page.text_content("#points") == "0 points"
    assert await page.is_hidden("#upload")
    row = page.locator("#videos li", has_text="Test pattern")
    assert await row.locator("button").count() == 1  # Play; no Delete for members
    await row.locator("button", has_text="Play").click()
    await page.locator("#points", has_text="10 points").wait_for(timeout=15_000)
    assert await page.text_content("#playing") == "Playing: Test pattern"
    await _accessible_everywhere(page, "videos, member playing")
    await page.select_option("#lang", "ko")
    assert await page.text_content("#points") == "10포인트"
    assert await page.text_content("#playing") == "재생 중: Test pattern"
    await page.context.close()


async def test_a_personal_account_is_told_why_it_has_no_videos(server: str, browser: Any) -> None:
    page = await _signed_in(browser, server, _personal(server))
    notice = page.locator("#notice")
    await notice.wait_for()
    assert "Videos belong to a company" in await notice.inner_text()
    assert "sign out and sign up a new company" in await notice.inner_text()
    assert await page.is_hidden("#library")
    await _accessible_everywhere(page, "videos, personal account")
    await page.select_option("#lang", "ko")
    assert "동영상은 회사에 속하고" in await notice.inner_text()
    await page.context.close()
