"""The dubbing page in Chromium with a fake microphone fed from a WAV file: open a line,
record, stop, watch the progress bar, see the scores, the pitch plot and the feedback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from backlot.analysis import decode
from tests.analysis.voices import FIXTURES, LINE
from tests.conftest import TEST_SECRET
from tests.dubbing.flow import wav_bytes
from tests.helpers import PASSWORD, running_server, unique_email
from tests.web.conftest import CHROMIUM, FLAGS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("dubbing-page"), env) as base:
        yield base


def _studio(base: str) -> tuple[str, str]:
    """An admin who made a script with one line and its reference; a learner's email."""
    admin, learner = unique_email("dub-admin"), unique_email("dub-learner")
    with httpx.Client(base_url=base, timeout=30) as http:
        http.post(
            "/v1/auth/register",
            json={"email": admin, "password": PASSWORD, "corporation_name": admin},
        ).raise_for_status()
        token = http.post("/v1/auth/login", json={"email": admin, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        script = http.post(
            "/v1/scripts", json={"title": "The Fox", "kind": "movie"}, headers=headers
        ).json()
        line = http.post(
            f"/v1/scripts/{script['id']}/tokens", json={"text": LINE}, headers=headers
        ).json()
        http.put(
            f"/v1/tokens/{line['id']}/audio",
            files={"file": ("ref.ogg", (FIXTURES / "line_low.ogg").read_bytes())},
            headers=headers,
        ).raise_for_status()
        http.post(  # a member of the corporation: its scripts are its own
            "/v1/users", json={"email": learner, "password": PASSWORD}, headers=headers
        ).raise_for_status()
    return admin, learner


async def test_record_with_a_microphone_and_see_scores(server: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    # The fake microphone plays this file (Chromium wants PCM WAV), with a second of
    # silence after the line, as a person would leave before pressing Stop.
    voice = decode(FIXTURES / "line_high.ogg")
    microphone = tmp_path / "voice.wav"
    microphone.write_bytes(wav_bytes(np.concatenate([voice, np.zeros(16000, np.float32)])))
    _, learner = _studio(server)
    args = [
        *FLAGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone}%noloop",
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        context = await browser.new_context(permissions=["microphone"])
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{server}/app/dubbing")
        await page.fill("input[name=email]", learner)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("#login button[type=submit]")
        await page.click("#scripts li:has-text('The Fox') button")
        await page.click("#lines li button")
        await page.wait_for_selector("#line-text:has-text('quick brown fox')")
        assert (await page.get_attribute("#original", "src") or "").startswith("/v1/tokens/")

        await page.click("#record")
        await page.wait_for_timeout(5000)  # the line is about 4 s
        await page.click("#stop")
        await page.wait_for_selector("#result", state="visible", timeout=60000)
        assert await page.get_attribute("#progress", "value") == "100"
        scores = await page.inner_text("#scores")
        for name in ("Pronunciation", "Intonation", "Emotion", "Timing", "Overall"):
            assert name in scores
        overall = float(scores.split("Overall")[1].split()[0])
        assert overall > 40  # the same line in another voice, through a real recorder
        assert await page.locator("#remarks li").count() >= 1
        drawn = await page.evaluate(
            "() => { const c = document.querySelector('#plot');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"
        )
        assert drawn > 200  # both pitch curves are on the canvas
        await page.wait_for_selector("#overview:has-text('1 attempts, 1 scored')")
        await page.wait_for_selector("#dubbed li:has-text('quick brown fox')")
        await page.click("#bookmark")
        await page.wait_for_selector("#bookmarks li:has-text('quick brown fox')")
        assert errors == []
        await browser.close()
