"""The landing page passes axe-core with no serious or critical violation, signed out (each
of its three forms) and signed in, at 1280 and 375 px, in English and Korean, and never
scrolls sideways on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PASSWORD, unique_email
from tests.web.axe import AXE, assert_accessible
from tests.web.test_landing import open_page, register, serve
from tests.web.test_landing import pytestmark as needs_libraries

pytestmark = [
    needs_libraries,
    pytest.mark.skipif(not AXE.is_file(), reason="axe-core is missing (run make)"),
]

TITLES = {
    "en-US": {
        "#login": "Sign in",
        "#sign-up": "Create an account",
        "#forgot": "Forgot your password?",
    },
    "ko-KR": {"#login": "로그인", "#sign-up": "계정 만들기", "#forgot": "비밀번호를 잊으셨나요?"},
}
HASHES = {"#login": "#sign-in", "#sign-up": "#sign-up", "#forgot": "#forgot"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    yield from serve(tmp_path_factory)


async def _fits(page: Any, what: str) -> None:
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow} px"


@pytest.mark.parametrize(("locale", "width"), [("en-US", 1280), ("ko-KR", 375)])
async def test_the_landing_page_is_accessible(
    served: tuple[str, Path], browser: Any, locale: str, width: int
) -> None:
    base, _ = served
    address = unique_email("axe")
    account = {"email": address, "password": PASSWORD, "corporation_name": "Axe & Co"}
    await register(base, account)
    page = await open_page(browser, f"{base}/", locale=locale, width=width)
    assert await page.get_attribute("html", "lang") == locale[:2]
    for form, title in TITLES[locale].items():
        await page.goto(f"{base}/{HASHES[form]}")
        await page.wait_for_selector(f"{form}:not([hidden])")
        assert await page.text_content(f"{form} h2") == title
        what = f"/{HASHES[form]} signed out, {locale}, {width} px"
        await assert_accessible(page, what)
        await _fits(page, what)

    await page.goto(f"{base}/#sign-in")
    await page.wait_for_selector("#login:not([hidden])")
    await page.fill("#login input[name=email]", address)
    await page.fill("#login input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#launcher:not([hidden])")
    await page.wait_for_load_state("networkidle")
    what = f"/ signed in, {locale}, {width} px"
    await assert_accessible(page, what)
    await _fits(page, what)
    assert page.errors == []
    await page.context.close()
