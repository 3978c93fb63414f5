"""The API docs in Chromium with the network cut off: Swagger UI and ReDoc render from
the package alone (not one request to another host is even attempted), with no console
error and no CSP violation; Swagger's OAuth2 redirect page answers."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import running_server
from tests.web.axe import AXE, assert_accessible
from tests.web.test_csp import RECORD_VIOLATIONS

pytestmark = [
    pytest.mark.skipif(
        not all(path.is_file() for path in VENDOR.values()),
        reason="browser tests: the docs' npm libraries are missing (run make)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("api-docs"), env) as base:
        yield base


REDOC_SAMPLE = [
    ".backlot-home",
    ".menu-content",
    ".api-content > div:nth-child(-n+4)",
    ".api-content [id^='tag/labeling/operation/unlock']",
]


class Offline:
    """A browser page that may reach 127.0.0.1 only, keeping what else it tried and every
    console error, page error and policy violation."""

    def __init__(self) -> None:
        self.elsewhere: list[str] = []
        self.problems: list[str] = []

    async def open(self, browser: object, url: str) -> object:
        context = await browser.new_context()  # type: ignore[attr-defined]
        await context.add_init_script(RECORD_VIOLATIONS)
        await context.route("**/*", self._route)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        page.on("console", self._console)
        response = await page.goto(url)
        assert response is not None and response.status == 200
        return page

    async def _route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).scheme in ("blob", "data") or urlsplit(url).hostname == "127.0.0.1":
            await route.continue_()  # type: ignore[attr-defined]
        else:
            self.elsewhere.append(url)
            await route.abort()  # type: ignore[attr-defined]

    def _console(self, message: object) -> None:
        if message.type == "error":  # type: ignore[attr-defined]
            self.problems.append(f"console: {message.text}")  # type: ignore[attr-defined]


async def _clean(offline: Offline, page: object) -> None:
    await page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert offline.elsewhere == []
    assert await page.evaluate("window.__violations") == []  # type: ignore[attr-defined]
    assert offline.problems == []


async def test_swagger_ui_renders_offline(browser: object, server: str) -> None:
    offline = Offline()
    page = await offline.open(browser, server + "/docs")
    operations = page.locator(".opblock-summary-path")  # type: ignore[attr-defined]
    await operations.filter(has_text="/v1/labeling/lock").first.wait_for()
    # Opened, an operation shows its parameters, its example and the "Try it out" form.
    await operations.filter(has_text="/v1/labeling/lock").first.click()
    await page.click("button.try-out__btn")  # type: ignore[attr-defined]
    await page.wait_for_selector(".opblock-body .highlight-code")  # type: ignore[attr-defined]
    await page.click("button.authorize")  # type: ignore[attr-defined]
    await page.wait_for_selector("#oauth_username")  # type: ignore[attr-defined]
    await _clean(offline, page)


async def test_redoc_renders_offline(browser: object, server: str) -> None:
    offline = Offline()
    page = await offline.open(browser, server + "/redoc")
    await page.wait_for_selector("h2:text-is('List Lock Events')")  # type: ignore[attr-defined]
    # The search runs in ReDoc's worker (a blob: URL, allowed by worker-src).
    await page.fill("input[placeholder='Search...']", "unlock")  # type: ignore[attr-defined]
    result = page.locator("[data-role='search:results'] li", has_text="Unlock")  # type: ignore[attr-defined]
    await result.first.wait_for()
    await _clean(offline, page)


async def test_the_oauth2_redirect_page_answers(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        response = await http.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert "swaggerUIRedirectOauth2" in response.text
    assert "sha256-" in response.headers["content-security-policy"]


@pytest.mark.skipif(not AXE.is_file(), reason="axe-core is missing (run make)")
async def test_the_docs_pass_axe_and_lead_home(browser: object, server: str) -> None:
    """Swagger UI with our contrast fixes and without deep links (a link inside each
    operation's button), ReDoc as it is; both in English, with a way back to Backlot."""
    offline = Offline()
    page = await offline.open(browser, server + "/docs")
    await page.locator(".opblock-summary-path").first.wait_for()  # type: ignore[attr-defined]
    await assert_accessible(page, "/docs")
    assert await page.get_attribute("a.backlot-home", "href") == "/"  # type: ignore[attr-defined]
    page = await offline.open(browser, server + "/redoc")
    await page.wait_for_selector("h2:text-is('List Lock Events')")  # type: ignore[attr-defined]
    # ReDoc draws every operation with the same few templates (19,000 elements): its
    # header, menu and first sections hold each of them, and axe on all takes a minute.
    for selector in REDOC_SAMPLE:
        assert await page.locator(selector).count() > 0, selector  # type: ignore[attr-defined]
    await assert_accessible(page, "/redoc", include=REDOC_SAMPLE)
    await _clean(offline, page)
