"""A room's history in Chromium on a real server, with two people in two browser contexts:
Ada makes a members-only room from the list, both join, Ada builds a program in three
commits (three blocks dragged from the toolbox), opens the history, previews the first
version read-only and restores it; Bo sees the restored program live, and the history
shows the restore as a new version. Then the same by keyboard only (the first Tab in a
room stops on the page's controls, not on Blockly's SVG); axe-core on the history and its
dialogs at 1280 and 375 px in English and Korean; at 375 px the program is not under the
toolbox. No page errors, no request leaves the machine."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import websockets

from backlot.web.pages import VENDOR
from tests.helpers import running_server
from tests.web.axe import AXE, assert_accessible
from tests.web.test_workspace_page import SEED
from tests.web.test_workspace_rooms import (
    ENV,
    Company,
    join_from_list,
    message,
    open_page,
    row,
    sign_in,
)
from tests.web.test_workspace_words import _assert_accessible_but_blockly
from tests.workspace.peers import socket_url

pytestmark = pytest.mark.skipif(
    not (VENDOR["blockly.min.js"].is_file() and AXE.is_file()),
    reason="browser tests: the page's npm libraries are missing (run make)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("workspace-history"), ENV) as base:
        yield base


# A point on a block's own body (what is under the pointer there is its path), for the
# toolbox's block of a type.
_FLYOUT_GRIP = """type => {
  const flyout = window.backlotWorkspace.getFlyout().getWorkspace();
  const block = flyout.getTopBlocks(false).find((b) => b.type === type);
  const path = block.getSvgRoot().querySelector(':scope > path.blocklyPath');
  const box = path.getBoundingClientRect();
  for (let dy = 0.2; dy < 1; dy += 0.15) {
    for (let dx = 2; dx < box.width; dx += 2) {
      const x = box.left + dx, y = box.top + box.height * dy;
      if (document.elementFromPoint(x, y) === path) return [x, y];
    }
  }
  return null;
}"""


async def drop_from_toolbox(page: Any, block_type: str, x: float, y: float) -> None:
    """Drag the toolbox's block of a type to (x, y) of the editor: one commit."""
    start = await page.evaluate(_FLYOUT_GRIP, block_type)
    assert start is not None, f"no visible body of the toolbox's {block_type}"
    area = await page.locator("#blockly").bounding_box()
    await page.mouse.move(*start)
    await page.mouse.down()
    await page.mouse.move(area["x"] + x / 2, area["y"] + y / 2, steps=5)
    await page.mouse.move(area["x"] + x, area["y"] + y, steps=5)
    await page.mouse.up()


async def blocks(page: Any) -> list[str]:
    """The editor's top blocks, as types (what both people see)."""
    types: list[str] = await page.evaluate(
        "window.backlotWorkspace.getTopBlocks(true).map(b => b.type).sort()"
    )
    return types


async def _settled(saved: Callable[[], Awaitable[list[dict[str, Any]]]]) -> list[int]:
    """The saved versions once no commit is on its way (the page commits a change a moment
    after it, and letting go of a block may commit again): four equal reads, 0.5 s apart."""
    reads: list[list[int]] = []
    for _ in range(60):
        reads = [*reads[-3:], [snapshot["version"] for snapshot in await saved()]]
        if len(reads) == 4 and all(read == reads[0] for read in reads):
            return reads[0]
        await asyncio.sleep(0.5)
    raise AssertionError(f"the room kept saving: {reads}")


async def test_a_restore_reaches_everyone_and_joins_the_history(server: str, browser: Any) -> None:
    team = await Company.make(server)
    ada = await open_page(browser)
    await sign_in(ada, server, team.admin)
    await ada.click("#new-room")
    dialog = ada.locator("#room-dialog")
    await dialog.get_by_label("Name").fill("Storyboard")
    assert await dialog.get_by_label(f"Members of {team.name} only").is_checked()
    await dialog.get_by_role("button", name="Create room").click()
    await message(ada, "The room “Storyboard” is ready: open it from the list.")
    await join_from_list(ada, "Storyboard")
    bo = await open_page(browser)
    await sign_in(bo, server, team.member)
    await join_from_list(bo, "Storyboard")
    await ada.wait_for_selector("#users li:has-text('Bo')")

    # Ada builds a program in three commits; Bo follows each.
    built: list[str] = []
    for block, y in (("text", 80), ("math_number", 200), ("logic_compare", 320)):
        await drop_from_toolbox(ada, block, 400, y)
        built.append(block)
        await bo.wait_for_function(
            "n => window.backlotWorkspace.getTopBlocks(false).length === n", arg=len(built)
        )
        await ada.mouse.click(*(await _empty_spot(ada)))  # let go of the block
    assert await blocks(bo) == ["logic_compare", "math_number", "text"]
    room_id = next(r for r in await team.rooms() if r["title"] == "Storyboard")["room_id"]

    async def saved() -> list[dict[str, Any]]:
        listed = await team.call("GET", f"/v1/workspace/rooms/{room_id}/snapshots")
        items: list[dict[str, Any]] = listed.json()["items"]
        return items

    # The history: a version per saved change (at least one per block: a drop may save
    # its creation and its move apart; letting go of a block saves nothing new), newest
    # first, by Ada.
    numbers = await _settled(saved)
    assert 3 <= len(numbers) <= 6, numbers
    await ada.click("#history-open")
    history = ada.locator("#history")
    versions = history.locator("#versions li")
    await versions.nth(len(numbers) - 1).wait_for()
    assert await versions.count() == len(numbers)
    names = await history.locator("#versions li .name").all_text_contents()
    assert names == [f"Version {number}" for number in numbers]
    for details in await history.locator("#versions li .details").all_text_contents():
        assert details.startswith("Ada · "), details
    assert await ada.evaluate("document.activeElement.id") == "history-title"

    # The first version, read-only: one block, drawn and listed.
    first = numbers[-1]
    oldest = versions.last
    await oldest.get_by_role("button", name=f"Preview Version {first}").click()
    await ada.wait_for_selector("#preview:not([hidden]) #preview-blocks .blocklySvg")
    assert await ada.text_content("#preview-title") == f"Version {first}"
    assert await history.locator("#preview-outline li").count() == 1
    assert await oldest.get_attribute("aria-current") == "true"
    drawn = await ada.evaluate(
        "document.querySelectorAll('#preview-blocks .blocklyBlockCanvas > g[data-id]').length"
    )
    assert drawn == 1
    # Read-only: nothing in the preview can be moved or changed.
    assert await ada.evaluate("roomHistory.workspace.options.readOnly") is True
    assert await ada.evaluate("Blockly.getMainWorkspace() === window.backlotWorkspace")

    # Restore, after a question in the page; everyone gets it live.
    await history.get_by_role("button", name=f"Restore version {first}").click()
    confirm = ada.locator("#confirm")
    await confirm.wait_for()
    assert await confirm.locator("h2").text_content() == f"Bring back version {first}?"
    await confirm.get_by_role("button", name="Restore", exact=True).click()
    await history.wait_for(state="hidden")
    newest = (await saved())[0]
    assert newest["restored_from"] == first and newest["version"] > numbers[0]
    await message(ada, f"Version {first} is back, as version {newest['version']}.")
    assert await ada.evaluate("document.activeElement.id") == "history-open"
    await bo.wait_for_selector(f"#version:has-text('v{newest['version']}')")
    assert await blocks(bo) == ["text"]
    assert await blocks(ada) == ["text"]
    await bo.wait_for_selector(f"#activity li:has-text('Ada restored version {first}')")

    # The restore is the newest version of the history, for Bo too.
    await bo.click("#history-open")
    top = bo.locator("#versions li").first
    await top.locator(".name").filter(has_text=f"Version {newest['version']}").wait_for()
    details = await top.locator(".details").text_content() or ""
    assert details.endswith(f"brought back version {first}"), details
    for page in (ada, bo):
        assert page.errors == [] and page.elsewhere == []
        await page.context.close()


async def _empty_spot(page: Any) -> tuple[float, float]:
    area = await page.locator("#blockly").bounding_box()
    return area["x"] + area["width"] * 0.8, area["y"] + area["height"] * 0.85


async def _seeded_room(server: str, team: Company, versions: int = 2) -> str:
    """A members room of the team with `versions` saved versions of SEED (moved about)."""
    room = f"seeded-{uuid.uuid4().hex[:8]}"
    body = {"room_id": room, "title": "Seeded", "visibility": "members"}
    assert (await team.call("POST", "/v1/workspace/rooms", body)).status_code == 201
    token = team.admin_headers["Authorization"].removeprefix("Bearer ")
    async with websockets.connect(socket_url(server, room, nickname="Ada", token=token)) as ws:
        await ws.recv()  # INIT_STATE
        for version in range(versions):
            # A program wider than a phone's editor less a side toolbox (150 px of 355).
            xml = SEED.replace('x="40" y="40"', f'x="{40 + 30 * version}" y="40"')
            xml = xml.replace('x="40" y="200"', 'x="250" y="160"')
            commit = {"blockId": "num1", "events": [], "workspaceXml": xml}
            await ws.send(json.dumps({"t": "COMMIT", "payload": commit}))
            while json.loads(await ws.recv())["t"] != "COMMIT_APPLY":
                pass
    return room


async def _tab_to(page: Any, selector: str, most: int = 40) -> None:
    """Press Tab until `selector` has the focus (it must come within `most` presses)."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement.matches({json.dumps(selector)})"):
            return
    raise AssertionError(f"{selector} never took the focus")


async def test_the_list_and_the_history_by_keyboard(server: str, browser: Any) -> None:
    team = await Company.make(server)
    room = await _seeded_room(server, team)
    page = await open_page(browser)
    await sign_in(page, server, team.admin)
    await row(page, "Seeded").wait_for()
    # Make, rename and delete a room, by keyboard.
    await _tab_to(page, "#new-room")
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.name") == "title"
    await page.keyboard.type("Typed")
    await page.keyboard.press("Enter")
    await message(page, "The room “Typed” is ready: open it from the list.")
    assert await page.evaluate("document.activeElement.textContent") == "Typed"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Change “Typed”"
    await page.keyboard.press("Enter")
    await page.keyboard.press("End")
    await page.keyboard.type(" again")
    await page.keyboard.press("Enter")
    await message(page, "Saved “Typed again”.")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Delete “Typed again”"
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "confirm-yes"
    await page.keyboard.press("Enter")
    await message(page, "The room “Typed again” was deleted.")
    assert await page.evaluate("document.activeElement.id") == "rooms-heading"
    assert [r for r in await team.rooms() if r["title"].startswith("Typed")] == []
    # From the list to the room, by keyboard.
    await _tab_to(page, f"#room-list a[href$='/{room}']")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**/app/workspace/{room}")
    await _tab_to(page, "#join input[name=nickname]")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#connection.online")
    # Joined: the focus is on the title; Tab goes to the page's controls, then Blockly.
    assert await page.evaluate("document.activeElement.matches('main h1')")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "all-rooms"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "history-open"
    await page.keyboard.press("Tab")
    assert await page.evaluate("!!document.activeElement.closest('#blockly')")

    # The history: open, preview the first version, restore it, all by keyboard.
    await page.focus("#history-open")
    await page.keyboard.press("Enter")
    await page.locator("#versions li").nth(1).wait_for()
    await _tab_to(page, "#versions li:last-child button")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#preview:not([hidden])")
    assert await page.evaluate("document.activeElement.id") == "preview-title"
    await _tab_to(page, "#restore")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#confirm[open]")
    assert await page.evaluate("document.activeElement.id") == "confirm-no"
    # Escape backs out of the question only; the history stays, the focus returns.
    await page.keyboard.press("Escape")
    assert await page.evaluate("document.activeElement.id") == "restore"
    assert await page.is_visible("#history")
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "confirm-yes"
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#message:has-text('Version 1 is back, as version')")
    # (Tabbing through the editor took a block and let it go: a commit, so the number is
    # the API's.)
    # A commit of that block may still land after the restore: find the restore itself.
    listed = await team.call("GET", f"/v1/workspace/rooms/{room}/snapshots")
    restores = [item for item in listed.json()["items"] if item["restored_from"] is not None]
    assert [item["restored_from"] for item in restores] == [1]
    await message(page, f"Version 1 is back, as version {restores[0]['version']}.")
    assert await page.evaluate("document.activeElement.id") == "history-open"
    # Escape closes the history too, the focus back where it was.
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#history[open]")
    await page.keyboard.press("Escape")
    assert await page.evaluate("document.activeElement.id") == "history-open"
    assert page.errors == [] and page.elsewhere == []
    await page.context.close()


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
async def test_the_history_and_dialogs_pass_axe(
    server: str, browser: Any, locale: str, width: int
) -> None:
    team = await Company.make(server)
    room = await _seeded_room(server, team)
    page = await open_page(browser, locale, width)
    await sign_in(page, server, team.admin)
    await row(page, "Seeded").wait_for()
    await assert_accessible(page, f"room list, {locale}, {width} px")
    await row(page, "Seeded").locator("button.change").click()
    await page.wait_for_selector("#room-dialog[open]")
    await assert_accessible(page, f"room dialog, {locale}, {width} px")
    await page.keyboard.press("Escape")
    await page.goto(f"{server}/app/workspace/{room}")
    await page.click("#join button[type=submit]")
    await page.wait_for_selector("#connection.online")
    await page.wait_for_selector('g[data-id="num1"]')
    if width == 375:
        await _assert_program_beside_the_toolbox(page)
    await page.click("#history-open")
    await page.locator("#versions li button").last.click()
    await page.wait_for_selector("#preview-blocks .blocklySvg")
    await _assert_accessible_but_blockly(page, f"history, {locale}, {width} px")
    korean = locale == "ko-KR"
    words = {"#history-title": "기록" if korean else "History"}
    words["#history-close"] = "닫기" if korean else "Close"
    words["#outline-title"] = "들어 있는 블록" if korean else "Its blocks"
    for selector, text in words.items():
        assert await page.text_content(selector) == text
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"scrolls sideways by {overflow} px"
    box = await page.locator("#history").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    await page.click("#restore")
    await page.wait_for_selector("#confirm[open]")
    await _assert_accessible_but_blockly(page, f"restore question, {locale}, {width} px")
    assert await page.text_content("#confirm-yes") == ("되살리기" if korean else "Restore")
    assert page.errors == [] and page.elsewhere == []
    await page.context.close()


async def _assert_program_beside_the_toolbox(page: Any) -> None:
    """At phone width every block of the program is on screen in the editor, and none lies
    under the toolbox."""
    found = await page.evaluate("""() => {
      const box = (e) => e.getBoundingClientRect();
      const editor = box(document.querySelector('#blockly'));
      const flyout = box(document.querySelector('.blocklyFlyout:not(.blocklyTrashcanFlyout)'));
      return window.backlotWorkspace.getTopBlocks(true).map((block) => {
        const b = box(block.getSvgRoot());
        const under = b.left < flyout.right && b.right > flyout.left
          && b.top < flyout.bottom && b.bottom > flyout.top;
        const inside = b.left >= editor.left && b.right <= editor.right
          && b.top >= editor.top && b.bottom <= editor.bottom;
        return {id: block.id, under, inside};
      });
    }""")
    assert found and all(b["inside"] and not b["under"] for b in found), found
