"""The pages under their Content-Security-Policy in Chromium: nothing they need is
blocked (no violation, no console error), and an injected inline script is."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import running_server
from tests.workspace.conftest import member, open_room

pytestmark = [
    pytest.mark.skipif(
        not all(path.is_file() for path in VENDOR.values()),
        reason="browser tests: the page's npm libraries are missing (run make)",
    ),
]

# Registered before any page script runs: every violation the page causes is kept.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("csp-pages"), env) as base:
        yield base


async def _open(browser: object, url: str) -> tuple[object, list[str]]:
    context = await browser.new_context()  # type: ignore[attr-defined]
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))

    def on_console(message: object) -> None:
        if message.type != "error":  # type: ignore[attr-defined]
            return
        where = message.location.get("url", "")  # type: ignore[attr-defined]
        if where.endswith("/favicon.ico"):  # the pages have none; not a policy matter
            return
        problems.append(f"console: {message.text} at {where}")  # type: ignore[attr-defined]

    page.on("console", on_console)
    response = await page.goto(url)
    assert response is not None and "content-security-policy" in response.headers
    await page.wait_for_load_state("networkidle")
    return page, problems


@pytest.mark.parametrize("path", ["/app/labeling", "/app/videos", "/app/dubbing"])
async def test_a_page_loads_without_csp_violations(browser: object, server: str, path: str) -> None:
    page, problems = await _open(browser, server + path)
    assert await page.evaluate("window.__violations") == []  # type: ignore[attr-defined]
    assert problems == []


async def test_the_workspace_with_blockly_has_no_csp_violations(
    browser: object, server: str
) -> None:
    room = uuid.uuid4().hex[:12]
    # Rooms are made by signed-in people; an anonymous visitor may edit this one.
    await open_room(server, await member(server), room_id=room, title=room, anonymous_edit=True)
    page, problems = await _open(browser, f"{server}/app/workspace/{room}")
    await page.fill("#join input[name=nickname]", "ann")  # type: ignore[attr-defined]
    await page.click("#join button[type=submit]")  # type: ignore[attr-defined]
    await page.wait_for_selector("#connection.online")  # type: ignore[attr-defined]
    await page.wait_for_selector(".blocklySvg")  # type: ignore[attr-defined]
    await page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert await page.evaluate("window.__violations") == []  # type: ignore[attr-defined]
    assert problems == []


async def test_an_injected_inline_script_is_blocked(browser: object, server: str) -> None:
    page, _ = await _open(browser, f"{server}/app/videos")
    ran = await page.evaluate(  # type: ignore[attr-defined]
        """() => {
          window.__ran = false;
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.append(script);
          return window.__ran;
        }"""
    )
    assert ran is False
    violations = await page.evaluate("window.__violations")  # type: ignore[attr-defined]
    assert any(v.startswith("script-src") for v in violations), violations
