"""The labeling page as each kind of user meets it, in Chromium on a real server: a file
opened (so locked) and closed (so released) by keyboard alone, the page in Korean (a
problem said in Korean too), an admin creating the first project from the empty state, a
member told whom to ask, a personal account told why labeling is not for them; each
state passes axe at 1280 and 375 px in both languages. With a short lock lifetime, a held
lock is renewed and its countdown never shows zero; a lock the server let go while the
socket was away is said to have ended."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.web.axe import AXE, assert_accessible

pytestmark = pytest.mark.skipif(
    not (VENDOR["socket.io.min.js"].is_file() and AXE.is_file()),
    reason="browser tests: the npm libraries are missing (run make)",
)
LOCK_TTL = 6  # seconds; the page must renew well before


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_LABELING_LOCK_TTL_SECONDS": str(LOCK_TTL),
    }
    with running_server(tmp_path_factory.mktemp("labeling-states"), env) as base:
        yield base


def _register(http: httpx.Client, prefix: str, company: bool = True) -> tuple[str, dict[str, str]]:
    email = unique_email(prefix)
    account = {"email": email, "password": PASSWORD, "display_name": "Ada"}
    if company:
        account["corporation_name"] = email
    http.post("/v1/auth/register", json=account).raise_for_status()
    token = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    return email, {"Authorization": f"Bearer {token['access_token']}"}


def _admin_with_files(base: str, *files: str) -> str:
    with httpx.Client(base_url=base) as http:
        email, headers = _register(http, "states-admin")
        project = http.post("/v1/labeling/projects", json={"name": "Signs"}, headers=headers)
        for name in files:
            path = f"/v1/labeling/projects/{project.json()['id']}/files"
            http.post(path, json={"name": name}, headers=headers).raise_for_status()
    return email


def _member_without_projects(base: str) -> str:
    member = unique_email("empty-member")
    with httpx.Client(base_url=base) as http:
        _email, headers = _register(http, "empty-team")
        http.post(
            "/v1/users",
            json={"email": member, "password": PASSWORD, "display_name": "Grace"},
            headers=headers,
        ).raise_for_status()
    return member


def _locked_files(base: str, email: str) -> list[str]:
    """The locked files of the user's first project, as the server sees them."""
    with httpx.Client(base_url=base) as http:
        token = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        project = http.get("/v1/labeling/projects", headers=headers).json()["items"][0]
        status = http.get(f"/v1/labeling/status/{project['id']}", headers=headers).json()
    return [lock["file"] for lock in status["locks"]]


async def _signed_in(browser: Any, base: str, email: str, locale: str = "en-US") -> Any:
    context = await browser.new_context(locale=locale)
    page = await context.new_page()
    await page.goto(f"{base}/app/labeling")
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
    await page.select_option("#lang", "en")
    await page.set_viewport_size({"width": 1280, "height": 800})


async def _tab_to(page: Any, selector: str, key: str = "Tab") -> None:
    """Presses Tab (or `key`) until the element has the focus, as a keyboard user would."""
    for _ in range(40):
        await page.keyboard.press(key)
        if await page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


async def test_a_file_is_opened_and_closed_by_keyboard_alone(server: str, browser: Any) -> None:
    email = _admin_with_files(server, "a.jpg", "b.jpg")
    page = await _signed_in(browser, server, email)
    await page.wait_for_selector("#connection.online")
    tile = page.locator("li.file[data-file='a.jpg']")
    assert "New" in await tile.inner_text()

    await _tab_to(page, "li.file[data-file='a.jpg'] button")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#annotator:not([hidden])")
    await page.locator("#annotator-lock", has_text="Yours").wait_for()
    # The image and the saved shapes load, then the drawing area takes the focus.
    await page.wait_for_function("() => document.activeElement?.id === 'stage'")
    assert _locked_files(server, email) == ["a.jpg"]
    await asyncio.sleep(1.5)  # the countdown redraws: the focus stays where it was
    assert await page.evaluate("document.activeElement.id") == "stage"

    await _tab_to(page, "#close", "Shift+Tab")
    await page.keyboard.press("Space")
    await page.wait_for_selector("#annotator", state="hidden")
    assert await page.evaluate("document.activeElement.closest('li').dataset.file") == "a.jpg"
    await tile.filter(has_text="New").wait_for()
    assert await page.is_hidden("#mine")
    for _ in range(50):  # the release is on its way
        if not _locked_files(server, email):
            break
        await asyncio.sleep(0.1)
    assert _locked_files(server, email) == []
    await _accessible_everywhere(page, "labeling with files")
    await page.context.close()


async def test_the_page_speaks_korean_and_says_problems_in_korean(
    server: str, browser: Any
) -> None:
    page = await _signed_in(browser, server, _admin_with_files(server, "a.jpg"), "ko-KR")
    await page.wait_for_selector("#connection.online")
    assert await page.text_content("main h1") == "라벨링"
    assert await page.text_content("#files-title") == "파일"
    assert await page.text_content("#connection") == "실시간 연결됨"
    assert "새 파일" in await page.inner_text("li.file[data-file='a.jpg']")

    await page.click("li.file[data-file='a.jpg']")
    await page.locator("#annotator-lock", has_text="내가 잠금").wait_for()
    assert await page.text_content("#close") == "닫기"
    await page.click("#close")
    await page.locator("li.file[data-file='a.jpg']", has_text="새 파일").wait_for()
    await page.fill("#add-file input[name=name]", "a.jpg")  # already there
    await page.click("#add-file button")
    await page.locator(
        "#message", has_text="같은 이름의 파일이 이미 프로젝트에 있습니다."
    ).wait_for()
    await page.select_option("#lang", "en")  # every text follows the switch, at once
    assert await page.text_content("main h1") == "Labeling"
    assert await page.text_content("#connection") == "Live"
    assert "New" in await page.inner_text("li.file[data-file='a.jpg']")
    assert await page.text_content("#message") == "A file with this name is already in the project."
    await page.context.close()


async def test_an_admin_creates_the_first_project_from_the_empty_state(
    server: str, browser: Any
) -> None:
    with httpx.Client(base_url=server) as http:
        email, _headers = _register(http, "empty-admin")
    page = await _signed_in(browser, server, email)
    await page.wait_for_selector("#empty:not([hidden])")
    assert await page.is_hidden("#workspace")
    assert (await page.text_content("#empty-text") or "").startswith("No project yet: create one")
    await _accessible_everywhere(page, "labeling empty, admin")

    await page.fill("#create-project input[name=name]", "Street signs")
    await page.click("#create-project button")
    await page.wait_for_selector("#workspace:not([hidden])")
    await page.wait_for_selector("#connection.online")
    assert await page.is_hidden("#empty")
    assert await page.text_content("#message") == "Project Street signs created."
    assert await page.eval_on_selector("#project", "(s) => s.selectedOptions[0].text") == (
        "Street signs"
    )
    assert await page.is_visible("#no-files")  # and what to do next
    await page.fill("#add-file input[name=name]", "first.jpg")
    await page.click("#add-file button")
    await page.wait_for_selector("li.file[data-file='first.jpg']")
    await page.context.close()


async def test_a_member_is_told_to_ask_an_admin(server: str, browser: Any) -> None:
    member = _member_without_projects(server)
    page = await _signed_in(browser, server, member)
    await page.wait_for_selector("#empty:not([hidden])")
    assert await page.text_content("#empty-text") == (
        "No project yet: ask an admin of your company to create one."
    )
    assert await page.is_hidden("#create-project")
    await _accessible_everywhere(page, "labeling empty, member")
    await page.select_option("#lang", "ko")
    assert await page.text_content("#empty-text") == (
        "아직 프로젝트가 없습니다. 회사 관리자에게 프로젝트를 만들어 달라고 요청하세요."
    )
    await page.context.close()


async def test_a_personal_account_is_told_labeling_is_for_companies(
    server: str, browser: Any
) -> None:
    with httpx.Client(base_url=server) as http:
        email, _headers = _register(http, "personal", company=False)
    page = await _signed_in(browser, server, email)
    notice = page.locator("#notice")
    await notice.wait_for()
    assert "Labeling is for company accounts" in await notice.inner_text()
    assert await page.is_hidden("#workspace") and await page.is_hidden("#empty")
    await _accessible_everywhere(page, "labeling, personal account")
    await page.select_option("#lang", "ko")
    assert "라벨링은 회사 계정에서 쓸 수 있습니다" in await notice.inner_text()
    await page.context.close()


async def test_a_held_lock_is_renewed_and_never_shows_zero(server: str, browser: Any) -> None:
    email = _admin_with_files(server, "a.jpg")
    page = await _signed_in(browser, server, email)
    await page.wait_for_selector("#connection.online")
    await page.click("li.file[data-file='a.jpg']")
    countdown = page.locator("#annotator-lock")
    await countdown.filter(has_text="Yours").wait_for()
    seen = set()
    for _ in range(int(LOCK_TTL * 2.5 / 0.25)):  # well past the first lifetime
        seen.add(await countdown.inner_text())
        await asyncio.sleep(0.25)
    assert not [text for text in seen if " 0 s" in text or "ended" in text], seen
    assert "Yours" in await countdown.inner_text()  # still ours
    assert _locked_files(server, email) == ["a.jpg"]  # and the server agrees
    await page.context.close()


async def test_a_lock_the_server_let_go_is_said_to_have_ended(server: str, browser: Any) -> None:
    email = _admin_with_files(server, "a.jpg")
    page = await _signed_in(browser, server, email)
    await page.wait_for_selector("#connection.online")
    await page.click("li.file[data-file='a.jpg']")
    countdown = page.locator("#annotator-lock")
    await countdown.filter(has_text="Yours").wait_for()
    # The socket goes away: the server lets the lock go after its grace, and the page,
    # renewing through the REST route meanwhile, learns it and says so.
    await page.evaluate("state.socket.disconnect()")
    await countdown.filter(has_text="Your lock has ended").wait_for(timeout=LOCK_TTL * 4000)
    assert _locked_files(server, email) == []
    await page.context.close()
