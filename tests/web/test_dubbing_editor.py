"""#14's done-when for dubbing, in Chromium with fake microphones fed from WAV files: an
admin of a company that has no scripts follows the empty state into the catalogue editor,
creates a script and a line, records the line's original (waveform, playback, save); a
member of the company opens the line, records, gets scores, sees the attempt in the
history and the chart; a silent take then fails, and the old scores go with a reason.
Then the page in Korean at 375 px, and a personal account's empty state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from backlot.analysis import decode
from tests.analysis.voices import FIXTURES, LINE
from tests.conftest import TEST_SECRET
from tests.dubbing.flow import wav_bytes
from tests.helpers import PASSWORD, running_server, unique_email
from tests.web.axe import assert_accessible
from tests.web.conftest import CHROMIUM, FLAGS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("dubbing-editor"), env) as base:
        yield base


def _company(base: str) -> tuple[str, str]:
    """A company's admin (signed up, no scripts yet) and one of its members."""
    admin, member = unique_email("dub-editor"), unique_email("dub-member")
    with httpx.Client(base_url=base, timeout=30) as http:
        http.post(
            "/v1/auth/register",
            json={"email": admin, "password": PASSWORD, "corporation_name": admin},
        ).raise_for_status()
        token = http.post("/v1/auth/login", json={"email": admin, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        http.post(
            "/v1/users", json={"email": member, "password": PASSWORD}, headers=headers
        ).raise_for_status()
    return admin, member


def _microphone(tmp_path: Path, fixture: str) -> str:
    """A WAV the fake microphone plays: the line, then a second of silence."""
    voice = decode(FIXTURES / fixture)
    path = tmp_path / f"{fixture}.wav"
    path.write_bytes(wav_bytes(np.concatenate([voice, np.zeros(16000, np.float32)])))
    return str(path)


async def _browser(playwright: Any, microphone: str) -> Any:
    return await playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *FLAGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}%noloop",
        ],
    )


async def _sign_in(page: Any, server: str, email: str) -> None:
    await page.goto(f"{server}/app/dubbing")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#studio:not([hidden])")


async def _painted(page: Any, selector: str) -> int:
    return int(
        await page.evaluate(
            "(s) => { const c = document.querySelector(s);"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }",
            selector,
        )
    )


async def test_an_admin_builds_a_line_from_a_recording_then_a_member_scores(
    server: str, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    admin, member = _company(server)
    silent = tmp_path / "silent.wav"
    silent.write_bytes(wav_bytes(np.zeros(16000, np.float32)))
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("not a recording")
    async with async_playwright() as playwright:
        # The admin: the empty state leads to the editor.
        browser = await _browser(playwright, _microphone(tmp_path, "line_low.ogg"))
        context = await browser.new_context(
            permissions=["microphone"], viewport={"width": 1280, "height": 900}
        )
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        await _sign_in(page, server, admin)
        await page.wait_for_selector("#empty:has-text('Edit the catalogue')")
        await page.click("#empty a:has-text('Create a script')")
        assert await page.evaluate("document.activeElement.id") == "new-title"
        await assert_accessible(page, "dubbing editor, empty, en, 1280 px")
        await page.keyboard.type("The Fox")
        await page.fill("#new-description", "A short line to practise.")
        await page.click("#new-script button[type=submit]")
        await page.wait_for_selector("#edit-script-heading:has-text('The Fox')")
        assert await page.evaluate("document.activeElement.id") == "line-text-input"
        await page.fill("#actor-name", "Narrator")
        await page.click("#actor-form button[type=submit]")
        await page.wait_for_selector("#actors:has-text('Narrator')")
        await page.fill("#line-text-input", LINE)
        await page.select_option("#line-actor", label="Narrator")
        await page.fill("#line-start", "0")
        await page.fill("#line-end", "4.5")
        await page.click("#save-line")
        await page.wait_for_selector("#line-message:has-text('Line added')")
        await page.wait_for_selector("#edit-lines li:has-text('no original yet')")

        # A file that is not audio is refused next to the picker, before any upload.
        await page.set_input_files("#ref-file", str(not_audio))
        message = page.locator("#reference-message")
        await message.filter(has_text="not audio").wait_for()
        assert await message.get_attribute("data-tone") == "error"
        assert await message.get_attribute("role") == "status"

        await page.click("#ref-record")
        await page.wait_for_timeout(5000)  # the line is about 4 s
        await page.click("#ref-stop")
        await page.wait_for_selector("#ref-preview-box:not([hidden])")
        assert await _painted(page, "#wave") > 500  # the waveform is drawn
        assert (await page.get_attribute("#ref-preview", "src") or "").startswith("blob:")
        seconds = await page.evaluate(
            "() => new Promise((done) => { const a = document.querySelector('#ref-preview');"
            " if (a.readyState >= 1) done(a.duration);"
            " else a.addEventListener('loadedmetadata', () => done(a.duration)); })"
        )
        assert seconds > 3  # the preview plays the recording
        await assert_accessible(page, "dubbing editor, recording previewed, en, 1280 px")
        await page.click("#ref-save")
        await page.wait_for_selector("#reference-message:has-text('Original saved')")
        await page.wait_for_selector("#edit-lines li:has-text('original recorded')")
        assert (await page.get_attribute("#reference-current", "src") or "").startswith(
            "/v1/tokens/"
        )
        # A second line, moved above the first, then deleted.
        await page.click("#new-line")
        await page.fill("#line-text-input", "Second line")
        await page.click("#save-line")
        await page.wait_for_selector("#edit-lines li:has-text('Second line')")
        await page.click("#edit-lines li:has-text('Second line') button:has-text('Move up')")
        await page.wait_for_selector("#edit-lines li:first-child:has-text('Second line')")
        await page.wait_for_selector("#lines li:first-child:has-text('Second line')")
        await page.click("#edit-lines li:has-text('Second line') button:has-text('Delete')")
        await page.wait_for_selector("#edit-lines li:has-text('Second line')", state="detached")
        assert errors == []
        await browser.close()

        # The member: no editor; records, is scored, sees it on my page.
        browser = await _browser(playwright, _microphone(tmp_path, "line_high.ogg"))
        context = await browser.new_context(
            permissions=["microphone"], viewport={"width": 1280, "height": 900}
        )
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        await _sign_in(page, server, member)
        await page.wait_for_selector("#dubbed-empty:has-text('lines you record')")
        await page.wait_for_selector("#bookmarks-empty:not([hidden])")
        assert await page.is_hidden("#editor")
        await page.click("#scripts li:has-text('The Fox') button")
        await page.click("#lines li button")
        await page.wait_for_selector("#line-text:has-text('quick brown fox')")
        await page.click("#record")
        await page.wait_for_timeout(5000)
        await page.click("#stop")
        await page.wait_for_selector("#result", state="visible", timeout=60000)
        scores = await page.inner_text("#scores")
        assert float(scores.split("Overall")[1].split()[0]) > 40
        await page.wait_for_selector("#practice-message:has-text('Scored')")
        await page.wait_for_selector("#history:not([hidden])")
        assert await page.locator("#attempts tbody tr").count() == 1
        assert "Overall" in await page.inner_text("#attempts tbody")
        assert await page.is_hidden("#dubbed-empty")
        assert await _painted(page, "#trend") > 100  # the chart of the overall score
        assert "average overall score" in (await page.get_attribute("#trend", "aria-label") or "")
        await assert_accessible(page, "dubbing, scored, en, 1280 px")

        # A silent take: the analysis fails; the old scores leave, the reason is said.
        await page.set_input_files("#file", str(silent))
        failed = page.locator("#practice-message")
        await failed.filter(has_text="The analysis failed").wait_for(timeout=60000)
        assert await failed.get_attribute("data-tone") == "error"
        assert await page.is_hidden("#result")
        assert await page.locator("#scores tr").count() == 0
        await page.wait_for_selector("#attempts tbody tr:nth-child(2)")
        assert "analysis failed" in await page.inner_text("#attempts tbody tr:first-child")
        assert errors == []
        await browser.close()


async def test_the_editor_in_korean_on_a_phone_and_a_personal_accounts_empty_state(
    server: str, browser: Any
) -> None:
    admin, _ = _company(server)
    context = await browser.new_context(locale="ko-KR", viewport={"width": 375, "height": 800})
    page = await context.new_page()
    await _sign_in(page, server, admin)
    await page.wait_for_selector("#empty:has-text('카탈로그 편집')")
    await page.fill("#new-title", "여우")
    await page.click("#new-script button[type=submit]")
    await page.wait_for_selector("#edit-script-heading:has-text('여우')")
    await page.fill("#line-text-input", "빠른 갈색 여우")
    await page.click("#save-line")
    await page.wait_for_selector("#line-message:has-text('대사를 추가했습니다')")
    await page.set_input_files(
        "#ref-file", files=[{"name": "a.txt", "mimeType": "text/plain", "buffer": b"text"}]
    )
    await page.wait_for_selector("#reference-message:has-text('오디오 파일이 아닙니다')")
    # The message is next to the picker, on screen where the picker is.
    picker = await page.locator("#ref-file").bounding_box()
    said = await page.locator("#reference-message").bounding_box()
    assert picker and said and 0 <= said["y"] - picker["y"] < 300
    await assert_accessible(page, "dubbing editor, ko, 375 px")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"scrolls sideways by {overflow} px"
    await context.close()

    personal = unique_email("dub-personal")
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        registered = await http.post(
            "/v1/auth/register", json={"email": personal, "password": PASSWORD}
        )
        registered.raise_for_status()
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await _sign_in(page, server, personal)
    await page.wait_for_selector("#empty:has-text('personal account')")
    assert "admin of your company" not in await page.inner_text("#empty")
    assert await page.is_hidden("#editor")
    await context.close()
