"""Sign-up from / on servers that want more than an address: one that lets nobody in
before they confirm their address (the page says to look in the mailbox, the same for a
new and a taken address; the mailed link then lets them in), and one closed to sign-ups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backlot.web.pages import VENDOR
from tests.helpers import PASSWORD, unique_email
from tests.web.test_landing import (
    CHECK_MAIL,
    mail_to,
    open_page,
    register,
    said,
    serve,
    sign_up,
    text_of,
)

pytestmark = pytest.mark.skipif(
    not VENDOR["socket.io.min.js"].is_file(),
    reason="browser tests: the npm libraries are missing (run make)",
)


@pytest.fixture(scope="module")
def verifying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    yield from serve(tmp_path_factory, BACKLOT_REQUIRE_EMAIL_VERIFICATION="true")


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    yield from serve(tmp_path_factory, BACKLOT_ALLOW_REGISTRATION="false")


async def test_a_new_address_confirms_by_mail_then_signs_in(
    verifying: tuple[str, Path], browser: Any
) -> None:
    base, mail_dir = verifying
    address = unique_email("careful")
    page = await open_page(browser, f"{base}/")
    await sign_up(page, address, company="Careful Co")
    assert (await said(page)).startswith(CHECK_MAIL.format(email=address))
    assert await page.is_hidden("#launcher")
    assert await page.text_content("#sign-up-error") == ""

    found = re.search(
        r"https?://\S+(/app/verify-email\?token=[\w-]+)",
        text_of(mail_to(mail_dir, address, "Confirm your email address")),
    )
    assert found, "the mail has no confirmation link"
    await page.goto(base + found.group(1))  # links name BACKLOT_PUBLIC_URL, not this port
    await page.wait_for_selector("text=your email address is confirmed")
    await page.click("#next a")
    await page.wait_for_url(f"{base}/#sign-in")
    await page.wait_for_selector("#login:not([hidden])")
    await page.fill("#login input[name=email]", address)
    await page.fill("#login input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#launcher:not([hidden])")
    assert await page.text_content("#standing") == "Careful Co · free plan · admin"
    assert await page.evaluate("window.__violations") == []
    assert page.errors == []
    await page.context.close()


async def test_a_taken_address_gets_the_same_answer(
    verifying: tuple[str, Path], browser: Any
) -> None:
    base, _ = verifying
    taken, new = unique_email("owner"), unique_email("newcomer")
    owner = {"email": taken, "password": "the owner's own passphrase"}
    await register(base, owner)
    answers = []
    for address in (taken, new):
        page = await open_page(browser, f"{base}/")
        await sign_up(page, address, company=None)
        answers.append((await said(page)).replace(address, "ADDRESS"))
        assert await page.is_hidden("#launcher")
        await page.context.close()
    assert answers[0] == answers[1]


async def test_a_server_closed_to_sign_ups_says_so(closed: tuple[str, Path], browser: Any) -> None:
    base, _ = closed
    page = await open_page(browser, f"{base}/", locale="ko-KR")
    await sign_up(page, unique_email("late"), company="Late Ltd")
    await page.wait_for_function("() => document.querySelector('#sign-up-error').textContent")
    assert await page.text_content("#sign-up-error") == (
        "이곳에서는 새로 가입할 수 없습니다. 관리자에게 계정을 요청하세요."
    )
    await page.context.close()
