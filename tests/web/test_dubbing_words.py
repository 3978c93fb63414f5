"""The dubbing page as people read and use it, in Chromium on a real server: in Korean
(its texts, an API problem as a Korean sentence, a failed analysis's stage and reason in
words), a language switch redrawing what is shown, an empty studio saying what to do
(differently for an admin and a member), the practice controls by keyboard with a visible
focus, and axe-core at 1280 and 375 px in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.conftest import TEST_SECRET
from tests.dubbing.flow import wav_bytes
from tests.helpers import PASSWORD, running_server, unique_email
from tests.web.axe import AXE, assert_accessible
from tests.web.test_dubbing_page import _studio

pytestmark = pytest.mark.skipif(
    not AXE.is_file(), reason="browser tests: the npm libraries are missing (run make)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("dubbing-words"), env) as base:
        yield base


async def _open(browser: Any, base: str, email: str, locale: str, width: int = 1280) -> Any:
    context = await browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    await page.goto(f"{base}/app/dubbing")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#studio:not([hidden])")
    return page


async def _open_the_line(page: Any) -> None:
    await page.click("#scripts li:has-text('The Fox') button")
    await page.click("#lines li button")
    await page.wait_for_selector("#line-text:has-text('quick brown fox')")


async def test_korean_texts_problems_and_a_failed_analysis_in_words(
    server: str, browser: Any, tmp_path: Path
) -> None:
    _, learner = _studio(server)
    page = await _open(browser, server, learner, "ko-KR")
    assert await page.text_content("main h1") == "더빙 스튜디오"
    assert await page.title() == "Backlot · 더빙"
    assert await page.text_content("#scripts-heading") == "대본"
    assert await page.get_attribute("#search input[name=q]", "placeholder") == "대본 검색"
    # The list arrives after the studio shows.
    await page.wait_for_selector("#scripts li:has-text('영화, 시도 0회')")
    await _open_the_line(page)
    assert await page.text_content("#record") == "녹음"
    assert await page.text_content("#bookmark") == "북마크"
    assert await page.text_content("#overview") == "시도 0회, 채점 0회"

    # An empty file: the API's problem as a Korean sentence, never its English detail.
    await page.set_input_files(
        "#file", {"name": "empty.wav", "mimeType": "audio/wav", "buffer": b""}
    )
    # Said next to the picker, not under the page's title.
    await page.wait_for_selector("#practice-message:has-text('빈 파일입니다.')")
    assert "empty" not in (await page.text_content("#practice-message") or "")

    # A silent recording is taken, then the analysis fails: its stage and why, in words.
    silence = tmp_path / "silence.wav"
    silence.write_bytes(wav_bytes(np.zeros(16000, np.float32)))
    await page.set_input_files("#file", str(silence))
    await page.wait_for_selector("#stage:has-text('실패')", timeout=60000)
    message = await page.text_content("#practice-message")
    assert message == (
        "분석하지 못했습니다. 녹음이 무음이거나 너무 짧습니다. 마이크에 더 가까이에서 다시 녹음하세요."
    )

    # Switched to English, what is on the page is said again in English.
    await page.select_option("#lang", "en")
    assert await page.text_content("main h1") == "Dubbing studio"
    assert await page.text_content("#stage") == "Failed"
    assert (await page.text_content("#practice-message") or "").startswith(
        "The analysis failed: the recording is silent"
    )
    assert "movie, 0 attempts" in await page.inner_text("#scripts")
    assert await page.text_content("#record") == "Record"
    await page.wait_for_selector("#overview:has-text('1 attempts, 0 scored')")
    assert page.errors == []
    await page.context.close()


def _company_without_scripts(base: str) -> tuple[str, str]:
    """A new company's admin and member, emails; the company has no script."""
    admin, member = unique_email("dub-empty-admin"), unique_email("dub-empty-member")
    with httpx.Client(base_url=base, timeout=30) as http:
        body = {"email": admin, "password": PASSWORD, "corporation_name": admin}
        http.post("/v1/auth/register", json=body).raise_for_status()
        token = http.post("/v1/auth/login", json={"email": admin, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = {"email": member, "password": PASSWORD}
        http.post("/v1/users", json=body, headers=headers).raise_for_status()
    return admin, member


async def test_an_empty_studio_says_what_to_do(server: str, browser: Any) -> None:
    admin, member = _company_without_scripts(server)
    page = await _open(browser, server, admin, "en-US")
    await page.wait_for_selector("#empty:not([hidden])")
    text = await page.inner_text("#empty")
    # The editor is on the page: the empty state leads there, not to the API docs.
    assert "Edit the catalogue" in text and "backlot demo" not in text
    await page.click("#empty a")
    assert await page.evaluate("document.activeElement.id") == "new-title"
    assert await page.is_visible("#editor")
    await page.context.close()

    page = await _open(browser, server, member, "ko-KR")
    await page.wait_for_selector("#empty:not([hidden])")
    assert await page.inner_text("#empty") == (
        "아직 대본이 없습니다. 회사 관리자가 추가하므로 관리자에게 요청하세요."
    )
    assert await page.locator("#empty a").count() == 0
    assert await page.is_hidden("#editor")
    # A search that finds nothing says so, not that there are no scripts.
    await page.fill("#search input[name=q]", "nothing like this")
    await page.press("#search input[name=q]", "Enter")
    await page.wait_for_selector("#empty:has-text('검색과 맞는 대본이 없습니다.')")
    await page.context.close()


async def _outline(page: Any) -> str:
    """The focused element's outline (its label's, for the file picker inside one)."""
    style: str = await page.evaluate(
        """() => {
          const el = document.activeElement;
          const box = el.type === 'file' ? el.closest('label') : el;
          const s = getComputedStyle(box);
          return `${s.outlineStyle} ${s.outlineWidth}`;
        }"""
    )
    return style


async def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_the_practice_controls_by_keyboard(server: str, browser: Any) -> None:
    _, learner = _studio(server)
    page = await _open(browser, server, learner, "en-US")
    await page.focus("#search input[name=q]")
    await _tab_to(page, "#scripts li button")
    assert await page.get_attribute("#scripts li button", "aria-label") == (
        "Open The Fox (movie, 0 attempts)"
    )
    await page.keyboard.press("Enter")
    await _tab_to(page, "#lines li button")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#line-text:has-text('quick brown fox')")
    # The line opens with the focus on Record, the next thing to do.
    await page.wait_for_function("() => document.activeElement.id === 'record'")
    assert (await _outline(page)).startswith("solid")

    await _tab_to(page, "#file")
    assert (await _outline(page)).startswith("solid")
    await _tab_to(page, "#bookmark")
    assert (await _outline(page)).startswith("solid")
    assert await page.get_attribute("#bookmark", "aria-pressed") == "false"
    await page.keyboard.press("Space")
    await page.wait_for_selector("#bookmarks li:has-text('quick brown fox')")
    assert await page.get_attribute("#bookmark", "aria-pressed") == "true"
    assert await page.text_content("#bookmark") == "Bookmarked"
    await page.keyboard.press("Enter")  # pressed again: the bookmark goes
    await page.wait_for_selector("#bookmarks li", state="detached")
    assert await page.get_attribute("#bookmark", "aria-pressed") == "false"
    assert page.errors == []
    await page.context.close()


async def test_record_and_stop_by_keyboard(server: str, browser: Any) -> None:
    from playwright.async_api import async_playwright

    from tests.web.conftest import CHROMIUM, FLAGS

    _, learner = _studio(server)
    args = [*FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    async with async_playwright() as playwright:
        with_microphone = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        page = await _open(with_microphone, server, learner, "ko-KR")
        await page.context.grant_permissions(["microphone"])
        await _open_the_line(page)
        await page.focus("#record")
        await page.keyboard.press("Enter")
        # Record is disabled while recording: the focus moves on to Stop, not lost.
        await page.wait_for_function("() => document.activeElement.id === 'stop'")
        recording = await page.text_content("#practice-message")
        assert recording == "녹음 중입니다. 다 마치면 정지를 누르세요."
        await page.wait_for_timeout(1000)
        await page.keyboard.press("Enter")
        await page.wait_for_function("() => document.activeElement.id === 'record'")
        await page.wait_for_selector("#stage:not([hidden])", timeout=30000)
        assert page.errors == []
        await with_microphone.close()


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
async def test_the_studio_with_a_line_passes_axe(
    server: str, browser: Any, locale: str, width: int
) -> None:
    _, learner = _studio(server)
    page = await _open(browser, server, learner, locale, width)
    await _open_the_line(page)
    await page.click("#bookmark")
    await page.wait_for_selector("#bookmarks li")
    await assert_accessible(page, f"dubbing with a line open, {locale}, {width} px")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"dubbing at {width} px scrolls sideways by {overflow} px"
    await page.context.close()
