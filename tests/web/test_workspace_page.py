"""The workspace page in a real browser: two Chromium contexts in one room with the real
Blockly editor. Selecting a block locks it for the other, who is refused; dragging it
commits, and the other page replays the move."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import websockets

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import running_server
from tests.workspace.conftest import member, open_room
from tests.workspace.peers import socket_url

pytestmark = [
    pytest.mark.skipif(
        not VENDOR["blockly.min.js"].is_file(),
        reason="browser tests: the page's npm libraries are missing (run make)",
    ),
]

SEED = (
    '<xml xmlns="https://developers.google.com/blockly/xml">'
    '<block type="math_number" id="num1" x="40" y="40"><field name="NUM">7</field></block>'
    '<block type="text" id="txt1" x="40" y="200"><field name="TEXT">hi</field></block>'
    "</xml>"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path_factory.mktemp("workspace-page"), env) as base:
        yield base


async def _seed(base: str, room: str) -> None:
    # Rooms are made by signed-in users; this one lets the anonymous pages below edit.
    await open_room(base, await member(base), room_id=room, title=room, anonymous_edit=True)
    async with websockets.connect(socket_url(base, room, nickname="seeder")) as ws:
        await ws.recv()  # INIT_STATE
        commit = {"blockId": "num1", "events": [], "workspaceXml": SEED}
        await ws.send(json.dumps({"t": "COMMIT", "payload": commit}))
        while json.loads(await ws.recv())["t"] != "COMMIT_APPLY":
            pass


async def _join(browser: object, base: str, room: str, nickname: str) -> object:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{base}/app/workspace/{room}")
    await page.fill("#join input[name=nickname]", nickname)
    await page.click("#join button[type=submit]")
    await page.wait_for_selector("#connection.online")
    await page.wait_for_selector('g[data-id="num1"]')
    page.errors = errors  # type: ignore[attr-defined]
    return page


# A point on the block's own body (not a field, not the gap around its connector tab),
# found the way a person would aim: what is under the pointer there.
_GRIP = """id => {
  const path = document.querySelector(`g[data-id="${id}"] > path.blocklyPath`);
  const box = path.getBoundingClientRect();
  for (let dy = 0.2; dy < 1; dy += 0.15) {
    for (let dx = 2; dx < box.width; dx += 2) {
      const x = box.left + dx, y = box.top + box.height * dy;
      if (document.elementFromPoint(x, y) === path) return [x, y];
    }
  }
  return null;
}"""


async def _grip(page: object, block_id: str) -> tuple[float, float]:
    point = await page.evaluate(_GRIP, block_id)  # type: ignore[attr-defined]
    assert point is not None, f"no visible body of {block_id}"
    return float(point[0]), float(point[1])


async def _position(page: object, block_id: str) -> list[float]:
    xy: list[float] = await page.evaluate(  # type: ignore[attr-defined]
        "id => { const p = window.backlotWorkspace.getBlockById(id)"
        ".getRelativeToSurfaceXY(); return [p.x, p.y]; }",
        block_id,
    )
    return xy


async def test_lock_denied_commit_applied_between_two_browsers(
    server: str, browser: object
) -> None:
    room = f"page-{uuid.uuid4().hex[:8]}"
    await _seed(server, room)
    ada = await _join(browser, server, room, "ada")
    grace = await _join(browser, server, room, "grace")
    await ada.wait_for_selector("#users li:has-text('grace')")  # type: ignore[attr-defined]

    # ada selects the number block: it is locked for grace, with ada's name on it.
    await ada.mouse.click(*await _grip(ada, "num1"))  # type: ignore[attr-defined]
    await grace.wait_for_selector('g[data-id="num1"].backlot-locked')  # type: ignore[attr-defined]
    await grace.wait_for_selector("#locks li[data-block-id='num1']:has-text('ada')")  # type: ignore[attr-defined]

    # grace tries the same block: refused, with who holds it; it does not move for her.
    before = await _position(grace, "num1")
    await grace.mouse.click(*await _grip(grace, "num1"))  # type: ignore[attr-defined]
    await grace.wait_for_selector("#message:has-text('ada is editing this block')")  # type: ignore[attr-defined]

    # ada drags it 200 px right and 100 px down: the drop commits, grace replays it.
    x, y = await _grip(ada, "num1")
    await ada.mouse.move(x, y)  # type: ignore[attr-defined]
    await ada.mouse.down()  # type: ignore[attr-defined]
    await ada.mouse.move(x + 100, y + 50, steps=5)  # type: ignore[attr-defined]
    await ada.mouse.move(x + 200, y + 100, steps=5)  # type: ignore[attr-defined]
    await ada.mouse.up()  # type: ignore[attr-defined]
    await grace.wait_for_selector("#activity li:has-text('ada committed 1 change')")  # type: ignore[attr-defined]
    await grace.wait_for_selector("#version:has-text('v2')")  # type: ignore[attr-defined]
    after = await _position(grace, "num1")
    assert after != before
    # Blockly rounds a move's coordinates when it sends it: the editor's place on the page
    # may leave the mover a fraction of a pixel off.
    assert after == pytest.approx(await _position(ada, "num1"), abs=0.5)

    # ada clicks away: the block is hers no more, and grace can take it.
    area = await ada.locator("#blockly").bounding_box()  # type: ignore[attr-defined]
    await ada.mouse.click(area["x"] + area["width"] * 0.7, area["y"] + area["height"] * 0.8)  # type: ignore[attr-defined]
    await grace.wait_for_selector("#locks li", state="detached")  # type: ignore[attr-defined]
    await grace.mouse.click(*await _grip(grace, "num1"))  # type: ignore[attr-defined]
    await ada.wait_for_selector('g[data-id="num1"].backlot-locked')  # type: ignore[attr-defined]
    assert ada.errors == [] and grace.errors == []  # type: ignore[attr-defined]
