"""The admin console /app/admin in Chromium against a real `backlot serve`: a company admin
adds a teammate (who then signs in), changes roles, mails a password reset, removes a
member and is refused removing the last admin, in words; the platform superuser sets a
company's plan (a paid plan needs its last day) and the company's admin then reads it;
a member is told what the console is for; the page passes axe-core in both languages at
desktop and phone width, with no sideways scrolling."""

from __future__ import annotations

import email
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from backlot.accounts.superuser import create_superuser
from backlot.core.settings import Settings
from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.web.axe import AXE, assert_accessible
from tests.web.test_csp import RECORD_VIOLATIONS

pytestmark = pytest.mark.skipif(
    not (VENDOR["socket.io.min.js"].is_file() and AXE.is_file()),
    reason="browser tests: the npm libraries are missing (run make)",
)

TIMEZONE = "Asia/Seoul"  # days are the browser's: not UTC, so the round trip is tested


@dataclass
class Served:
    base: str
    mail_dir: Path
    superuser: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    cwd = tmp_path_factory.mktemp("admin-page")
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(cwd, env) as base:
        # The server migrated its database on start; the superuser goes into the same file.
        settings = Settings(database_url=f"sqlite+aiosqlite:///{cwd}/var/backlot.db")
        superuser = unique_email("operator")
        anyio.run(create_superuser, settings, superuser, PASSWORD, "Operator")
        yield Served(base, cwd / "var" / "mail", superuser)


def _register(base: str, prefix: str, **account: str) -> str:
    address = unique_email(prefix)
    body = {"email": address, "password": PASSWORD, **account}
    httpx.post(f"{base}/v1/auth/register", json=body).raise_for_status()
    return address


def _company_admin(base: str, company: str) -> str:
    return _register(base, "admin", display_name="Ada Lovelace", corporation_name=company)


async def _open(browser: Any, locale: str = "en-US", width: int = 1280) -> tuple[Any, Any]:
    context = await browser.new_context(
        locale=locale, timezone_id=TIMEZONE, viewport={"width": width, "height": 800}
    )
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    errors: list[str] = []
    # Chromium's own /favicon.ico request (no page asks for it) is no response event; the
    # page's requests are, so "Failed to load resource" is checked through those instead.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status == 404 else None)
    page.errors = errors
    return context, page


async def _sign_in(page: Any, base: str, address: str, path: str = "/app/admin") -> None:
    await page.goto(f"{base}{path}")
    await page.fill("input[name=email]", address)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#who:not([hidden])")


async def _message(page: Any, expected: str) -> None:
    message = page.locator("#message")
    await message.filter(has_text=expected).wait_for(timeout=5000)
    assert await message.text_content() == expected


def _row(page: Any, address: str) -> Any:
    return page.locator("#member-rows tr", has_text=address)


async def _add_member(page: Any, address: str, name: str, role: str = "guest") -> None:
    form = page.locator("#add-member")
    await form.get_by_label("Email").fill(address)
    await form.get_by_label("Display name").fill(name)
    await form.get_by_label("Initial password").fill(PASSWORD)
    await form.get_by_label("Role").select_option(role)
    await form.get_by_role("button", name="Add member").click()
    await _message(page, f"{name} was added. We mailed them a link to confirm their address.")


async def _clean(page: Any) -> None:
    """No CSP violation and no console error on the page."""
    assert await page.evaluate("window.__violations") == []
    assert page.errors == []


async def test_an_admin_adds_a_teammate_who_then_signs_in(served: Served, browser: Any) -> None:
    admin = _company_admin(served.base, "Analytical Engines")
    context, page = await _open(browser)
    await _sign_in(page, served.base, admin)
    assert await page.text_content("#company-plan") == "Analytical Engines is on the free plan."
    teammate = unique_email("grace")
    await _add_member(page, teammate, "Grace Hopper")
    row = _row(page, teammate)
    assert await row.locator("td").all_text_contents() == [
        "Grace Hopper",
        teammate,
        "Member",
        "Make adminSend password resetRemove",
    ]
    assert await page.text_content("#members-count") == "Showing 2 of 2."
    # Switching the language redraws what is shown, without asking the API again.
    await page.select_option("#lang", "ko")
    assert await row.locator("td").nth(2).text_content() == "구성원"
    plan = "Analytical Engines은(는) 무료 요금제를 쓰고 있습니다."
    assert await page.text_content("#company-plan") == plan
    assert await page.text_content("#members-count") == "전체 2개 중 2개를 보고 있습니다."
    await page.select_option("#lang", "en")

    rename = page.locator("#rename")
    await rename.get_by_label("Company name").fill("Analytical Engines Korea")
    await rename.get_by_role("button", name="Rename").click()
    await _message(page, "The company is now called Analytical Engines Korea.")
    assert await page.text_content("#standing") == "Analytical Engines Korea · free plan · admin"
    await _clean(page)

    other, theirs = await _open(browser)
    await _sign_in(theirs, served.base, teammate, "/app/labeling")
    standing = await theirs.text_content("#standing")
    assert standing == "Analytical Engines Korea · free plan · member"
    await other.close()
    await context.close()


async def test_roles_reset_mail_and_removal(served: Served, browser: Any) -> None:
    admin = _company_admin(served.base, "Difference Engines")
    context, page = await _open(browser)
    await _sign_in(page, served.base, admin)
    teammate = unique_email("grace")
    await _add_member(page, teammate, "Grace Hopper")
    row = _row(page, teammate)

    # By keyboard: the focus stays in the row the change redrew.
    await row.get_by_role("button", name="Make admin").focus()
    await page.keyboard.press("Enter")
    await _message(page, "Grace Hopper is now an admin.")
    assert await row.locator("td").nth(2).text_content() == "Admin"
    focused = await page.evaluate("document.activeElement.closest('tr').dataset.user")
    assert await row.get_attribute("data-user") == focused
    await row.get_by_role("button", name="Make member").click()
    await _message(page, "Grace Hopper is now a member.")
    assert await row.locator("td").nth(2).text_content() == "Member"

    mails = set(served.mail_dir.glob("*.eml"))
    await row.get_by_role("button", name="Send password reset").click()
    await _message(page, f"We mailed {teammate} a link to choose a new password.")
    assert "app/reset-password?token=" in _mail_to(served.mail_dir, teammate, mails)

    # The confirmation is asked in the page; Cancel (focused first) keeps the member.
    await row.get_by_role("button", name="Remove").click()
    dialog = page.locator("dialog#confirm")
    assert await dialog.is_visible()
    assert await page.evaluate("document.activeElement.id") == "confirm-no"
    await page.keyboard.press("Enter")
    assert not await dialog.is_visible()
    assert await row.count() == 1
    await row.get_by_role("button", name="Remove").click()
    await dialog.get_by_role("button", name="Remove").click()
    await _message(page, "Grace Hopper was removed.")
    assert await row.count() == 0

    # The one admin left may not leave: the API refuses, the page says why.
    await _row(page, admin).get_by_role("button", name="Remove").click()
    assert (await page.text_content("#confirm-text")).startswith("Remove your own account")
    await dialog.get_by_role("button", name="Remove").click()
    await _message(page, "Your company needs at least one admin: make someone else admin first.")
    assert await _row(page, admin).count() == 1
    await _clean(page)
    await context.close()


def _mail_to(mail_dir: Path, address: str, before: set[Path]) -> str:
    """The text of a mail to `address` written after `before` (mails go after the answer)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in sorted(set(mail_dir.glob("*.eml")) - before):
            message = email.message_from_bytes(path.read_bytes())
            if address in str(message["To"]):
                return path.read_text(encoding="utf-8", errors="replace")
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


async def test_the_superuser_sets_a_paid_plan_the_admin_then_reads(
    served: Served, browser: Any
) -> None:
    admin = _company_admin(served.base, "Babbage and Daughters")
    context, page = await _open(browser)
    await _sign_in(page, served.base, served.superuser)
    assert await page.is_hidden("#members")
    row = page.locator("#corporation-rows tr", has_text="Babbage and Daughters")
    await row.get_by_label("Plan").select_option("paid")
    await row.get_by_role("button", name="Save plan").click()
    await _message(page, "A paid plan needs an end date.")

    last_day = date.today() + timedelta(days=400)
    await row.get_by_label("Paid until").fill(last_day.isoformat())
    await row.get_by_role("button", name="Save plan").click()
    await _message(page, "The plan of Babbage and Daughters was saved.")
    paid_until = f"paid until {_long_date(last_day)}."
    assert await row.locator("td").nth(1).text_content() == f"Paid plan, {paid_until}"
    assert await row.get_by_label("Paid until").input_value() == last_day.isoformat()

    # A paid period that ended is said as such (the plan is free from then on).
    yesterday = date.today() - timedelta(days=1)
    await row.get_by_label("Paid until").fill(yesterday.isoformat())
    await row.get_by_role("button", name="Save plan").click()
    await row.filter(has_text="ended").wait_for()
    ended = f"Free plan: the paid plan ended on {_long_date(yesterday)}."
    assert await row.locator("td").nth(1).text_content() == ended
    await row.get_by_label("Paid until").fill(last_day.isoformat())
    await row.get_by_role("button", name="Save plan").click()
    await row.filter(has_text="Paid plan").wait_for()

    # A company with members cannot be deleted; an empty one can, after the question.
    await row.get_by_role("button", name="Delete").click()
    await page.locator("dialog#confirm").get_by_role("button", name="Delete").click()
    await _message(page, "This company still has members: remove them first.")
    create = page.locator("#create-corporation")
    await create.get_by_label("Company name").fill("Short Lived Ltd")
    await create.get_by_role("button", name="Create company").click()
    await _message(page, "The company Short Lived Ltd was created.")
    short = page.locator("#corporation-rows tr", has_text="Short Lived Ltd")
    assert await short.locator("td").nth(1).text_content() == "Free plan."
    await short.get_by_role("button", name="Delete").click()
    await page.locator("dialog#confirm").get_by_role("button", name="Delete").click()
    await _message(page, "The company Short Lived Ltd was deleted.")
    assert await short.count() == 0
    await _clean(page)

    theirs_context, theirs = await _open(browser)
    await _sign_in(theirs, served.base, admin)
    await theirs.locator("#company-plan").filter(has_text="paid until").wait_for()
    words = f"Babbage and Daughters is on the paid plan, {paid_until}"
    assert await theirs.text_content("#company-plan") == words
    assert await theirs.text_content("#standing") == "Babbage and Daughters · paid plan · admin"
    await theirs_context.close()
    await context.close()


async def test_long_lists_show_more_on_request(served: Served, browser: Any) -> None:
    async with httpx.AsyncClient(base_url=served.base) as http:
        login = {"email": served.superuser, "password": PASSWORD}
        tokens = (await http.post("/v1/auth/login", json=login)).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        for number in range(51):
            body = {"name": f"Batch company {number}"}
            (await http.post("/v1/corporations", json=body, headers=headers)).raise_for_status()
        total = (await http.get("/v1/corporations", headers=headers)).json()["total"]
    assert 51 < total <= 100
    context, page = await _open(browser)
    await _sign_in(page, served.base, served.superuser)
    rows = page.locator("#corporation-rows tr")
    await page.wait_for_selector("#corporations-count:not(:empty)")
    assert await page.text_content("#corporations-count") == f"Showing 50 of {total}."
    assert await rows.count() == 50
    await page.click("#corporations-more")
    await page.locator("#corporations-more").wait_for(state="hidden")
    assert await page.text_content("#corporations-count") == f"Showing {total} of {total}."
    assert await rows.count() == total
    await _clean(page)
    await context.close()


async def test_a_member_is_told_what_the_console_is_for(served: Served, browser: Any) -> None:
    admin = _company_admin(served.base, "Jacquard Looms")
    teammate = unique_email("member")
    async with httpx.AsyncClient(base_url=served.base) as http:
        tokens = (
            await http.post("/v1/auth/login", json={"email": admin, "password": PASSWORD})
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        body = {"email": teammate, "password": PASSWORD, "display_name": "Joseph"}
        (await http.post("/v1/users", json=body, headers=headers)).raise_for_status()
    for locale, expected in (
        ("en-US", "The admin console is for your company's admins."),
        ("ko-KR", "관리 콘솔은 회사 관리자만 쓸 수 있습니다."),
    ):
        context, page = await _open(browser, locale)
        await _sign_in(page, served.base, teammate)
        notice = page.locator("#notice")
        await notice.wait_for()
        assert (await notice.text_content()).startswith(expected)
        assert await page.is_hidden("#console")
        await assert_accessible(page, f"the console for a member, {locale}")
        await context.close()

    personal = _register(served.base, "solo")
    context, page = await _open(browser)
    await _sign_in(page, served.base, personal)
    await page.locator("#notice").wait_for()
    notice = await page.text_content("#notice")
    assert notice.startswith("The admin console is for company admins. To manage a team")
    assert await page.is_hidden("#console")
    await _clean(page)
    await context.close()


@pytest.mark.parametrize("who", ["admin", "superuser"])
async def test_the_console_passes_axe_at_desktop_and_phone_width(
    served: Served, browser: Any, who: str
) -> None:
    address = served.superuser if who == "superuser" else _company_admin(served.base, "Axe Co")
    for locale, width in (("en-US", 1280), ("ko-KR", 375), ("en-US", 375), ("ko-KR", 1280)):
        context, page = await _open(browser, locale, width)
        await page.goto(f"{served.base}/app/admin")
        await page.wait_for_selector("#login:not([hidden])")
        await assert_accessible(page, f"/app/admin signed out, {locale}, {width} px")
        await _sign_in(page, served.base, address)
        await page.wait_for_selector("#console:not([hidden])")
        await page.wait_for_load_state("networkidle")
        await assert_accessible(page, f"/app/admin as {who}, {locale}, {width} px")
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"/app/admin at {width} px scrolls sideways by {overflow} px"
        remove = "#member-rows .danger" if who == "admin" else "#corporation-rows .danger"
        await page.locator(remove).first.click()
        await assert_accessible(page, f"/app/admin confirmation, {locale}, {width} px")
        await page.keyboard.press("Escape")
        await _clean(page)
        await context.close()
