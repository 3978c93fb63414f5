"""The front door at /, in Chromium on a real server: a newcomer signs up with a new company
or a personal account and lands signed in, then reaches every app from the launcher and
from the shell; a taken address gets the mailbox sentence; "Forgot your password?" says
its one sentence and a mail is written; /app and /login lead to /; the favicon is ours."""

from __future__ import annotations

import email
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest

from backlot.web.pages import STATIC_DIR, VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.web.test_csp import RECORD_VIOLATIONS

pytestmark = pytest.mark.skipif(
    not VENDOR["socket.io.min.js"].is_file(),
    reason="browser tests: the npm libraries are missing (run make)",
)

APPS = {"labeling": "Labeling", "workspace": "Workspace", "videos": "Videos", "dubbing": "Dubbing"}
CHECK_MAIL = "We mailed {email} a link to confirm the address."
RESET_SENT = "If this address has an account, we mailed it a link to choose a new password."


def serve(tmp_path_factory: pytest.TempPathFactory, **env: str) -> Iterator[tuple[str, Path]]:
    """A `backlot serve` with these settings; yields its address and its mail folder."""
    cwd = tmp_path_factory.mktemp("landing")
    settings = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning", **env}
    with running_server(cwd, settings) as base:
        yield base, cwd / "var" / "mail"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    yield from serve(tmp_path_factory)


def mail_to(mail_dir: Path, address: str, subject: str, *, wait: float = 10) -> Message:
    """The mail with this subject written to `address`, waiting (bounded) for it: mails
    are sent after the answer."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []:
            message = email.message_from_bytes(path.read_bytes())
            if address in str(message["To"]) and message["Subject"] == subject:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no mail {subject!r} to {address}")


async def register(base: str, account: dict[str, str]) -> None:
    """An account made through the API, as someone else (or the same person) did before."""
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.post("/v1/auth/register", json=account)
    assert answer.status_code == 202, answer.text


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            body = part.get_payload(decode=True)
            assert isinstance(body, bytes)
            return body.decode()
    raise AssertionError("the mail has no text part")


async def open_page(browser: Any, url: str, locale: str = "en-US", width: int = 1280) -> Any:
    """A new page at `url` that records policy violations and script errors."""
    context = await browser.new_context(locale=locale, viewport={"width": width, "height": 800})
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    await page.goto(url)
    return page


async def sign_up(
    page: Any, address: str, *, company: str | None, password: str = PASSWORD
) -> None:
    """Fill and send the sign-up form, reached as a person would: the sign-in form's link."""
    await page.wait_for_selector("#login:not([hidden])")
    await page.click("#login a[href='/#sign-up']")
    await page.wait_for_selector("#sign-up:not([hidden])")
    assert await page.is_hidden("#login")
    # The link moved the keyboard to the form's first field.
    assert await page.evaluate("document.activeElement.name") == "email"
    await page.keyboard.type(address)
    await page.fill("#sign-up input[name=password]", password)
    await page.fill("#sign-up input[name=display_name]", "Ada Lovelace")
    if company is None:
        await page.check("#sign-up input[value=personal]")
        assert await page.is_hidden("#sign-up input[name=corporation_name]")
    else:
        await page.fill("#sign-up input[name=corporation_name]", company)
    await page.click("#sign-up button[type=submit]")


async def said(page: Any) -> str:
    await page.wait_for_function("() => document.querySelector('#message').textContent !== ''")
    return str(await page.text_content("#message"))


async def test_sign_up_with_a_new_company_then_reach_every_app(
    served: tuple[str, Path], browser: Any
) -> None:
    base, _ = served
    page = await open_page(browser, f"{base}/")
    await sign_up(page, unique_email("founder"), company="Analytical Engines")
    await page.wait_for_selector("#launcher:not([hidden])")
    assert await page.is_hidden("#door")
    assert await page.text_content("#launcher h2") == "Welcome, Ada Lovelace"
    assert await page.text_content("#standing") == "Analytical Engines · free plan · admin"
    assert await page.is_visible("#launch-admin a[href='/app/admin']")
    docs = await page.eval_on_selector_all(
        "#launcher a[href^='/docs'], #launcher a[href^='/redoc']", "(a) => a.map((x) => x.href)"
    )
    assert docs == [f"{base}/docs", f"{base}/redoc"]

    for app, name in APPS.items():
        # From the launcher to the app, signed in there too...
        await page.click(f"#launcher a[href='/app/{app}']")
        await page.wait_for_url(f"{base}/app/{app}")
        if app == "workspace":  # its own header; it has no shell (yet)
            assert "Workspace" in await page.title()
            await page.goto(f"{base}/")
            continue
        await page.wait_for_selector("#who:not([hidden])")
        assert await page.text_content("header#shell nav a[aria-current=page]") == name
        # ...and back home by the shell's brand.
        await page.click("header#shell a.brand")
        await page.wait_for_selector("#launcher:not([hidden])")
    # The shell's own links lead to every app as well.
    for app in APPS:
        await page.click(f"header#shell nav a[href='/app/{app}']")
        await page.wait_for_url(f"{base}/app/{app}")
        if app != "workspace":
            await page.wait_for_selector("#who:not([hidden])")
        await page.goto(f"{base}/")
    assert await page.evaluate("window.__violations") == []
    assert page.errors == []
    await page.context.close()


async def test_sign_up_with_a_personal_account(served: tuple[str, Path], browser: Any) -> None:
    base, _ = served
    page = await open_page(browser, f"{base}/")
    await sign_up(page, unique_email("solo"), company=None)
    await page.wait_for_selector("#launcher:not([hidden])")
    assert await page.text_content("#standing") == "personal account · member"
    assert await page.is_hidden("#launch-admin")
    # Signed in for good: a reload stays signed in (the session cookie).
    await page.reload()
    await page.wait_for_selector("#launcher:not([hidden])")
    await page.context.close()


async def test_a_taken_address_is_sent_to_the_mailbox(
    served: tuple[str, Path], browser: Any
) -> None:
    base, mail_dir = served
    address = unique_email("taken")
    owner = {"email": address, "password": "someone else's passphrase"}
    await register(base, owner)
    page = await open_page(browser, f"{base}/")
    await sign_up(page, address, company="Copycats")
    assert (await said(page)).startswith(CHECK_MAIL.format(email=address))
    assert await page.is_hidden("#launcher")
    assert await page.text_content("#sign-up-error") == ""
    # The owner hears of it.
    mail_to(mail_dir, address, "Someone tried to register with your address")
    await page.context.close()


async def test_a_weak_or_short_password_is_refused_in_words(
    served: tuple[str, Path], browser: Any
) -> None:
    base, _ = served
    page = await open_page(browser, f"{base}/#sign-up")
    await page.wait_for_selector("#sign-up:not([hidden])")
    await page.fill("#sign-up input[name=email]", unique_email("weak"))
    await page.fill("#sign-up input[name=password]", "password123")
    await page.fill("#sign-up input[name=display_name]", "Weak")
    await page.fill("#sign-up input[name=corporation_name]", "Weak Inc")
    await page.click("#sign-up button[type=submit]")
    await page.wait_for_function("() => document.querySelector('#sign-up-error').textContent")
    assert "too easy to guess" in str(await page.text_content("#sign-up-error"))
    assert await page.is_hidden("#launcher")
    await page.context.close()


async def test_forgot_password_says_one_sentence_and_mails_a_link(
    served: tuple[str, Path], browser: Any
) -> None:
    base, mail_dir = served
    address = unique_email("forgetful")
    account = {"email": address, "password": PASSWORD}
    await register(base, account)
    for asked in (address, unique_email("nobody")):  # known or not: the same sentence
        page = await open_page(browser, f"{base}/app/videos")
        # The link of the sign-in form on another page opens the right form here.
        await page.wait_for_selector("#login:not([hidden])")
        await page.click("#login a[href='/#forgot']")
        await page.wait_for_selector("#forgot:not([hidden])")
        await page.fill("#forgot input[name=email]", asked)
        await page.click("#forgot button[type=submit]")
        assert (await said(page)).startswith(RESET_SENT)
        await page.context.close()
    reset = mail_to(mail_dir, address, "Reset your password")
    assert "/app/reset-password?token=" in text_of(reset)


def test_guessed_addresses_lead_home_and_the_favicon_is_ours(served: tuple[str, Path]) -> None:
    base, _ = served
    for path in ("/app", "/app/", "/login"):
        answer = httpx.get(f"{base}{path}")
        assert answer.status_code in (307, 308), path
        assert answer.headers["location"] == "/"
    home = httpx.get(f"{base}/")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in home.headers["content-security-policy"]
    icon = httpx.get(f"{base}/favicon.ico")
    assert (icon.status_code, icon.headers["content-type"]) == (200, "image/svg+xml")
    assert icon.content.startswith(b"<svg")
    assert httpx.get(f"{base}/app/static/favicon.svg").status_code == 200
    for html in STATIC_DIR.glob("*.html"):
        assert 'rel="icon" href="/app/static/favicon.svg"' in html.read_text(), html.name
