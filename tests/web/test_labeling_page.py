"""The labeling page in a real browser: two Chromium contexts as two users on a real
server; the file one user opens (and so locks) shows in the other's page, live, and is
free again when the annotator closes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email

pytestmark = [
    pytest.mark.skipif(
        not VENDOR["socket.io.min.js"].is_file(),
        reason="browser tests: the page's npm libraries are missing (run make)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("page"), env) as base:
        yield base


def _team(base: str) -> tuple[str, str]:
    admin, guest = unique_email("page-admin"), unique_email("page-guest")
    with httpx.Client(base_url=base) as http:
        http.post(
            "/v1/auth/register",
            json={
                "email": admin,
                "password": PASSWORD,
                "display_name": "Ada",
                "corporation_name": admin,
            },
        ).raise_for_status()
        token = http.post("/v1/auth/login", json={"email": admin, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        project = http.post("/v1/labeling/projects", json={"name": "Signs"}, headers=headers)
        for name in ("a.jpg", "b.jpg"):
            http.post(
                f"/v1/labeling/projects/{project.json()['id']}/files",
                json={"name": name},
                headers=headers,
            ).raise_for_status()
        http.post(
            "/v1/users",
            json={"email": guest, "password": PASSWORD, "display_name": "Grace"},
            headers=headers,
        )
    return admin, guest


async def _open(browser: object, base: str, email: str) -> object:
    context = await browser.new_context()  # type: ignore[attr-defined]
    page = await context.new_page()
    await page.goto(f"{base}/app/labeling")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#login", state="hidden")
    await page.wait_for_selector("#connection.online")
    await page.wait_for_selector("li.file[data-file='a.jpg']")
    return page


async def test_a_lock_taken_in_one_browser_shows_in_the_other(
    server: str, browser: object, tmp_path: Path
) -> None:
    admin, guest = _team(server)
    ada = await _open(browser, server, admin)
    grace = await _open(browser, server, guest)

    # Ada chooses a.jpg: locked to her and open in her annotator.
    await ada.click("li.file[data-file='a.jpg']")  # type: ignore[attr-defined]
    await ada.wait_for_selector("#annotator:not([hidden])")  # type: ignore[attr-defined]
    mine = ada.locator("#annotator-lock")  # type: ignore[attr-defined]
    await mine.filter(has_text="Yours").wait_for()
    theirs = grace.locator("li.file.locked[data-file='a.jpg']")  # type: ignore[attr-defined]
    await theirs.wait_for(timeout=5000)
    assert "Being labeled by Ada" in await theirs.inner_text()
    await grace.screenshot(path=str(tmp_path / "grace.png"))  # type: ignore[attr-defined]

    # Grace clicks the locked file: refused, with the holder named.
    await grace.click("li.file[data-file='a.jpg']")  # type: ignore[attr-defined]
    message = grace.locator("#message")  # type: ignore[attr-defined]
    await message.filter(has_text="locked by Ada").wait_for(timeout=5000)

    # Ada closes the annotator: Grace sees it free again, and takes it.
    await ada.click("#close")  # type: ignore[attr-defined]
    free = grace.locator("li.file[data-file='a.jpg']:not(.locked)")  # type: ignore[attr-defined]
    await free.wait_for(timeout=5000)
    await grace.click("li.file[data-file='a.jpg']")  # type: ignore[attr-defined]
    await (
        ada.locator(  # type: ignore[attr-defined]
            "li.file.locked[data-file='a.jpg']"
        )
        .filter(has_text="Being labeled by Grace")
        .wait_for(timeout=5000)
    )


async def test_an_uploaded_image_shows_in_its_tile(server: str, browser: object) -> None:
    admin, _guest = _team(server)
    ada = await _open(browser, server, admin)
    image = Path(__file__).resolve().parents[2] / "http" / "files" / "cat.png"
    await ada.set_input_files("#upload input[type=file]", str(image))  # type: ignore[attr-defined]
    await ada.click("#upload button")  # type: ignore[attr-defined]
    # Decoded by the browser at its real size (8 x 8): the bytes came back intact.
    await ada.wait_for_function(  # type: ignore[attr-defined]
        """() => {
            const img = document.querySelector("li.file[data-file='cat.png'] img");
            return img !== null && img.complete && img.naturalWidth === 8;
        }""",
        timeout=5000,
    )
