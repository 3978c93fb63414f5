"""The pages behind mailed links, in Chromium against a real `backlot serve` whose mails
land as .eml files: a person confirms their address and chooses a new password by
following the link, in English or Korean, under the pages' CSP; a used link says so."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, bearer, running_server, unique_email
from tests.web.axe import assert_accessible
from tests.web.test_csp import RECORD_VIOLATIONS

NEW_PASSWORD = "quiet lantern orchard 42"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    cwd = tmp_path_factory.mktemp("account-pages")
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(cwd, env) as base:
        yield base, cwd / "var" / "mail"


def _link_sent_to(mail_dir: Path, address: str, after: set[Path], page: str) -> str:
    """The link to `page` in a mail to `address` written after `after` (waiting, bounded,
    for it: mails are sent after the answer, so the registration's may come late)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in sorted(set(mail_dir.glob("*.eml")) - after):
            message: Message = email.message_from_bytes(path.read_bytes())
            if address not in str(message["To"]):
                continue
            parts = message.walk() if message.is_multipart() else [message]
            for part in parts:
                if part.get_content_type() == "text/plain":
                    body = part.get_payload(decode=True)
                    assert isinstance(body, bytes)
                    found = re.search(rf"https?://\S+/{page}\?token=[\w-]+", body.decode())
                    if found:
                        return found.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no mail with a link to {address}")


async def _post(base: str, path: str, body: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as http:
        return await http.post(path, json=body)


async def _get(base: str, path: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as http:
        return await http.get(path, headers=headers)


def _mails(mail_dir: Path) -> set[Path]:
    return set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()


async def _open(browser: object, url: str, locale: str) -> tuple[object, list[str]]:
    context = await browser.new_context(locale=locale)  # type: ignore[attr-defined]
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(url)
    return page, problems


def _on_our_server(link: str, base: str) -> str:
    # Links are built on BACKLOT_PUBLIC_URL (its default port, not the test server's).
    return base + link[link.index("/app/") :]


async def _reset_link(base: str, mail_dir: Path, address: str) -> str:
    """Register `address`, ask for a password reset, and return the mailed link."""
    registered = await _post(base, "/v1/auth/register", {"email": address, "password": PASSWORD})
    assert registered.is_success
    before = _mails(mail_dir)
    assert (await _post(base, "/v1/auth/password-reset", {"email": address})).is_success
    return _on_our_server(_link_sent_to(mail_dir, address, before, "app/reset-password"), base)


async def test_a_person_confirms_their_address_by_the_link(
    browser: object, served: tuple[str, Path]
) -> None:
    base, mail_dir = served
    address = unique_email("confirm")
    before = _mails(mail_dir)
    answer = await _post(base, "/v1/auth/register", {"email": address, "password": PASSWORD})
    assert answer.status_code == 202
    link = _on_our_server(_link_sent_to(mail_dir, address, before, "app/verify-email"), base)
    page, problems = await _open(browser, link, "en-US")
    await page.wait_for_selector("text=your email address is confirmed")  # type: ignore[attr-defined]
    assert "token" not in page.url  # type: ignore[attr-defined]
    login = await _post(base, "/v1/auth/login", {"email": address, "password": PASSWORD})
    me = await _get(base, "/v1/users/me", bearer(login.json()["access_token"]))
    assert me.json()["email_verified"] is True
    # The same link again: used up, and the page says what to do.
    again, _ = await _open(browser, link, "en-US")
    await again.wait_for_selector("text=already used")  # type: ignore[attr-defined]
    assert await page.evaluate("window.__violations") == []  # type: ignore[attr-defined]
    assert problems == []


async def test_a_person_chooses_a_new_password_in_korean(
    browser: object, served: tuple[str, Path]
) -> None:
    base, mail_dir = served
    address = unique_email("reset")
    link = await _reset_link(base, mail_dir, address)
    page, problems = await _open(browser, link, "ko-KR")
    await page.wait_for_selector("text=새 비밀번호 정하기")  # type: ignore[attr-defined]
    assert await page.get_attribute("html", "lang") == "ko"  # type: ignore[attr-defined]
    # By keyboard: the first field has the focus; mismatched passwords are a sentence.
    await page.keyboard.type(NEW_PASSWORD)  # type: ignore[attr-defined]
    await page.keyboard.press("Tab")  # type: ignore[attr-defined]
    await page.keyboard.type(NEW_PASSWORD + "x")  # type: ignore[attr-defined]
    await page.keyboard.press("Enter")  # type: ignore[attr-defined]
    await page.wait_for_selector("text=두 비밀번호가 다릅니다")  # type: ignore[attr-defined]
    await page.fill("input[name=again]", NEW_PASSWORD)  # type: ignore[attr-defined]
    await page.keyboard.press("Enter")  # type: ignore[attr-defined]
    await page.wait_for_selector("text=새 비밀번호가 저장되었습니다")  # type: ignore[attr-defined]
    old = await _post(base, "/v1/auth/login", {"email": address, "password": PASSWORD})
    new = await _post(base, "/v1/auth/login", {"email": address, "password": NEW_PASSWORD})
    assert (old.status_code, new.status_code) == (401, 200)
    assert await page.evaluate("window.__violations") == []  # type: ignore[attr-defined]
    assert problems == []


async def test_a_weak_password_is_refused_in_a_sentence(
    browser: object, served: tuple[str, Path]
) -> None:
    base, mail_dir = served
    address = unique_email("weak")
    link = await _reset_link(base, mail_dir, address)
    page, _ = await _open(browser, link, "en-US")
    await page.fill("input[name=password]", "password123")  # type: ignore[attr-defined]
    await page.fill("input[name=again]", "password123")  # type: ignore[attr-defined]
    await page.click("button[type=submit]")  # type: ignore[attr-defined]
    await page.wait_for_selector("text=too easy to guess")  # type: ignore[attr-defined]
    # 375 px wide: the form fits without sideways scrolling.
    await page.set_viewport_size({"width": 375, "height": 700})  # type: ignore[attr-defined]
    wide = await page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert wide <= 375


@pytest.mark.parametrize(("locale", "width"), [("en-US", 1280), ("ko-KR", 375)])
async def test_the_account_pages_wear_the_shell_and_pass_axe(
    browser: object, served: tuple[str, Path], locale: str, width: int
) -> None:
    base, _ = served
    context = await browser.new_context(  # type: ignore[attr-defined]
        locale=locale, viewport={"width": width, "height": 800}
    )
    page = await context.new_page()
    for path in ("/app/verify-email", "/app/reset-password"):  # a link without its token
        await page.goto(f"{base}{path}")
        await page.wait_for_selector("header#shell .brand")
        await page.wait_for_function("() => document.querySelector('#message').textContent")
        expected = "링크가 완전하지 않습니다" if locale == "ko-KR" else "This link is incomplete"
        assert expected in str(await page.text_content("#message"))
        await assert_accessible(page, f"{path}, {locale}, {width} px")
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width
    await context.close()
