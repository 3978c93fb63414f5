"""The workspace page's room list in Chromium on a real server: a company admin makes a
members-only room from the list (members-only is the default, public only by choice),
renames and resizes it, and deletes it after a question in the page; a teammate sees no
such controls and the API refuses them; whoever is in the room when it goes is told in a
sentence and brought back to the list. The list pages; its rooms show who is in them. The
editor is never drawn for a room that refused us. No request leaves the machine."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.web.axe import AXE

pytestmark = pytest.mark.skipif(
    not (VENDOR["blockly.min.js"].is_file() and AXE.is_file()),
    reason="browser tests: the page's npm libraries are missing (run make)",
)

ENV = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("workspace-rooms"), ENV) as base:
        yield base


class Company:
    """A company's admin and one of its members (a guest), with API headers for both."""

    def __init__(self, base: str, name: str) -> None:
        self.base, self.name = base, name
        self.admin = unique_email("ws-admin")
        self.member = unique_email("ws-member")
        self.admin_headers: dict[str, str] = {}
        self.member_headers: dict[str, str] = {}

    @classmethod
    async def make(cls, base: str) -> Company:
        team = cls(base, f"Orbit {uuid.uuid4().hex[:6]}")
        admin = {"email": team.admin, "corporation_name": team.name, "display_name": "Ada"}
        assert (await team.call("POST", "/v1/auth/register", admin | _PASSWORD, {})).is_success
        team.admin_headers = await team._login(team.admin)
        member = {"email": team.member, "role": "guest", "display_name": "Bo"}
        made = await team.call("POST", "/v1/users", member | _PASSWORD)
        assert made.status_code == 201, made.text
        team.member_headers = await team._login(team.member)
        return team

    async def _login(self, email: str) -> dict[str, str]:
        login = await self.call("POST", "/v1/auth/login", {"email": email} | _PASSWORD, {})
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The API, as the admin unless other headers are given."""
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as http:
            return await http.request(
                method, path, json=body, headers=self.admin_headers if headers is None else headers
            )

    async def room(self, room_id: str) -> httpx.Response:
        return await self.call("GET", f"/v1/workspace/rooms/{room_id}")

    async def rooms(self) -> list[dict[str, Any]]:
        listed = await self.call("GET", "/v1/workspace/rooms?limit=100")
        assert listed.status_code == 200, listed.text
        items: list[dict[str, Any]] = listed.json()["items"]
        return items


_PASSWORD = {"password": PASSWORD}


async def open_page(browser: Any, locale: str = "en-US", width: int = 1280) -> Any:
    """A page in a context of its own; `page.errors` gathers page errors, `page.elsewhere`
    every request (HTTP or socket) to a host other than 127.0.0.1."""
    context = await browser.new_context(locale=locale, viewport={"width": width, "height": 800})
    page = await context.new_page()
    page.errors = []
    page.elsewhere = []

    def check(url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("data", "blob") and parts.hostname != "127.0.0.1":
            page.elsewhere.append(url)

    page.on("pageerror", lambda error: page.errors.append(str(error)))
    context.on("request", lambda request: check(request.url))
    page.on("websocket", lambda socket: check(socket.url))
    return page


async def sign_in(page: Any, base: str, email: str, path: str = "/app/workspace") -> None:
    await page.goto(f"{base}{path}")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#who:not([hidden])")


def row(page: Any, title: str) -> Any:
    return page.locator("#room-list li", has=page.get_by_role("link", name=title, exact=True))


async def message(page: Any, expected: str) -> None:
    line = page.locator("#message")
    await line.filter(has_text=expected).wait_for(timeout=10000)
    assert await line.text_content() == expected


async def join_from_list(page: Any, title: str) -> None:
    await row(page, title).get_by_role("link").click()
    await page.wait_for_selector("#join:not([hidden])")
    await page.click("#join button[type=submit]")  # the nickname is the user's name
    await page.wait_for_selector("#connection.online")
    await page.wait_for_selector(".blocklySvg")


async def test_an_owner_makes_renames_and_deletes_a_room_from_the_list(
    server: str, browser: Any
) -> None:
    team = await Company.make(server)
    ada = await open_page(browser)
    await sign_in(ada, server, team.admin)
    await ada.wait_for_selector("#new-room:not([hidden])")

    # Making a room: members-only unless one chooses public.
    await ada.click("#new-room")
    dialog = ada.locator("#room-dialog")
    await dialog.wait_for()
    assert await dialog.locator("h2").text_content() == "New room"
    assert await ada.evaluate("document.activeElement.name") == "title"
    members = dialog.get_by_label(f"Members of {team.name} only")
    assert await members.is_checked()
    assert not await dialog.get_by_label("Anyone with the link, signed in or not").is_checked()
    assert await dialog.get_by_label("Visitors who are not signed in may edit too").is_disabled()
    await dialog.get_by_label("Name").fill("Design review")
    await dialog.get_by_label("People at most").fill("5")
    await dialog.get_by_role("button", name="Create room").click()
    await message(ada, "The room “Design review” is ready: open it from the list.")
    assert not await dialog.is_visible()
    assert await row(ada, "Design review").locator(".details").text_content() == (
        "Members only · 0 of 5 here"
    )
    assert await ada.evaluate("document.activeElement.textContent") == "Design review"
    (made,) = [room for room in await team.rooms() if room["title"] == "Design review"]
    assert (made["visibility"], made["max_users"]) == ("members", 5)
    room_id = made["room_id"]

    # Renaming and resizing it.
    await row(ada, "Design review").get_by_role("button", name="Change “Design review”").click()
    assert await dialog.locator("h2").text_content() == "Change “Design review”"
    assert await dialog.locator("#visibility-field").is_hidden()
    await dialog.get_by_label("Name").fill("Design review 2")
    await dialog.get_by_label("People at most").fill("8")
    await dialog.get_by_role("button", name="Save").click()
    await message(ada, "Saved “Design review 2”.")
    assert await ada.evaluate("document.activeElement.classList.contains('change')")
    changed = (await team.room(room_id)).json()
    assert (changed["title"], changed["max_users"]) == ("Design review 2", 8)

    # A teammate sees it, with no controls to change it; the API refuses them too.
    bo = await open_page(browser)
    await sign_in(bo, server, team.member)
    await row(bo, "Design review 2").wait_for()
    assert await row(bo, "Design review 2").get_by_role("button").count() == 0
    path = f"/v1/workspace/rooms/{room_id}"
    for refused in (
        await team.call("PATCH", path, {"title": "Mine"}, team.member_headers),
        await team.call("DELETE", path, None, team.member_headers),
    ):
        assert (refused.status_code, refused.json()["code"]) == (403, "not_room_owner")
    await join_from_list(bo, "Design review 2")
    await ada.reload()
    await row(ada, "Design review 2").filter(has_text="1 of 8 here").wait_for()

    # Deleting asks first, in the page; Escape keeps the room.
    delete = row(ada, "Design review 2").get_by_role("button", name="Delete “Design review 2”")
    await delete.click()
    confirm = ada.locator("#confirm")
    await confirm.wait_for()
    assert await confirm.locator("h2").text_content() == "Delete the room “Design review 2”?"
    assert await ada.evaluate("document.activeElement.id") == "confirm-no"
    await ada.keyboard.press("Escape")
    await confirm.wait_for(state="hidden")
    assert await ada.evaluate("document.activeElement.textContent") == ("Delete “Design review 2”")
    assert (await team.room(room_id)).status_code == 200
    await delete.click()
    await confirm.get_by_role("button", name="Delete room").click()
    await message(ada, "The room “Design review 2” was deleted.")
    assert await row(ada, "Design review 2").count() == 0
    assert (await team.room(room_id)).status_code == 404

    # Bo was in it: told in a sentence, and back at the list.
    await message(
        bo, "The room “Design review 2” was deleted, so you are back at the list of rooms."
    )
    assert urlsplit(bo.url).path == "/app/workspace"
    assert await bo.is_visible("#rooms") and await bo.is_hidden("#room")
    assert await bo.locator(".injectionDiv").count() == 0
    assert await bo.evaluate("document.activeElement.id") == "rooms-heading"
    assert await row(bo, "Design review 2").count() == 0
    for page in (ada, bo):
        assert page.errors == [] and page.elsewhere == []
        await page.context.close()


async def test_a_member_without_a_company_chooses_public(server: str, browser: Any) -> None:
    email = unique_email("ws-loner")
    async with httpx.AsyncClient(base_url=server) as http:
        registered = await http.post("/v1/auth/register", json={"email": email} | _PASSWORD)
        assert registered.status_code == 202, registered.text
    page = await open_page(browser)
    await sign_in(page, server, email)
    await page.click("#new-room")
    dialog = page.locator("#room-dialog")
    members = dialog.locator("input[value=members]")
    public = dialog.get_by_label("Anyone with the link, signed in or not")
    assert await members.is_disabled() and not await public.is_checked()
    assert await dialog.locator("#no-company").is_visible()
    await dialog.get_by_label("Name").fill("Open house")
    await dialog.get_by_role("button", name="Create room").click()
    # Nothing chosen for them: the browser asks, and no room is made.
    assert await page.evaluate("document.querySelector('#room-form').checkValidity()") is False
    assert await dialog.is_visible()
    await public.check()
    await dialog.get_by_label("Visitors who are not signed in may edit too").check()
    await dialog.get_by_role("button", name="Create room").click()
    await message(page, "The room “Open house” is ready: open it from the list.")
    details = await row(page, "Open house").locator(".details").text_content()
    assert details == "Public · 0 of 20 here"
    assert page.errors == [] and page.elsewhere == []
    await page.context.close()


async def test_the_list_comes_a_page_at_a_time(server: str, browser: Any) -> None:
    team = await Company.make(server)
    for number in range(23):
        body = {"title": f"Paged {number:02}", "visibility": "members"}
        assert (await team.call("POST", "/v1/workspace/rooms", body)).status_code == 201
    total = len(await team.rooms())  # theirs and every public room of the other tests
    page = await open_page(browser)
    await sign_in(page, server, team.admin)
    await row(page, "Paged 22").wait_for()  # newest first
    assert await page.locator("#room-list li").count() == 20
    assert await page.text_content("#rooms-range") == f"1\N{EN DASH}20 of {total}"
    assert await page.is_disabled("#rooms-prev")
    await page.focus("#rooms-next")
    await page.keyboard.press("Enter")
    await page.locator("#rooms-range").filter(has_text="21\N{EN DASH}").wait_for()
    assert await row(page, "Paged 02").count() == 1 and await row(page, "Paged 22").count() == 0
    if total <= 40:  # the last page: "Next" is off, and the focus moved to "Previous"
        assert await page.is_disabled("#rooms-next")
        assert await page.evaluate("document.activeElement.id") == "rooms-prev"
    assert page.errors == [] and page.elsewhere == []
    await page.context.close()


async def test_a_refusing_room_draws_no_editor(server: str, browser: Any) -> None:
    team = await Company.make(server)
    body = {"room_id": f"closed-{uuid.uuid4().hex[:6]}", "title": "Closed", "visibility": "members"}
    assert (await team.call("POST", "/v1/workspace/rooms", body)).status_code == 201
    page = await open_page(browser)
    # A members room, for a visitor: the sign-in form, no editor.
    await page.goto(f"{server}/app/workspace/{body['room_id']}")
    await page.fill("#join input[name=nickname]", "ann")
    await page.click("#join button[type=submit]")
    await page.wait_for_selector("#login:not([hidden])")
    assert await page.is_hidden("#room") and await page.is_hidden("#pills")
    assert await page.locator(".injectionDiv").count() == 0
    # No such room: said in words, no editor either.
    await page.goto(f"{server}/app/workspace/nowhere-{uuid.uuid4().hex[:6]}")
    await page.fill("#join input[name=nickname]", "ann")
    await page.click("#join button[type=submit]")
    await message(page, "This room does not exist, or you cannot enter it.")
    assert await page.is_hidden("#room") and await page.locator(".injectionDiv").count() == 0
    assert page.errors == [] and page.elsewhere == []
    await page.context.close()
